"""Training throughput: Forge's trainer vs TRL's SFTTrainer at its best, on agent-session-like data.

Both sides train the same small Llama (random init, saved once, loaded by each), full
fine-tuning, on the same pre-tokenised rows whose lengths are long-tailed like real agent
sessions (log-normal, 50-2000 tokens), with loss on the same assistant tokens (TRL folds a
pre-tokenised `assistant_masks` column into its labels), for the same
number of steps, batch size, learning rate and seed, and the same torch thread count. TRL is
measured in each of its batching options, and the ratio is taken against the fastest:
- `padded`: its default collator (each batch padded to its longest row), random sampler;
- `group_by_length`: batches of similar-length rows (less padding);
- `padding_free`: rows of a batch concatenated, attention kept per row with position_ids;
- `packing`: rows packed (best-fit decreasing) into sequences of up to the longest row.
bf16 and gradient checkpointing are switched OFF for TRL (its defaults turn them on even on
CPU, where both are slower — off makes the baseline faster). Forge: forge.train.sft.fit
(padding-free batches, attention per row, LM head only on learned positions).
tokens/s counts real (non-padding) tokens over each Trainer's train_runtime; process CPU time
is printed too (on a shared machine wall time depends on others).
FLOP share: 6·(matmul params except the LM head)·tokens + 6·(LM head params)·(tokens where the
head runs: learned tokens for Forge) + causal attention 6·Σ len²·hidden·layers, over this
machine's torch float32 matmul FLOP/s measured in the same run.

    .venv/bin/python benchmarks/train_throughput.py [--steps 10] [--batch 8] [--rows 256] [--threads 1]
Last line: ratio=<forge tokens/s ÷ the best TRL configuration's tokens/s>.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))


def session_lengths(n: int, seed: int, lo: int = 50, hi: int = 2000) -> list[int]:
    """Long-tailed lengths: median ~260 tokens, one row in ~20 above 1,000."""
    rng = random.Random(seed)
    return [min(hi, max(lo, int(rng.lognormvariate(math.log(260), 0.9)))) for _ in range(n)]


def synthetic_rows(lengths: list[int], vocab: int, seed: int):
    """Token ids with assistant spans (turns alternate: ~40% of tokens learned)."""
    from forge.train.rows import TokenizedRows

    rng = random.Random(seed)
    rows = TokenizedRows()
    for i, n in enumerate(lengths):
        ids = [rng.randrange(10, vocab) for _ in range(n)]
        mask, learned = [], False
        while len(mask) < n:
            mask += [int(learned)] * rng.randint(10, 120)
            learned = not learned
        mask = mask[:n]
        mask[-1] = 1  # every row has something to learn
        rows.input_ids.append(ids)
        rows.assistant_masks.append(mask)
        rows.ids.append(str(i))
        rows.tokens += n
        rows.assistant_tokens += sum(mask)
    return rows


def build_model(out: Path, vocab: int, max_len: int, seed: int) -> None:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab,
        hidden_size=256,
        intermediate_size=688,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=max_len,
        tie_word_embeddings=True,
        pad_token_id=0,
        eos_token_id=1,
        bos_token_id=None,
    )
    LlamaForCausalLM(cfg).save_pretrained(out)


def matmul_flops_per_s(n: int = 1024, seconds: float = 2.0) -> float:
    """Best of repeated float32 n×n matmuls (2n³ FLOPs each)."""
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best, end = 0.0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        t = time.perf_counter()
        for _ in range(4):
            a @ b
        best = max(best, 4 * 2 * n**3 / (time.perf_counter() - t))
    return best


def model_flops(model_dir: Path, tokens: int, head_tokens: int, sq_lengths: int) -> float:
    """Training FLOPs: the LM head counted only on the tokens it is computed for."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = AutoConfig.from_pretrained(model_dir)
    with torch.device("meta"):
        m = AutoModelForCausalLM.from_config(cfg)
    head = m.get_output_embeddings()
    body = sum(x.weight.numel() for x in m.modules() if isinstance(x, torch.nn.Linear) and x is not head)
    return (
        6 * body * tokens
        + 6 * head.weight.numel() * head_tokens
        + 6 * sq_lengths * cfg.hidden_size * cfg.num_hidden_layers
    )


TRL_OPTIONS = {
    "padded": {},
    "group_by_length": {"train_sampling_strategy": "group_by_length"},
    "padding_free": {"padding_free": True},
    "packing": {"packing": True},
}


def run_trl(model_dir: Path, tokenizer, rows, args, work: Path, option: str) -> tuple[int, float, float]:
    from datasets import Dataset
    from transformers import AutoModelForCausalLM
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTConfig, SFTTrainer

    extra = dict(TRL_OPTIONS[option])
    longest = max(len(r) for r in rows.input_ids)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    cfg = SFTConfig(
        output_dir=str(work / f"trl-{option}"),
        max_steps=args.steps,
        per_device_train_batch_size=args.batch,
        learning_rate=args.lr,
        seed=args.seed,
        data_seed=args.seed,
        max_length=None if extra.get("padding_free") else longest,
        use_cpu=True,
        bf16=False,
        gradient_checkpointing=False,
        report_to="none",
        include_num_input_tokens_seen="non_padding",
        save_strategy="no",
        logging_steps=args.steps,
        disable_tqdm=True,
        dataloader_num_workers=0,
        **extra,
    )
    ds = Dataset.from_dict({"input_ids": rows.input_ids, "assistant_masks": rows.assistant_masks})
    trainer = SFTTrainer(model=model, args=cfg, train_dataset=ds, processing_class=tokenizer)
    trainer.remove_callback(PrinterCallback)  # quiet, as Forge's; no effect on speed
    collate, held, real = trainer.data_collator, [0], [0]

    def counting(examples):  # what the batches hold, and how much of it is real rows (not padding)
        batch = collate(examples)
        held[0] += batch["input_ids"].numel()
        mask = batch.get("attention_mask")
        real[0] += int(mask.sum()) if mask is not None else batch["input_ids"].numel()
        return batch

    trainer.data_collator = counting
    cpu = time.process_time()
    result = trainer.train()
    cpu = time.process_time() - cpu
    # tokens trained: the Trainer's own non-padding count, as for Forge (the collator may also be
    # called for a batch that is never trained on, so its totals only give the padding share)
    tokens = int(trainer.state.num_input_tokens_seen)
    print(
        f"TRL {option:<16} batches hold {held[0]} tokens for {real[0]} real (x{held[0] / max(1, real[0]):.2f} padding)"
    )
    return tokens, float(result.metrics["train_runtime"]), cpu


