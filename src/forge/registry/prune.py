"""`forge model prune`: old versions leave the registry, and the model weights only they used
leave the store (disk is the point of pruning).

Only weight-like artifacts go (adapters, merged and full models, eval reports) plus what was
exported from them (GGUF, Ollama packages): corpora and datasets are cheap to keep and the
next training run reuses them. An artifact still named by a remaining version's lineage or by
a registered task adapter stays.
"""

from __future__ import annotations

import shutil
from typing import Any

from forge.errors import NotFound

PRUNABLE_KINDS = frozenset({"adapter", "merged_model", "full_model", "eval_report"})


def artifacts_to_remove(store: Any, removed_lineages: list[dict[str, str]], kept_ids: set[str]) -> list[Any]:
    """The artifacts that pruning these lineages frees, with everything derived from them."""
    doomed: dict[str, Any] = {}
    for lineage in removed_lineages:
        for aid in lineage.values():
            if aid in kept_ids or aid in doomed:
                continue
            try:
                art = store.get(aid)
            except NotFound:
                continue
            if art.kind in PRUNABLE_KINDS:
                doomed[aid] = art
    grew = True
    while grew:  # exports of exports (an Ollama package from a GGUF) go with their source
        grew = False
        for art in store.all():
            if art.id in doomed or art.id in kept_ids:
                continue
            if any(i.get("id") in doomed for i in art.manifest.get("inputs", [])):
                doomed[art.id] = art
                grew = True
    return list(doomed.values())


def prune(forge: Any, keep: int, *, dry_run: bool = False, artifacts: bool = True) -> dict[str, Any]:
    from forge.registry.api import adapters, deployments

    deps = deployments(forge)
    names = deps.prune(keep, dry_run=True)
    lineages = [forge.registry.get(n).lineage for n in names]
    freed: list[Any] = []
    if artifacts:
        kept_ids = {aid for m in forge.registry.list() if m.display_name not in names for aid in m.lineage.values()}
        kept_ids |= {a.artifact_id for a in adapters(forge).list()}
        freed = artifacts_to_remove(forge.store, lineages, kept_ids)
    report = [{"id": a.id, "kind": a.kind, "bytes": _size(a.path)} for a in freed]
    if not dry_run:
        deps.prune(keep)
        for art in freed:
            shutil.rmtree(art.path, ignore_errors=True)
    return {"removed": names, "dry_run": dry_run, "artifacts": report}


def _size(path: Any) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0
