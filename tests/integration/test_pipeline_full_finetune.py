"""Full fine-tuning through the whole pipeline, from the command line: the trained artifact is
already a complete model, so the job skips the merge (it used to fail there, "not a LoRA adapter
artifact"), evaluates it, registers it, and the registered model evaluates and exports like a
merged one. On the Qwen2.5 family test base (tests/real_models.py: its real tokenizer and chat
template, tiny random weights) over the bundled example corpus; two steps, gate 0.
"""

from __future__ import annotations

import json

import pytest
from test_pipeline_family_cli import QUICK, forge

from helpers import llama_cpp_or_skip
from real_models import family_base

pytestmark = pytest.mark.slow


def test_a_full_fine_tune_is_packaged_evaluated_registered_and_exported(tmp_path):
    home = tmp_path / "home"
    assert forge(home, "env", "init", "--allow-cpu").returncode == 0
    base = str(family_base("qwen2"))
    cmd = ["pipeline", "examples/sessions", "examples/beads", "--name", "whole", "--auth", "gt-full1"]
    cmd += ["--base", base, "--gate", "0", "--set", "train.full_finetune=true", *QUICK, "--json"]
    run = forge(home, *cmd)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    out = json.loads(run.stdout)
    job = out["job"]
    assert job["state"] == "TESTS_PASSED", job.get("error")
    stages = job["result"]["stages"]
    trained = stages["adapter"]["id"]
    assert trained.startswith("full_model-") and stages["merged_model"]["id"] == trained
    reasons = {t["to"]: t["reason"] for t in out["transitions"]}
    assert reasons["PACKAGING_COMPLETE"] == f"full model {trained}: nothing to merge"
    assert [m["lineage"]["merged_model"] for m in out["models"]] == [trained]

    # the registered model is a whole model: eval and export take it as they take a merged one
    ev = forge(home, "eval", "whole", "--suite", "none", "--held-out", "--max-prompts", "2", "--json")
    assert ev.returncode == 0, (ev.stdout + ev.stderr)[-3000:]
    report = json.loads(ev.stdout)
    assert report["n_prompts"] == 2 and report["model"] == "whole-v1"
    by_id = forge(home, "eval", trained, "--suite", "none", "--dataset", stages["dataset"]["id"], "--json")
    assert by_id.returncode == 0, (by_id.stdout + by_id.stderr)[-3000:]

    llama_cpp_or_skip()
    exp = forge(home, "export", "whole", "--format", "gguf", "--no-parity", "--json")
    assert exp.returncode == 0, (exp.stdout + exp.stderr)[-3000:]
    gguf = json.loads(exp.stdout)
    assert gguf["path"] and any(str(f).endswith(".gguf") for f in json.dumps(gguf).split('"'))
