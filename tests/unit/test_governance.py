"""Seed 000's safety rules, one test (or more) per rule. Real databases, real artifacts."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from forge.artifacts import artifact_id
from forge.cli import app
from forge.errors import ConfigError, ForgeError, IllegalTransition, IntegrityError
from forge.governance import ACTIVE, INACTIVE_UNSAFE, EnvironmentInactive, publishable_job, verify_inputs
from forge.jobs import leases
from forge.jobs.kinds import JobKind, register_job_kind
from forge.jobs.state_machine import JobState
from forge.progress import NULL_PROGRESS
from forge.service import Forge
from forge.storage.schema import jobs as jobs_table
from forge.storage.schema import utcnow


@pytest.fixture
def fresh(forge_home):
    return Forge()


@pytest.fixture
def active(fresh):
    fresh.init_environment(allow_cpu=True, actor="pytest")
    return fresh


def make_artifact(forge: Forge, text: str = "hello"):
    aid = artifact_id("dataset", {"text": text}, [])
    with forge.store.staged("dataset") as st:
        (st / "rows.jsonl").write_text(text)
        return forge.store.commit(st, kind="dataset", aid=aid, config={"text": text}, inputs=[])


def verify_job(forge, art, auth="gt-9"):
    return forge.submit("verify", {"artifacts": [art.id], "authorization": auth}, actor="pytest")


# -- environment gate ---------------------------------------------------------------------------


def test_a_fresh_host_is_inactive_and_jobs_refuse_to_start(fresh):
    assert fresh.environment_state()["state"] == INACTIVE_UNSAFE
    job = verify_job(fresh, make_artifact(fresh))
    with pytest.raises(EnvironmentInactive, match="forge env init"):
        fresh.run_job(job.id)
    assert fresh.jobs.get(job.id).state is JobState.QUEUED
    assert len(fresh.jobs.transitions(job.id)) == 1


def test_env_init_records_what_it_found_and_activates(fresh):
    rec = fresh.init_environment(allow_cpu=True, actor="alice")
    assert rec["state"] == ACTIVE
    state = fresh.environment_state()
    assert state["state"] == ACTIVE and state["actor"] == "alice"
    d = state["details"]
    assert d["disk"]["free_bytes"] > 0 and d["memory"]["available_bytes"] > 0
    assert "cuda" in d["accelerator"] and d["problems"] == []


def test_env_init_without_cuda_needs_explicit_cpu_permission(fresh, monkeypatch):
    monkeypatch.delenv("FORGE_ALLOW_CPU", raising=False)
    import torch

    if torch.cuda.is_available():
        pytest.skip("this host has CUDA; the CPU permission is not needed")
    rec = fresh.init_environment(allow_cpu=False, actor="alice")
    assert rec["state"] == INACTIVE_UNSAFE
    assert "--allow-cpu" in rec["details"]["problems"][0]
    assert fresh.environment_state()["state"] == INACTIVE_UNSAFE


def test_foreground_runs_initialise_implicitly_and_say_so(fresh):
    said = []
    fresh.ensure_environment(said.append)
    assert fresh.environment_state()["state"] == ACTIVE
    assert "forge env init" in said[0]
    fresh.ensure_environment(said.append)  # already active: silent
    assert len(said) == 1


def test_cli_env_init_and_status(forge_home):
    runner = CliRunner()
    r = runner.invoke(app, ["env", "status", "--json"])
    assert r.exit_code == 0 and json.loads(r.output)["state"] == INACTIVE_UNSAFE
    r = runner.invoke(app, ["env", "init", "--allow-cpu", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["state"] == ACTIVE
    r = runner.invoke(app, ["env", "status"])
    assert "ACTIVE" in r.output


# -- resources before each job ------------------------------------------------------------------------


def test_a_job_too_big_for_the_host_fails_with_the_numbers(active, tmp_path):
    big = tmp_path / "huge-base"
    big.mkdir()
    with open(big / "model.safetensors", "wb") as f:  # sparse: 1 TiB on paper, nothing on disk
        f.truncate(1 << 40)
    job = active.submit(
        "pipeline", {"sources": [str(tmp_path)], "base_model": str(big), "authorization": "gt-big"}, actor="pytest"
    )
    with pytest.raises(ForgeError, match="not enough resources"):
        active.run_job(job.id)
    job = active.jobs.get(job.id)
    assert job.state is JobState.FAILED and job.error.startswith("resources:")
    assert "GiB" in job.error
    assert not any(e["kind"] == "stage" for e in active.jobs.events(job.id))  # nothing ran


def test_a_job_within_resources_records_the_check(active):
    job = verify_job(active, make_artifact(active))
    active.run_job(job.id)
    [res] = [e for e in active.jobs.events(job.id) if e["kind"] == "resources"]
    assert res["problems"] == [] and res["need"]["memory_bytes"] > 0


# -- authorization --------------------------------------------------------------------------------------


def test_every_job_needs_an_authorization_and_it_is_in_the_audit_trail(active):
    art = make_artifact(active)
    with pytest.raises(ConfigError, match="authorization"):
        active.submit("verify", {"artifacts": [art.id]})
    job = verify_job(active, art, auth="bd-4711")
    active.run_job(job.id, actor="alice")
    trail = active.jobs.transitions(job.id)
    assert "bd-4711" in trail[0]["reason"] and active.jobs.get(job.id).authorization == "bd-4711"


# -- only registered kinds ---------------------------------------------------------------------------


def test_unregistered_kinds_are_refused_at_submit_and_at_run(active):
    with pytest.raises(ForgeError, match="unknown job kind 'shell'"):
        active.submit("shell", {"cmd": "rm -rf /", "authorization": "gt-1"})
    now = utcnow()  # a row written around the service (e.g. by hand in the database)
    with active.engine.begin() as conn:
        conn.execute(
            jobs_table.insert().values(
                id="job-rogue",
                kind="shell",
                state="QUEUED",
                authorization="gt-1",
                config={"cmd": "id"},
                created_at=now,
                updated_at=now,
            )
        )
    with pytest.raises(ForgeError, match="unknown job kind"):
        active.run_job("job-rogue")
    job = active.jobs.get("job-rogue")
    assert job.state is JobState.FAILED and "unknown job kind" in job.error


# -- integrity ---------------------------------------------------------------------------------------


def test_tampered_input_fails_the_job_naming_the_file(active):
    art = make_artifact(active)
    (art.path / "rows.jsonl").write_text("tampered")
    job = verify_job(active, art)
    with pytest.raises(IntegrityError):
        active.run_job(job.id)
    job = active.jobs.get(job.id)
    assert job.state is JobState.FAILED and "rows.jsonl" in job.error


def test_verify_inputs_rehashes_every_stage_input(active):
    good, bad = make_artifact(active, "a"), make_artifact(active, "b")
    verify_inputs(NULL_PROGRESS, "train", good)
    (bad.path / "rows.jsonl").write_text("x")
    with pytest.raises(IntegrityError, match="rows.jsonl"):
        verify_inputs(NULL_PROGRESS, "train", good, bad)


# -- cleanup of partial artifacts ------------------------------------------------------------------------


def _failing_stage(forge, job, progress, actor):
    with forge.store.staged("adapter") as st:
        (st / "adapter_model.safetensors").write_bytes(b"half-written")
        raise RuntimeError("disk on fire")


register_job_kind(
    JobKind(
        "test-fail",
        "forge.jobs.verify:validate_verify_config",
        f"{__name__}:_failing_stage",
        "test only: fails mid-stage",
    )
)


def test_a_failed_job_leaves_no_partial_artifact(active):
    art = make_artifact(active)
    job = active.submit("test-fail", {"artifacts": [art.id], "authorization": "gt-1"})
    with pytest.raises(RuntimeError):
        active.run_job(job.id)
    job = active.jobs.get(job.id)
    assert job.state is JobState.FAILED and "disk on fire" in job.error
    assert not list((active.store.root / ".staging").iterdir())
    assert not (active.store.root / "adapter").exists()
    assert leases.get_lease(active.engine, job.id).owner is None


# -- sequencing: no publish before TESTS_PASSED -----------------------------------------------------------


def test_nothing_is_publishable_before_tests_passed(active):
    art = make_artifact(active)
    job = verify_job(active, art)
    version = SimpleNamespace(job_id=job.id, display_name="polecat-v1")  # what the registry holds
    for state in (JobState.RUNNING, JobState.COMPLETED_SUCCESS, JobState.PACKAGING_COMPLETE):
        if state is JobState.RUNNING:
            leases.claim(active.engine, "w", job_id=job.id)
        else:
            active.jobs.transition(job.id, state, actor="w", reason="step")
        with pytest.raises(IllegalTransition):
            publishable_job(active.jobs, version)
        with pytest.raises(IllegalTransition):
            active.jobs.transition(job.id, JobState.PUBLISHED, actor="w")
    active.jobs.transition(job.id, JobState.TESTS_PASSED, actor="w", reason="passed")
    assert publishable_job(active.jobs, version).id == job.id
    active.jobs.transition(job.id, JobState.PUBLISHED, actor="w", reason="published")


# -- the job commands ---------------------------------------------------------------------------------


def test_cli_job_logs_cancel_and_resume(active, forge_home):
    runner = CliRunner()
    art = make_artifact(active)
    done = verify_job(active, art)
    active.run_job(done.id)
    r = runner.invoke(app, ["job", "logs", done.id, "--json", "--follow"])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.output.splitlines()]
    assert lines[-1] == {
        "kind": "state",
        "state": "TESTS_PASSED",
        "error": None,
        "reason": "every hash matches its manifest",
    }
    assert any(e["kind"] == "stage" and e["stage"] == "verify" for e in lines)
    r = runner.invoke(app, ["job", "logs", done.id])
    assert "verify: done" in r.output and "TESTS_PASSED" in r.output

    queued = verify_job(active, art)
    r = runner.invoke(app, ["job", "cancel", queued.id, "--json"])
    assert json.loads(r.output) == {"job": queued.id, "state": "CANCELLED", "cancel_requested": False}
    r = runner.invoke(app, ["job", "resume", queued.id, "--no-start-worker", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["resumed_from"] == queued.id and out["job"]["state"] == "QUEUED"
    r = runner.invoke(app, ["job", "cancel", done.id])
    assert r.exit_code == 1 and "nothing to cancel" in r.output
    r = runner.invoke(app, ["job", "logs", "job-nope"])
    assert r.exit_code == 1 and "no job" in r.output
