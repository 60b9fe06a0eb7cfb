"""The run report: what one job did, as one table — the retrospective a user would otherwise
write by hand after a training run (epochs, duration, first and final loss, samples/s, steps/s,
tokens/s, eval per category against the base, the exports with their sizes and SHA-256, and
what to do next), plus the loss curve.

Built from what the job left behind, never from memory: the audit trail (duration), the
adapter's train_log.json (the whole loss curve, resumed parts included), the eval reports, the
merged model's manifest and every GGUF / Ollama export made from it. A job still training has
no adapter yet: its loss curve comes from the job's progress events so far.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from forge.artifacts import Artifact, ArtifactStore
from forge.errors import NotFound
from forge.jobs.state_machine import SETTLED, JobState
from forge.jobs.store import Job

TRAIN_LOG = "train_log.json"


def build_run_report(
    job: Job,
    transitions: list[dict[str, Any]],
    events: list[dict[str, Any]],
    store: ArtifactStore,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    result = job.result or {}
    stages = result.get("stages", {})
    arts = {name: _load(store, info.get("id")) for name, info in stages.items()}
    adapter = arts.get("adapter")
    phases = training_phases(store, adapter)
    live = not phases and job.state not in SETTLED
    if not phases:  # still training (or failed before the adapter): the curve so far, from events
        points = [
            (int(e["step"]), float(e["loss"]))
            for e in events
            if e.get("kind") == "progress" and e.get("stage") in ("train", "dpo") and "loss" in e
        ]
        if points:
            phases = [
                {
                    "phase": "sft",
                    "adapter": None,
                    "loss": points,
                    "steps": points[-1][0],
                    "first_loss": points[0][1],
                    "final_loss": points[-1][1],
                    "live": True,
                }
            ]
    train = phases[-1] if phases else {}
    exports = exports_of(store, arts.get("merged_model"))
    return {
        "job": {
            "id": job.id,
            "kind": job.kind,
            "state": job.state.value,
            "authorization": job.authorization,
            "created_at": job.created_at.isoformat(),
            "error": job.error,
            "model": result.get("model"),
            "name": (job.config or {}).get("name"),
            "base_model": (job.config or {}).get("base_model"),
        },
        "duration_s": duration_seconds(transitions, job.state in SETTLED, now),
        "live": live,
        "training": {
            "method": _method(adapter, phases),
            "epochs": train.get("epochs"),
            "steps": train.get("steps"),
            "first_loss": phases[0]["first_loss"] if phases else None,
            "final_loss": train.get("final_loss"),
            "eval_loss": train.get("eval_loss"),
            "runtime_s": sum(p.get("runtime_s") or 0 for p in phases) or None,
            "samples_per_second": train.get("samples_per_second"),
            "steps_per_second": train.get("steps_per_second"),
            "tokens_per_second": train.get("tokens_per_second"),
            "tokens_seen": train.get("tokens_seen"),
            "train_rows": train.get("train_rows"),
            "output": str(adapter.path) if adapter else None,
            "adapter": adapter.id if adapter else None,
            "phases": phases,
        },
        "eval": eval_table(result),
        "exports": exports,
        "stages": {name: {"id": info.get("id"), "seconds": info.get("seconds")} for name, info in stages.items()},
        "next_steps": next_steps(job, result, exports),
    }


def _load(store: ArtifactStore, aid: str | None) -> Artifact | None:
    if not aid:
        return None
    try:
        return store.get(aid)
    except NotFound:  # pruned since: the report says what it can
        return None


def _method(adapter: Artifact | None, phases: list[dict[str, Any]]) -> str | None:
    if adapter is not None:  # the recipe's method, and how the weights were trained (lora | full)
        method = str((adapter.config or {}).get("method") or "sft")
        how = adapter.manifest.get("method")
        return f"{method} ({how})" if how in ("lora", "full") else method
    return phases[-1]["phase"] if phases else None


def training_phases(store: ArtifactStore, adapter: Artifact | None) -> list[dict[str, Any]]:
    """One entry per training run that made the adapter: SFT, or for sft+dpo the SFT adapter it
    started from, then DPO. Rates are computed from the run's own counts and runtime."""
    if adapter is None:
        return []
    chain = [adapter]
    start = (adapter.config or {}).get("start_adapter")
    if start:
        first = _load(store, start)
        if first is not None:
            chain.insert(0, first)
    return [p for p in (_phase(a) for a in chain) if p is not None]


def _phase(adapter: Artifact) -> dict[str, Any] | None:
    path = adapter.file(TRAIN_LOG)
    if not path.is_file():
        return None
    log = json.loads(path.read_text())
    config = adapter.config or {}
    is_dpo = config.get("method") == "dpo"
    dpo = config.get("dpo") or {}
    batch = int((dpo if is_dpo else config).get("batch_size") or 0)
    accum = int((dpo if is_dpo else config).get("grad_accum") or 1)
    nproc = int(config.get("nproc") or 1)
    steps = int(log.get("steps") or 0)
    runtime = float(log.get("train_runtime_s") or 0.0)
    resumed = int(log.get("resumed_from_step") or 0)
    ran = steps - resumed  # this run's runtime covers only the steps after its checkpoint
    points = [(int(e["step"]), float(e["loss"])) for e in log.get("log", []) if "loss" in e]
    epochs = next((float(e["epoch"]) for e in reversed(log.get("log", [])) if e.get("epoch") is not None), None)
    rows = log.get("train_rows")
    if epochs is None and rows and batch:
        epochs = round(steps * batch * accum * nproc / rows, 4)

    def per_s(n: float) -> float | None:
        return round(n / runtime, 3) if runtime > 0 and n else None

    return {
        "phase": "dpo" if is_dpo else "sft",
        "adapter": adapter.id,
        "steps": steps,
        "epochs": epochs,
        "runtime_s": runtime or None,
        "loss": points,
        "first_loss": log.get("first_loss"),
        "final_loss": log.get("final_loss"),
        "eval_loss": log.get("eval_loss"),
        "samples_per_second": per_s(ran * batch * accum * nproc),
        "steps_per_second": per_s(ran),
        "tokens_per_second": log.get("tokens_per_second"),
        "tokens_seen": log.get("tokens_seen"),
        "train_rows": rows,
        "resumed_from_step": resumed or None,
        "reward_margin": log.get("final_reward_margin"),
        "reward_accuracy": log.get("final_reward_accuracy"),
    }