def run_forge(model_dir: Path, tokenizer, rows, args, work: Path) -> tuple[int, float, float]:
    from forge.train.config import TrainConfig
    from forge.train.rows import TokenizedRows
    from forge.train.sft import fit, load_model

    config = TrainConfig(
        full_finetune=True,
        max_steps=args.steps,
        batch_size=args.batch,
        learning_rate=args.lr,
        seed=args.seed,
        logging_steps=args.steps,
        lr_scheduler_type="linear",
        warmup_steps=0,
        eval_at_end=False,
        max_seq_length=max(len(r) for r in rows.input_ids),
    )
    import torch

    model = load_model(str(model_dir), config, torch.float32)
    cpu = time.process_time()
    log = fit(model, tokenizer, rows, TokenizedRows(), config, work / "forge-out")
    cpu = time.process_time() - cpu  # includes building the Trainer and saving the model
    return int(log["tokens_seen"]), float(log["train_runtime_s"]), cpu


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--rows", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--trl",
        nargs="+",
        default=list(TRL_OPTIONS),
        choices=list(TRL_OPTIONS),
        help="TRL configurations to measure (the ratio is against the fastest)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for both sides (0: torch's default). 1 by default: on a "
        "shared 2-core machine two threads per process stall on each other",
    )
    args = p.parse_args()
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)

    import torch
    from transformers.utils import logging as hf_logging

    if args.threads:
        torch.set_num_threads(args.threads)
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    import datasets

    datasets.disable_progress_bars()
    from forge.models.tiny_base import train_tokenizer
    from forge.models.tiny_corpus import pretraining_documents

    tokenizer = train_tokenizer(pretraining_documents(60_000, 0.3, 0), 4096)
    lengths = session_lengths(args.rows, args.seed)
    rows = synthetic_rows(lengths, len(tokenizer), args.seed)
    s = sorted(lengths)
    print(
        f"rows: {len(lengths)}, tokens: {sum(lengths)}, length min/median/p95/max: "
        f"{s[0]}/{s[len(s) // 2]}/{s[int(len(s) * 0.95)]}/{s[-1]}; steps {args.steps} × batch "
        f"{args.batch}; torch threads {torch.get_num_threads()}"
    )
    with tempfile.TemporaryDirectory(prefix="forge-bench-") as tmp:
        work = Path(tmp)
        build_model(work / "model", len(tokenizer), 2048, args.seed)
        peak = matmul_flops_per_s()
        trl = {opt: run_trl(work / "model", tokenizer, rows, args, work, opt) for opt in args.trl}
        forge_tokens, forge_s, forge_cpu = run_forge(work / "model", tokenizer, rows, args, work)
        peak = max(peak, matmul_flops_per_s())
        # Σ len² and learned tokens of the rows actually trained (the seeded sampler picks the
        # same rows for every run; scaled by the share of tokens seen)
        share = forge_tokens / max(1, sum(lengths))
        sq = int(sum(n * n for n in lengths) * share)
        learned = int(rows.assistant_tokens * share)
        flops = model_flops(work / "model", forge_tokens, learned, sq)
    for opt, (tokens, secs, cpu) in trl.items():
        print(
            f"TRL {opt:<16}: {tokens} real tokens in {secs:.1f} s = {tokens / secs:,.0f} tokens/s "
            f"({tokens / cpu:,.0f} per CPU-second)"
        )
    best = max(trl, key=lambda o: trl[o][0] / trl[o][1])
    best_tps = trl[best][0] / trl[best][1]
    forge_tps = forge_tokens / forge_s
    print(
        f"forge                : {forge_tokens} real tokens in {forge_s:.1f} s = {forge_tps:,.0f} tokens/s "
        f"({forge_tokens / forge_cpu:,.0f} per CPU-second)"
    )
    print(f"strongest TRL baseline in this run: {best}")
    print(
        f"per CPU-second (less sensitive to other load): forge ÷ TRL {best} = "
        f"{(forge_tokens / forge_cpu) / (trl[best][0] / trl[best][2]):.2f}"
    )
    print(
        f"matmul peak (float32, measured): {peak / 1e9:.1f} GFLOP/s; forge reaches "
        f"{flops / forge_s / 1e9:.1f} GFLOP/s = {100 * flops / forge_s / peak:.0f}% of it "
        "(LM head counted on the learned tokens, where Forge computes it)"
    )
    print(f"ratio={forge_tps / best_tps:.2f}")


if __name__ == "__main__":
    main()
