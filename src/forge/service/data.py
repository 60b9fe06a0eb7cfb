"""Corpora, datasets and artifacts: ingest + scrub, build, inspect, copy out, verify."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress
from forge.service.base import ForgeHome

# CLI format names -> reader names
FORMATS = {
    "claude-code": "claude_code",
    "codex": "codex",
    "codex-exec": "codex_exec",
    "gemini-cli": "gemini_cli",
    "crush": "crush",
    "opencode": "crush",  # OpenCode's Go edition: Crush's tables
    "goose": "goose",
    "openhands": "openhands",
    "swe-agent": "swe_agent",
    "adp": "adp",
    "openai": "openai_chat",
    "sharegpt": "sharegpt",
    "aider": "aider",
    "beads": "beads",
    "beads-backup": "beads_backup",
    "files": "context_files",
}


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
        from forge.artifacts import ArtifactStore
        from forge.settings import load_settings

        store = ArtifactStore(load_settings().ensure().artifacts)
    art = load_artifact(store, ref, "dataset")
    stats_path = art.file("stats.json")
    if not stats_path.is_file():
        raise InputError("dataset has no stats.json", path=str(art.path))
    return {
        "dataset": art.id,
        "path": str(art.path),
        "inputs": art.manifest.get("inputs", []),
        "config": art.config,
        "stats": json.loads(stats_path.read_text()),
    }


def scrub_files(
    path: Path,
    out: Path | None = None,
    allow: list[str] | None = None,
    *,
    rules: list[str] | None = None,
    workers: int | None = None,
    progress: Progress = NULL_PROGRESS,
    resume: bool = False,
    keep_names: bool = False,
) -> dict[str, Any]:
    """Scrub any files (a file or a folder): findings by kind and per file, never the secrets.
    With `out`, a scrubbed copy keeping relative paths is written there. `rules`: your own rule
    files (gitleaks .toml, Kingfisher .yml), run beside Forge's detectors. `workers`: processes
    for many files (default: one per CPU core; 1 scrubs in this process). `resume`: go on with
    an interrupted run into the same `out` (files it finished are kept and counted). Paths are
    scrubbed as the copies and the report name them (a user name in a folder's name) unless
    `keep_names`."""
    from forge.scrub import Scrubber
    from forge.scrub.files import scrub_path

    if workers is not None and workers < 1:
        raise InputError(f"workers must be 1 or more, not {workers}", hint="pass --workers 1 to scrub in one process")
    if resume and out is None:
        raise InputError("--resume goes on with a run into an output folder", hint="pass that folder with --out")
    scrubber = Scrubber(allowlist=allow or [], rules=rules or [])
    started = time.perf_counter()
    files = scrub_path(
        path,
        out,
        scrubber,
        workers=workers or os.cpu_count() or 1,
        progress=progress,
        resume=resume,
        keep_names=keep_names,
    )
    report = files.to_dict(scrubber.report())
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["out"] = str(out) if out else None
    report["rule_notes"] = scrubber.rule_notes
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
            raise InputError(
                "--out folder exists, is not empty and holds no Forge artifact",
                path=str(out),
                hint="pass a new or empty folder",
            )
        if manifest.is_file():
            try:
                kind = json.loads(manifest.read_text()).get("kind")
            except ValueError:
                kind = None
            if kind != art.kind:  # never replace a corpus with its own dataset
                raise InputError(
                    f"--out folder holds a {kind or 'foreign'} artifact, not a {art.kind}",
                    path=str(out),
                    hint="pass a new or empty folder",
                )
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(art.path, tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


class DataAPI(ForgeHome):
    def ingest(
        self,
        paths: list[Path],
        *,
        options: dict[str, Any] | None = None,
        formats: list[str] | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> Artifact:
        """Read transcripts, link outcomes, scrub secrets → a corpus artifact (report.json)."""
        from forge.config import parse_config
        from forge.ingest.stage import IngestConfig, run_ingest

        cfg = dict(options or {})
        readers = readers_for(formats or ["auto"])
        if readers:
            cfg["readers"] = readers
        config = parse_config(IngestConfig, cfg, source="ingest options", prefix="ingest.")
        return run_ingest(self.store, [Path(p) for p in paths], config, progress)

    def build_dataset(
        self,
        corpus: str | Artifact,
        *,
        options: dict[str, Any] | None = None,
        base: str | None = None,
        progress: Progress = NULL_PROGRESS,
        require: str | None = None,
    ) -> Artifact:
        """Dedupe, curate, split and write SFT + DPO rows; with `base`, count tokens with its
        tokenizer; with `require` (sft | dpo | sft+dpo), fail saying why when those rows are missing."""
        from forge.build.config import BuildConfig
        from forge.build.stage import run_build
        from forge.config import parse_config

        config = parse_config(BuildConfig, dict(options or {}), source="build options", prefix="build.")
        art = corpus if isinstance(corpus, Artifact) else load_artifact(self.store, corpus, "corpus")
        counter = self.token_counter(base, progress) if base else None
        return run_build(self.store, art, config, progress, tokenizer=counter, require=require)

    def check_dataset(
        self, ref: str | Artifact, base: str, *, template: str | None = None, progress: Progress = NULL_PROGRESS
    ) -> dict[str, Any]:
        """Round-trip every SFT row through the base's chat template (or `template`, a file):
        per-row losses, totals, fidelity percentage and what to do next."""
        from forge.build.check import check_dataset
        from forge.models.base import resolve_base

        art = ref if isinstance(ref, Artifact) else load_artifact(self.store, ref, "dataset")
        resolved = resolve_base(base, self.settings, progress)
        return {"dataset": art.id, "base": resolved.ref, **check_dataset(art.path, resolved.location, template)}

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
        report: dict[str, Any] = json.loads(art.file("report.json").read_text())
        return report

    def dataset_stats(self, ref: str | Artifact) -> dict[str, Any]:
        return dataset_stats(str(ref.path) if isinstance(ref, Artifact) else ref, self.store)

    # -- by id only (for callers that must not name folders: the REST API, MCP, the web UI) --
    def stored_artifact(self, aid: str, kind: str | None = None) -> Artifact:
        """An artifact of the store by its id, never by a path: the id is checked against the
        artifact id pattern (no '/', no '..'), and its kind when `kind` is given."""
        from forge.artifacts import check_artifact_id

        art = self.store.get(check_artifact_id(aid, kind))
        return art

    def artifacts_of(self, kind: str) -> list[Artifact]:
        """Every artifact of one kind, newest first."""
        from forge.artifacts import check_kind

        check_kind(kind)
        arts = [a for a in self.store.all() if a.kind == kind]
        return sorted(arts, key=lambda a: str(a.manifest.get("created_at", "")), reverse=True)

    def dataset_view(self, aid: str) -> dict[str, Any]:
        """A dataset as the web UI and API show it: row counts per split, role × task, DPO pairs,
        token statistics, outcomes, and its corpus's scrub report by kind (counts only)."""
        art = self.stored_artifact(aid, "dataset")
        stats = json.loads(art.file("stats.json").read_text()) if art.file("stats.json").is_file() else {}
        corpus = stats.get("corpus") or {}
        return {
            "id": art.id,
            "kind": art.kind,
            "created_at": art.manifest.get("created_at"),
            "inputs": art.manifest.get("inputs", []),
            "config": art.config,
            "files": _sizes(art),
            "counts": {
                "sft": stats.get("sft"),
                "dpo": stats.get("dpo"),
                "conversations_in": stats.get("conversations_in"),
                "messages": stats.get("messages"),
                "tool_calls": stats.get("tool_calls"),
                "filtered": stats.get("filtered"),
                "exact_duplicates": stats.get("exact_duplicates"),
                "near_duplicates": stats.get("near_duplicates"),
            },
            "role_task": role_task_table(stats.get("by_role_task") or {}),
            "dpo_role_task": role_task_table(stats.get("dpo_by_role_task") or {}),
            "tokens": stats.get("tokens"),
            "outcomes": stats.get("outcomes"),
            "corpus_id": corpus.get("id"),
            "scrub": scrub_summary(corpus.get("scrub") or {}),
        }

    def corpus_view(self, aid: str) -> dict[str, Any]:
        """A corpus: what was read (sessions per format, role, task, outcome) and what the scrub
        found by kind (counts only, never a secret), and the datasets built from it."""
        art = self.stored_artifact(aid, "corpus")
        report = self.corpus_report(art)
        ingest = report.get("ingest") or {}
        built = [
            a.id for a in self.artifacts_of("dataset") if art.id in {i.get("id") for i in a.manifest.get("inputs", [])}
        ]
        return {
            "id": art.id,
            "kind": art.kind,
            "created_at": art.manifest.get("created_at"),
            "config": art.config,
            "files": _sizes(art),
            "counts": {
                k: ingest.get(k)
                for k in (
                    "conversations",
                    "messages",
                    "tool_calls",
                    "work_items",
                    "files",
                    "skipped_records",
                    "warning_count",
                )
            },
            "by_format": ingest.get("by_format"),
            "by_role": ingest.get("by_role"),
            "by_task": ingest.get("by_task"),
            "outcomes": ingest.get("outcomes"),
            "scrub": scrub_summary(report.get("scrub") or {}),
            "datasets": built,
        }


def role_task_table(by_role_task: dict[str, int]) -> dict[str, Any]:
    """{"role/task": n} as a table: roles (rows) × tasks (columns), with totals."""
    cells: dict[str, dict[str, int]] = {}
    for key, n in by_role_task.items():
        role, _, task = key.partition("/")
        cells.setdefault(role or "-", {})[task or "-"] = int(n)
    tasks = sorted({t for row in cells.values() for t in row})
    return {
        "roles": sorted(cells),
        "tasks": tasks,
        "cells": cells,
        "role_totals": {r: sum(row.values()) for r, row in cells.items()},
        "task_totals": {t: sum(row.get(t, 0) for row in cells.values()) for t in tasks},
        "total": sum(int(n) for n in by_role_task.values()),
    }


def scrub_summary(scrub: dict[str, Any]) -> dict[str, Any]:
    """The scrub report's counts: findings by kind and detector, totals (no secret is in it)."""
    return {
        "total": scrub.get("total"),
        "by_kind": scrub.get("by_kind") or {},
        "by_detector": scrub.get("by_detector") or {},
        "conversations": scrub.get("conversations"),
        "conversations_with_findings": scrub.get("conversations_with_findings"),
    }


def _sizes(art: Artifact) -> list[dict[str, Any]]:
    out = []
    for name, digest in sorted((art.manifest.get("files") or {}).items()):
        p = art.file(name)
        out.append({"file": name, "bytes": p.stat().st_size if p.is_file() else None, "sha256": digest})
    return out
