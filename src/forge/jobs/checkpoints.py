"""A job's checkpoints, as a caller can use them: the training checkpoints on disk now (a
running, failed or cancelled job resumes from the newest) and, once training finished, the
adapter it produced — the checkpoint to deploy. A settled job's training checkpoints are
removed (`Forge.run_job`), so a finished job lists its adapter only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forge.artifacts import ArtifactStore
from forge.errors import NotFound


def _step(path: Path) -> int | None:
    tail = path.name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else None


def training_checkpoints(checkpoint_dir: Path) -> list[dict[str, Any]]:
    """Every `checkpoint-N` under the job's folder (SFT, and DPO's under dpo/), oldest first,
    with the last loss its trainer state logged."""
    out = []
    for phase, folder in (("sft", checkpoint_dir), ("dpo", checkpoint_dir / "dpo")):
        if not folder.is_dir():
            continue
        for ckpt in sorted(folder.glob("checkpoint-*"), key=lambda p: _step(p) or -1):
            step = _step(ckpt)
            if step is None or not ckpt.is_dir():
                continue
            metrics: dict[str, Any] = {"step": step}
            state = ckpt / "trainer_state.json"
            if state.is_file():
                try:
                    history = json.loads(state.read_text()).get("log_history", [])
                except ValueError:
                    history = []
                losses = [e for e in history if "loss" in e]
                if losses:
                    metrics["train_loss"] = float(losses[-1]["loss"])
            at = datetime.fromtimestamp(ckpt.stat().st_mtime, UTC)
            out.append(
                {
                    "kind": "training",
                    "phase": phase,
                    "step": step,
                    "path": str(ckpt),
                    "created_at": at.isoformat(timespec="seconds"),
                    "metrics": metrics,
                }
            )
    return out


def final_checkpoint(store: ArtifactStore, result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The adapter (or full model) the job's training produced, as its last checkpoint."""
    info = ((result or {}).get("stages") or {}).get("adapter")
    if not info:
        return None
    try:
        art = store.get(info["id"])
    except NotFound:
        return None
    metrics = dict(art.manifest.get("metrics") or {})
    step = int(metrics.get("steps") or 0)
    phase = str((art.config or {}).get("method") or "sft")
    return {
        "kind": "final",
        "phase": phase,
        "step": step,
        "artifact_id": art.id,
        "path": str(art.path),
        "created_at": art.manifest.get("created_at"),
        "metrics": {
            "step": step,
            **{
                name: metrics[key]
                for key, name in (("final_loss", "train_loss"), ("eval_loss", "eval_loss"))
                if metrics.get(key) is not None
            },
        },
    }
