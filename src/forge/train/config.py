"""TrainConfig: the SFT recipe (LoRA, or full fine-tuning). Defaults: the offline demo's tuned values."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from forge.train import defaults as d

METHODS = ("sft", "dpo", "sft+dpo")

SCHEDULERS = ("linear", "cosine", "constant", "constant_with_warmup")

# TrainingArguments a recipe, the CLI, MCP or the REST API may pass through `trainer_args`: how
# training runs at scale (sharding, optimiser, compilation), never where outputs go, what is
# logged or uploaded (output_dir, report_to, push_to_hub and hub_* would publish before the eval
# gate), nor what Forge sets itself from its own fields (steps, batch, rates, precision,
# checkpointing: those are TrainConfig keys, and a duplicate would break the DPO trainer).
TRAINER_ARGS_ALLOWED = frozenset(
    {
        "fsdp",
        "fsdp_config",
        "deepspeed",
        "ddp_backend",
        "ddp_find_unused_parameters",
        "ddp_bucket_cap_mb",
        "ddp_broadcast_buffers",
        "ddp_timeout",
        "optim",
        "optim_args",
        "adam_beta1",
        "adam_beta2",
        "adam_epsilon",
        "max_grad_norm",
        "lr_scheduler_kwargs",
        "gradient_checkpointing_kwargs",
        "label_smoothing_factor",
        "neftune_noise_alpha",
        "tf32",
        "torch_compile",
        "torch_compile_backend",
        "torch_compile_mode",
        "dataloader_pin_memory",
    }
)


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
    # Rows of a batch concatenated into one sequence, attention per row (packing.py): no compute
    # on padding. False: classic padding to the longest row, batches grouped by length.
    padding_free: bool = True
    packing: bool = False  # also pack rows into sequences of up to max_seq_length (needs padding_free)
    full_finetune: bool = False  # train every weight (no LoRA); the artifact is a complete model dir
    check_resources: bool = True  # refuse to start when memory/disk estimates exceed what is free
    eval_at_end: bool = True  # compute eval loss on sft_eval.jsonl after training
    save_steps: int = 0  # checkpoint every N steps when a checkpoint dir is given (0: never)
    # -- recipes (forge.recipes, forge.train.methods): how the adapter is made -------------------
    method: str = "sft"  # sft | dpo | sft+dpo (SFT first, then DPO on the SFT adapter)
    dpo: dict[str, Any] = field(default_factory=dict)  # DPO settings: forge.train.dpo_config.DPOSettings
    epochs: float = 0.0  # > 0: passes over the train rows; sets max_steps once rows are known
    nproc: int = 1  # processes on this node (torchrun DDP; gloo on CPU)
    trainer_args: dict[str, Any] = field(default_factory=dict)  # passed to TrainingArguments (fsdp, deepspeed)
    # An explicit chat template (.jinja file) in place of the base's own; saved with the adapter.
    chat_template: str = ""

    def problems(self) -> list[str]:
        out = []
        for key in ("lora_r", "lora_alpha", "max_steps", "batch_size", "grad_accum", "max_seq_length", "logging_steps"):
            if getattr(self, key) < 1:
                out.append(f"'{key}': must be at least 1, got {getattr(self, key)}")
        if not 0.0 <= self.lora_dropout < 1.0:
            out.append(f"'lora_dropout': must be in [0, 1), got {self.lora_dropout}")
        if not self.learning_rate > 0:
            out.append(f"'learning_rate': must be positive, got {self.learning_rate}")
        if self.warmup_steps < 0 or self.save_steps < 0:
            out.append("'warmup_steps' and 'save_steps' must not be negative")
        if self.lr_scheduler_type not in SCHEDULERS:
            out.append(f"'lr_scheduler_type': must be one of {', '.join(SCHEDULERS)}, got {self.lr_scheduler_type!r}")
        if self.packing and not self.padding_free:
            out.append("'packing': needs 'padding_free' = true (packed rows are never padded)")
        if not self.target_modules and not self.full_finetune:
            out.append("'target_modules': name at least one module")
        out += method_problems(self)
        out += trainer_args_problems(self.trainer_args)
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trainer_args_problems(trainer_args: dict[str, Any]) -> list[str]:
    """Every `trainer_args` key outside TRAINER_ARGS_ALLOWED, each named, then what is allowed."""
    refused = sorted(k for k in trainer_args if k not in TRAINER_ARGS_ALLOWED)
    if not refused:
        return []
    return [f"'trainer_args.{k}': not allowed" for k in refused] + [
        f"'trainer_args': allowed keys are {', '.join(sorted(TRAINER_ARGS_ALLOWED))} (steps, batch, rates and "
        "checkpoints are train.* keys; outputs, logging and the Hub are Forge's)"
    ]


def method_problems(config: TrainConfig) -> list[str]:
    """Checks of the recipe fields (method, dpo, epochs, nproc); DPO keys by DPOSettings."""
    from forge.config import parse_config
    from forge.errors import ConfigError
    from forge.train.dpo_config import DPOSettings

    out = []
    if config.method not in METHODS:
        out.append(f"'method': must be one of {', '.join(METHODS)}, got {config.method!r}")
    if config.epochs < 0:
        out.append(f"'epochs': must not be negative, got {config.epochs}")
    if config.nproc < 1:
        out.append(f"'nproc': must be at least 1, got {config.nproc}")
    try:
        parse_config(DPOSettings, config.dpo, prefix="dpo.")
    except ConfigError as e:
        out += e.problems
    return out
