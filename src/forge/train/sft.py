"""The train stage: SFT of a base model on a dataset's SFT rows → an adapter (or full model) artifact.

HF transformers' Trainer (+ PEFT LoRA unless `full_finetune`). Rows are tokenised by Forge
(rows.py) with their assistant masks, so only assistant tokens carry loss, and batched by
packing.py: padding-free (a batch is one sequence of its rows, attention per row), so no
compute is spent on padding. Before the model is loaded, estimate.py checks that the run fits
in free memory and disk. The output directory holds the adapter (adapter_model.safetensors,
adapter_config.json) or, for full fine-tuning, a complete HF model directory; the tokenizer;
and train_log.json (loss per logged step, tokens seen, runtime, tokens/s).

Checkpoints (every `save_steps` into `checkpoint_dir`) hold model, optimizer, scheduler, RNG
and data position: a run restarted with the same checkpoint_dir continues from the newest.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.errors import InputError
from forge.models.base import resolve_base, settings_for
from forge.numerics import cpu_numerics
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.rows import EVAL_FILE, TRAIN_FILE, TokenizedRows, read_rows, tokenize_rows
from forge.train.template_check import apply_template, check_template, template_sha256

KIND = "adapter"
FULL_KIND = "full_model"  # full fine-tuning: a complete HF model directory, nothing to merge
TRAIN_LOG = "train_log.json"


def run_train(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
    checkpoint_dir: Path | None = None,
) -> Artifact:
    """Train on `dataset` (sft_train.jsonl) starting from `base_model`.

    `checkpoint_dir`: where to keep checkpoints (every `config.save_steps`); training resumes
    from the newest one there, so a job restarted after a crash continues where it stopped.
    An exception raised by `progress` (a cancelled job) stops training within the step and
    leaves no partial artifact.
    """
    base = resolve_base(base_model, settings_for(store, settings), progress)
    kind = FULL_KIND if config.full_finetune else KIND
    stage_config = {**config.to_dict(), "base_model": base.identity}
    if digest := template_sha256(config.chat_template):
        stage_config["chat_template_sha256"] = digest
    aid = artifact_id(kind, stage_config, [dataset.id, *(a.id for a in base.artifacts)])
    if (done := store.existing(kind, aid)) is not None:
        return done
    with store.staged(kind) as staging:
        log = train_sft(dataset.path, base.location, config, staging, progress, checkpoint_dir, disk_path=store.root)
        (staging / TRAIN_LOG).write_text(json.dumps(log, indent=2))
        return store.commit(
            staging,
            kind=kind,
            aid=aid,
            config={**stage_config, "base_model_ref": base.ref},
            inputs=[dataset, *base.artifacts],
            extra={
                "base_model": base.ref,
                "metrics": summary(log),
                "method": "full" if config.full_finetune else "lora",
            },
        )


def summary(log: dict[str, Any]) -> dict[str, Any]:
    keys = ("final_loss", "eval_loss", "train_runtime_s", "tokens_seen", "tokens_per_second", "train_rows", "steps")
    return {k: log[k] for k in keys if k in log}


def load_split(dataset_dir: Path, name: str, required: bool) -> list[dict[str, Any]]:
    path = dataset_dir / name
    if not path.is_file():
        if required:
            raise InputError(
                f"dataset has no {name}",
                path=str(dataset_dir),
                hint="build the dataset with SFT rows first (forge build)",
            )
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


def train_sft(
    dataset_dir: Path,
    base_location: str,
    config: TrainConfig,
    out: Path,
    progress: Progress = NULL_PROGRESS,
    checkpoint_dir: Path | None = None,
    *,
    disk_path: Path | None = None,
) -> dict[str, Any]:
    """Tokenise, check resources, load the model, train, save into `out`; return the log."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_location)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    explicit = apply_template(tokenizer, config.chat_template) is not None
    rows = load_split(dataset_dir, TRAIN_FILE, True)
    template_report = check_template(tokenizer, rows, base_location, explicit, progress)
    train = tokenize_rows(tokenizer, rows, config.max_seq_length, progress, "tokenize train rows")
    if not train.input_ids:
        raise InputError(
            f"no SFT row has assistant tokens within max_seq_length (train rows: {train.summary()})",
            path=str(dataset_dir / TRAIN_FILE),
            hint="raise max_seq_length, or run `forge dataset check` to see what the "
            "base model's chat template does with the rows",
        )
    evals = tokenize_rows(
        tokenizer, load_split(dataset_dir, EVAL_FILE, False), config.max_seq_length, progress, "tokenize eval rows"
    )
    progress.log(f"train rows: {train.summary()}")
    _, dtype, _ = pick_device()
    if config.check_resources:
        ensure_fits(base_location, config, train, dtype, disk_path or out, checkpoint_dir, progress)
    from forge.train.backend import choose_backend, detect

    backend = choose_backend(detect(), full_finetune=config.full_finetune)
    progress.log(f"backend: {backend.name} ({backend.reason})")
    config = config_for_backend(config, backend.name)
    model = load_model(base_location, config, dtype)
    log = fit(model, tokenizer, train, evals, config, out, progress, checkpoint_dir)
    log["chat_template"] = template_report
    return log


