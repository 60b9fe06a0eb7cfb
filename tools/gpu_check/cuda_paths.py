"""Forge's CUDA training paths on one GPU, in one run: LoRA, QLoRA, full fine-tuning vs HF/TRL, vLLM.

    python tools/gpu_check/cuda_paths.py --out DIR        # on the GPU machine (tools/gpu_check/run.sh)
    python tools/gpu_check/cuda_paths.py --dry-run --out DIR   # anywhere: tiny model, 2 steps, on CPU

Sections (each on its own: a missing package or a failure is reported and the run goes on):
  environment   python, package versions (or "absent"), GPU, CUDA, free memory
  forge_imports Forge's training modules import without typer/rich/sqlalchemy (fresh process)
  forge_lora    forge.train.sft.load_model + fit, LoRA on a bf16 base: tokens/s, peak memory, loss
  forge_qlora   the same through Forge's QLoRA path (4-bit NF4 base), when bitsandbytes imports
  forge_full    full fine-tuning through Forge's fit
  hf_trainer    baseline: plain transformers.Trainer, padded batches grouped by length, bf16
  trl_*         baselines: TRL's SFTTrainer padding_free and packing, when trl + datasets import
  comparison    ratio=<forge_full tokens/s ÷ best baseline tokens/s>, its last line
  vllm          offline vllm.LLM on the saved model, 64 prompts: generated tokens/s
  unsloth       its version only (importing it patches transformers for the whole process)

Every training run uses the same small random-init Llama, the same pre-tokenised rows (lengths
long-tailed like agent sessions, as benchmarks/train_throughput.py makes them, loss on ~40% of
tokens), batch, learning rate and seed. Speed is measured by step counts, not wall time: `warm`
steps first, then `timed` steps between two torch.cuda.synchronize() points; tokens are real
(non-padding) tokens. The token ids are Zipf-distributed rather than uniform, so a random-init
model has something to learn in 50 steps and the loss visibly falls (uniform ids give a flat ln V).

Writes DIR/cuda_paths.json (rewritten after every section, so a killed run keeps what it had) and
DIR/cuda_paths.log (what was printed).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib.metadata
import importlib.util
import json
import logging
import math
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("FORGE_CPU_NUMERICS", "native")  # Forge caps CPU kernels at AVX2 otherwise
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TOKENIZER_DIR = ROOT / "src/forge/models/tiny_llama"  # shipped with Forge: no download, no training
PACKAGES = (
    "torch",
    "transformers",
    "peft",
    "accelerate",
    "tokenizers",
    "safetensors",
    "huggingface_hub",
    "bitsandbytes",
    "trl",
    "datasets",
    "vllm",
    "unsloth",
    "flash_attn",
    "typer",
    "rich",
    "sqlalchemy",
)
# what the CLI/service layers use; the training path must not need them
HEAVY = ("typer", "rich", "sqlalchemy", "mcp", "fastapi", "uvicorn", "gguf", "trl", "datasets")
FORGE_TRAIN_MODULES = (
    "forge.train.config",
    "forge.train.rows",
    "forge.train.backend",
    "forge.train.packing",
    "forge.train.callbacks",
    "forge.train.sft",
)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Sizes of one run: the model, the rows, the steps."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    intermediate: int
    vocab: int
    rows: int
    max_len: int
    batch: int
    warm: int
    timed: int
    lr: float = 1e-3
    prompts: int = 64  # vLLM
    new_tokens: int = 128  # vLLM

    @property
    def steps(self) -> int:
        return self.warm + self.timed


# ~200M parameters (untied head): a step is tens of milliseconds on an H200, the section seconds.
GPU_PLAN = Plan(1024, 12, 16, 4, 2816, 32000, rows=512, max_len=2000, batch=16, warm=20, timed=30)
# tiny, for a CPU check of every code path in well under a minute
DRY_PLAN = Plan(64, 2, 4, 2, 128, 4096, rows=24, max_len=256, batch=4, warm=1, timed=1, prompts=4, new_tokens=8)


class Skip(Exception):
    """A section that cannot run here (a package or the GPU is missing): reported, not an error."""


@dataclasses.dataclass
class Ctx:
    plan: Plan
    cuda: bool
    work: Path
    dtype: Any = None
    tokenizer: Any = None
    rows: Any = None  # forge.train.rows.TokenizedRows
    model_dir: Path | None = None


class Report:
    """Prints, keeps the log and the JSON in DIR up to date after every section."""

    def __init__(self, out: Path, skip: tuple[str, ...] = ()):
        self.out = out
        self.skip = set(skip)
        self.data: dict[str, Any] = {"sections": {}}
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        self.lines.append(text)
        try:
            print(text, flush=True)
        except OSError:  # stdout closed (piped into head): the files still get everything
            pass

    def save(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "cuda_paths.json").write_text(json.dumps(self.data, indent=2, default=str))
        (self.out / "cuda_paths.log").write_text("\n".join(self.lines) + "\n")

    def section(self, name: str, fn, *args) -> dict[str, Any]:
        """Run fn(*args) → dict of figures; a Skip or any exception is recorded and the run goes on."""
        self.say(f"\n== {name}")
        start = time.perf_counter()
        try:
            if name in self.skip:
                raise Skip("--skip")
            result = {"status": "ok", **(fn(*args) or {})}
        except Skip as e:
            result = {"status": "skipped", "why": str(e)}
            self.say(f"skipped: {e}")
        except Exception as e:  # a broken section must not cost the others their figures
            tb = traceback.format_exc()
            result = {"status": "error", "error": f"{type(e).__name__}: {e}", "traceback": tb}
            self.say(f"error: {type(e).__name__}: {e}")
            self.say("\n".join(tb.rstrip().splitlines()[-12:]))
        finally:
            free_memory()
        result["seconds"] = round(time.perf_counter() - start, 1)
        self.data["sections"][name] = result
        self.save()
        return result


# -- helpers -----------------------------------------------------------------------------------


def version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"


def need(module: str) -> None:
    """Skip the section when `module` cannot be found (nothing is imported to find out)."""
    if importlib.util.find_spec(module) is None:
        raise Skip(f"{module} absent")


def sync(cuda: bool) -> None:
    if cuda:
        import torch

        torch.cuda.synchronize()


def free_memory() -> None:
    gc.collect()
    with contextlib.suppress(Exception):
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def reset_peak(cuda: bool) -> None:
    if cuda:
        import torch

        torch.cuda.reset_peak_memory_stats()


def peak_gib(cuda: bool) -> float | None:
    if not cuda:
        return None
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 3)


def window(times: list[float], tokens: list[int], warm: int, timed: int) -> dict[str, Any]:
    """tokens/s over steps warm+1 … warm+timed; times[i] and tokens[i] are taken at the end of step i+1."""
    end = min(len(times), len(tokens), warm + timed)
    if warm < 1 or end <= warm:
        raise RuntimeError(f"only {len(times)} steps were timed (need more than {warm})")
    seconds = times[end - 1] - times[warm - 1]
    n = tokens[end - 1] - tokens[warm - 1]
    return {
        "timed_steps": end - warm,
        "timed_tokens": n,
        "timed_seconds": round(seconds, 4),
        "tokens_per_second": round(n / seconds) if seconds > 0 else None,
    }


def loss_figures(losses: list[float]) -> dict[str, Any]:
    """First and last step's loss; "fell": the mean of the last k steps is below the first k's
    (k = 3, fewer in a short run: a single step's loss is noisy)."""
    if not losses:
        return {"first_loss": None, "last_loss": None, "loss_fell": None}
    k = max(1, min(3, len(losses) // 2))
    return {
        "first_loss": round(losses[0], 4),
        "last_loss": round(losses[-1], 4),
        "loss_fell": sum(losses[-k:]) / k < sum(losses[:k]) / k,
    }


def describe(report: Report, figures: dict[str, Any]) -> None:
    """Three lines per training run: speed, what it was timed on, the loss."""
    tps, peak = figures.get("tokens_per_second"), figures.get("peak_gib")
    report.say(f"tokens/s {tps:,}" if tps else "tokens/s n/a")
    memory = f"{peak} GiB" if peak is not None else "n/a (CPU)"
    report.say(
        f"  timed {figures.get('timed_steps')} steps: {figures.get('timed_tokens')} real tokens in "
        f"{figures.get('timed_seconds')} s; peak GPU memory {memory}"
    )
    report.say(
        f"  loss {figures.get('first_loss')} → {figures.get('last_loss')} "
        f"({'falls' if figures.get('loss_fell') else 'DOES NOT FALL'})"
    )


# -- environment ------------------------------------------------------------------------------


def environment(ctx: Ctx, report: Report) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "ram_free_gib": ram_free_gib(),
        "packages": {p: version(p) for p in PACKAGES},
        "carried_wheels": os.environ.get("GPU_CHECK_WHEELS", "") or "none",
        "cuda_available": torch.cuda.is_available(),
        "torch_cuda": torch.version.cuda,
    }
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        info |= {
            "gpu": torch.cuda.get_device_name(0),
            "capability": ".".join(map(str, torch.cuda.get_device_capability(0))),
            "bf16": torch.cuda.is_bf16_supported(),
            "gpu_free_gib": round(free / 2**30, 2),
            "gpu_total_gib": round(total / 2**30, 2),
            "driver": nvidia_driver(),
        }
    report.say(
        f"python {info['python']} ({info['executable']}), {info['cpus']} CPUs, "
        f"{info['ram_free_gib']} GiB RAM free, {info['platform']}"
    )
    report.say("packages: " + ", ".join(f"{k} {v}" for k, v in info["packages"].items()))
    report.say(f"carried wheels installed: {info['carried_wheels']}")
    if info["cuda_available"]:
        report.say(
            f"GPU {info['gpu']} (sm {info['capability']}, bf16 {info['bf16']}), CUDA {info['torch_cuda']}, "
            f"driver {info['driver']}, free {info['gpu_free_gib']} of {info['gpu_total_gib']} GiB"
        )
    else:
        report.say("GPU: none (torch sees no CUDA device)")
    return info


def ram_free_gib() -> float | None:
    try:
        return round(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def nvidia_driver() -> str:
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        return out.stdout.strip() or "unknown"
    except Exception:
        return "unknown"


FORGE_IMPORT_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
ok, failed = [], {}
for name in sys.argv[3:]:
    try:
        __import__(name)
        ok.append(name)
    except Exception as e:
        failed[name] = f"{type(e).__name__}: {e}"
heavy = [h for h in sys.argv[2].split(",") if h in sys.modules]
print(json.dumps({"ok": ok, "failed": failed, "loaded_heavy": heavy}))
"""


def forge_imports(ctx: Ctx, report: Report) -> dict[str, Any]:
    """In a fresh process (this one has imported more): which CLI-layer packages Forge's training
    modules pull in at import time. They need none of them; a failure names the missing one."""
    proc = subprocess.run(
        [sys.executable, "-c", FORGE_IMPORT_PROBE, str(ROOT / "src"), ",".join(HEAVY), *FORGE_TRAIN_MODULES],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-2000:])
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    report.say(f"imported: {', '.join(got['ok']) or 'none'}")
    for name, why in got["failed"].items():
        report.say(f"FAILED {name}: {why}")
    report.say(f"CLI-layer packages loaded by them: {', '.join(got['loaded_heavy']) or 'none'}")
    if got["failed"]:
        raise RuntimeError(f"Forge training modules failed to import: {got['failed']}")
    return got


# -- the model and the rows -------------------------------------------------------------------


def session_lengths(n: int, seed: int, lo: int, hi: int) -> list[int]:
    """Long-tailed lengths as benchmarks/train_throughput.py: median ~260 tokens, clipped to [lo, hi]."""
    rng = random.Random(seed)
    return [min(hi, max(lo, int(rng.lognormvariate(math.log(260), 0.9)))) for _ in range(n)]


def synthetic_rows(lengths: list[int], vocab: int, seed: int):
    """Rows with alternating assistant spans (~40% learned), as the benchmark's; ids Zipf(1) over
    the vocabulary (see the module doc: a learnable unigram, so the loss falls)."""
    from forge.train.rows import TokenizedRows

    rng = random.Random(seed)
    population = list(range(10, vocab))
    rng.shuffle(population)  # frequent ids spread over the vocabulary
    cum, total = [], 0.0
    for rank in range(1, len(population) + 1):
        total += 1.0 / rank
        cum.append(total)
    rows = TokenizedRows()
    for i, n in enumerate(lengths):
        ids = rng.choices(population, cum_weights=cum, k=n)
        mask: list[int] = []
        learned = False
        while len(mask) < n:
            mask += [int(learned)] * rng.randint(10, 120)
            learned = not learned
        mask = mask[:n]
        mask[-1] = 1  # every row has something to learn
        rows.input_ids.append(ids)
        rows.assistant_masks.append(mask)
        rows.ids.append(str(i))
        rows.rows += 1
        rows.tokens += n
        rows.assistant_tokens += sum(mask)
    return rows


def load_tokenizer():
    """Forge's shipped tiny tokenizer (4,096 ids, pad id 0): the model's ids may go beyond it, as
    training never decodes; vLLM runs with skip_tokenizer_init."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_file=str(TOKENIZER_DIR / "tokenizer.json"),
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        model_max_length=2048,
    )


def build(ctx: Ctx, report: Report, seed: int) -> dict[str, Any]:
    """Tokenizer, rows, and the random-init Llama saved once (each run loads its own copy)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    p = ctx.plan
    ctx.dtype = torch.bfloat16 if ctx.cuda and torch.cuda.is_bf16_supported() else torch.float32
    ctx.tokenizer = load_tokenizer()
    lengths = session_lengths(p.rows, seed, 50, p.max_len)
    ctx.rows = synthetic_rows(lengths, p.vocab, seed)
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=p.vocab,
        hidden_size=p.hidden,
        intermediate_size=p.intermediate,
        num_hidden_layers=p.layers,
        num_attention_heads=p.heads,
        num_key_value_heads=p.kv_heads,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
        pad_token_id=ctx.tokenizer.pad_token_id,
        eos_token_id=ctx.tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(cfg).to(ctx.dtype)
    params = sum(x.numel() for x in model.parameters())
    ctx.model_dir = ctx.work / "model"
    model.save_pretrained(ctx.model_dir)
    ctx.tokenizer.save_pretrained(ctx.model_dir)
    del model
    s = sorted(lengths)
    figures = {
        "parameters": params,
        "model": dataclasses.asdict(p),
        "dtype": str(ctx.dtype),
        "rows": len(lengths),
        "tokens": sum(lengths),
        "learned_tokens": ctx.rows.assistant_tokens,
        "length_min_median_p95_max": [s[0], s[len(s) // 2], s[int(len(s) * 0.95)], s[-1]],
    }
    report.say(
        f"Llama {params / 1e6:.1f}M params (hidden {p.hidden}, {p.layers} layers, vocab {p.vocab}), {ctx.dtype}; "
        f"{len(lengths)} rows, {sum(lengths)} tokens, lengths min/median/p95/max "
        f"{'/'.join(map(str, figures['length_min_median_p95_max']))}; batch {p.batch}, "
        f"{p.warm} warm + {p.timed} timed steps"
    )
    return figures


# -- Forge ------------------------------------------------------------------------------------


class StepClock:
    """A forge.progress.Progress whose task notes the time at each optimiser step.

    Forge's progress callback advances the task once per step from on_log (logging_steps=1), after
    the step's optimiser update; synchronising there makes the time the GPU's, not the launch's."""

    def __init__(self, cuda: bool):
        self.cuda = cuda
        self.times: list[float] = []

    def task(self, name: str, total: int | None = None):
        return self

    def log(self, message: str) -> None:
        pass

    def advance(self, n: int = 1, **metrics: Any) -> None:
        sync(self.cuda)
        self.times += [time.perf_counter()] * n

    def done(self, **metrics: Any) -> None:
        pass


@contextlib.contextmanager
def forced_backend(bitsandbytes: bool):
    """Forge picks QLoRA whenever bitsandbytes is importable on CUDA, and unsloth when present:
    pin what forge.train.backend.detect reports, so LoRA and QLoRA are each measured as asked."""
    from forge.train import backend

    real = backend.detect
    backend.detect = lambda: dataclasses.replace(real(), bitsandbytes=bitsandbytes, unsloth=False)
    try:
        yield
    finally:
        backend.detect = real


def forge_config(ctx: Ctx, full: bool):
    from forge.train.config import TrainConfig

    p = ctx.plan
    return TrainConfig(
        full_finetune=full,
        max_steps=p.steps,
        batch_size=p.batch,
        learning_rate=p.lr,
        lr_scheduler_type="constant",
        warmup_steps=0,
        seed=0,
        logging_steps=1,  # a loss per step, and the step clock ticks on each
        eval_at_end=False,
        check_resources=False,
        max_seq_length=max(len(r) for r in ctx.rows.input_ids),
    )


def forge_run(ctx: Ctx, report: Report, name: str, *, full: bool, qlora: bool) -> dict[str, Any]:
    """forge.train.sft.load_model + fit, as train_sft calls them, on the pre-tokenised rows."""
    from forge.train import backend
    from forge.train.rows import TokenizedRows
    from forge.train.sft import fit, load_model

    config = forge_config(ctx, full)
    with forced_backend(bitsandbytes=qlora):
        chosen = backend.choose_backend(backend.detect(), full_finetune=full)
        report.say(f"backend: {chosen.name} ({chosen.reason})")
        reset_peak(ctx.cuda)
        model = load_model(str(ctx.model_dir), config, ctx.dtype)
        clock = StepClock(ctx.cuda)
        log = fit(model, ctx.tokenizer, ctx.rows, TokenizedRows(), config, ctx.work / name, progress=clock)
    del model
    steps = log["log"]
    figures = {
        "backend": chosen.name,
        "load_in_4bit": chosen.load_in_4bit,
        **window(clock.times, [e.get("tokens_seen", 0) for e in steps], ctx.plan.warm, ctx.plan.timed),
        "peak_gib": peak_gib(ctx.cuda),
        **loss_figures([e["loss"] for e in steps]),
        "steps": log["steps"],
        "trainable_parameters": log["trainable_parameters"],
        "whole_run_tokens_per_second": log["tokens_per_second"],
        "device": log["device"],
    }
    describe(report, figures)
    return figures


def forge_lora(ctx: Ctx, report: Report) -> dict[str, Any]:
    return forge_run(ctx, report, "forge-lora", full=False, qlora=False)


def forge_qlora(ctx: Ctx, report: Report, lora: dict[str, Any]) -> dict[str, Any]:
    if not ctx.cuda:
        raise Skip("needs CUDA (Forge uses 4-bit only there; bitsandbytes has no CPU autograd kernel)")
    need("bitsandbytes")
    figures = forge_run(ctx, report, "forge-qlora", full=False, qlora=True)
    if lora.get("status") == "ok" and lora.get("peak_gib") and figures.get("peak_gib"):
        figures["peak_vs_lora"] = round(figures["peak_gib"] / lora["peak_gib"], 3)
        figures["speed_vs_lora"] = round(figures["tokens_per_second"] / lora["tokens_per_second"], 3)
        report.say(f"QLoRA vs LoRA: peak memory x{figures['peak_vs_lora']}, tokens/s x{figures['speed_vs_lora']}")
    return figures


def forge_full(ctx: Ctx, report: Report) -> dict[str, Any]:
    return forge_run(ctx, report, "forge-full", full=True, qlora=False)


# -- baselines --------------------------------------------------------------------------------


def timing_callback(cuda: bool):
    """Time, real tokens seen and loss at the end of each optimiser step (synchronised)."""
    from transformers import TrainerCallback

    class Timing(TrainerCallback):
        def __init__(self):
            self.times: list[float] = []
            self.tokens: list[int] = []
            self.losses: list[float] = []

        def on_step_end(self, args, state, control, **kwargs):
            sync(cuda)
            self.times.append(time.perf_counter())
            self.tokens.append(int(state.num_input_tokens_seen or 0))

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                self.losses.append(float(logs["loss"]))

    return Timing()


def sampling(strategy: str) -> dict[str, Any]:
    """The length-grouped sampler under either name transformers has given it."""
    from transformers import TrainingArguments

    fields = TrainingArguments.__dataclass_fields__
    if "train_sampling_strategy" in fields:
        return {"train_sampling_strategy": strategy}
    return {"group_by_length": strategy == "group_by_length"}


def padded_collator(pad_id: int, held: list[int]):
    """Rows padded to the batch's longest, labels on assistant tokens only (the classic way)."""

    def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        longest = max(len(i["input_ids"]) for i in items)
        ids, labels, attn = [], [], []
        for i in items:
            pad = longest - len(i["input_ids"])
            ids.append(list(i["input_ids"]) + [pad_id] * pad)
            labels.append([t if m else -100 for t, m in zip(i["input_ids"], i["assistant_masks"])] + [-100] * pad)
            attn.append([1] * len(i["input_ids"]) + [0] * pad)
        held[0] += len(items) * longest
        return {"input_ids": torch.tensor(ids), "labels": torch.tensor(labels), "attention_mask": torch.tensor(attn)}

    return collate


def common_args(ctx: Ctx) -> dict[str, Any]:
    p = ctx.plan
    return {
        "max_steps": p.steps,
        "per_device_train_batch_size": p.batch,
        "learning_rate": p.lr,
        "lr_scheduler_type": "constant",
        "warmup_steps": 0,
        "seed": 0,
        "data_seed": 0,
        "logging_steps": 1,
        "use_cpu": not ctx.cuda,
        "bf16": ctx.dtype is not None and str(ctx.dtype) == "torch.bfloat16",
        "report_to": "none",
        "save_strategy": "no",
        "dataloader_num_workers": 0,
        "disable_tqdm": True,
        "include_num_input_tokens_seen": "non_padding",
    }


def baseline_figures(ctx: Ctx, report: Report, timing) -> dict[str, Any]:
    figures = {
        **window(timing.times, timing.tokens, ctx.plan.warm, ctx.plan.timed),
        "peak_gib": peak_gib(ctx.cuda),
        **loss_figures(timing.losses),
        "steps": len(timing.times),
    }
    describe(report, figures)
    return figures


def hf_trainer(ctx: Ctx, report: Report) -> dict[str, Any]:
    """Full fine-tuning with the stock Trainer: padded batches of similar length, bf16, SDPA."""
    from transformers import AutoModelForCausalLM, Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    reset_peak(ctx.cuda)
    model = AutoModelForCausalLM.from_pretrained(ctx.model_dir, dtype=ctx.dtype)
    args = TrainingArguments(
        output_dir=str(ctx.work / "hf-trainer"),
        remove_unused_columns=False,
        **sampling("group_by_length"),
        **common_args(ctx),
    )
    items = [{"input_ids": i, "assistant_masks": m} for i, m in zip(ctx.rows.input_ids, ctx.rows.assistant_masks)]
    held, timing = [0], timing_callback(ctx.cuda)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=items,
        data_collator=padded_collator(ctx.tokenizer.pad_token_id, held),
        processing_class=ctx.tokenizer,
        callbacks=[timing],
    )
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    figures = baseline_figures(ctx, report, timing)
    real = int(trainer.state.num_input_tokens_seen or 0)
    figures["padding_factor"] = round(held[0] / max(1, real), 3)  # tokens held per real token
    report.say(f"  batches hold x{figures['padding_factor']} the real tokens (padding)")
    del trainer, model
    return figures


TRL_OPTIONS = {"padding_free": {"padding_free": True}, "packing": {"packing": True}}


def trl_run(ctx: Ctx, report: Report, option: str) -> dict[str, Any]:
    """TRL's SFTTrainer as benchmarks/train_throughput.py drives it, on CUDA with bf16."""
    need("trl")
    need("datasets")
    from datasets import Dataset, disable_progress_bars
    from transformers import AutoModelForCausalLM
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    disable_progress_bars()
    extra = dict(TRL_OPTIONS[option])
    longest = max(len(r) for r in ctx.rows.input_ids)
    reset_peak(ctx.cuda)
    model = AutoModelForCausalLM.from_pretrained(ctx.model_dir, dtype=ctx.dtype)
    cfg = SFTConfig(
        output_dir=str(ctx.work / f"trl-{option}"),
        max_length=None if extra.get("padding_free") else longest,
        gradient_checkpointing=False,  # TRL's default turns it on: slower, and Forge does not use it
        **common_args(ctx),
        **extra,
    )
    ds = Dataset.from_dict({"input_ids": ctx.rows.input_ids, "assistant_masks": ctx.rows.assistant_masks})
    timing = timing_callback(ctx.cuda)
    trainer = SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=ctx.tokenizer, callbacks=[timing])
    trainer.remove_callback(PrinterCallback)
    trainer.train()
    figures = baseline_figures(ctx, report, timing)
    del trainer, model
    return figures


