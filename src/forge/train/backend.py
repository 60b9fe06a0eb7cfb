"""Which training backend a recipe runs on, from what this machine has — the same recipe everywhere.

    CPU (any packages)            → lora   float32 (4-bit on CPU: bitsandbytes has no autograd
                                           kernel there, so its gradients are unverified — FACTS.md)
    CUDA + unsloth                → unsloth, 4-bit when bitsandbytes is present too
    CUDA + bitsandbytes           → qlora  (4-bit NF4 base, LoRA adapters in bf16/fp16)
    CUDA                          → lora   bf16 where supported, else fp16
    full_finetune                 → full   (no quantisation: every weight is trained)

`choose_backend` is pure (availability passed in) so every branch is tested on a CPU machine;
`detect` looks at this machine without importing the optional packages.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Available:
    cuda: bool
    bf16: bool = False  # the GPU supports bfloat16
    bitsandbytes: bool = False
    unsloth: bool = False


@dataclass(frozen=True)
class Backend:
    name: str  # "lora" | "qlora" | "unsloth" | "full"
    dtype: str  # compute dtype: "float32" | "bfloat16" | "float16"
    load_in_4bit: bool
    reason: str


def choose_backend(available: Available, *, full_finetune: bool = False) -> Backend:
    if not available.cuda:
        return Backend("full" if full_finetune else "lora", "float32", False, "no CUDA: float32 on CPU, no 4-bit")
    dtype = "bfloat16" if available.bf16 else "float16"
    if full_finetune:
        return Backend("full", dtype, False, "full fine-tuning trains every weight: no 4-bit base")
    if available.unsloth:
        return Backend(
            "unsloth",
            dtype,
            available.bitsandbytes,
            "CUDA and unsloth present" + (" (4-bit with bitsandbytes)" if available.bitsandbytes else ""),
        )
    if available.bitsandbytes:
        return Backend("qlora", dtype, True, "CUDA and bitsandbytes present: 4-bit NF4 base (QLoRA)")
    return Backend("lora", dtype, False, "CUDA without bitsandbytes/unsloth: LoRA on a 16-bit base")


def detect() -> Available:
    """This machine. unsloth is only looked up (importing it on a CPU machine fails loudly)."""
    import torch

    cuda = torch.cuda.is_available()
    return Available(
        cuda=cuda,
        bf16=bool(cuda and torch.cuda.is_bf16_supported()),
        bitsandbytes=cuda and importlib.util.find_spec("bitsandbytes") is not None,
        unsloth=cuda and importlib.util.find_spec("unsloth") is not None,
    )


def load_kwargs(backend: Backend) -> dict[str, Any]:
    """from_pretrained keyword arguments for the HF (+PEFT) path of `backend`."""
    import torch

    dtype = getattr(torch, backend.dtype)
    if not backend.load_in_4bit:
        return {"dtype": dtype}
    from transformers import BitsAndBytesConfig

    return {
        "dtype": dtype,
        "quantization_config": BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype
        ),
    }
