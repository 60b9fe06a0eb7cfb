"""`forge train RECIPE` end to end on the example corpus with the tiny base (nothing mocked):
foreground with progress (sft), and --detach through a real worker (sft+dpo: the registered
model's adapter is the DPO stage's, trained on top of the SFT adapter)."""

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.jobs.state_machine import JobState

pytestmark = pytest.mark.slow
RECIPES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
QUICK = [
    "steps.evaluate.max_prompts=4",
    "steps.evaluate.max_new_tokens=16",
    "variables.gate=0.0",
    "variables.require_improvement=false",
    "steps.train.max_seq_length=512",
]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("forge-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_HOME", str(home))
    mp.delenv("FORGE_DATABASE_URL", raising=False)
    mp.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")
    mp.setenv("FORGE_WORKER_IDLE_EXIT", "3")
    yield home
    mp.undo()


def test_foreground_train_runs_the_recipe_as_a_pipeline_job(home):
    res = CliRunner().invoke(
        app,
        [
            "train",
            str(RECIPES / "demo.toml"),
            "steps.train.max_steps=3",
            "variables.authorization=gt-42",
            *QUICK,
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    job = out["job"]
    assert job["state"] == "TESTS_PASSED" and job["kind"] == "pipeline" and job["authorization"] == "gt-42"
    assert job["config"]["train"]["max_steps"] == 3 and job["config"]["train"]["method"] == "sft"


def test_train_nproc_2_runs_ddp_under_torchrun(home):
    from forge.service import Forge

    res = CliRunner().invoke(
        app, ["train", str(RECIPES / "demo.toml"), "--nproc", "2", "--json", "steps.train.max_steps=3", *QUICK]
    )
    assert res.exit_code == 0, res.output
    job_id = json.loads(res.stdout)["job"]["id"]
    forge = Forge()
    job = forge.jobs.get(job_id)
    assert job.state is JobState.TESTS_PASSED, job.error
    logs = [e.get("message", "") for e in forge.jobs.events(job_id) if e["kind"] == "log"]
    assert any("process group of 2 (backend gloo)" in m for m in logs), logs
    adapter = forge.store.get(job.result["stages"]["adapter"]["id"])
    assert adapter.manifest["config"]["nproc"] == 2


def test_detached_sft_dpo_runs_in_a_worker(home):
    from forge.service import Forge

    res = CliRunner().invoke(
        app,
        [
            "train",
            str(RECIPES / "witness-sft-dpo.toml"),
            "--detach",
            "--json",
            "steps.train.max_steps=3",
            "steps.dpo.max_steps=2",
            *QUICK,
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    pid = out["worker"]["worker"].get("pid")
    try:
        forge = Forge()
        job = forge.wait(out["job"]["id"], timeout_s=900)
        assert job.state is JobState.TESTS_PASSED, job.error
        adapter = forge.store.get(job.result["stages"]["adapter"]["id"])
        assert adapter.manifest["method"] == "sft+dpo"
        log = json.loads(adapter.file("train_log.json").read_text())
        assert log["steps"] == 2 and log["reference"] == "sft_adapter"
        sft_id = adapter.manifest["config"]["start_adapter"]
        assert forge.store.get(sft_id).manifest["config"]["max_steps"] == 3
        stages = {e.get("stage") for e in forge.jobs.events(job.id)}
        assert {"train", "dpo"} <= stages  # both stages' progress is on the job
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def test_recipe_check_as_a_real_command():
    forge = Path(sys.executable).parent / "forge"
    res = subprocess.run(
        [str(forge), "recipe", "check", str(RECIPES / "polecat-sft.toml"), "variables.role=witness", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["job"]["name"] == "witness-sft" and out["job"]["build"]["roles"] == ["witness"]
    bad = subprocess.run(
        [str(forge), "recipe", "check", str(RECIPES / "polecat-sft.toml"), "variables.role=admiral"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1 and "'variables.role': must be one of" in bad.stderr
    assert "Traceback" not in bad.stderr
