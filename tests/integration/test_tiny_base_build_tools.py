"""The two tools that make the shipped base run end to end: pre-training (here on CPU, two
steps of a small shape; the shipped run used a GPU) and assembling a verified folder from it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_pretrain_then_assemble_gives_a_verified_loadable_base(tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from forge.models.tiny_base import SHIPPED_DIR, verify_shipped

    run, out = tmp_path / "run", tmp_path / "tiny_llama"
    pretrain = [sys.executable, str(ROOT / "tools/tiny_base/pretrain_gpu.py"), "--out", str(run)]
    pretrain += ["--steps", "2", "--copy-docs", "200", "--variant", "s:64:2:2:128:1e-3"]
    subprocess.run(pretrain, check=True, capture_output=True, timeout=600)
    log = json.loads((run / "pretrain_log.json").read_text())["s"]
    assert log["steps"] == 2 and log["params"] > 0 and log["evals"][-1]["step"] == 2

    build = [sys.executable, str(ROOT / "tools/tiny_base/build.py"), "--run", str(run), "--variant", "s"]
    subprocess.run([*build, "--out", str(out)], check=True, capture_output=True, timeout=600)
    record = verify_shipped(out)
    assert record["model"]["hidden_size"] == 64 and record["pretraining"]["steps"] == 2
    # The tokenizer is the shipped one, rebuilt from its recipe; the weights are the run's.
    assert record["files"]["tokenizer.json"] == verify_shipped(SHIPPED_DIR)["files"]["tokenizer.json"]
    model = AutoModelForCausalLM.from_pretrained(out)
    assert model.config.hidden_size == 64 and model.lm_head.weight is model.model.embed_tokens.weight
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False)

    bad = subprocess.run([*build, "--out", str(tmp_path / "x"), "--variant", "nope"], capture_output=True, text=True)
    assert bad.returncode != 0 and "has no variant 'nope'" in bad.stderr