def comparison(report: Report) -> dict[str, Any]:
    """Forge full fine-tuning against the fastest baseline that ran; `ratio=` is the last line."""
    sections = report.data["sections"]
    forge = sections.get("forge_full", {})
    baselines = {
        name: s["tokens_per_second"]
        for name, s in sections.items()
        if name in ("hf_trainer", "trl_padding_free", "trl_packing")
        and s.get("status") == "ok"
        and s.get("tokens_per_second")
    }
    for name, tps in baselines.items():
        report.say(f"{name:<17} {tps:>12,} tokens/s")
    if forge.get("status") != "ok" or not baselines:
        report.say("ratio=n/a")
        return {"ratio": None, "baselines": baselines}
    best = max(baselines, key=lambda k: baselines[k])
    ratio = forge["tokens_per_second"] / baselines[best]
    report.say(f"{'forge_full':<17} {forge['tokens_per_second']:>12,} tokens/s")
    report.say(f"strongest baseline: {best}")
    report.say(f"ratio={ratio:.2f}")
    return {"ratio": round(ratio, 3), "best_baseline": best, "baselines": baselines}


# -- serving ----------------------------------------------------------------------------------


def vllm_run(ctx: Ctx, report: Report) -> dict[str, Any]:
    """Offline vllm.LLM on the saved random-init model: token-id prompts, fixed-length replies."""
    if not ctx.cuda:
        raise Skip("needs CUDA")
    need("vllm")
    if ctx.model_dir is None:
        raise Skip("no saved model (the build section failed)")
    from vllm import LLM, SamplingParams

    p = ctx.plan
    llm = LLM(
        model=str(ctx.model_dir),
        skip_tokenizer_init=True,  # model ids go beyond the small tokenizer's; nothing is decoded
        dtype="bfloat16",
        gpu_memory_utilization=0.4,
        max_model_len=2048,
        enforce_eager=True,  # no CUDA-graph capture: keeps the start short and predictable
        seed=0,
    )
    prompts = [{"prompt_token_ids": ids[:128]} for ids in ctx.rows.input_ids[: p.prompts]]
    params = SamplingParams(max_tokens=p.new_tokens, ignore_eos=True, temperature=0.8, detokenize=False)
    llm.generate(prompts[:2], params, use_tqdm=False)  # warm-up
    start = time.perf_counter()
    outs = llm.generate(prompts, params, use_tqdm=False)
    seconds = time.perf_counter() - start
    generated = sum(len(o.outputs[0].token_ids) for o in outs)
    figures = {
        "prompts": len(prompts),
        "generated_tokens": generated,
        "seconds": round(seconds, 3),
        "generated_tokens_per_second": round(generated / seconds),
        "enforce_eager": True,
    }
    report.say(
        f"{len(prompts)} prompts, {generated} tokens generated in {seconds:.2f} s = {generated / seconds:,.0f}/s"
    )
    del llm
    return figures


