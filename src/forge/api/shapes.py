"""Forge's records in the API's shapes (OpenAI's fine-tuning objects where one exists)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from forge.errors import InputError

# Forge's states as OpenAI's statuses: the pipeline keeps running after training (merge,
# eval, gate), so only TESTS_PASSED (and PUBLISHED) is "succeeded".
STATUS = {
    "QUEUED": "queued",
    "RUNNING": "running",
    "COMPLETED_SUCCESS": "running",
    "PACKAGING_COMPLETE": "running",
    "TESTS_PASSED": "succeeded",
    "PUBLISHED": "succeeded",
    "FAILED": "failed",
    "CANCELLED": "cancelled",
}
SETTLED = {"TESTS_PASSED", "PUBLISHED", "FAILED", "CANCELLED"}
# OpenAI hyperparameter names → Forge train.* keys
OPENAI_HYPER = {"n_epochs": "epochs", "batch_size": "batch_size"}
METHODS = {"supervised": "sft", "dpo": "dpo", "supervised+dpo": "sft+dpo"}


def unix(iso: str | None) -> int | None:
    if not iso:
        return None
    dt = datetime.fromisoformat(iso)
    if dt.tzinfo is None:  # SQLite keeps naive UTC datetimes
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def job_object(status: dict[str, Any], *, scrub: Any, trail: bool = False) -> dict[str, Any]:
    """A `fine_tuning.job` from `Forge.job_status(...)` (a job with lease, trail and progress)."""
    config = status.get("config") or {}
    result = status.get("result") or {}
    train = config.get("train") or {}
    state = status["state"]
    transitions = status.get("transitions") or []
    settled_at = transitions[-1]["at"] if state in SETTLED and transitions else None
    error = None
    if state in ("FAILED", "CANCELLED") and status.get("error"):
        code = "gate_failed" if status["error"].startswith("gate:") else state.lower()
        error = {"code": code, "message": scrub(status["error"]), "param": None}
    adapter_tokens = None
    progress = status.get("progress")
    stages = {k: {"id": v.get("id"), "seconds": v.get("seconds")} for k, v in (result.get("stages") or {}).items()}
    evaluation = None
    if "eval_score" in result:
        evaluation = {
            "score": result.get("eval_score"),
            "base_score": result.get("base_eval_score"),
            "gate": result.get("gate"),
            "categories": result.get("categories"),
        }
    out = {
        "object": "fine_tuning.job",
        "id": status["id"],
        "model": str(config.get("base_model") or ""),
        "created_at": unix(status["created_at"]),
        "finished_at": unix(settled_at),
        "fine_tuned_model": result.get("model"),
        "status": STATUS.get(state, "running"),
        "hyperparameters": {
            "n_epochs": train.get("epochs") or "auto",
            "batch_size": train.get("batch_size") or "auto",
            **{k: v for k, v in train.items() if k not in ("epochs", "batch_size")},
        },
        "method": {"type": {v: k for k, v in METHODS.items()}.get(train.get("method", "sft"), "supervised")},
        # (a source folder's path names its user: /home/NAME/..., -Users-NAME-app)
        "training_file": scrub(", ".join(config.get("sources") or [])) or None,
        "result_files": [],
        "trained_tokens": adapter_tokens,
        "error": error,
        "seed": train.get("seed"),
        "state": state,
        "kind": status.get("kind", "pipeline"),
        "authorization": status.get("authorization", ""),
        "resumed_from": (status.get("lease") or {}).get("resumed_from"),
        "progress": _progress(progress, scrub),
        "stages": stages,
        "eval": evaluation,
    }
    if trail:
        out["transitions"] = [
            {**t, "reason": scrub(t["reason"]) if t.get("reason") else t.get("reason")} for t in transitions
        ]
    return out


def _progress(event: dict[str, Any] | None, scrub: Any) -> dict[str, Any] | None:
    if not event:
        return None
    out = dict(event)
    if isinstance(out.get("message"), str):
        out["message"] = scrub(out["message"])
    return out


def event_message(ev: dict[str, Any]) -> str:
    kind = ev.get("kind")
    if kind == "log":
        return str(ev.get("message", ""))
    if kind == "progress":
        parts = [f"{ev.get('stage')} step {ev.get('step')}/{ev.get('total') or '?'}"]
        for key in ("loss", "lr", "tokens_per_second", "epoch"):
            if key in ev:
                v = ev[key]
                parts.append(f"{key}={v:.4g}" if isinstance(v, float) else f"{key}={v}")
        return ", ".join(parts)
    if kind == "stage":
        return f"{ev.get('stage')}: {ev.get('status')}"
    return str(kind)


def event_object(ev: dict[str, Any], *, scrub: Any) -> dict[str, Any]:
    """A `fine_tuning.job.event`; `data` keeps the event's fields (stage, step, loss ...)."""
    data = {k: v for k, v in ev.items() if k not in ("id", "at")}
    if isinstance(data.get("message"), str):
        data["message"] = scrub(data["message"])
    metrics = ev.get("kind") == "progress" and "loss" in ev
    return {
        "object": "fine_tuning.job.event",
        "id": str(ev["id"]),
        "created_at": unix(ev["at"]) or 0,
        "level": "info",
        "message": scrub(event_message(ev)),
        "type": "metrics" if metrics else "message",
        "data": data,
    }


def checkpoint_object(job_id: str, ckpt: dict[str, Any]) -> dict[str, Any]:
    name = ckpt.get("artifact_id") or f"{job_id}:{ckpt['phase']}:checkpoint-{ckpt['step']}"
    return {
        "object": "fine_tuning.job.checkpoint",
        "id": f"ckpt-{job_id[4:]}-{ckpt['phase']}-{ckpt['step']}" + ("-final" if ckpt["kind"] == "final" else ""),
        "created_at": unix(ckpt.get("created_at")),
        "fine_tuned_model_checkpoint": name,
        "fine_tuning_job_id": job_id,
        "step_number": int(ckpt["step"]),
        "metrics": ckpt.get("metrics") or {},
        "kind": ckpt["kind"],
        "phase": ckpt["phase"],
    }


def pipeline_config(body: Any, sources: list[str], default_base: str) -> dict[str, Any]:
    """A JobCreate body as the pipeline job's config (validated again by the facade)."""
    train: dict[str, Any] = {}
    for key, value in (body.hyperparameters or {}).items():
        if key in OPENAI_HYPER:
            if value != "auto":
                train[OPENAI_HYPER[key]] = value
        elif key == "learning_rate_multiplier":
            if value != "auto":
                raise InputError(
                    "hyperparameters.learning_rate_multiplier: Forge takes an absolute learning_rate",
                    hint="send hyperparameters.learning_rate, e.g. 0.005",
                )
        else:
            train[key] = value
    if body.method is not None:
        train["method"] = METHODS[body.method.type]
    if body.seed is not None:
        train["seed"] = body.seed
    config: dict[str, Any] = {
        "sources": sources,
        "name": body.suffix or "polecat",
        "base_model": body.model or default_base,
        "authorization": body.authorization.strip(),
        "train": train,
    }
    for key in ("role", "gate", "require_improvement", "gate_rules", "ingest", "build", "evaluate", "export"):
        value = getattr(body, key)
        if value is not None:
            config[key] = value
    return config
