"""Shared by the web tests: one real trained job (tiny local base pretrained for 20 steps, a few
training steps, gate 0 so a barely-trained model passes — as in test_pipeline.py) in a
FORGE_HOME of its own, API tokens of each scope, and `forge ui` running on it as a real
subprocess. Built once per session: every web test reads the same home."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from web_server import UiServer

from forge.service import Forge, example_sources, load_settings

SRC = Path(__file__).resolve().parents[2] / "src"
JOB = {
    "name": "polecat",
    "authorization": "gt-web1",
    "gate": 0.0,
    "require_improvement": False,
    "train": {"max_steps": 12, "logging_steps": 2},
    "evaluate": {"max_prompts": 6, "max_new_tokens": 24},
}


@dataclass
class Trained:
    home: Path
    forge: Forge
    job_id: str
    model: str
    tokens: dict[str, str]

    def env(self) -> dict[str, str]:
        """For subprocesses: this home, the quick tiny base, workers that exit soon when idle."""
        return {
            **os.environ,
            "FORGE_HOME": str(self.home),
            "FORGE_TINY_PRETRAIN_STEPS": "20",
            "FORGE_WORKER_IDLE_EXIT": "10",
            "PYTHONPATH": str(SRC),
        }


@pytest.fixture(scope="session")
def trained(tmp_path_factory) -> Trained:
    home = tmp_path_factory.mktemp("web-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")  # read while the job builds the tiny base
    try:
        forge = Forge(load_settings(home))
        forge.init_environment(allow_cpu=True, actor="pytest")
        job = forge.submit_pipeline({"sources": example_sources(), **JOB}, actor="pytest")
        job = forge.run_job(job.id, actor="pytest")
    finally:
        mp.undo()
    assert job.state.value == "TESTS_PASSED", job.error
    tokens = {
        scope: forge.create_token(f"web-{scope}", scope, actor="pytest")["token"]
        for scope in ("read", "write", "admin")
    }
    return Trained(home, forge, job.id, job.result["model"], tokens)


@pytest.fixture(scope="session")
def ui_server(trained):
    server = UiServer(trained)
    yield server
    server.stop()