def unsloth_note(ctx: Ctx, report: Report) -> dict[str, Any]:
    v = version("unsloth")
    if v == "absent":
        raise Skip("unsloth absent")
    report.say(f"unsloth {v} installed (not imported; Forge would pick it for LoRA — pinned off here)")
    return {"version": v}


# -- main -------------------------------------------------------------------------------------


def quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    with contextlib.suppress(Exception):
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()


def cuda_available() -> bool:
    """False also when torch itself is missing: the environment section then says so."""
    try:
        import torch
    except Exception:
        return False
    return torch.cuda.is_available()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for cuda_paths.json and cuda_paths.log")
    ap.add_argument("--dry-run", action="store_true", help="tiny model, 2 steps, on CPU: checks the code paths")
    ap.add_argument("--warm", type=int, help="steps before timing")
    ap.add_argument("--timed", type=int, help="steps timed")
    ap.add_argument("--batch", type=int, help="rows per step")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip", nargs="+", default=[], metavar="SECTION", help="sections not to run, e.g. vllm")
    args = ap.parse_args(argv)
    plan = DRY_PLAN if args.dry_run else GPU_PLAN
    overrides = {k: getattr(args, k) for k in ("warm", "timed", "batch") if getattr(args, k)}
    plan = dataclasses.replace(plan, **overrides)
    quiet()
    report = Report(args.out, tuple(args.skip))
    cuda = cuda_available() and not args.dry_run
    report.data |= {"dry_run": args.dry_run, "cuda": cuda, "plan": dataclasses.asdict(plan)}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="forge-gpu-check-") as tmp:
        ctx = Ctx(plan=plan, cuda=cuda, work=Path(tmp))
        report.section("environment", environment, ctx, report)
        report.section("forge_imports", forge_imports, ctx, report)
        if not cuda and not args.dry_run:
            report.say("\nno CUDA device: nothing to measure (use --dry-run for the CPU check)")
            report.save()
            return 2
        built = report.section("build", build, ctx, report, args.seed)
        if built["status"] == "ok":
            run_training(ctx, report)
        report.section("vllm", vllm_run, ctx, report)
        report.section("unsloth", unsloth_note, ctx, report)
    status = {name: s["status"] for name, s in report.data["sections"].items()}
    report.data["summary"] = status
    report.say(f"\n== summary ({time.perf_counter() - started:.0f} s)")
    report.say(", ".join(f"{k}: {v}" for k, v in status.items()))
    report.save()
    return 1 if "error" in status.values() else 0


def run_training(ctx: Ctx, report: Report) -> None:
    lora = report.section("forge_lora", forge_lora, ctx, report)
    report.section("forge_qlora", forge_qlora, ctx, report, lora)
    report.section("forge_full", forge_full, ctx, report)
    report.section("hf_trainer", hf_trainer, ctx, report)
    for option in TRL_OPTIONS:
        report.section(f"trl_{option}", trl_run, ctx, report, option)
    report.section("comparison", comparison, report)


if __name__ == "__main__":
    sys.exit(main())
