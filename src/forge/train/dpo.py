"""The DPO stage: preference tuning on a dataset's DPO rows (dpo_train.jsonl) → an adapter artifact.

TRL's DPOTrainer with LoRA. Two starts:
- from the base (method "dpo"): a fresh LoRA adapter; the reference is the base itself
  (TRL disables the adapter to score the reference, so no second model is loaded);
- from an SFT adapter (method "sft+dpo"): the SFT adapter is trained further; TRL keeps a
  frozen copy of it as the reference adapter ("ref"), so DPO pulls away from the SFT policy,
  not from the base. Only the trained adapter is saved, so the artifact merges like SFT's.

The artifact is the same shape as run_train's (adapter files, tokenizer, train_log.json) and
follows the same store conventions: id from config + inputs, early return, staged commit.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id
from forge.errors import InputError
from forge.numerics import cpu_numerics
from forge.progress import NULL_PROGRESS, Progress, Task
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.dpo_config import DPOSettings, dpo_settings

KIND = "adapter"
FULL_KIND = "full_model"  # full fine-tuning (TrainConfig.full_finetune): a complete model dir
TRAIN_LOG = "train_log.json"
DPO_TRAIN, DPO_EVAL = "dpo_train.jsonl", "dpo_eval.jsonl"


def run_dpo(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
    start_adapter: Artifact | None = None,
    checkpoint_dir: Path | None = None,
) -> Artifact:
    """DPO-tune an adapter on `dataset`'s preference rows, from `start_adapter` when given.

    `checkpoint_dir`: checkpoints every `config.save_steps` go there, and a run restarted with
    the same folder continues from the newest (optimizer, scheduler and data position too).
    """
    from forge.models.base import resolve_base, settings_for
    from forge.train.template_check import template_sha256

    dpo = dpo_settings(config)
    base = resolve_base(base_model, settings_for(store, settings), progress)
    stage_config = {
        "method": "dpo",
        "dpo": asdict(dpo),
        "base_model": base.identity,
        "start_adapter": start_adapter.id if start_adapter else None,
        **({} if start_adapter else _lora_shape(config)),
        "full_finetune": config.full_finetune,
        "nproc": config.nproc,
        "trainer_args": config.trainer_args,
    }
    if digest := template_sha256(config.chat_template):
        stage_config["chat_template_sha256"] = digest
    inputs = [dataset, *base.artifacts, *([start_adapter] if start_adapter else [])]
    kind = FULL_KIND if config.full_finetune else KIND
    aid = artifact_id(kind, stage_config, [a.id for a in inputs])
    if (done := store.existing(kind, aid)) is not None:
        return done
    with store.staged(kind) as staging:
        log = train_dpo(
            dataset.path,
            base.location,
            config,
            dpo,
            staging,
            progress,
            start_adapter=start_adapter.path if start_adapter else None,
            checkpoint_dir=checkpoint_dir,
        )
        (staging / TRAIN_LOG).write_text(json.dumps(log, indent=2))
        return store.commit(
            staging,
            kind=kind,
            aid=aid,
            config={**stage_config, "base_model_ref": base.ref},
            inputs=inputs,
            extra={
                "base_model": base.ref,
                "method": "sft+dpo" if start_adapter else "dpo",
                "metrics": {k: log[k] for k in _SUMMARY if k in log},
            },
        )


_SUMMARY = ("final_loss", "final_reward_margin", "final_reward_accuracy", "train_runtime_s", "train_rows", "steps")


def _lora_shape(config: TrainConfig) -> dict[str, Any]:
    return {
        "lora_r": config.lora_r,
        "lora_alpha": config.lora_alpha,
        "lora_dropout": config.lora_dropout,
        "target_modules": list(config.target_modules),
    }


def read_pairs(dataset_dir: Path, name: str = DPO_TRAIN) -> list[dict[str, Any]]:
    """DPO rows: conversational prompt/chosen/rejected and their tools (tokenised by
    pairs.tokenize_pairs, never through an Arrow table that would unify tool schemas)."""
    from forge.jsonl import read_jsonl

    path = dataset_dir / name
    if not path.is_file():
        raise InputError(
            f"dataset has no {name}",
            path=str(dataset_dir),
            hint="method dpo needs preference pairs: build with DPO on and sources "
            "that hold failed and successful attempts at the same task",
        )
    rows = [
        {"prompt": r["prompt"], "chosen": r["chosen"], "rejected": r["rejected"], "tools": r.get("tools") or None}
        for _, r in read_jsonl(path)
    ]
    if not rows:
        raise InputError(
            f"{name} has no preference pairs",
            path=str(path),
            hint="DPO needs failed and successful attempts at the same task in the sources",
        )
    return rows


class _Renamed:
    """Shows the trainer's progress task under another name (the shared callback says 'train')."""

    def __init__(self, inner: Progress, name: str):
        self.inner, self.name = inner, name

    def task(self, name: str, total: int | None = None) -> Task:
        return self.inner.task(self.name, total)

    def log(self, message: str) -> None:
        self.inner.log(message)