def config_for_backend(config: TrainConfig, backend_name: str) -> TrainConfig:
    """Unsloth patches the model's attention with its own kernels, which know nothing of our
    per-row packed attention: there rows go in padded batches (grouped by length) instead."""
    import dataclasses

    if backend_name == "unsloth" and config.padding_free:
        return dataclasses.replace(config, padding_free=False)
    return config


def ensure_fits(
    base_location: str,
    config: TrainConfig,
    train: TokenizedRows,
    dtype: Any,
    disk_path: Path,
    checkpoint_dir: Path | None,
    progress: Progress,
) -> None:
    """Estimate memory and disk for this run; raise ResourceError when they are not free."""
    from forge.train import estimate as est

    shape = est.model_shape(
        base_location,
        full_finetune=config.full_finetune,
        lora_r=config.lora_r,
        target_modules=config.target_modules,
        bytes_per_param=dtype.itemsize,
    )
    tokens, scores = est.step_tokens(
        [len(r) for r in train.input_ids], config.batch_size, config.padding_free, config.packing, config.max_seq_length
    )
    e = est.estimate(
        shape,
        tokens,
        scores,
        full_model_artifact=config.full_finetune,
        save_checkpoints=bool(checkpoint_dir and config.save_steps),
    )
    progress.log(f"estimate: memory {e.memory / est.GIB:.2f} GiB, disk {e.disk / est.GIB:.2f} GiB")
    est.check_resources(e, memory_free=est.free_memory(), disk_free=est.free_disk(disk_path), disk_path=disk_path)


def load_model(base_location: str, config: TrainConfig, dtype: Any):
    """The model to train: packed attention, LoRA-wrapped unless full fine-tuning.

    On CUDA the backend (backend.py) may load the base in 4-bit (QLoRA); on CPU it is `dtype`."""
    from transformers import AutoModelForCausalLM

    from forge.train.backend import choose_backend, detect, load_kwargs
    from forge.train.packing import register_packed_attention

    backend = choose_backend(detect(), full_finetune=config.full_finetune)
    if backend.name == "unsloth":
        return load_unsloth_model(base_location, config, backend)
    kwargs = load_kwargs(backend) if backend.name in ("qlora", "lora", "full") else {"dtype": dtype}
    if not backend.load_in_4bit:
        kwargs["dtype"] = dtype  # pick_device's choice, which the Trainer's bf16 flag matches
    model = AutoModelForCausalLM.from_pretrained(
        base_location, attn_implementation=register_packed_attention(), **kwargs
    )
    model.config.use_cache = False  # training keeps no KV cache (and stock SDPA's packed-row
    #                                 detection runs only without one: test_train_packing.py)
    if config.full_finetune:
        return model
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    if backend.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)

    set_seed(config.seed)  # the adapter's initial weights depend on the seed only
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def load_unsloth_model(base_location: str, config: TrainConfig, backend: Any):
    """CUDA + unsloth: its loader (4-bit when bitsandbytes is there) and its LoRA wrapper, same
    rank/alpha/targets as the PEFT path. Only reached on a CUDA machine with unsloth installed."""
    import torch
    from unsloth import FastLanguageModel

    model, _ = FastLanguageModel.from_pretrained(
        model_name=base_location,
        max_seq_length=config.max_seq_length,
        dtype=getattr(torch, backend.dtype),
        load_in_4bit=backend.load_in_4bit,
    )
    return FastLanguageModel.get_peft_model(
        model,
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        bias="none",
        random_state=config.seed,
        use_gradient_checkpointing=False,
    )


class ListDataset:
    """Items in memory; the Trainer's sampler picks indices (no Arrow round trip)."""

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def training_items(rows: TokenizedRows, config: TrainConfig) -> list[dict[str, Any]]:
    """One item per row, or with `packing` one per pack of rows (≤ max_seq_length tokens)."""
    items = [{"input_ids": ids, "assistant_masks": mask} for ids, mask in zip(rows.input_ids, rows.assistant_masks)]
    if not config.packing:
        return items
    from forge.train.packing import pack_bins

    packs = pack_bins([len(i["input_ids"]) for i in items], config.max_seq_length)
    return [
        {
            "input_ids": [t for i in p for t in items[i]["input_ids"]],
            "assistant_masks": [m for i in p for m in items[i]["assistant_masks"]],
            "lengths": [len(items[i]["input_ids"]) for i in p],
        }
        for p in packs
    ]