def duration_seconds(transitions: list[dict[str, Any]], settled: bool, now: datetime | None = None) -> float | None:
    """From the first RUNNING to the settling transition (to now while it runs)."""
    started = next((t["at"] for t in transitions if t["to"] == JobState.RUNNING.value), None)
    if started is None:
        return None
    end = datetime.fromisoformat(transitions[-1]["at"]) if settled else (now or datetime.now(UTC))
    begin = datetime.fromisoformat(started)
    if begin.tzinfo is None:  # SQLite keeps naive UTC datetimes
        begin = begin.replace(tzinfo=UTC)
    if end.tzinfo is None:
        end = end.replace(tzinfo=UTC)
    return round((end - begin).total_seconds(), 1)


def eval_table(result: dict[str, Any]) -> dict[str, Any]:
    cats = result.get("categories") or {}
    base, cand = cats.get("base") or {}, cats.get("candidate") or {}
    rows = []
    for name in sorted(set(base) | set(cand)):
        b, c = base.get(name) or {}, cand.get(name) or {}
        br, cr = _rate(b), _rate(c)
        rows.append(
            {
                "category": name,
                "base_passed": b.get("passed"),
                "base_total": b.get("total"),
                "candidate_passed": c.get("passed"),
                "candidate_total": c.get("total"),
                "base": br,
                "candidate": cr,
                "delta": round(cr - br, 4) if br is not None and cr is not None else None,
            }
        )
    return {
        "score": result.get("eval_score"),
        "base_score": result.get("base_eval_score"),
        "gate": result.get("gate"),
        "categories": rows,
        "report_id": (result.get("stages", {}).get("eval_candidate") or {}).get("id"),
        "base_report_id": (result.get("stages", {}).get("eval_base") or {}).get("id"),
    }


def _rate(c: dict[str, Any]) -> float | None:
    total = c.get("total")
    return round(c.get("passed", 0) / total, 4) if total else None


def artifact_files(art: Artifact) -> list[dict[str, Any]]:
    """Every file of an artifact with its size and the SHA-256 its manifest recorded."""
    out = []
    for name, digest in sorted((art.manifest.get("files") or {}).items()):
        path = art.file(name)
        out.append({"file": name, "bytes": path.stat().st_size if path.is_file() else None, "sha256": digest})
    return out


def exports_of(store: ArtifactStore, merged: Artifact | None) -> list[dict[str, Any]]:
    """The merged model and every export made from it (GGUF from the merged model, Ollama from
    a GGUF), each with its files, sizes and SHA-256."""
    from forge.registry.lineage_chain import export_artifacts

    if merged is None:
        return []
    out: list[dict[str, Any]] = [
        {"kind": merged.kind, "id": merged.id, "path": str(merged.path), "files": artifact_files(merged)}
    ]
    for art in export_artifacts(store, merged.id):
        out.append(
            {
                "kind": art.kind,
                "id": art.id,
                "path": str(art.path),
                "quant": (art.config or {}).get("quant"),
                "files": artifact_files(art),
            }
        )
    return out


def next_steps(job: Job, result: dict[str, Any], exports: list[dict[str, Any]]) -> list[str]:
    """What to run next, given where the job stands."""
    model = result.get("model")
    state = job.state
    if state in (JobState.QUEUED, JobState.RUNNING, JobState.COMPLETED_SUCCESS, JobState.PACKAGING_COMPLETE):
        return [
            f"Follow it: `forge job logs {job.id} --follow`",
            f"Stop it (resumable from its last checkpoint): `forge job cancel {job.id}`",
        ]
    if state is JobState.CANCELLED or (state is JobState.FAILED and not (job.error or "").startswith("gate:")):
        return [
            f"Continue from the last checkpoint: `forge job resume {job.id}`",
            f"See what happened: `forge job logs {job.id}`",
        ]
    if state is JobState.FAILED:  # the eval gate said no
        return [
            "Train longer or on more data (e.g. `--set train.max_steps=...`, more sessions) and submit a new job",
            f"Compare per category: `forge job report {job.id}` (eval table above)",
        ]
    steps = []
    kinds = {e["kind"] for e in exports}
    if "gguf" not in kinds:
        steps.append(f"GGUF for llama.cpp: `forge export {model} --format gguf`")
    if "ollama" not in kinds:
        steps.append(f"Ollama Modelfile: `forge export {model} --format ollama`")
    steps += [
        f'Try it: `forge infer {model} --prompt "..."` or serve it: `forge serve --model {model}`',
        f"Deploy it: `forge model deploy {model} --to ROLE` (rollback: `forge model rollback ROLE`)",
    ]
    if state is JobState.TESTS_PASSED:
        steps.append(f"Publish it: `forge model publish {model} --repo ORG/NAME --private`")
    return steps
