"""A secret inside failing input never reaches what Forge writes for people: job errors and the
audit trail, job events, the worker log, CLI error messages and MCP tool errors.

The planted values are in the formats of real providers' keys (made up here, not live)."""

from __future__ import annotations

import json
import os

import anyio
import pytest
from mcp import Client
from typer.testing import CliRunner

from forge.cli import app
from forge.jobs.kinds import JobKind, register_job_kind
from forge.jobs.state_machine import JobState
from forge.mcp_server import build_server
from forge.service import Forge

GITHUB = "ghp_" + "R8xkQ2mZ7vT4pL9wN3bY6cF1hJ5dK0sA8eUq"
AWS_ID, AWS_SECRET = "AKIA" + "Q3EGRT5YHWXK7ZPM", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8vN2tLpK"
PASSWORD_URL = "postgresql://forge:" + "s3cr3t-Pa55w0rd-xyz" + "@db.internal:5432/jobs"
PLANTED = [GITHUB, AWS_ID, AWS_SECRET, "s3cr3t-Pa55w0rd-xyz"]


def _leaks(text: str) -> list[str]:
    return [s for s in PLANTED if s in text]


def _leaky_stage(ctx, job, progress, actor):
    progress.log(f"connecting with {PASSWORD_URL}")
    raise RuntimeError(f"upload refused: token {GITHUB}, aws_access_key_id={AWS_ID} aws_secret_access_key={AWS_SECRET}")


register_job_kind(
    JobKind(
        "test-leaky",
        "forge.jobs.verify:validate_verify_config",
        f"{__name__}:_leaky_stage",
        "test only: fails with secrets in its error",
    )
)


@pytest.fixture
def forge(forge_home):
    f = Forge()
    f.init_environment(allow_cpu=True, actor="pytest")
    return f


def test_a_failing_job_stores_no_secret_in_its_error_trail_or_events(forge):
    job = forge.submit("test-leaky", {"artifacts": ["x"], "authorization": "gt-1"})
    with pytest.raises(RuntimeError):
        forge.run_job(job.id)
    job = forge.job(job.id)
    assert job.state is JobState.FAILED
    assert "<SECRET:github_token>" in job.error and not _leaks(job.error)
    stored = json.dumps([forge.job_status(job.id, events=50), forge.job_transitions(job.id)], default=str)
    assert not _leaks(stored)
    r = CliRunner().invoke(app, ["job", "show", job.id])
    assert r.exit_code == 0 and "upload refused" in r.output and not _leaks(r.output)


def test_the_worker_log_stores_no_secret(forge, capsys):
    job = forge.submit("test-leaky", {"artifacts": ["x"], "authorization": "gt-2"})
    said: list[str] = []
    done = forge.run_worker(worker_id="worker-leak", drain=True, say=said.append)
    assert done[0]["job"] == job.id and done[0]["state"] == "FAILED"
    assert any("upload refused" in line for line in said)
    assert not _leaks("\n".join(said)) and not _leaks(json.dumps(done))


def test_cli_and_mcp_errors_that_echo_input_carry_no_secret(forge):
    r = CliRunner().invoke(app, ["model", "show", GITHUB])
    assert r.exit_code == 1 and "no model" in r.output and not _leaks(r.output)

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            res = await c.call_tool("show_model", {"name": f"x-{AWS_ID}"})
            assert res.is_error and not _leaks(res.content[0].text)
            res = await c.call_tool("get_forge_job_status", {"job_id": GITHUB})
            assert res.is_error and "no job" in res.content[0].text and not _leaks(res.content[0].text)

    anyio.run(main)
    assert not os.environ.get("FORGE_DEBUG")  # errors above were shown, not raised


def test_a_job_status_over_mcp_names_its_sources_without_the_user_name(forge):
    sources = ["/home/dorotheaquist/.claude/projects/-home-dorotheaquist-app", "/Users/bartholomewk/sessions"]
    job = forge.submit_pipeline({"sources": sources, "train": {"max_steps": 2}})

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            res = await c.call_tool("get_forge_job_status", {"job_id": job.id})
            assert not res.is_error
            text = res.content[0].text
            assert "/home/<SECRET:user>/.claude/projects/-home-<SECRET:user>-app" in text
            assert "dorotheaquist" not in text and "bartholomewk" not in text

    anyio.run(main)
    assert forge.jobs.get(job.id).config["sources"] == sources  # the job itself still knows where to read
