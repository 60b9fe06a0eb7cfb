"""DPOSettings: the DPO recipe (`[steps.dpo]`, TrainConfig.dpo), beside the SFT one in config.py.

The LoRA shape (rank, alpha, target modules) comes from the train step: DPO trains the same kind
of adapter, and with method "sft+dpo" the very adapter SFT made.
"""

from __future__ import annotations

from dataclasses import dataclass

from forge.train.config import TrainConfig

LOSS_TYPES = ("sigmoid", "hinge", "ipo", "robust", "sigmoid_norm", "apo_zero", "apo_down")


@dataclass
class DPOSettings:
    """The `[steps.dpo]` section of a recipe (TrainConfig.dpo)."""

    beta: float = 0.1
    loss_type: str = "sigmoid"
    learning_rate: float = 5e-4
    lr_scheduler_type: str = "constant"
    max_steps: int = 40
    batch_size: int = 2
    grad_accum: int = 1
    max_length: int = 1024
    warmup_steps: int = 0
    seed: int = 0
    logging_steps: int = 5

    def problems(self) -> list[str]:
        out = []
        for key in ("max_steps", "batch_size", "grad_accum", "max_length", "logging_steps"):
            if getattr(self, key) < 1:
                out.append(f"'dpo.{key}': must be at least 1, got {getattr(self, key)}")
        if not self.beta > 0:
            out.append(f"'dpo.beta': must be positive, got {self.beta}")
        if not self.learning_rate > 0:
            out.append(f"'dpo.learning_rate': must be positive, got {self.learning_rate}")
        if self.loss_type not in LOSS_TYPES:
            out.append(f"'dpo.loss_type': must be one of {', '.join(LOSS_TYPES)}, got {self.loss_type!r}")
        if self.warmup_steps < 0:
            out.append(f"'dpo.warmup_steps': must not be negative, got {self.warmup_steps}")
        return out


def dpo_settings(config: TrainConfig) -> DPOSettings:
    from forge.config import parse_config

    return parse_config(DPOSettings, config.dpo, source="train.dpo", prefix="dpo.")
