"""Staleness: have the house conventions moved on since a model was trained?

The corpus manifest records every source file with its SHA-256 and size; convention files
(CLAUDE.md, AGENTS.md, *.formula.toml — what ingest keeps as context documents) among them
are the conventions the model learned. We hash today's files at the same paths (and look for
new convention files under the same source folders) and weigh each difference by size:

    drift = (bytes of changed + added + removed files) / (bytes of all files, then or now)

A changed file counts in full (we keep hashes, not old texts). `--retrain` queues a pipeline
job with the model's original config when the drift reaches the threshold.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forge.artifacts import sha256_file
from forge.errors import ForgeError

DEFAULT_THRESHOLD = 0.2


def _source_roots(sources: list[str]) -> tuple[dict[str, Path], dict[str, Path]]:
    """How ingest named files: a walked folder's files as '<folder name>/<rel>', a file by name."""
    roots, files = {}, {}
    for s in sources:
        p = Path(s).expanduser()
        if p.is_dir():
            roots[p.resolve().name] = p.resolve()
        else:
            files[p.name] = p
    return roots, files


def _today_path(display: str, roots: dict[str, Path], files: dict[str, Path]) -> Path | None:
    head, _, rest = display.partition("/")
    if rest and head in roots:
        return roots[head] / rest
    return files.get(display)


def _convention_files_under(roots: dict[str, Path]) -> dict[str, Path]:
    from forge.ingest.context_files import doc_type
    from forge.ingest.stage import KEPT_HIDDEN

    found = {}
    for name, root in roots.items():
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root)
            hidden = any(part.startswith(".") and part not in KEPT_HIDDEN for part in rel.parts)
            if not hidden and p.is_file() and doc_type(p) is not None:
                found[f"{name}/{rel.as_posix()}"] = p
    return found


def drift(forge: Any, ref: str, *, threshold: float = DEFAULT_THRESHOLD) -> dict[str, Any]:
    model = forge.registry.get(ref)
    corpus_id = model.lineage.get("corpus")
    if not corpus_id:
        raise ForgeError(f"{model.display_name} has no corpus in its lineage; nothing to compare")
    corpus = forge.store.get(corpus_id)
    if not model.job_id:
        raise ForgeError(f"{model.display_name} has no job, so the source folders it was trained on are unknown")
    sources = forge.jobs.get(model.job_id).config.get("sources") or []
    roots, files = _source_roots(sources)
    trained = {s["path"]: s for s in corpus.manifest.get("sources", []) if s.get("reader") == "context_files"}
    rows: list[dict[str, Any]] = []
    for display, then in sorted(trained.items()):
        now = _today_path(display, roots, files)
        if now is None or not now.is_file():
            rows.append({"path": display, "status": "removed", "bytes_then": then["bytes"], "bytes_now": 0})
            continue
        size = now.stat().st_size
        status = "unchanged" if sha256_file(now) == then["sha256"] else "changed"
        rows.append({"path": display, "status": status, "bytes_then": then["bytes"], "bytes_now": size})
    for display, p in _convention_files_under(roots).items():
        if display not in trained:
            rows.append({"path": display, "status": "added", "bytes_then": 0, "bytes_now": p.stat().st_size})
    weight = {r["path"]: max(r["bytes_then"], r["bytes_now"], 1) for r in rows}
    total = sum(weight.values())
    moved = sum(weight[r["path"]] for r in rows if r["status"] != "unchanged")
    score = moved / total if total else 0.0
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in ("unchanged", "changed", "added", "removed")}
    return {
        "model": model.display_name,
        "corpus_id": corpus.id,
        "trained_at": model.created_at.isoformat(),
        "drift": round(score, 4),
        "threshold": threshold,
        "stale": bool(rows) and score >= threshold,
        "counts": counts,
        "files": rows,
        "note": None
        if trained
        else "the model's corpus holds no convention files (CLAUDE.md, AGENTS.md, "
        "*.formula.toml); pass their folders as sources to track drift",
    }