def train_dpo(
    dataset_dir: Path,
    base_location: str,
    config: TrainConfig,
    dpo: DPOSettings,
    out: Path,
    progress: Progress = NULL_PROGRESS,
    *,
    start_adapter: Path | None = None,
    checkpoint_dir: Path | None = None,
) -> dict[str, Any]:
    """Run DPO and save the adapter + tokenizer into `out`; return the training log."""
    from datasets import Dataset
    from peft import LoraConfig, PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.trainer_callback import PrinterCallback
    from trl import DPOConfig, DPOTrainer

    from forge.train.backend import choose_backend, detect, load_kwargs
    from forge.train.callbacks import counting_tokens, make_progress_callback
    from forge.train.pairs import tokenize_pairs
    from forge.train.sft import tokens_seen_at
    from forge.train.template_check import apply_template

    pairs = read_pairs(Path(dataset_dir))
    tokenizer = AutoTokenizer.from_pretrained(base_location)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    apply_template(tokenizer, config.chat_template)  # the explicit template SFT trained with, if any
    tokenized = tokenize_pairs(tokenizer, pairs, dpo.max_length)
    progress.log(f"DPO pairs: {tokenized.summary()}")
    if not tokenized.items:
        raise InputError(
            f"no DPO pair left to learn from: {tokenized.summary()}",
            path=str(Path(dataset_dir) / DPO_TRAIN),
            hint="raise dpo.max_length, or build pairs whose chosen and rejected replies differ",
        )
    full = config.full_finetune
    available = detect()
    backend = choose_backend(available, full_finetune=full)
    use_cpu = not available.cuda
    # full fine-tuning from an SFT run: that run's output is a complete model, the start point
    start = str(start_adapter) if full and start_adapter is not None else base_location
    model: Any = AutoModelForCausalLM.from_pretrained(start, **load_kwargs(backend))  # or a PeftModel below
    if backend.load_in_4bit:  # QLoRA: norms in fp32, inputs require grads (CUDA only)
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    progress.log(f"backend: {backend.name} ({backend.reason})")
    peft_config = None
    if full:
        pass  # TRL loads a frozen copy of the start model as the reference
    elif start_adapter is not None:
        # trainable copy of the SFT adapter; TRL adds a frozen "ref" copy as the reference
        model = PeftModel.from_pretrained(model, str(start_adapter), is_trainable=True)
    else:
        peft_config = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(config.target_modules),
            task_type="CAUSAL_LM",
        )
    progress.log(
        "DPO reference: "
        + (
            "a frozen copy of the start model"
            if full
            else "the SFT adapter (frozen copy)"
            if start_adapter
            else "the base (adapter disabled)"
        )
    )
    keep = checkpoint_dir is not None and config.save_steps > 0
    work = Path(checkpoint_dir) if keep and checkpoint_dir else Path(tempfile.mkdtemp(prefix="forge-dpo-"))
    args = DPOConfig(
        output_dir=str(work),
        max_steps=dpo.max_steps,
        beta=dpo.beta,
        loss_type=[dpo.loss_type],
        per_device_train_batch_size=dpo.batch_size,
        gradient_accumulation_steps=dpo.grad_accum,
        learning_rate=dpo.learning_rate,
        lr_scheduler_type=dpo.lr_scheduler_type,
        warmup_steps=dpo.warmup_steps,
        seed=dpo.seed,
        data_seed=dpo.seed,
        logging_steps=dpo.logging_steps,
        max_length=dpo.max_length,
        use_cpu=use_cpu,
        bf16=backend.dtype == "bfloat16",
        fp16=backend.dtype == "float16",
        gradient_checkpointing=False,
        report_to="none",
        save_strategy="steps" if keep else "no",
        save_steps=config.save_steps or 500,
        save_total_limit=2,
        eval_strategy="no",
        dataloader_num_workers=0,
        disable_tqdm=True,
        **config.trainer_args,
    )
    steps_log: list[dict[str, Any]] = []
    trainer = counting_tokens(_pretokenized(DPOTrainer))(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(tokenized.items),
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[make_progress_callback(_Renamed(progress, "dpo"), dpo.max_steps, steps_log)],
    )
    trainer.remove_callback(PrinterCallback)
    try:
        resume = _latest_checkpoint(work) if keep else None
        tokens_before = tokens_seen_at(resume)
        result = trainer.train(resume_from_checkpoint=resume)
        trained: Any = trainer.model  # typed Optional by transformers; set once training ran
        if full:
            trained.save_pretrained(out)
        else:  # only the trained adapter: the frozen "ref" copy TRL added is not part of the result
            trained.save_pretrained(out, selected_adapters=["default"])
        tokenizer.save_pretrained(out)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    (out / "README.md").unlink(missing_ok=True)
    # from the trainer's history, which a resumed run restores from its checkpoint: whole curve
    history = [e for e in trainer.state.log_history if "loss" in e]
    steps_log = [
        {"step": e["step"], "loss": round(float(e["loss"]), 5), "learning_rate": float(e.get("learning_rate", 0.0))}
        for e in history
    ]
    rewards = [{"step": e["step"], **{k: float(v) for k, v in e.items() if k.startswith("rewards/")}} for e in history]
    losses = [e["loss"] for e in steps_log]
    last = rewards[-1] if rewards else {}
    runtime = float(result.metrics.get("train_runtime", 0.0))
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    return {
        "method": "sft+dpo" if start_adapter else "dpo",
        "steps": trainer.state.global_step,
        "log": steps_log,
        "rewards": rewards,
        "first_loss": losses[0] if losses else None,
        "final_loss": losses[-1] if losses else None,
        "final_reward_margin": last.get("rewards/margins"),
        "final_reward_accuracy": last.get("rewards/accuracies"),
        "train_runtime_s": round(runtime, 2),
        "tokens_seen": tokens,  # chosen and rejected rows, prompts included: what the policy read
        "tokens_per_second": round((tokens - tokens_before) / runtime) if runtime else None,
        "train_rows": len(tokenized.items),
        "pairs": tokenized.report(),
        "reference": ("start_model" if full else "sft_adapter" if start_adapter else "base"),
        "device": "cpu" if use_cpu else "cuda",
        "numerics": cpu_numerics() if use_cpu else None,
        "backend": backend.name,
    }


def _pretokenized(trainer_class: Any) -> Any:
    """The DPO trainer on pairs Forge tokenised and cut (pairs.py): TRL's own preparation would
    tokenise again and cut at the end, removing the completions of long-prompt pairs."""

    class ForgeDPOTrainer(trainer_class):  # TRL's class, chosen at run time
        def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
            return dataset

    return ForgeDPOTrainer


def _latest_checkpoint(work: Path) -> str | None:
    ckpts = sorted(work.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(ckpts[-1]) if ckpts else None
