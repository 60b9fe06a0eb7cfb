"""The train stage: LoRA SFT of a base model on a dataset's SFT rows → an adapter artifact.

HF transformers + PEFT + TRL's SFTTrainer. Rows are tokenised by Forge (rows.py) and handed
to the trainer pre-tokenised with their assistant masks, so only assistant tokens carry loss.
The adapter directory holds adapter_model.safetensors, adapter_config.json, the tokenizer and
train_log.json (loss per logged step, tokens seen, runtime, tokens/s).
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings
from forge.train.base import resolve_base, settings_for
from forge.train.config import TrainConfig
from forge.train.rows import EVAL_FILE, TRAIN_FILE, read_rows, tokenize_rows

KIND = "adapter"
TRAIN_LOG = "train_log.json"


def run_train(store: ArtifactStore, dataset: Artifact, base_model: str | Path | Artifact,
              config: TrainConfig, progress: Progress = NULL_PROGRESS, *,
              settings: Settings | None = None, checkpoint_dir: Path | None = None) -> Artifact:
    """Train a LoRA adapter on `dataset` (sft_train.jsonl) starting from `base_model`.

    `checkpoint_dir`: where to keep checkpoints (every `config.save_steps`); training resumes
    from the newest one there, so a job restarted after a crash continues where it stopped.
    """
    base = resolve_base(base_model, settings_for(store, settings), progress)
    stage_config = {**config.to_dict(), "base_model": base.identity}
    aid = artifact_id(KIND, stage_config, [dataset.id, *(a.id for a in base.artifacts)])
    if (done := store.existing(KIND, aid)) is not None:
        return done
    with store.staged(KIND) as staging:
        log = train_lora(dataset.path, base.location, config, staging, progress, checkpoint_dir)
        (staging / TRAIN_LOG).write_text(json.dumps(log, indent=2))
        return store.commit(staging, kind=KIND, aid=aid,
                            config={**stage_config, "base_model_ref": base.ref},
                            inputs=[dataset, *base.artifacts],
                            extra={"base_model": base.ref, "metrics": summary(log)})


def summary(log: dict[str, Any]) -> dict[str, Any]:
    keys = ("final_loss", "eval_loss", "train_runtime_s", "tokens_seen", "tokens_per_second",
            "train_rows", "steps")
    return {k: log[k] for k in keys if k in log}


def load_split(dataset_dir: Path, name: str, required: bool) -> list[dict[str, Any]]:
    path = dataset_dir / name
    if not path.is_file():
        if required:
            raise InputError(f"dataset has no {name}", path=str(dataset_dir),
                             hint="build the dataset with SFT rows first (forge build)")
        return []
    return read_rows(path)


def pick_device() -> tuple[bool, Any, bool]:
    """(use_cpu, dtype, bf16): CUDA with bf16 where supported, else float32 on CPU.

    TRL turns bf16 on by default even on CPU, where it is slower; say it explicitly.
    """
    import torch

    if torch.cuda.is_available():
        bf16 = torch.cuda.is_bf16_supported()
        return False, torch.bfloat16 if bf16 else torch.float32, bf16
    return True, torch.float32, False


def train_lora(dataset_dir: Path, base_location: str, config: TrainConfig, out: Path,
               progress: Progress = NULL_PROGRESS,
               checkpoint_dir: Path | None = None) -> dict[str, Any]:
    """Run the training and save adapter + tokenizer into `out`; return the training log."""
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from forge.train.callbacks import make_progress_callback

    tokenizer = AutoTokenizer.from_pretrained(base_location)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    train = tokenize_rows(tokenizer, load_split(dataset_dir, TRAIN_FILE, True), config.max_seq_length)
    if not train.input_ids:
        raise InputError("no SFT row has assistant tokens within max_seq_length",
                         path=str(dataset_dir / TRAIN_FILE),
                         hint="raise max_seq_length or check the rows' assistant turns")
    evals = tokenize_rows(tokenizer, load_split(dataset_dir, EVAL_FILE, False), config.max_seq_length)
    progress.log(f"train rows: {len(train.input_ids)} ({train.tokens} tokens, "
                 f"{train.assistant_tokens} learned; {train.truncated} truncated, "
                 f"{train.dropped} dropped)")

    use_cpu, dtype, bf16 = pick_device()
    model = AutoModelForCausalLM.from_pretrained(base_location, dtype=dtype)
    lora = LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha,
                      lora_dropout=config.lora_dropout, target_modules=list(config.target_modules),
                      task_type="CAUSAL_LM")
    work = Path(checkpoint_dir) if checkpoint_dir else Path(tempfile.mkdtemp(prefix="forge-train-"))
    args = SFTConfig(
        output_dir=str(work), max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size, per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum, learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler_type, warmup_steps=config.warmup_steps,
        weight_decay=config.weight_decay, seed=config.seed, data_seed=config.seed,
        logging_steps=config.logging_steps, max_length=None if config.padding_free else config.max_seq_length,
        padding_free=config.padding_free, assistant_only_loss=False,  # masks come pre-computed
        use_cpu=use_cpu, bf16=bf16,
        gradient_checkpointing=False, report_to="none",
        include_num_input_tokens_seen="non_padding", eval_strategy="no",
        save_strategy="steps" if checkpoint_dir and config.save_steps else "no",
        save_steps=config.save_steps or 500, save_total_limit=2,
        dataloader_num_workers=0, disable_tqdm=True)
    train_ds = Dataset.from_dict({"input_ids": train.input_ids, "assistant_masks": train.assistant_masks})
    eval_ds = (Dataset.from_dict({"input_ids": evals.input_ids, "assistant_masks": evals.assistant_masks})
               if evals.input_ids and config.eval_at_end else None)
    steps_log: list[dict[str, Any]] = []
    trainer = SFTTrainer(model=model, args=args, train_dataset=train_ds, eval_dataset=eval_ds,
                         processing_class=tokenizer, peft_config=lora,
                         callbacks=[make_progress_callback(progress, config.max_steps, steps_log)])
    # our progress callback reports steps; the Trainer's own printer would dump raw log dicts
    from transformers.trainer_callback import PrinterCallback
    trainer.remove_callback(PrinterCallback)
    try:
        result = trainer.train(resume_from_checkpoint=_latest_checkpoint(work) if checkpoint_dir else None)
        eval_loss = trainer.evaluate()["eval_loss"] if eval_ds is not None else None
        trainer.model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    finally:
        if not checkpoint_dir:
            shutil.rmtree(work, ignore_errors=True)
    (out / "README.md").unlink(missing_ok=True)  # PEFT's model-card stub says nothing useful
    runtime = float(result.metrics.get("train_runtime", 0.0))
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    losses = [e["loss"] for e in steps_log]
    return {
        "steps": trainer.state.global_step, "log": steps_log,
        "first_loss": losses[0] if losses else None, "final_loss": losses[-1] if losses else None,
        "eval_loss": eval_loss, "train_runtime_s": round(runtime, 2), "tokens_seen": tokens,
        "tokens_per_second": round(tokens / runtime) if runtime else None,
        "train_rows": len(train.input_ids), "train_tokens": train.tokens,
        "assistant_tokens": train.assistant_tokens, "truncated_rows": train.truncated,
        "dropped_rows": train.dropped, "eval_rows": len(evals.input_ids),
        "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "device": "cpu" if use_cpu else "cuda",
    }


def _latest_checkpoint(work: Path) -> str | None:
    ckpts = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(ckpts[-1]) if ckpts else None
