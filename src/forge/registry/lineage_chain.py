"""A model version's lineage as a chain a person can read left to right: the sessions read, the
scrubbed corpus, the dataset, the base and the adapter trained on it, the merged model, its
exports (GGUF, Ollama), the eval against the base, and where it is deployed.

Each step names its artifact id (when it has one) and a few counts from that artifact's own
files: nothing here is recomputed, and nothing holds a secret (the corpus report counts
findings by kind; it never keeps one).
"""

from __future__ import annotations

import json
from typing import Any

from forge.artifacts import Artifact, ArtifactStore
from forge.errors import NotFound
from forge.registry.api import deployments


def _load(store: ArtifactStore, aid: str | None) -> Artifact | None:
    if not aid:
        return None
    try:
        return store.get(aid)
    except NotFound:
        return None


def _json(art: Artifact | None, name: str) -> dict[str, Any]:
    if art is None or not art.file(name).is_file():
        return {}
    data = json.loads(art.file(name).read_text())
    return data if isinstance(data, dict) else {}


def export_artifacts(store: ArtifactStore, merged_id: str | None) -> list[Artifact]:
    """GGUF exports of the merged model and Ollama exports of those."""
    if not merged_id:
        return []
    wanted, out = {merged_id}, []
    found = [a for a in store.all() if a.kind in ("gguf", "ollama")]
    for kind in ("gguf", "ollama"):
        for art in found:
            if art.kind == kind and wanted & {i.get("id") for i in art.manifest.get("inputs", [])}:
                wanted.add(art.id)
                out.append(art)
    return out


def lineage_chain(forge: Any, ref: str) -> list[dict[str, Any]]:
    m = forge.registry.get(ref)
    lin, store = m.lineage or {}, forge.store
    corpus = _load(store, lin.get("corpus"))
    report = _json(corpus, "report.json")
    ingest, scrub = report.get("ingest") or {}, report.get("scrub") or {}
    dataset = _load(store, lin.get("dataset"))
    stats = _json(dataset, "stats.json")
    adapter = _load(store, lin.get("adapter"))
    metrics = (adapter.manifest.get("metrics") if adapter else None) or {}
    chain: list[dict[str, Any]] = [
        {
            "step": "sessions",
            "id": None,
            "title": f"{ingest.get('conversations', '?')} sessions",
            "facts": {
                "files": ingest.get("files"),
                "by_format": {
                    k: v.get("sessions") if isinstance(v, dict) else v
                    for k, v in (ingest.get("by_format") or {}).items()
                },
                "outcomes": ingest.get("outcomes"),
            },
        },
        {
            "step": "corpus",
            "id": corpus.id if corpus else lin.get("corpus"),
            "title": "scrubbed corpus",
            "facts": {
                "conversations": ingest.get("conversations"),
                "messages": ingest.get("messages"),
                "scrub_findings": scrub.get("total"),
                "by_kind": scrub.get("by_kind"),
            },
        },
        {
            "step": "dataset",
            "id": dataset.id if dataset else lin.get("dataset"),
            "title": "dataset",
            "facts": {
                "sft": stats.get("sft"),
                "dpo": {k: v for k, v in (stats.get("dpo") or {}).items() if k in ("train", "eval")},
                "by_role_task": stats.get("by_role_task"),
            },
        },
        {"step": "base", "id": None, "title": m.base, "facts": {}},
        {
            "step": "adapter",
            "id": adapter.id if adapter else lin.get("adapter"),
            "title": f"{(adapter.manifest.get('method') if adapter else None) or 'lora'} adapter",
            "facts": {
                k: metrics.get(k)
                for k in ("steps", "final_loss", "eval_loss", "tokens_per_second")
                if metrics.get(k) is not None
            },
        },
        {"step": "merged_model", "id": lin.get("merged_model"), "title": "merged model", "facts": {}},
    ]
    for art in export_artifacts(store, lin.get("merged_model")):
        chain.append(
            {
                "step": "export",
                "id": art.id,
                "title": f"{art.kind} export",
                "facts": {"quant": (art.config or {}).get("quant"), "file": art.manifest.get("file")},
            }
        )
    chain.append(
        {
            "step": "eval",
            "id": lin.get("eval_candidate"),
            "title": "eval vs base",
            "facts": {"score": m.eval_score, "base_score": m.base_eval_score, "base_report": lin.get("eval_base")},
        }
    )
    deps = deployments(forge)
    targets = ", ".join(deps.targets_of(m.display_name))
    chain.append(
        {
            "step": "deployment",
            "id": None,
            "title": targets or "not deployed",
            "facts": {"history": sum(1 for d in deps.history() if d.model == m.display_name)},
        }
    )
    return chain
