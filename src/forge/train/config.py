"""TrainConfig: the LoRA SFT recipe. Defaults are the offline demo's tuned values (defaults.py)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from forge.train import defaults as d

SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")


@dataclass
class TrainConfig:
    lora_r: int = d.LORA_R
    lora_alpha: int = d.LORA_ALPHA
    lora_dropout: float = d.LORA_DROPOUT
    target_modules: list[str] = field(default_factory=lambda: list(d.TARGET_MODULES))
    learning_rate: float = d.LEARNING_RATE
    lr_scheduler_type: str = d.LR_SCHEDULER
    max_steps: int = d.MAX_STEPS
    batch_size: int = d.BATCH_SIZE
    grad_accum: int = d.GRAD_ACCUM
    max_seq_length: int = d.MAX_SEQ_LENGTH
    warmup_steps: int = d.WARMUP_STEPS
    weight_decay: float = d.WEIGHT_DECAY
    seed: int = d.SEED
    logging_steps: int = d.LOGGING_STEPS
    padding_free: bool = False   # on CPU padding was faster for rows of similar length (FACTS.md)
    eval_at_end: bool = True     # compute eval loss on sft_eval.jsonl after training
    save_steps: int = 0          # checkpoint every N steps when a checkpoint dir is given (0: never)

    def problems(self) -> list[str]:
        out = []
        for key in ("lora_r", "lora_alpha", "max_steps", "batch_size", "grad_accum",
                    "max_seq_length", "logging_steps"):
            if getattr(self, key) < 1:
                out.append(f"'{key}': must be at least 1, got {getattr(self, key)}")
        if not 0.0 <= self.lora_dropout < 1.0:
            out.append(f"'lora_dropout': must be in [0, 1), got {self.lora_dropout}")
        if not self.learning_rate > 0:
            out.append(f"'learning_rate': must be positive, got {self.learning_rate}")
        if self.warmup_steps < 0 or self.save_steps < 0:
            out.append("'warmup_steps' and 'save_steps' must not be negative")
        if self.lr_scheduler_type not in SCHEDULERS:
            out.append(f"'lr_scheduler_type': must be one of {', '.join(SCHEDULERS)}, "
                       f"got {self.lr_scheduler_type!r}")
        if not self.target_modules:
            out.append("'target_modules': name at least one module")
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
