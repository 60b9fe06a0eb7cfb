"""Reading a GGUF file's chat template: Forge's metadata walk against the two readers a Python
program has at hand, in the same run, on llama.cpp's real vocabulary files (`make llama-models`
unpacks them from the llama-cpp-python sdist).

    .venv/bin/python benchmarks/gguf_metadata.py [MODELS_DIR]

Baselines: the gguf package's GGUFReader (parses every field and tensor up front) and
llama-cpp-python loading the file vocabulary-only (`Llama(path, vocab_only=True).metadata`,
llama.cpp's own C++ reader, when llama-cpp-python is installed). Each: median of 3 reads per
file. The last line is `ratio=<the faster baseline's total seconds / Forge's total seconds>`,
summed over the files that hold a template.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

KEY = "tokenizer.chat_template"


def timed(fn, path: Path, runs: int = 3) -> tuple[float, object]:
    out, value = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        value = fn(path)
        out.append(time.perf_counter() - t0)
    return statistics.median(out), value


def main(models: Path) -> None:
    import gguf

    from forge.models.gguf_metadata import gguf_metadata

    try:
        import llama_cpp
    except ImportError:
        llama_cpp = None
        print("llama-cpp-python not installed: its reader is not measured (make llama-cpp)")

    def llama_read(path: Path) -> object:
        assert llama_cpp is not None
        llm = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
        try:
            return llm.metadata.get(KEY)
        finally:
            llm.close()

    def gguf_read(path: Path) -> object:
        field = gguf.GGUFReader(str(path)).fields.get(KEY)
        return field.contents() if field is not None else None

    totals = {"forge": 0.0, "gguf": 0.0, "llama.cpp": 0.0}
    for path in sorted(models.glob("ggml-vocab-*.gguf")):
        forge_s, ours = timed(lambda p: gguf_metadata(p, {KEY}).get(KEY), path)
        if ours is None:
            continue
        gguf_s, theirs = timed(gguf_read, path)
        assert theirs == ours, path
        line = f"{path.name} ({path.stat().st_size / 1e6:.1f} MB): forge {forge_s:.3f}s, gguf {gguf_s:.3f}s"
        totals["forge"] += forge_s
        totals["gguf"] += gguf_s
        if llama_cpp is not None:
            llama_s, theirs = timed(llama_read, path)
            assert theirs == ours, path
            totals["llama.cpp"] += llama_s
            line += f", llama.cpp vocab-only {llama_s:.3f}s"
        print(line)
    baselines = {k: v for k, v in totals.items() if k != "forge" and v > 0}
    best = min(baselines, key=lambda k: baselines[k])
    print(f"total: forge {totals['forge']:.3f}s; " + ", ".join(f"{k} {v:.3f}s" for k, v in baselines.items()))
    print(f"strongest baseline: {best}")
    print(f"ratio={baselines[best] / totals['forge']:.1f}")


if __name__ == "__main__":
    default = os.environ.get("FORGE_LLAMA_MODELS_DIR", str(Path.home() / ".cache/forge/llama-cpp-0.3.36-models"))
    main(Path(sys.argv[1] if len(sys.argv) > 1 else default))
