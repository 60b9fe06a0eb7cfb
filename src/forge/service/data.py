"""Corpora, datasets and artifacts: ingest + scrub, build, inspect, copy out, verify."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress
from forge.service.base import ForgeHome

# CLI format names -> reader names
FORMATS = {"claude-code": "claude_code", "codex": "codex", "codex-exec": "codex_exec",
           "openhands": "openhands", "swe-agent": "swe_agent", "adp": "adp", "openai": "openai_chat",
           "sharegpt": "sharegpt", "aider": "aider", "beads": "beads", "beads-backup": "beads_backup",
           "files": "context_files"}


def discover_sessions() -> Any:
    """The standard local session folders that exist on this machine, per format."""
    from forge.ingest.discovery import discover_local
    return discover_local()


def readers_for(formats: list[str]) -> list[str]:
    """Reader names for user-facing format names; `auto` (or nothing) means every reader."""
    names = []
    for f in formats:
        if f == "auto":
            return []
        if f not in FORMATS:
            raise InputError(f"unknown format {f!r}", hint="one of: auto, " + ", ".join(FORMATS))
        names.append(FORMATS[f])
    return names


def load_artifact(store: Any, ref: str, kind: str | None = None) -> Artifact:
    """An artifact by id (in the store) or by folder (e.g. a `--out` copy); `kind` checked."""
    art = Artifact.load(Path(ref)) if Path(ref).is_dir() else store.get(ref)
    if kind is not None and art.kind != kind:
        raise InputError(f"{ref} is a {art.kind} artifact; this needs a {kind}")
    return art


def dataset_stats(ref: str, store: Any = None) -> dict[str, Any]:
    """A dataset's id, inputs, config and stats.json, by folder or (with a store) by id."""
    if store is None and not Path(ref).is_dir():
        from forge.settings import load_settings
        from forge.artifacts import ArtifactStore
        store = ArtifactStore(load_settings().ensure().artifacts)
    art = load_artifact(store, ref, "dataset")
    stats_path = art.file("stats.json")
    if not stats_path.is_file():
        raise InputError("dataset has no stats.json", path=str(art.path))
    return {"dataset": art.id, "path": str(art.path), "inputs": art.manifest.get("inputs", []),
            "config": art.config, "stats": json.loads(stats_path.read_text())}


def scrub_files(path: Path, out: Path | None = None, allow: list[str] | None = None) -> dict[str, Any]:
    """Scrub any files (a file or a folder): findings by kind and per file, never the secrets.
    With `out`, a scrubbed copy keeping relative paths is written there."""
    from forge.scrub import Scrubber
    from forge.scrub.files import scrub_path
    scrubber = Scrubber(allowlist=allow or [])
    files = scrub_path(path, out, scrubber)
    report = files.to_dict(scrubber.report())
    report["out"] = str(out) if out else None
    return report


def copy_artifact(art: Artifact, out: Path) -> Path:
    """Copy an artifact folder (manifest included) to `out`; replaces an earlier copy there,
    never a folder that holds something else."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise InputError("--out exists and is not a folder", path=str(out))
        manifest = out / "manifest.json"
        if any(out.iterdir()) and not manifest.is_file():
            raise InputError("--out folder exists, is not empty and holds no Forge artifact",
                             path=str(out), hint="pass a new or empty folder")
        if manifest.is_file():
            try:
                kind = json.loads(manifest.read_text()).get("kind")
            except ValueError:
                kind = None
            if kind != art.kind:  # never replace a corpus with its own dataset
                raise InputError(f"--out folder holds a {kind or 'foreign'} artifact, not a {art.kind}",
                                 path=str(out), hint="pass a new or empty folder")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(art.path, tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


class DataAPI(ForgeHome):
    def ingest(self, paths: list[Path], *, options: dict[str, Any] | None = None,
               formats: list[str] | None = None, progress: Progress = NULL_PROGRESS) -> Artifact:
        """Read transcripts, link outcomes, scrub secrets → a corpus artifact (report.json)."""
        from forge.config import parse_config
        from forge.ingest.stage import IngestConfig, run_ingest
        cfg = dict(options or {})
        readers = readers_for(formats or ["auto"])
        if readers:
            cfg["readers"] = readers
        config = parse_config(IngestConfig, cfg, source="ingest options", prefix="ingest.")
        return run_ingest(self.store, [Path(p) for p in paths], config, progress)

    def build_dataset(self, corpus: str | Artifact, *, options: dict[str, Any] | None = None,
                      base: str | None = None, progress: Progress = NULL_PROGRESS,
                      require: str | None = None) -> Artifact:
        """Dedupe, curate, split and write SFT + DPO rows; with `base`, count tokens with its
        tokenizer; with `require` (sft | dpo | sft+dpo), fail saying why when those rows are missing."""
        from forge.build.config import BuildConfig
        from forge.build.stage import run_build
        from forge.config import parse_config
        config = parse_config(BuildConfig, dict(options or {}), source="build options", prefix="build.")
        art = corpus if isinstance(corpus, Artifact) else load_artifact(self.store, corpus, "corpus")
        counter = self.token_counter(base, progress) if base else None
        return run_build(self.store, art, config, progress, tokenizer=counter, require=require)

    def token_counter(self, base: str, progress: Progress = NULL_PROGRESS) -> Any:
        from forge.models.base import resolve_base
        from forge.pipeline import token_counter
        resolved = resolve_base(base, self.settings, progress)
        return token_counter(resolved.location, resolved.identity)

    def artifact(self, ref: str, kind: str | None = None) -> Artifact:
        return load_artifact(self.store, ref, kind)

    def list_artifacts(self) -> list[Artifact]:
        return list(self.store.all())

    def verify_artifact(self, ref: str) -> Artifact:
        """Re-hash an artifact's files against its manifest (IntegrityError names the file)."""
        art = load_artifact(self.store, ref)
        art.verify()
        return art

    def corpus_report(self, ref: str | Artifact) -> dict[str, Any]:
        art = ref if isinstance(ref, Artifact) else load_artifact(self.store, ref, "corpus")
        return json.loads(art.file("report.json").read_text())

    def dataset_stats(self, ref: str | Artifact) -> dict[str, Any]:
        return dataset_stats(str(ref.path) if isinstance(ref, Artifact) else ref, self.store)
