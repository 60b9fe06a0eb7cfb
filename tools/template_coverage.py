"""How much of real sessions each chat template lets Forge learn.

Reads the real public sessions under tests/fixtures/real (tests/fixtures/real/SOURCES.md names
each source and licence) through `forge corpus ingest` and `forge dataset build`, then plans the
training windows of every SFT row with real chat templates and tokenizers (`make llama-models`)
and prints, per template and max_seq_length, the assistant turns learned, those dropped (with
why) and those learned without the messages they answer.

    .venv/bin/python tools/template_coverage.py                 # Claude Code sessions
    .venv/bin/python tools/template_coverage.py --all --length 8192
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "fixtures" / "real"
NOT_SESSIONS = {"gitleaks", "kingfisher_rules", "context", "beads", "beads_backup"}
# template file (llama.cpp's collection) -> the tokenizer family it is measured with
TEMPLATES = {
    "Qwen-Qwen2.5-7B-Instruct.jinja": "qwen2",
    "Qwen-Qwen3-0.6B.jinja": "qwen2",
    "Qwen3-Coder.jinja": "qwen2",
    "meta-llama-Llama-3.1-8B-Instruct.jinja": "llama3",
    "Mistral-Small-3.2-24B-Instruct-2506.jinja": "mistral",
    "mistralai-Mistral-Nemo-Instruct-2407.jinja": "mistral",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja": "qwen2",
    "microsoft-Phi-3.5-mini-instruct.jinja": "phi3",
    "google-gemma-4-31B-it.jinja": "gemma4",
}


def rows_from_fixtures(work: Path, every_format: bool) -> list[dict]:
    sessions = work / "sessions"
    sessions.mkdir()
    for folder in sorted(REAL.iterdir()):
        wanted = folder.name not in NOT_SESSIONS if every_format else folder.name.startswith("claude_code")
        if folder.is_dir() and wanted:
            shutil.copytree(folder, sessions / folder.name)
    env = {**os.environ, "FORGE_HOME": str(work / "home")}
    forge = [sys.executable, "-m", "forge"]
    for args in (
        ["corpus", "ingest", str(sessions), "--out", str(work / "corpus")],
        ["dataset", "build", str(work / "corpus"), "--out", str(work / "dataset")],
    ):
        subprocess.run([*forge, *args, "--json"], env=env, check=True, capture_output=True)
    return [json.loads(line) for name in ("sft_train", "sft_eval") for line in open(work / "dataset" / f"{name}.jsonl")]


def tokenizer(family: str, template: str):
    """A real tokenizer of the family with the template (tests/real_models.py; Mistral's control
    tokens on a real BPE vocabulary, as the mask tests do)."""
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration")]
    from test_masks_real_templates import tokenizer_for

    from real_models import llama_models_dir, real_tokenizer

    tok = tokenizer_for("mistral") if family == "mistral" else real_tokenizer(family)
    tok.chat_template = (llama_models_dir() / "templates" / template).read_text()
    return tok


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="every reader's fixtures, not only Claude Code's")
    parser.add_argument("--length", type=int, action="append", help="max_seq_length (repeat; default 2048, 8192)")
    parser.add_argument("--template", action="append", choices=sorted(TEMPLATES), help="only these (repeat)")
    args = parser.parse_args(argv)
    from forge.train.rows import tokenize_rows

    with tempfile.TemporaryDirectory() as tmp:
        rows = rows_from_fixtures(Path(tmp), args.all)
    print(f"{len(rows)} SFT rows from {'every reader' if args.all else 'Claude Code'}'s real sessions")
    for template, family in TEMPLATES.items():
        if args.template and template not in args.template:
            continue
        tok = tokenizer(family, template)
        for length in args.length or [2048, 8192]:
            r = tokenize_rows(tok, rows, max_length=length).report()
            dropped = ", ".join(f"{n} {why}" for why, n in r["turns_dropped"].items()) or "none"
            print(
                f"{template:48s} {length:>6}  learned {r['turns_learned']:>5} of {r['turns']:<5} "
                f"without context {r['turns_without_context']:>3}  after refused history "
                f"{r['turns_after_refused_history']:>3}  dropped: {dropped}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
