"""Trainer callbacks that report to a Forge Progress and keep the loss log for train_log.json."""

from __future__ import annotations

import time
from typing import Any

from forge.progress import NULL_PROGRESS, Progress, Task


def make_progress_callback(progress: Progress, total_steps: int, log: list[dict[str, Any]]):
    """A TrainerCallback advancing progress.task("train") once per optimiser step.

    Loss and learning rate arrive in on_log, after on_step_end of the same step, so a step
    that will be logged is reported from on_log with its metrics, the others at once.
    """
    from transformers import TrainerCallback

    class ProgressCallback(TrainerCallback):
        def __init__(self):
            self.task: Task = NULL_PROGRESS.task("train")  # the real one from on_train_begin
            self.pending = 0

        def on_train_begin(self, args, state, control, **kwargs):
            self.task = progress.task("train", total=total_steps)
            self.started, self.tokens_at_start = time.perf_counter(), int(state.num_input_tokens_seen or 0)
            if state.global_step:  # resumed from a checkpoint
                self.task.advance(state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            if control.should_log:
                self.pending += 1
            else:
                self.task.advance(1)

        def on_log(self, args, state, control, logs=None, **kwargs):
            logs = logs or {}
            if "loss" not in logs:
                return
            entry = {
                "step": state.global_step,
                "loss": round(float(logs["loss"]), 5),
                "learning_rate": float(logs.get("learning_rate", 0.0)),
                "tokens_seen": int(state.num_input_tokens_seen or 0),
                "epoch": round(float(state.epoch or 0.0), 4),
            }
            seconds = time.perf_counter() - self.started
            entry["tokens_per_second"] = round((entry["tokens_seen"] - self.tokens_at_start) / max(seconds, 1e-9))
            log.append(entry)
            self.task.advance(
                self.pending or 1,
                loss=entry["loss"],
                lr=entry["learning_rate"],
                tokens_per_second=entry["tokens_per_second"],
                epoch=entry["epoch"],
            )
            self.pending = 0

        def on_train_end(self, args, state, control, **kwargs):
            if self.pending:
                self.task.advance(self.pending)
            self.task.done()

    return ProgressCallback()


def counting_tokens(trainer_class: Any) -> Any:
    """The trainer class, counting the real tokens of each batch into num_input_tokens_seen: a
    packed batch has no padding, a padded one its mask. A DPO batch holds chosen and rejected
    rows, so both count (the policy reads both).

    (The stock "non_padding" count compares ids with pad_token_id, which is often also the
    end-of-turn token and so appears in real rows; DPO batches it does not count at all.)"""
    import torch

    class CountingTrainer(trainer_class):  # the class is chosen at run time
        def training_step(self, model, inputs, num_items_in_batch=None):
            mask = inputs.get("attention_mask")
            n = torch.tensor([int(mask.sum()) if mask is not None else inputs["input_ids"].numel()])
            if self.args.world_size > 1:
                n = self.accelerator.gather(n.to(self.args.device)).sum().cpu()
            self.state.num_input_tokens_seen += int(n)
            return super().training_step(model, inputs, num_items_in_batch)

    return CountingTrainer
