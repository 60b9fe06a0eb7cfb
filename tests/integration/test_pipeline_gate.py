"""The gate-failure path, end to end and for real: a barely-trained tiny model meets the
default gate (0.5, every role, argument match and Gas Town categories weighed in), the job
ends FAILED with `gate: …` naming the role and the components that failed, the run report
shows the breakdown, and nothing reaches the registry."""

from __future__ import annotations

import re

import pytest

from forge.bundled import example_sources
from forge.errors import ForgeError
from forge.jobs.state_machine import JobState
from forge.service import Forge

pytestmark = pytest.mark.slow

COMPONENTS = ("tool_choice", "tool_call_validity", "argument_match", "bead_management", "git_workflow")


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_HOME", str(tmp_path_factory.mktemp("forge-home")))
    mp.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")
    forge = Forge()
    forge.init_environment(allow_cpu=True, actor="pytest")
    job = forge.submit_pipeline(
        {
            "sources": example_sources(),
            "name": "polecat",
            "authorization": "gt-gate1",
            # the default gate: no "gate", "require_improvement" or "gate_rules" given
            "train": {"max_steps": 2, "logging_steps": 1},
            "evaluate": {"max_prompts": 16, "max_new_tokens": 16},  # 5+ prompts for two roles
        },
        actor="pytest",
    )
    yield forge, forge.run_job(job.id, actor="pytest")
    mp.undo()


def test_job_fails_its_gate_naming_role_and_components(failed_run):
    forge, job = failed_run
    assert job.state is JobState.FAILED
    assert job.error.startswith("gate: "), job.error
    assert re.search(r"role \w+ scores [0-9.]+%, below the threshold 50\.0%", job.error), job.error
    assert any(c in job.error for c in COMPONENTS), job.error
    trail = [t["to"] for t in forge.jobs.transitions(job.id)]
    assert trail[-2:] == ["PACKAGING_COMPLETE", "FAILED"]  # trained and merged, then refused
    verdict = job.result["gate"]
    assert verdict["passed"] is False and verdict["threshold"] == 0.5
    failing = [name for name, r in verdict["roles"].items() if r["gated"] and r["score"] < 0.5]
    assert failing and all(name in job.error or name == "all roles" for name in failing)
    assert set(verdict["roles"]["all roles"]["components"]) >= {"tool_choice", "tool_call_validity", "argument_match"}


def test_nothing_is_registered_or_deployable(failed_run):
    forge, _job = failed_run
    assert forge.list_models() == []
    with pytest.raises(ForgeError):
        forge.deploy("polecat", "polecat", actor="pytest")


def test_run_report_shows_the_failing_role_and_component(failed_run):
    forge, job = failed_run
    md = forge.render_run_report(job.id, "md")
    assert "### Gate by role (weighted components)" in md
    assert "| FAIL |" in md and "argument_match ×2" in md
    html = forge.render_run_report(job.id, "html")
    assert 'class="report-gate"' in html and "FAIL" in html
