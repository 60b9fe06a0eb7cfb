"""The whole pipeline on transcripts Forge did not make: the real public samples under
tests/fixtures/real (Claude Code, Codex rollout and exec stream, OpenHands, SWE-agent, ADP and a
beads Dolt backup; sources and licences in tests/fixtures/real/SOURCES.md).

Almost none of these sessions carries a known outcome, so rows come from the default
unlabelled policy; the run must still build rows from every format, learn tokens, train,
evaluate and reach TESTS_PASSED (gate 0: a few steps on the tiny base cannot teach the job).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forge.jobs.state_machine import JobState
from forge.service import Forge

pytestmark = pytest.mark.slow

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
TRANSCRIPT_FORMATS = {
    "claude_code",
    "codex",
    "codex_exec",
    "gemini_cli",
    "openhands",
    "swe_agent",
    "adp",
    "aider",
    "sharegpt",
    "openai_chat",
}


def test_real_transcripts_train_evaluate_and_reach_tests_passed(tmp_path, monkeypatch):
    monkeypatch.setenv("FORGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")
    forge = Forge()
    forge.init_environment(allow_cpu=True, actor="pytest")
    job = forge.submit_pipeline(
        {
            "sources": [str(REAL)],
            "name": "real",
            "authorization": "gt-real1",
            "gate": 0.0,
            "require_improvement": False,
            "train": {"max_steps": 4, "logging_steps": 1},
            "evaluate": {"max_prompts": 4, "max_new_tokens": 16},
        },
        actor="pytest",
    )
    job = forge.run_job(job.id, actor="pytest")
    assert job.state is JobState.TESTS_PASSED, job.error

    dataset = next(a for a in forge.store.all() if a.kind == "dataset")
    ingest = forge.dataset_stats(dataset)["stats"]["corpus"]["ingest"]
    assert set(ingest["by_format"]) >= TRANSCRIPT_FORMATS  # every format was read
    sessions = ingest["conversations"]
    rows = dataset.manifest["summary"]["sft_train"] + dataset.manifest["summary"]["sft_eval"]
    assert rows >= 0.75 * sessions, (rows, sessions)  # most sessions give a row

    learned = [
        int(m.group(1))
        for e in forge.jobs.events(job.id)
        if (m := re.search(r"(\d+) learned", str(e.get("message", ""))))
    ]
    assert learned and learned[0] > 0
