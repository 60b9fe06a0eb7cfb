"""Pre-train tiny-base candidates on one CUDA GPU, several sizes at once, from committed text.

    python3 tools/tiny_base/pretrain_gpu.py --out DIR --seconds 420 \
        --variant a:128:2:4:352:3e-3 --variant b:192:4:6:512:2e-3 ...

Each variant (name:hidden:layers:heads:intermediate:lr) runs in its own process on the same
GPU: the models are small enough that one alone leaves the chip idle. The text is the shipped
tokenizer over the committed tldr/PEP text and chats (tiny_corpus) plus generated copy
documents (tiny_copy_text), half of each batch from each, 1,024-token windows (the demo trains
at that length). A variant trains for a fixed number of steps: `--steps`, or, when it is 0, as
many as fit `--seconds` at the speed of its first 30 steps (the log records the number; those 30
steps warm up as if over 300, so `--steps N` repeats the run up to them and GPU rounding).
Writes DIR/<name>-<k>.safetensors (float32 shards under 15 MB, tied head left out) and
DIR/pretrain_log.json (per variant: recipe, steps, losses, held-out losses on both kinds of text).
Needs torch, transformers, tokenizers and safetensors; nothing from Forge but its text.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("FORGE_CPU_NUMERICS", "native")

SEQ = 1024
BATCH = 32
COPY_DOCS = 120_000  # about 19M tokens of generated copy text


def token_streams(seed: int, copy_docs: int):
    import torch
    from tokenizers import Tokenizer

    from forge.models.tiny_copy_text import copy_documents
    from forge.models.tiny_corpus import pretraining_documents

    tok = Tokenizer.from_file(str(ROOT / "src/forge/models/tiny_llama/tokenizer.json"))
    sep = tok.token_to_id("<|endoftext|>")

    def stream(docs: list[str]):
        ids: list[int] = []
        for enc in tok.encode_batch(docs, add_special_tokens=False):
            ids.extend(enc.ids)
            ids.append(sep)
        return torch.tensor(ids, dtype=torch.long)

    real = pretraining_documents(10**9, 0.3, seed)
    held = max(1, len(real) // 50)
    return {
        "real": stream(real[held:]),
        "real_eval": stream(real[:held]),
        "copy": stream(copy_documents(copy_docs, seed)),
        "copy_eval": stream(copy_documents(2000, seed + 1)),
    }, tok


def make_model(hidden: int, layers: int, heads: int, inter: int, tok):
    from transformers import LlamaConfig, LlamaForCausalLM

    cfg = LlamaConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        intermediate_size=inter,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=None,
        eos_token_id=tok.token_to_id("<|im_end|>"),
        pad_token_id=tok.token_to_id("<|endoftext|>"),
    )
    cfg._attn_implementation = "sdpa"
    return LlamaForCausalLM(cfg)


def windows(stream, n: int, gen):
    import torch

    starts = torch.randint(0, len(stream) - SEQ - 1, (n,), generator=gen)
    return torch.stack([stream[s : s + SEQ] for s in starts.tolist()])


def eval_loss(model, stream, gen, dev: str) -> float:
    import torch

    model.eval()
    with torch.no_grad(), torch.autocast(dev, dtype=torch.bfloat16):
        batch = windows(stream, 64 if dev == "cuda" else 2, gen).to(dev)
        loss = model(input_ids=batch, labels=batch).loss.item()
    model.train()
    return round(loss, 4)


def run_variant(spec: str, out: Path, seconds: float, steps: int, max_steps: int, seed: int, copy_docs: int) -> None:
    import torch
    from safetensors.torch import save_file

    name, hidden, layers, heads, inter, lr = spec.split(":")
    hidden, layers, heads, inter, lr = int(hidden), int(layers), int(heads), int(inter), float(lr)
    torch.manual_seed(seed)
    torch.set_num_threads(3)  # several variants share the host's cores
    streams, tok = token_streams(seed, copy_docs)
    dev = "cuda" if torch.cuda.is_available() else "cpu"  # cpu: a dry run of the script
    model = make_model(hidden, layers, heads, inter, tok).to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01, betas=(0.9, 0.95), fused=dev == "cuda")
    rows = BATCH if dev == "cuda" else 2
    gen = torch.Generator().manual_seed(seed)
    eval_gen = lambda: torch.Generator().manual_seed(seed + 7)  # noqa: E731 - same windows each time
    start = time.perf_counter()
    planned = steps or 10**9
    losses, evals, step = [], [], 0
    while step < planned:
        warm = max(1, min(planned // 50, 300))
        scale = (
            (step + 1) / warm
            if step < warm
            else 0.1 + 0.45 * (1 + math.cos(math.pi * (step - warm) / max(1, planned - warm)))
        )
        for g in opt.param_groups:
            g["lr"] = lr * (scale if planned < 10**9 else min(1.0, (step + 1) / 300))
        half = rows // 2
        batch = torch.cat([windows(streams["real"], half, gen), windows(streams["copy"], half, gen)]).to(dev)
        with torch.autocast(dev, dtype=torch.bfloat16):
            loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        if step % 10 == 0:
            losses.append(round(loss.item(), 4))
        if planned == 10**9 and step == 30:  # fix the step count from the measured speed
            if dev == "cuda":
                torch.cuda.synchronize()
            per_step = (time.perf_counter() - start) / 30
            planned = max(100, min(max_steps, int(seconds / per_step)))
            print(f"{name}: {per_step * 1000:.1f} ms/step -> {planned} steps", flush=True)
        if planned < 10**9 and step < planned and time.perf_counter() - start > seconds * 1.25:
            print(f"{name}: over time, stopping at step {step}", flush=True)
            planned = step
        if step % 1000 == 0 or step == planned:
            real = eval_loss(model, streams["real_eval"], eval_gen(), dev)
            evals.append({"step": step, "real": real, "copy": eval_loss(model, streams["copy_eval"], eval_gen(), dev)})
            print(f"{name}: step {step}/{planned} {evals[-1]}", flush=True)
    state = {k: v.detach().float().cpu().contiguous() for k, v in model.state_dict().items() if k != "lm_head.weight"}
    shard: dict = {}
    shards = 0
    for key, value in state.items():  # files of at most 15 MB (what a device run can return)
        if shard and sum(t.numel() * 4 for t in shard.values()) + value.numel() * 4 > 15_000_000:
            save_file(shard, str(out / f"{name}-{shards}.safetensors"))
            shard, shards = {}, shards + 1
        shard[key] = value
    save_file(shard, str(out / f"{name}-{shards}.safetensors"))
    record = {
        "variant": spec,
        "hidden": hidden,
        "layers": layers,
        "heads": heads,
        "intermediate": inter,
        "lr": lr,
        "params": sum(p.numel() for p in model.parameters()),
        "steps": step,
        "batch": rows,
        "seq": SEQ,
        "tokens_trained": step * BATCH * SEQ,
        "seconds": round(time.perf_counter() - start, 1),
        "stream_tokens": {k: len(v) for k, v in streams.items()},
        "seed": seed,
        "device": torch.cuda.get_device_name() if dev == "cuda" else "cpu",
        "torch": torch.__version__,
        "losses": losses,
        "evals": evals,
    }
    (out / f"{name}.json").write_text(json.dumps(record, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--variant", action="append", required=True)
    ap.add_argument("--seconds", type=float, default=420)
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=8000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--copy-docs", type=int, default=COPY_DOCS, help="generated documents to draw from")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(
            target=run_variant, args=(v, args.out, args.seconds, args.steps, args.max_steps, args.seed, args.copy_docs)
        )
        for v in args.variant
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    logs = {}
    for v in args.variant:  # one log file for all (a device run returns at most 8 files)
        f = args.out / f"{v.split(':')[0]}.json"
        if f.is_file():
            logs[v.split(":")[0]] = json.loads(f.read_text())
            f.unlink()
    (args.out / "pretrain_log.json").write_text(json.dumps(logs, indent=1))
    sys.exit(max(p.exitcode or 0 for p in procs))


if __name__ == "__main__":
    main()
