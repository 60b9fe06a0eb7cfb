"""Training profiles: defaults a recipe starts from and overrides (seed 001's table, for CPU too).

| profile     | LoRA rank | alpha | length          | learning rate | sequence length |
|-------------|-----------|-------|-----------------|---------------|-----------------|
| fast_dev    | 8         | 16    | 60 steps        | 2e-4          | 512             |
| balanced    | 16        | 16    | 1 epoch         | 2e-4          | 1024            |
| max_quality | 128       | 256   | 3 epochs        | 1e-4          | 2048            |

fast_dev is the seed's row with a sequence length and batch that fit a two-core CPU (60 steps
of 4 rows of ≤512 tokens; the demo's 160 steps of ≤1024 took 104 s, defaults.py). The seed's
rates suit real bases; the tiny base needs the demo's (examples/recipes/demo.toml).
Keys are recipe keys (`steps.<name>.<key>`).
"""

from __future__ import annotations

from typing import Any

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "fast_dev": {
        "train": {
            "lora_r": 8,
            "lora_alpha": 16,
            "max_steps": 60,
            "learning_rate": 2e-4,
            "max_seq_length": 512,
            "batch_size": 4,
            "grad_accum": 1,
            "warmup_steps": 5,
        },
        "dpo": {"max_steps": 20, "learning_rate": 2e-4, "batch_size": 2, "max_length": 512},
    },
    "balanced": {
        "train": {
            "lora_r": 16,
            "lora_alpha": 16,
            "epochs": 1.0,
            "learning_rate": 2e-4,
            "max_seq_length": 1024,
            "batch_size": 4,
            "grad_accum": 2,
            "warmup_steps": 10,
        },
        "dpo": {"max_steps": 200, "learning_rate": 5e-5, "batch_size": 2, "grad_accum": 2, "max_length": 1024},
    },
    "max_quality": {
        "train": {
            "lora_r": 128,
            "lora_alpha": 256,
            "epochs": 3.0,
            "learning_rate": 1e-4,
            "max_seq_length": 2048,
            "batch_size": 4,
            "grad_accum": 4,
            "warmup_steps": 20,
            "lr_scheduler_type": "cosine",
        },
        "dpo": {"max_steps": 500, "learning_rate": 2e-5, "batch_size": 2, "grad_accum": 4, "max_length": 2048},
    },
}
DEFAULT_PROFILE = "fast_dev"
