"""Publish registered models to the Hugging Face Hub and pull them back, verified.

Who may publish what is decided by the facade (`Forge.publish`: only a version whose job
reached TESTS_PASSED; the job then moves to PUBLISHED); this module only moves bytes. What
goes up: the merged model artifact (its files and its manifest.json), a model card built from
lineage and eval and scrubbed of secrets, and `forge-files.json` — the SHA-256 of every other
file in the repo.
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
from forge.errors import ForgeError, IntegrityError

FILES_MANIFEST = "forge-files.json"
HUB_EXTRA = {".gitattributes"}  # the Hub adds this to every new repo


def _api(endpoint: str | None = None):
    os.environ.setdefault("HF_HUB_DISABLE_XET", "1")  # plain HTTP uploads; no Xet client needed
    from huggingface_hub import HfApi

    return HfApi(endpoint=endpoint)


def check_repo(repo: str) -> None:
    parts = repo.split("/")
    if len(parts) != 2 or not all(p and p.replace("-", "").replace("_", "").replace(".", "").isalnum() for p in parts):
        raise ForgeError(f"invalid Hub repository {repo!r}", hint="use ORG/NAME, e.g. my-org/polecat-v3")


def upload(
    source: Path,
    card: str,
    repo: str,
    *,
    label: str,
    private: bool,
    commit_message: str,
    work_dir: Path,
    endpoint: str | None = None,
) -> dict[str, Any]:
    """Upload a model folder as `repo`: its files, README.md = `card`, and FILES_MANIFEST (the
    SHA-256 of every file). Rules (who may publish what) are the caller's; this only uploads."""
    check_repo(repo)
    staging = work_dir / f"{repo.replace('/', '--')}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        shutil.copytree(source, staging)
        (staging / "README.md").write_text(card, encoding="utf-8")
        files = {
            p.relative_to(staging).as_posix(): sha256_file(p)  # manifest.json included
            for p in sorted(staging.rglob("*"))
            if p.is_file()
        }
        (staging / FILES_MANIFEST).write_text(json.dumps({"model": label, "files": files}, indent=2, sort_keys=True))
        api = _api(endpoint)
        url = api.create_repo(repo, private=private, exist_ok=True, repo_type="model")
        commit = api.upload_folder(
            folder_path=str(staging), repo_id=repo, repo_type="model", commit_message=commit_message
        )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {
        "repo": repo,
        "revision": getattr(commit, "oid", None),
        "private": private,
        "url": str(url),
        "files": len(files) + 1,
    }


def pull(repo: str, dest: Path, *, revision: str | None = None, endpoint: str | None = None) -> dict[str, Any]:
    check_repo(repo)
    _api(endpoint)  # sets the Xet default before the download code reads it
    from huggingface_hub import snapshot_download

    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        if not (dest / FILES_MANIFEST).is_file():  # never delete a folder we did not fill
            raise ForgeError(
                f"{dest} exists and is not an earlier Forge download", hint="choose an empty or new --dest"
            )
        shutil.rmtree(dest)  # a fresh copy: a stale file must not pass as verified
    path = Path(snapshot_download(repo, revision=revision, local_dir=str(dest), repo_type="model", endpoint=endpoint))
    return {"repo": repo, "revision": revision, "path": str(path), **verify_download(path)}


def verify_download(path: Path) -> dict[str, Any]:
    listing = path / FILES_MANIFEST
    if not listing.is_file():
        raise IntegrityError(
            f"{path}: no {FILES_MANIFEST}; this repo was not published by Forge or the file was lost",
            hint="re-publish it with `forge model publish`",
        )
    expected: dict[str, str] = json.loads(listing.read_text())["files"]
    actual = {
        p.relative_to(path).as_posix()
        for p in path.rglob("*")
        if p.is_file() and ".cache" not in p.relative_to(path).parts
    }
    problems = []
    for name, digest in sorted(expected.items()):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif sha256_file(path / name) != digest:
            problems.append(f"{name}: SHA-256 differs from the manifest")
    problems += [f"{n}: not in the manifest" for n in sorted(actual - expected.keys() - HUB_EXTRA - {FILES_MANIFEST})]
    if problems:
        raise IntegrityError(
            f"download of {path} failed verification:\n  " + "\n  ".join(problems),
            hint="the repo was changed after publishing; do not use these files",
        )
    if (path / "manifest.json").is_file():  # the merged model's own manifest, checked the same way
        from forge.artifacts import Artifact

        art = Artifact.load(path)
        missing = [
            n
            for n, d in art.manifest.get("files", {}).items()
            if not (path / n).is_file() or sha256_file(path / n) != d
        ]
        if missing:
            raise IntegrityError(f"{path}: files differ from the model manifest: {', '.join(missing)}")
    return {"files": len(expected), "verified": True}
