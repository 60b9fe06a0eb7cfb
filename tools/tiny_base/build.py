"""Build Forge's shipped tiny base model, src/forge/models/tiny_llama/, from committed text.

    nice -n 5 .venv/bin/python tools/tiny_base/build.py [--out DIR] [--steps N]

The recipe is TinyBaseConfig() (src/forge/models/tiny_base.py) and the text is
src/forge/models/tiny_text/ (tldr-pages and PEPs, gathered by tools/tiny_base/gather_text.py;
SOURCES.md there names commits and licences). The folder gets the model, the tokenizer with
Forge's chat template, pretrain_log.json, and forge_base.json: the recipe, the text's SHA-256s,
the versions it was built with, and the SHA-256 of every file, which Forge checks on load.

Training on another machine gives other weights (float rounding differs by CPU and thread
count); that is why the result is shipped rather than rebuilt on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from forge.models.tiny_base import (  # noqa: E402
    FORMAT_VERSION,
    RECORD,
    SHIPPED_DIR,
    TinyBaseConfig,
    build_tiny_base,
    sha256_of,
    verify_shipped,
)
from forge.models.tiny_corpus import TEXT_DIR  # noqa: E402
from forge.progress import NULL_PROGRESS  # noqa: E402


def write_record(out: Path, config: TinyBaseConfig) -> None:
    import tokenizers
    import torch
    import transformers

    log = json.loads((out / "pretrain_log.json").read_text())
    files = {p.name: sha256_of(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != RECORD}
    record = {
        "ref": "forge/tiny-llama",
        "config": dataclasses.asdict(config),
        "format_version": FORMAT_VERSION,
        "text": {p.name: sha256_of(p) for p in sorted(TEXT_DIR.glob("*.jsonl.gz"))},
        "final_loss": sum(log["losses"][-20:]) / len(log["losses"][-20:]),
        "built_with": {
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
        },
        "files": files,
    }
    (out / RECORD).write_text(json.dumps(record, indent=2) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=SHIPPED_DIR)
    ap.add_argument("--steps", type=int, default=TinyBaseConfig.pretrain_steps)
    args = ap.parse_args()
    config = dataclasses.replace(TinyBaseConfig(), pretrain_steps=args.steps)
    staging = args.out.with_name(args.out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    start = time.perf_counter()
    build_tiny_base(staging, config, NULL_PROGRESS)
    # Only what loading needs (plus the log); generation_config carries the stop tokens.
    write_record(staging, config)
    shutil.rmtree(args.out, ignore_errors=True)
    staging.rename(args.out)
    verify_shipped(args.out)
    print(f"built {args.out} in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
