"""Publish registered models to the Hugging Face Hub and pull them back, verified.

Publish is allowed only for a version whose job reached TESTS_PASSED (seed 000: no publish
without passing tests); the job then moves to PUBLISHED. What goes up: the merged model
artifact (its files and its manifest.json), a model card built from lineage and eval and
scrubbed of secrets, and `forge-files.json` — the SHA-256 of every other file in the repo.
Pull downloads a revision and checks every file against forge-files.json (and the merged
model against its own manifest): a missing, changed or unlisted file is refused.

The endpoint is huggingface_hub's own (HF_ENDPOINT, default the public Hub); the token comes
from HF_TOKEN / the huggingface_hub login, never from Forge, and never reaches the card.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from forge.artifacts import sha256_file
from forge.errors import ForgeError, IllegalTransition, IntegrityError, NotFound
from forge.jobs.state_machine import JobState

FILES_MANIFEST = "forge-files.json"
HUB_EXTRA = {".gitattributes"}  # the Hub adds this to every new repo


def _api(endpoint: str | None = None):
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")  # plain HTTP uploads; no Xet client needed
    from huggingface_hub import HfApi
    return HfApi(endpoint=endpoint)


def _check_repo(repo: str) -> None:
    parts = repo.split("/")
    if len(parts) != 2 or not all(p and p.replace("-", "").replace("_", "").replace(".", "").isalnum() for p in parts):
        raise ForgeError(f"invalid Hub repository {repo!r}", hint="use ORG/NAME, e.g. my-org/polecat-v3")


def publishable_job(forge: Any, model: Any):
    """The model's job, if it may be published; else IllegalTransition saying why not."""
    if not model.job_id:
        raise IllegalTransition(f"refused: {model.display_name} has no job, so no TESTS_PASSED record",
                                hint="publish a version produced by a pipeline job")
    job = forge.jobs.get(model.job_id)
    if job.state not in (JobState.TESTS_PASSED, JobState.PUBLISHED):
        raise IllegalTransition(f"refused: job {job.id} is {job.state.value}; publishing needs TESTS_PASSED",
                                hint="wait for the job to pass its eval gate (get_forge_job_status)")
    return job


def publish(forge: Any, model: Any, repo: str, *, private: bool, actor: str,
            card_text: str | None = None, endpoint: str | None = None) -> dict[str, Any]:
    from forge.registry.card import model_card
    _check_repo(repo)
    job = publishable_job(forge, model)
    merged_id = model.lineage.get("merged_model")
    if not merged_id:
        raise NotFound(f"{model.display_name} has no merged model in its lineage")
    merged = forge.store.get(merged_id)
    merged.verify()  # never upload bytes that differ from what was evaluated
    staging = forge.settings.home / ".hub-staging" / f"{model.display_name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(merged.path, staging)
        (staging / "README.md").write_text(model_card(forge, model, repo, extra=card_text), encoding="utf-8")
        files = {p.relative_to(staging).as_posix(): sha256_file(p)  # manifest.json included
                 for p in sorted(staging.rglob("*")) if p.is_file()}
        (staging / FILES_MANIFEST).write_text(json.dumps({"model": model.display_name, "files": files},
                                                         indent=2, sort_keys=True))
        api = _api(endpoint)
        url = api.create_repo(repo, private=private, exist_ok=True, repo_type="model")
        commit = api.upload_folder(folder_path=str(staging), repo_id=repo, repo_type="model",
                                   commit_message=f"Forge {model.display_name} (job {job.id})")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    revision = getattr(commit, "oid", None)
    if job.state is JobState.TESTS_PASSED:
        forge.jobs.transition(job.id, JobState.PUBLISHED, actor=actor,
                              reason=f"published {model.display_name} to {repo}@{revision}")
    published = {"repo": repo, "revision": revision, "private": private, "url": str(url)}
    forge.registry.update_details(model.name, model.version,
                                  {"published": [*model.details.get("published", []), published]})
    return {"model": model.display_name, "job_id": job.id, "files": len(files) + 1, **published}


def pull(forge: Any, repo: str, *, revision: str | None = None, dest: Path | None = None,
         endpoint: str | None = None) -> dict[str, Any]:
    _check_repo(repo)
    _api(endpoint)  # sets the Xet default before the download code reads it
    from huggingface_hub import snapshot_download
    dest = Path(dest) if dest else forge.settings.home / "hub" / repo
    if dest.exists() and any(dest.iterdir()):
        if not (dest / FILES_MANIFEST).is_file():  # never delete a folder we did not fill
            raise ForgeError(f"{dest} exists and is not an earlier Forge download",
                             hint="choose an empty or new --dest")
        shutil.rmtree(dest)  # a fresh copy: a stale file must not pass as verified
    path = Path(snapshot_download(repo, revision=revision, local_dir=str(dest), repo_type="model",
                                  endpoint=endpoint))
    return {"repo": repo, "revision": revision, "path": str(path), **verify_download(path)}


def verify_download(path: Path) -> dict[str, Any]:
    listing = path / FILES_MANIFEST
    if not listing.is_file():
        raise IntegrityError(f"{path}: no {FILES_MANIFEST}; this repo was not published by Forge "
                             "or the file was lost", hint="re-publish it with `forge model publish`")
    expected: dict[str, str] = json.loads(listing.read_text())["files"]
    actual = {p.relative_to(path).as_posix() for p in path.rglob("*")
              if p.is_file() and ".cache" not in p.relative_to(path).parts}
    problems = []
    for name, digest in sorted(expected.items()):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif sha256_file(path / name) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    problems += [f"{n}: not in the manifest" for n in sorted(actual - expected.keys() - HUB_EXTRA - {FILES_MANIFEST})]
    if problems:
        raise IntegrityError(f"download of {path} failed verification:\n  " + "\n  ".join(problems),
                             hint="the repo was changed after publishing; do not use these files")
    if (path / "manifest.json").is_file():  # the merged model's own manifest, checked the same way
        from forge.artifacts import Artifact
        art = Artifact.load(path)
        missing = [n for n, d in art.manifest.get("files", {}).items()
                   if not (path / n).is_file() or sha256_file(path / n) != d]
        if missing:
            raise IntegrityError(f"{path}: files differ from the model manifest: {', '.join(missing)}")
    return {"files": len(expected), "verified": True}
