"""Export stage: fold a LoRA adapter into its base → a standalone merged model artifact.

The result is a plain HF model directory (safetensors weights, config, generation config,
tokenizer with its chat template) that any HF-compatible server loads without PEFT, and that
the GGUF export converts.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.errors import InputError
from forge.models.base import resolve_base, settings_for
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings

KIND = "merged_model"


@dataclass
class MergeConfig:
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    max_shard_size: str = "2GB"

    def to_dict(self) -> dict:
        return asdict(self)


def run_merge(
    store: ArtifactStore,
    adapter: Artifact,
    base_model: str | Path | Artifact | None = None,
    config: MergeConfig | None = None,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
) -> Artifact:
    """Merge `adapter` into `base_model` (default: the base recorded in the adapter's manifest)."""
    config = config or MergeConfig()
    if adapter.kind != "adapter" or not (adapter.path / "adapter_config.json").is_file():
        raise InputError(f"{adapter.id} is not a LoRA adapter artifact", path=str(adapter.path))
    ref = base_model if base_model is not None else adapter.manifest.get("base_model")
    if ref is None:
        raise InputError(f"adapter {adapter.id} does not name its base model; pass one")
    base = resolve_base(ref, settings_for(store, settings), progress)
    stage_config = {**config.to_dict(), "base_model": base.identity}
    aid = artifact_id(KIND, stage_config, [adapter.id, *(a.id for a in base.artifacts)])
    if (done := store.existing(KIND, aid)) is not None:
        return done
    with store.staged(KIND) as staging:
        task = progress.task("merge", total=3)
        merged, tokenizer = merge_adapter(base.location, adapter.path, config.dtype)
        task.advance(1)
        merged.save_pretrained(staging, max_shard_size=config.max_shard_size)
        merged.generation_config.save_pretrained(staging)
        task.advance(1)
        tokenizer.save_pretrained(staging)
        (staging / "forge_merge.json").write_text(json.dumps({"adapter": adapter.id, "base_model": base.ref}, indent=2))
        task.advance(1)
        task.done()
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config={**stage_config, "base_model_ref": base.ref},
            inputs=[adapter, *base.artifacts],
            extra={"base_model": base.ref, "adapter": adapter.id},
        )


def merge_adapter(base_location: str, adapter_dir: Path, dtype: str = "float32"):
    """(merged model, tokenizer): base + adapter with the LoRA deltas folded into the weights."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(base_location, dtype=getattr(torch, dtype))
    merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    merged.eval()
    # The adapter carries the tokenizer it was trained with (same as the base's, chat template
    # included); prefer it so the merged model speaks exactly what it learned.
    tok_source = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base_location
    return merged, AutoTokenizer.from_pretrained(str(tok_source))
