"""Registry operations over an open Forge: what the CLI and the MCP server both call."""

from __future__ import annotations

from typing import Any

from forge.jsonl import as_dict
from forge.registry.adapters import Adapters
from forge.registry.deploy import Deployments
from forge.registry.models import ModelVersion
from forge.registry.provider import load_provider, provider_entry
from forge.registry.rollout import load_rollout


def deployments(forge: Any) -> Deployments:
    return Deployments(forge.registry, load_rollout(forge.settings.home))


def adapters(forge: Any) -> Adapters:
    return Adapters(forge.registry, forge.store)


def _dpo_pairs(dataset: dict[str, Any]) -> int | None:
    dpo = dataset.get("dpo") or {}
    if not isinstance(dpo, dict) or not ({"train", "eval"} & dpo.keys()):
        return None
    return int(dpo.get("train", 0)) + int(dpo.get("eval", 0))


def lineage(forge: Any, ref: str) -> dict[str, Any]:
    """Everything `forge model show` lists: dataset, corpus size, DPO pairs,
    hyperparameters, adapters, eval and deployments, plus the artifact ids behind them."""
    m: ModelVersion = forge.registry.get(ref)
    d, hp = m.details or {}, m.hyperparameters or {}
    dataset = d.get("dataset") or {}
    sft = as_dict(dataset.get("sft"))
    deps = deployments(forge)
    return {
        **m.to_dict(),
        "trained": m.created_at.date().isoformat(),
        "lora": f"rank-{hp['lora_r']}" if "lora_r" in hp else None,
        "dataset_id": m.lineage.get("dataset"),
        "corpus_id": m.lineage.get("corpus"),
        "corpus_conversations": (d.get("corpus") or {}).get("conversations"),
        "sft_rows": (sft.get("train", 0) + sft.get("eval", 0)) if sft else None,
        "dpo_pairs": _dpo_pairs(dataset),
        "adapters": [a.name for a in adapters(forge).for_model(m.display_name)],
        "eval": {
            "score": m.eval_score,
            "base_score": m.base_eval_score,
            "categories": d.get("eval"),
            "by_role": d.get("eval_by_role"),
        },
        "deployed_to": deps.targets_of(m.display_name),
        "deployment_history": [x.to_dict() for x in deps.history() if x.model == m.display_name],
    }


def provider_config(forge: Any, target: str, engine: str | None = None, port: int = 8000) -> dict[str, Any]:
    """The town-settings entry for TARGET; with `engine`, also the engine's launch command,
    and the agent entry pointed at that engine's OpenAI endpoint (registry/engines.py)."""
    deps = deployments(forge)
    now = deps.current().get(target)
    model = forge.registry.get(now.model) if now else None
    found = adapters(forge).for_model(model.display_name) if model else []
    entry = provider_entry(
        target,
        model,
        [a.name for a in found],
        is_role=deps.rollout.stage_of(target) is not None,
        provider=load_provider(forge.settings.home),
    )
    if engine is None or model is None:
        return entry
    from pathlib import Path

    from forge.registry.engines import launch, newest_gguf

    merged = Path(model.details["merged_path"]) if model.details.get("merged_path") else None
    merged_id = model.lineage.get("merged_model") or (merged.name if merged else None)
    paths = {a.name: forge.store.get(a.artifact_id).path for a in found}
    run = launch(engine, model.display_name, merged, paths, gguf=newest_gguf(forge.store, merged_id), port=port)
    agent, old = next(iter(entry["agents"].items()))
    entry["agents"][agent] = {
        **old,
        "command": run["command"],
        "args": run["args"],
        "base_url": run["base_url"],
        "model": model.display_name,
    }
    return {"engine": engine, "launch": run, **entry}
