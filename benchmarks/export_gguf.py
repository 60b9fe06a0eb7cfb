"""GGUF export timings: write F16 / BF16 / Q8_0 (and Q4_K_M when llama.cpp is installed) from a
merged model, against the baseline of re-saving that model as safetensors in the same run.

    .venv/bin/python benchmarks/export_gguf.py MODEL_DIR   # e.g. a merged_model artifact dir

Parity is not included (it is timed by `forge export --json`, field export.parity_seconds).
Each format: median of 3 writes into a temporary directory. The last line printed is
`ratio=<q8_0 write seconds / safetensors save seconds>`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path


def timed(fn, runs=3) -> float:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def main(model_dir: Path) -> None:
    from transformers import AutoModelForCausalLM

    from forge.export.gguf import GGUFConfig, _write_k_quant
    from forge.export.gguf_writer import write_gguf

    tmp = Path(tempfile.mkdtemp())
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    base = timed(lambda: model.save_pretrained(tmp / "st"))
    print(f"safetensors save: {base:.3f}s")
    results = {}
    for quant in ("f16", "bf16", "q8_0"):
        results[quant] = timed(lambda q=quant: write_gguf(model_dir, tmp / f"m-{q}.gguf", q))
        size = (tmp / f"m-{quant}.gguf").stat().st_size
        print(f"gguf {quant}: {results[quant]:.3f}s, {size / 1e6:.2f} MB")
    try:
        import llama_cpp  # noqa: F401

        k = timed(lambda: _write_k_quant(model_dir, tmp / "m-q4_k_m.gguf", GGUFConfig(quant="q4_k_m"), tmp))
        print(
            f"gguf q4_k_m (f16 + llama.cpp quantize): {k:.3f}s, {(tmp / 'm-q4_k_m.gguf').stat().st_size / 1e6:.2f} MB"
        )
    except ImportError:
        print("gguf q4_k_m: skipped (llama-cpp-python not installed)")
    print(f"ratio={results['q8_0'] / base:.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
