"""Serving throughput with stacked task adapters: `forge serve`'s hf engine on CPU.

    .venv/bin/python benchmarks/serve.py                    # ~1-2 min on 2 cores
    .venv/bin/python benchmarks/serve.py --requests 8 --max-tokens 64 --rank 64

Model: Forge's tiny base recipe (models/tiny_base.py) at a larger shape — hidden 256, 4 layers,
vocab 4096, briefly pretrained so replies run long — and three LoRA task adapters on all seven
projections at Forge's default rank (64), random non-zero weights (the values do not change
the cost of computing them). Each configuration runs through the real server over HTTP with
the official openai client, streaming, greedy, `stream_options.include_usage` counting tokens:

    base      the plain model, no PEFT wrapper at all (the strongest baseline)
    +1        the same engine as +3, one task adapter stacked (model `bench+a1`)
    +3        three task adapters stacked (model `bench+a1+a2+a3`)
    mix       requests cycling through none, +1 and +3: the engine re-folds on every request

The hf engine folds the active adapter set into the weights when it changes (serving/hf.py),
so +1 and +3 cost a switch, not a per-token matmul; `mix` shows what the switches cost.
PEFT's unmerged path measured 0.36 here (commit "benchmarks/serve.py" on the serving branch).

each at 1 and 4 concurrent streams (the engine runs one generation at a time; the rest queue).
It prints completion tokens/s and p50/p95 request latency per configuration, and last
`ratio=<tokens/s with 3 adapters ÷ tokens/s of the base>` at 4 concurrent streams.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PROMPTS = [
    "Create a bead for the flaky login test and assign it to the polecat.",
    "Summarize what changed in the last merge to main.",
    "The refinery queue is stuck; what should the witness check first?",
    "Write a commit message for a fix to the session timeout.",
]


def build(root: Path, rank: int) -> tuple[Path, dict[str, str]]:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    from forge.models.tiny_base import DEFAULT_BASE_MODEL, TinyBaseConfig, ensure_base_model
    from forge.settings import Settings

    config = TinyBaseConfig(
        vocab_size=4096,
        hidden_size=256,
        num_layers=4,
        num_heads=4,
        intermediate_size=704,
        corpus_chars=200_000,
        pretrain_steps=10,
        pretrain_batch=2,
        pretrain_seq_len=128,
    )
    settings = Settings(home=root / "home").ensure()
    base = Path(ensure_base_model(DEFAULT_BASE_MODEL, settings, config=config))
    adapters = {}
    for i in (1, 2, 3):
        torch.manual_seed(i)
        lora = LoraConfig(
            r=rank,
            lora_alpha=rank,
            init_lora_weights=False,  # random A and B: a real, non-zero delta
            target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        )
        peft = get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora)
        with torch.no_grad():  # keep the stacked deltas small: long, varied replies
            for name, p in peft.named_parameters():
                if "lora_B" in name:
                    p.mul_(0.01)
        out = root / f"a{i}"
        peft.save_pretrained(out)
        adapters[f"a{i}"] = str(out)
    return base, adapters


def run(client, model: str | list[str], streams: int, requests: int, max_tokens: int) -> dict[str, float]:
    models = [model] if isinstance(model, str) else model

    def one(i: int) -> tuple[float, int]:
        t0 = time.perf_counter()
        stream = client.chat.completions.create(
            model=models[i % len(models)],
            messages=[{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
            max_tokens=max_tokens,
            stream=True,
            stream_options={"include_usage": True},
        )
        tokens = 0
        for chunk in stream:
            if chunk.usage is not None:
                tokens = chunk.usage.completion_tokens
        return time.perf_counter() - t0, tokens

    t0 = time.perf_counter()
    with ThreadPoolExecutor(streams) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    latencies = sorted(r[0] for r in results)
    tokens = sum(r[1] for r in results)
    return {
        "tokens_per_s": tokens / wall,
        "p50": statistics.median(latencies),
        "p95": latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))],
        "tokens": tokens,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=8, help="requests per configuration")
    ap.add_argument("--max-tokens", type=int, default=64)
    ap.add_argument("--rank", type=int, default=64, help="LoRA rank of the task adapters")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is reported")
    args = ap.parse_args()

    import torch
    from openai import OpenAI

    from forge.api.limits import Guard
    from forge.quiet import quiet_ml_libraries
    from forge.serving.engine import Router
    from forge.serving.hf import HFEngine
    from forge.serving.http import make_server

    quiet_ml_libraries()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        base, adapters = build(Path(tmp), args.rank)
        plain = HFEngine(str(base), [], {})
        stacked = HFEngine(str(base), [], adapters)
        configs: list[tuple[str, HFEngine, str | list[str]]] = [
            ("base", plain, "bench"),
            ("+1", stacked, "bench+a1"),
            ("+3", stacked, "bench+a1+a2+a3"),
            ("mix", stacked, ["bench", "bench+a1", "bench+a1+a2+a3"]),  # a switch on every request
        ]
        print(f"model: {base.name}, adapters: 3 x LoRA r={args.rank} on 7 projections; torch threads 2")
        servers = {
            e: make_server(Router("bench", e), Guard(), "127.0.0.1", 0, max_pending=16) for e in (plain, stacked)
        }
        clients = {}
        for engine, server in servers.items():
            threading.Thread(target=server.serve_forever, daemon=True).start()
            url = f"http://127.0.0.1:{server.server_address[1]}/v1"
            clients[engine] = OpenAI(base_url=url, api_key="x", max_retries=0)
        runs: dict[tuple[str, int], list[dict[str, float]]] = {}
        # rounds interleave the configurations, so a busy neighbour slows all of them alike
        for _ in range(args.rounds):
            for label, engine, model in configs:
                run(clients[engine], model, 1, 1, 8)  # warm-up: adapter activation, first-call allocations
                for streams in (1, 4):
                    runs.setdefault((label, streams), []).append(
                        run(clients[engine], model, streams, args.requests, args.max_tokens)
                    )
        for server in servers.values():
            server.shutdown()
            server.server_close()
    print(f"median of {args.rounds} interleaved rounds")
    print(f"{'config':<6} {'streams':>7} {'tokens/s':>9} {'p50 s':>7} {'p95 s':>7} {'tokens':>7}")
    figures = {}
    for (label, streams), rs in runs.items():
        r = {k: statistics.median(x[k] for x in rs) for k in rs[0]}
        figures[(label, streams)] = r
        print(
            f"{label:<6} {streams:>7} {r['tokens_per_s']:>9.1f} {r['p50']:>7.2f} {r['p95']:>7.2f} {r['tokens']:>7.0f}"
        )
    one = figures[("+3", 1)]["tokens_per_s"] / figures[("base", 1)]["tokens_per_s"]
    print(f"+3 adapters vs base at 1 stream: {one:.2f}")
    print(f"ratio={figures[('+3', 4)]['tokens_per_s'] / figures[('base', 4)]['tokens_per_s']:.2f}")


if __name__ == "__main__":
    main()
