"""Short names for the base models people fine-tune: `--base qwen2.5-coder-7b` instead of a Hub id.

Each alias names the Instruct model's Hub repository and, where Unsloth publishes one, a copy
pre-quantized to 4 bits with bitsandbytes (NF4). Training on a CUDA machine with bitsandbytes
or unsloth loads its base in 4 bits anyway (train/backend.py); starting from the pre-quantized
copy downloads a third of the bytes and skips quantizing at load. Merging and export always
use the 16-bit repository: an adapter trained on either copy applies to it.

Any other Hub id or a local model directory works as well; aliases are only a shorthand.
Pure: no heavy imports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alias:
    hub_id: str  # the 16-bit Instruct repository
    four_bit: str | None  # Unsloth's bitsandbytes 4-bit copy, when there is one
    tool_format: str  # the tool-call format its chat template writes (models/tool_formats.py)
    size: str  # parameters, for the listing


ALIASES: dict[str, Alias] = {
    "qwen2.5-coder-1.5b": Alias(
        "Qwen/Qwen2.5-Coder-1.5B-Instruct", "unsloth/Qwen2.5-Coder-1.5B-Instruct-bnb-4bit", "hermes", "1.5B"
    ),
    "qwen2.5-coder-3b": Alias(
        "Qwen/Qwen2.5-Coder-3B-Instruct", "unsloth/Qwen2.5-Coder-3B-Instruct-bnb-4bit", "hermes", "3B"
    ),
    "qwen2.5-coder-7b": Alias(
        "Qwen/Qwen2.5-Coder-7B-Instruct", "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit", "hermes", "7B"
    ),
    "qwen2.5-coder-14b": Alias(
        "Qwen/Qwen2.5-Coder-14B-Instruct", "unsloth/Qwen2.5-Coder-14B-Instruct-bnb-4bit", "hermes", "14B"
    ),
    "qwen2.5-7b": Alias("Qwen/Qwen2.5-7B-Instruct", "unsloth/Qwen2.5-7B-Instruct-bnb-4bit", "hermes", "7B"),
    "qwen3-4b": Alias("Qwen/Qwen3-4B", "unsloth/Qwen3-4B-bnb-4bit", "hermes", "4B"),
    "qwen3-8b": Alias("Qwen/Qwen3-8B", "unsloth/Qwen3-8B-bnb-4bit", "hermes", "8B"),
    "qwen3-14b": Alias("Qwen/Qwen3-14B", "unsloth/Qwen3-14B-bnb-4bit", "hermes", "14B"),
    "qwen3-coder-30b-a3b": Alias("Qwen/Qwen3-Coder-30B-A3B-Instruct", None, "qwen3_xml", "30B (3B active)"),
    "llama-3.1-8b": Alias(
        "meta-llama/Llama-3.1-8B-Instruct", "unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit", "llama3", "8B"
    ),
    "llama-3.2-1b": Alias("meta-llama/Llama-3.2-1B-Instruct", "unsloth/Llama-3.2-1B-Instruct-bnb-4bit", "llama3", "1B"),
    "llama-3.2-3b": Alias("meta-llama/Llama-3.2-3B-Instruct", "unsloth/Llama-3.2-3B-Instruct-bnb-4bit", "llama3", "3B"),
    "deepseek-r1-distill-qwen-7b": Alias(
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
        "unsloth/DeepSeek-R1-Distill-Qwen-7B-unsloth-bnb-4bit",
        "deepseek",
        "7B",
    ),
    "deepseek-r1-distill-qwen-14b": Alias(
        "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B",
        "unsloth/DeepSeek-R1-Distill-Qwen-14B-unsloth-bnb-4bit",
        "deepseek",
        "14B",
    ),
    "mistral-7b": Alias(
        "mistralai/Mistral-7B-Instruct-v0.3", "unsloth/mistral-7b-instruct-v0.3-bnb-4bit", "mistral", "7B"
    ),
    "mistral-nemo-12b": Alias(
        "mistralai/Mistral-Nemo-Instruct-2407", "unsloth/Mistral-Nemo-Instruct-2407-bnb-4bit", "mistral", "12B"
    ),
    "phi-3.5-mini": Alias(
        "microsoft/Phi-3.5-mini-instruct", "unsloth/Phi-3.5-mini-instruct-bnb-4bit", "hermes", "3.8B"
    ),
}


def lookup(name: str) -> Alias | None:
    """The alias `name` (case-insensitive), or None."""
    return ALIASES.get(name.strip().lower())
