"""Assemble Forge's shipped tiny base model, src/forge/models/tiny_llama/, from a pre-training run.

Two steps, both from committed text (src/forge/models/tiny_text/, SOURCES.md there names
commits and licences) and generated copy documents (forge/models/tiny_copy_text.py):

1. Pre-train the weights on one CUDA GPU (about 4 minutes on an H200; the same script runs
   on CPU, for a day):
       python3 tools/tiny_base/pretrain_gpu.py --out RUN --steps 2952 --variant c:256:4:8:704:2e-3
2. Assemble the folder here:
       .venv/bin/python tools/tiny_base/build.py --run RUN --variant c

Step 2 trains the tokenizer (TinyBaseConfig's tokenizer recipe; byte-for-byte the same on every
machine), loads the run's weights into a Llama of the run's shape, and writes the model, the
tokenizer with Forge's chat template, pretrain_log.json and forge_base.json: the recipe, the
text's SHA-256s, the generated text's fingerprint, the versions each step ran with, and the
SHA-256 of every file, which Forge checks on load. GPU training does not repeat bit for bit,
which is why the result is shipped rather than rebuilt on first use.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from forge.models.tiny_base import (  # noqa: E402
    RECORD,
    SHIPPED_DIR,
    TinyBaseConfig,
    make_model,
    sha256_of,
    train_tokenizer,
    verify_shipped,
)
from forge.models.tiny_copy_text import fingerprint  # noqa: E402
from forge.models.tiny_corpus import TEXT_DIR, pretraining_documents  # noqa: E402

TOKENIZER = TinyBaseConfig()  # the tokenizer's recipe: vocab_size, corpus_chars, chat_fraction, seed


def load_run(run: Path, variant: str) -> tuple[dict, dict]:
    """The variant's log and its weights (float32, the tied head left out) from a run folder."""
    from safetensors.torch import load_file

    logs = json.loads((run / "pretrain_log.json").read_text())
    if variant not in logs:
        sys.exit(f"{run}/pretrain_log.json has no variant {variant!r} (it has {', '.join(sorted(logs))})")
    state: dict = {}
    for shard in sorted(run.glob(f"{variant}-*.safetensors")):
        state.update(load_file(shard))
    return logs[variant], state


def assemble(run: Path, variant: str, out: Path) -> dict:
    import torch

    log, state = load_run(run, variant)
    docs = pretraining_documents(TOKENIZER.corpus_chars, TOKENIZER.chat_fraction, TOKENIZER.seed)
    tokenizer = train_tokenizer(docs, TOKENIZER.vocab_size)
    shape = dataclasses.replace(
        TOKENIZER,
        hidden_size=log["hidden"],
        num_layers=log["layers"],
        num_heads=log["heads"],
        intermediate_size=log["intermediate"],
    )
    model = make_model(shape, tokenizer)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if set(missing) - {"lm_head.weight"} or unexpected:
        sys.exit(f"weights do not fit the shape: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    assert torch.equal(model.lm_head.weight, model.model.embed_tokens.weight)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "pretrain_log.json").write_text(json.dumps(log, indent=1) + "\n")
    return log


def write_record(out: Path, log: dict, variant: str) -> None:
    import tokenizers
    import torch
    import transformers

    files = {p.name: sha256_of(p) for p in sorted(out.iterdir()) if p.is_file() and p.name != RECORD}
    record = {
        "ref": "forge/tiny-llama",
        "model": {
            "hidden_size": log["hidden"],
            "num_layers": log["layers"],
            "num_heads": log["heads"],
            "intermediate_size": log["intermediate"],
            "parameters": log["params"],
        },
        "tokenizer": {k: getattr(TOKENIZER, k) for k in ("vocab_size", "corpus_chars", "chat_fraction", "seed")},
        "pretraining": {
            "script": "tools/tiny_base/pretrain_gpu.py",
            "variant": log["variant"],
            "steps": log["steps"],
            "batch": log["batch"],
            "seq_len": log["seq"],
            "learning_rate": log["lr"],
            "seed": log["seed"],
            "tokens_trained": log["tokens_trained"],
            "stream_tokens": log["stream_tokens"],
            "mix": "half of each batch committed text (tldr, PEPs, chats, JSON), half generated copy documents",
            "seconds": log["seconds"],
            "device": log["device"],
            "torch": log["torch"],
        },
        "text": {p.name: sha256_of(p) for p in sorted(TEXT_DIR.glob("*.jsonl.gz"))},
        "generated_text": {
            "module": "forge/models/tiny_copy_text.py",
            "seed": log["seed"],
            "first_1000_sha256": fingerprint(log["seed"]),
        },
        "held_out_loss": log["evals"][-1],
        "assembled_with": {
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
    ap.add_argument("--run", type=Path, required=True, help="a folder pretrain_gpu.py wrote")
    ap.add_argument("--variant", required=True, help="which of the run's variants to ship")
    ap.add_argument("--out", type=Path, default=SHIPPED_DIR)
    args = ap.parse_args()
    staging = args.out.with_name(args.out.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    log = assemble(args.run, args.variant, staging)
    write_record(staging, log, args.variant)
    shutil.rmtree(args.out, ignore_errors=True)
    staging.rename(args.out)
    verify_shipped(args.out)
    print(f"assembled {args.out}: {log['params']:,} parameters, held-out loss {log['evals'][-1]}", flush=True)


if __name__ == "__main__":
    main()
