"""Crash recovery and cancel, for real: a worker process trains a tiny model and is killed with
SIGKILL mid-training; a new worker finds the job's lease expired, requeues it and resumes the
training from the last checkpoint; the job ends TESTS_PASSED, not stuck in RUNNING. Then a
running job is cancelled from the CLI and resumed. Nothing mocked; the model is the tiny base.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forge.bundled import example_sources
from forge.jobs import leases
from forge.jobs.state_machine import SETTLED, JobState
from forge.service import Forge

pytestmark = pytest.mark.slow
FORGE = str(Path(sys.executable).parent / "forge")
SAVE_STEPS = 4  # few steps: a loaded 2-core CI box trains the tiny model at ~1 step/s


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("forge-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_HOME", str(home))
    mp.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")
    mp.setenv("FORGE_LEASE_SECONDS", "3")
    mp.delenv("FORGE_DATABASE_URL", raising=False)
    Forge().init_environment(allow_cpu=True, actor="pytest")
    yield home
    mp.undo()


def submit(forge: Forge, max_steps: int) -> str:
    return forge.submit_pipeline(
        {
            "sources": example_sources(),
            "name": "polecat",
            "authorization": "gt-crash",
            "gate": 0.0,
            "require_improvement": False,
            "train": {"max_steps": max_steps, "logging_steps": 1, "save_steps": SAVE_STEPS, "batch_size": 2},
            "evaluate": {"max_prompts": 2, "max_new_tokens": 8},
        },
        actor="pytest",
    ).id


def start_worker(name: str) -> subprocess.Popen:
    """A worker whose output goes to a file, read when it ends or is stuck (a pipe that nothing
    reads while the test waits could fill and stall it)."""
    log = Path(os.environ["FORGE_HOME"]) / f"{name}.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            [FORGE, "worker", "--once", "--id", name],
            env={**os.environ, "PYTHONFAULTHANDLER": "1"},  # SIGABRT prints every thread's stack
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc.log = log  # type: ignore[attr-defined]
    return proc


def output_of(proc: subprocess.Popen) -> str:
    return proc.log.read_text(encoding="utf-8", errors="replace")  # type: ignore[attr-defined]


def finish(proc: subprocess.Popen, timeout: float) -> str:
    proc.wait(timeout=timeout)
    return output_of(proc)


def wait_for_checkpoint(forge: Forge, job_id: str, proc: subprocess.Popen, timeout: float = 600) -> Path:
    """The first complete checkpoint (trainer_state.json is written last)."""
    ckpts = forge.checkpoint_dir(job_id)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = sorted(ckpts.glob("checkpoint-*/trainer_state.json"))
        if done:
            return done[0].parent
        assert proc.poll() is None, output_of(proc)
        time.sleep(0.05)
    proc.send_signal(signal.SIGABRT)  # a stuck worker: show where each of its threads waits
    proc.wait(timeout=30)
    raise AssertionError(f"no checkpoint appeared in {timeout:.0f} s; the worker said:\n{output_of(proc)[-20_000:]}")


def train_log(forge: Forge, job_id: str) -> dict:
    adapter = forge.store.get(forge.jobs.get(job_id).result["stages"]["adapter"]["id"])
    return json.loads(adapter.file("train_log.json").read_text())


def first_step_of_last_training(forge: Forge, job_id: str) -> int:
    """The step of the first progress event after the last time the train stage started: 1
    for a fresh run, past the checkpoint's step for a resumed one."""
    events = forge.jobs.events(job_id)
    starts = [
        i
        for i, e in enumerate(events)
        if e["kind"] == "stage" and e.get("stage") == "train" and e.get("status") == "started"
    ]
    return next(e["step"] for e in events[starts[-1] :] if e["kind"] == "progress" and e.get("stage") == "train")


def test_kill_9_mid_training_resumes_from_the_checkpoint(home):
    forge = Forge()
    job_id = submit(forge, max_steps=16)
    victim = start_worker("worker-victim")
    ckpt = wait_for_checkpoint(forge, job_id, victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert forge.jobs.get(job_id).state is JobState.RUNNING  # orphaned: only the lease tells
    saved_step = int(ckpt.name.split("-")[1])

    lease = leases.get_lease(forge.engine, job_id)
    time.sleep(max(0.0, (lease.expires_at.timestamp() - time.time())) + 0.5)
    rescuer = start_worker("worker-rescuer")
    out = finish(rescuer, timeout=900)
    assert rescuer.returncode == 0, out

    job = forge.jobs.get(job_id)
    assert job.state is JobState.TESTS_PASSED, (job.error, out)
    trail = forge.jobs.transitions(job_id)
    assert [t["to"] for t in trail][:4] == ["QUEUED", "RUNNING", "QUEUED", "RUNNING"]
    assert "requeued: lease of worker-victim expired" in trail[2]["reason"]
    assert trail[3]["actor"] == "worker-rescuer"
    assert train_log(forge, job_id)["steps"] == 16
    # resumed, not restarted: the first step the rescuer reported comes after the checkpoint
    assert first_step_of_last_training(forge, job_id) > saved_step >= SAVE_STEPS
    assert not forge.checkpoint_dir(job_id).exists()  # settled: checkpoints removed
    # the victim could not discard its half-written adapter; the rescuer removed it
    assert not list((forge.store.root / ".staging").glob(f"{job_id}--*"))
    assert any(
        "removed partial output of an earlier attempt" in e.get("message", "") for e in forge.jobs.events(job_id)
    )


def test_cancel_a_running_worker_job_then_resume_it(home):
    forge = Forge()
    job_id = submit(forge, max_steps=24)
    worker = start_worker("worker-cancel")
    wait_for_checkpoint(forge, job_id, worker)
    r = subprocess.run([FORGE, "job", "cancel", job_id, "--json"], capture_output=True, text=True, env={**os.environ})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["cancel_requested"] is True
    out = finish(worker, timeout=120)
    job = forge.jobs.get(job_id)
    assert job.state is JobState.CANCELLED, out
    assert "cancelled by" in forge.jobs.transitions(job_id)[-1]["reason"]
    assert not (forge.store.root / "adapter").exists() or not any(
        a.manifest["config"].get("max_steps") == 24 for a in forge.store.all() if a.kind == "adapter"
    )
    assert not list((forge.store.root / ".staging").glob(f"{job_id}--*"))  # partial output gone
    assert any(forge.checkpoint_dir(job_id).glob("checkpoint-*"))  # kept for the resume

    r = subprocess.run(
        [FORGE, "job", "resume", job_id, "--no-start-worker", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert r.returncode == 0, r.stderr
    new_id = json.loads(r.stdout)["job"]["id"]
    assert json.loads(r.stdout)["checkpoint"]
    r = subprocess.run([FORGE, "worker", "--once"], capture_output=True, text=True, env={**os.environ}, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    new = forge.jobs.get(new_id)
    assert new.state in SETTLED and new.state is JobState.TESTS_PASSED, new.error
    assert first_step_of_last_training(forge, new_id) > SAVE_STEPS
    r = subprocess.run([FORGE, "job", "logs", new_id, "--json"], capture_output=True, text=True, env={**os.environ})
    events = [json.loads(x) for x in r.stdout.splitlines()]
    assert any(e["kind"] == "progress" and e.get("stage") == "train" and "loss" in e for e in events)
    assert events[-1]["state"] == "TESTS_PASSED"