def fit(
    model,
    tokenizer,
    train: TokenizedRows,
    evals: TokenizedRows,
    config: TrainConfig,
    out: Path,
    progress: Progress = NULL_PROGRESS,
    checkpoint_dir: Path | None = None,
) -> dict[str, Any]:
    """Train `model` on tokenised rows, save model/adapter + tokenizer into `out`, return the log."""
    from transformers import Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    from forge.train.callbacks import counting_tokens, make_progress_callback
    from forge.train.packing import PackedCollator

    use_cpu, _, bf16 = pick_device()
    items = training_items(train, config)
    steps = config.max_steps  # methods.with_epoch_steps turns `epochs` into max_steps
    eval_items = training_items(evals, config) if evals.input_ids and config.eval_at_end else []
    work = Path(checkpoint_dir) if checkpoint_dir else Path(tempfile.mkdtemp(prefix="forge-train-"))
    args = TrainingArguments(
        **{
            "output_dir": str(work),
            "max_steps": steps,
            "per_device_train_batch_size": config.batch_size,
            "per_device_eval_batch_size": config.batch_size,
            "gradient_accumulation_steps": config.grad_accum,
            "learning_rate": config.learning_rate,
            "lr_scheduler_type": config.lr_scheduler_type,
            "warmup_steps": config.warmup_steps,
            "weight_decay": config.weight_decay,
            "seed": config.seed,
            "data_seed": config.seed,
            "logging_steps": config.logging_steps,
            "use_cpu": use_cpu,
            "bf16": bf16,
            "report_to": "none",
            "remove_unused_columns": False,
            # padded batches: rows of similar length together, so little padding
            "train_sampling_strategy": "random" if config.padding_free else "group_by_length",
            "eval_strategy": "no",
            "prediction_loss_only": True,  # eval keeps no logits around
            "save_strategy": "steps" if checkpoint_dir and config.save_steps else "no",
            "save_steps": config.save_steps or 500,
            "save_total_limit": 2,
            "dataloader_num_workers": 0,
            "disable_tqdm": True,
            **config.trainer_args,
        }
    )
    steps_log: list[dict[str, Any]] = []
    trainer = counting_tokens(Trainer)(
        model=model,
        args=args,
        train_dataset=ListDataset(items),
        eval_dataset=ListDataset(eval_items) if eval_items else None,
        data_collator=PackedCollator(tokenizer.pad_token_id, config.padding_free, learned_logits_only=True),
        processing_class=tokenizer,
        callbacks=[make_progress_callback(progress, steps, steps_log)],
    )
    trainer.remove_callback(PrinterCallback)  # our progress callback reports steps
    resume = _latest_checkpoint(work) if checkpoint_dir else None
    tokens_before = tokens_seen_at(resume)
    try:
        result = trainer.train(resume_from_checkpoint=resume)
        eval_loss = trainer.evaluate()["eval_loss"] if eval_items else None
        save_trained(trainer.model, tokenizer, out, config.full_finetune)
    finally:
        if not checkpoint_dir:
            shutil.rmtree(work, ignore_errors=True)
    runtime = float(result.metrics.get("train_runtime", 0.0))
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    log = loss_log(trainer.state.log_history, steps_log)
    losses = [e["loss"] for e in log]
    return {
        "steps": trainer.state.global_step,
        "log": log,
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "eval_loss": eval_loss,
        "train_runtime_s": round(runtime, 2),
        "tokens_seen": tokens,
        # this process's share: a resumed run's runtime starts at the checkpoint
        "tokens_per_second": round((tokens - tokens_before) / runtime) if runtime else None,
        "resumed_from_step": _step_of(resume),
        "train_rows": train.kept,
        "train_windows": len(train.input_ids),
        "train_tokens": train.tokens,
        "assistant_tokens": train.assistant_tokens,
        "truncated_rows": train.truncated,
        "dropped_rows": train.dropped,
        "eval_rows": len(evals.input_ids),
        "masks": train.report(),
        "trainable_parameters": sum(p.numel() for p in trainer.model.parameters() if p.requires_grad),
        "device": "cpu" if use_cpu else "cuda",
        "numerics": cpu_numerics() if use_cpu else None,
        "padding_free": config.padding_free,
        "packing": config.packing,
        "method": "full" if config.full_finetune else "lora",
    }


def save_trained(model, tokenizer, out: Path, full: bool) -> None:
    """The adapter, or for full fine-tuning a complete model dir loadable without Forge."""
    if full:
        model.set_attn_implementation("sdpa")  # forge_packed exists only inside Forge
        model.config.use_cache = True  # for generation with the saved model
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "README.md").unlink(missing_ok=True)  # PEFT's model-card stub says nothing useful


def loss_log(history: list[dict[str, Any]], steps_log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Loss per logged step over the whole run, resumed parts included (history survives a
    resume in the checkpoint; this process's entries add tokens seen)."""
    seen = {e["step"]: e for e in steps_log}
    return [
        seen.get(h["step"])
        or {"step": h["step"], "loss": round(float(h["loss"]), 5), "learning_rate": float(h.get("learning_rate", 0.0))}
        for h in history
        if "loss" in h and "step" in h
    ]


def tokens_seen_at(checkpoint: str | None) -> int:
    state = Path(checkpoint) / "trainer_state.json" if checkpoint else None
    if state is None or not state.is_file():
        return 0
    return int(json.loads(state.read_text()).get("num_input_tokens_seen", 0))


def _step_of(checkpoint: str | None) -> int:
    return int(Path(checkpoint).name.split("-")[-1]) if checkpoint else 0


def _latest_checkpoint(work: Path) -> str | None:
    ckpts = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(ckpts[-1]) if ckpts else None
