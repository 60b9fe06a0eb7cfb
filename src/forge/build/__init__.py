"""Dataset build: corpus → deduplicated, curated, split SFT and DPO rows (see stage.py)."""

from forge.build.builder import BuiltDataset, build_dataset
from forge.build.config import DEFAULT_SYSTEM_PROMPTS, BuildConfig
from forge.build.stage import DATASET_FILES, run_build
from forge.build.stats import TokenCounter, chat_token_counter

__all__ = [
    "DATASET_FILES",
    "DEFAULT_SYSTEM_PROMPTS",
    "BuildConfig",
    "BuiltDataset",
    "TokenCounter",
    "build_dataset",
    "chat_token_counter",
    "run_build",
]
