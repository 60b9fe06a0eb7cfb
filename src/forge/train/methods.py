"""The train stage as a recipe sees it: one call that makes the adapter the recipe asks for.

method sft      → run_train (SFT)
method dpo      → run_dpo from the base
method sft+dpo  → run_train, then run_dpo on top of that SFT adapter (the SFT artifact is
                  shared with a plain SFT run of the same settings)
nproc > 1       → the same, in N processes under torchrun (forge.train.distributed)
epochs > 0      → max_steps from the number of train rows, once the dataset exists

Also the stackable task adapter: `train_task_adapter` merges a role adapter into its base
(the role model) and trains a task adapter on top of it.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

from forge.artifacts import Artifact, ArtifactStore
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings
from forge.train.config import TrainConfig


def train_adapter(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
    checkpoint_dir: Path | None = None,
) -> Artifact:
    config = with_epoch_steps(config, dataset)
    if config.nproc > 1 and "LOCAL_RANK" not in os.environ:
        from forge.train.distributed import run_distributed

        return run_distributed(
            store, dataset, base_model, config, progress, settings=settings, checkpoint_dir=checkpoint_dir
        )
    return train_in_process(
        store, dataset, base_model, config, progress, settings=settings, checkpoint_dir=checkpoint_dir
    )


def train_in_process(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
    checkpoint_dir: Path | None = None,
) -> Artifact:
    from forge.train.dpo import run_dpo
    from forge.train.sft import run_train

    dpo_checkpoints = Path(checkpoint_dir) / "dpo" if checkpoint_dir else None  # apart from SFT's
    if config.method == "dpo":
        return run_dpo(store, dataset, base_model, config, progress, settings=settings, checkpoint_dir=dpo_checkpoints)
    # the SFT part never depends on the DPO settings, so its artifact is reused across them
    sft_config = dataclasses.replace(config, method="sft", dpo={})
    sft = run_train(store, dataset, base_model, sft_config, progress, settings=settings, checkpoint_dir=checkpoint_dir)
    if config.method == "sft":
        return sft
    return run_dpo(
        store,
        dataset,
        base_model,
        config,
        progress,
        settings=settings,
        start_adapter=sft,
        checkpoint_dir=dpo_checkpoints,
    )


def with_epoch_steps(config: TrainConfig, dataset: Artifact) -> TrainConfig:
    """epochs > 0: the optimiser steps that many passes over sft_train.jsonl take, counting
    one row per batch slot on every process (packing fits more rows a step: an upper bound)."""
    if config.epochs <= 0:
        return config
    path = dataset.path / "sft_train.jsonl"
    rows = sum(1 for line in path.open(encoding="utf-8") if line.strip()) if path.is_file() else 0
    per_step = config.batch_size * config.grad_accum * config.nproc
    return dataclasses.replace(config, max_steps=max(1, math.ceil(config.epochs * rows / per_step)))


def train_task_adapter(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    role_adapter: Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
) -> tuple[Artifact, Artifact]:
    """(role model, task adapter): the role adapter merged into `base_model`, then a task adapter
    trained on that role model. Load the task adapter on the role model (or on base + role
    adapter merged) to stack them."""
    from forge.models.merge import run_merge

    role_model = run_merge(store, role_adapter, base_model, progress=progress, settings=settings)
    task = train_adapter(store, dataset, role_model, config, progress, settings=settings)
    return role_model, task
