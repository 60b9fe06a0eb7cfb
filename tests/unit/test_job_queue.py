"""The database queue: claiming, leases, recovery of dead workers, cancel and resume.

Real SQLite databases and real threads/processes; nothing mocked. The quick job kind is
`verify` (re-hash artifacts), so no model is needed here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from forge.artifacts import artifact_id
from forge.errors import IllegalTransition
from forge.jobs import leases, presence
from forge.jobs.kinds import JobKind, register_job_kind
from forge.jobs.state_machine import JobState
from forge.service import Forge

FORGE = str(Path(sys.executable).parent / "forge")


def make_artifact(forge: Forge, text: str = "hello"):
    aid = artifact_id("dataset", {"text": text}, [])
    with forge.store.staged("dataset") as st:
        (st / "rows.jsonl").write_text(text)
        return forge.store.commit(st, kind="dataset", aid=aid, config={"text": text}, inputs=[])


@pytest.fixture
def forge(forge_home):
    f = Forge()
    f.init_environment(allow_cpu=True, actor="pytest")
    return f


def queue_verify(forge: Forge, n: int) -> list[str]:
    art = make_artifact(forge)
    return [
        forge.submit("verify", {"artifacts": [art.id], "authorization": f"gt-{i}"}, actor="pytest").id for i in range(n)
    ]


def claims(forge: Forge, job_id: str) -> list[dict]:
    return [t for t in forge.jobs.transitions(job_id) if t["from"] == "QUEUED" and t["to"] == "RUNNING"]


def test_racing_claims_on_one_job_have_exactly_one_winner(forge):
    [job_id] = queue_verify(forge, 1)
    winners, barrier = [], threading.Barrier(8)

    def race(i: int) -> None:
        barrier.wait()
        if leases.claim(forge.engine, f"w{i}", job_id=job_id) == job_id:
            winners.append(i)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert len(claims(forge, job_id)) == 1
    lease = leases.get_lease(forge.engine, job_id)
    assert lease.owner == f"w{winners[0]}" and lease.attempts == 1


def test_claim_takes_the_oldest_queued_job_first(forge):
    ids = queue_verify(forge, 3)
    assert [leases.claim(forge.engine, "w") for _ in range(4)] == [*ids, None]


def test_expired_lease_requeues_then_fails_after_max_attempts(forge):
    [job_id] = queue_verify(forge, 1)
    for attempt in (1, 2):
        assert leases.claim(forge.engine, f"dead-{attempt}", seconds=0.01) == job_id
        time.sleep(0.05)
        [moved] = leases.recover_expired(forge.engine, "pytest", attempts_allowed=2)
        assert moved["to"] == ("QUEUED" if attempt == 1 else "FAILED")
    job = forge.jobs.get(job_id)
    assert job.state is JobState.FAILED
    assert "dead-2" in job.error and "lease expired" in job.error and "2/2" in job.error
    trail = [t["to"] for t in forge.jobs.transitions(job_id)]
    assert trail == ["QUEUED", "RUNNING", "QUEUED", "RUNNING", "FAILED"]
    assert "requeued: lease of dead-1 expired" in forge.jobs.transitions(job_id)[2]["reason"]


def test_a_renewed_lease_is_not_recovered(forge):
    [job_id] = queue_verify(forge, 1)
    leases.claim(forge.engine, "alive", seconds=0.2)
    for _ in range(3):
        time.sleep(0.1)
        assert leases.renew(forge.engine, job_id, "alive", seconds=0.2)
        assert leases.recover_expired(forge.engine, "pytest") == []
    assert forge.jobs.get(job_id).state is JobState.RUNNING
    assert not leases.renew(forge.engine, job_id, "someone-else")


def test_heartbeat_keeps_a_long_job_alive_and_notices_a_lost_lease(forge):
    [job_id] = queue_verify(forge, 1)
    leases.claim(forge.engine, "w1", seconds=0.3)
    with presence.Heartbeat(forge.engine, job_id, "w1", seconds=0.3) as hb:
        time.sleep(0.8)  # longer than the lease: only the heartbeat keeps it
        assert leases.recover_expired(forge.engine, "pytest") == []
        leases.release(forge.engine, job_id, "w1")  # as if recovered by another worker
        time.sleep(0.3)
        assert hb.lost


def test_worker_runs_queued_jobs_and_records_who(forge):
    ids = queue_verify(forge, 3)
    done = forge.run_worker(worker_id="worker-t1", drain=True)
    assert [d["job"] for d in done] == ids
    for job_id in ids:
        job = forge.jobs.get(job_id)
        assert job.state is JobState.TESTS_PASSED
        assert job.result["by"] == "worker-t1"
        assert leases.get_lease(forge.engine, job_id).owner is None  # released


def test_worker_refuses_on_an_uninitialised_host(forge_home):
    from forge.governance import EnvironmentInactive

    f = Forge()
    queue_verify(f, 1)
    with pytest.raises(EnvironmentInactive, match="forge env init"):
        f.run_worker(drain=True)
    assert f.jobs.list()[0].state is JobState.QUEUED


def test_two_worker_processes_run_each_job_exactly_once(forge, forge_home):
    ids = queue_verify(forge, 12)
    env = {**os.environ, "FORGE_HOME": str(forge_home)}
    procs = [
        subprocess.Popen(
            [FORGE, "worker", "--drain", "--json", "--id", f"worker-{n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in ("a", "b")
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    import json

    ran = [d["job"] for out, _ in outs for d in json.loads(out)["jobs"]]
    assert sorted(ran) == sorted(ids)  # every job once, none twice
    for job_id in ids:
        assert forge.jobs.get(job_id).state is JobState.TESTS_PASSED
        assert len(claims(forge, job_id)) == 1


# -- cancel ------------------------------------------------------------------------------------------


def _slow_stage(forge, job, progress, actor):
    """A registered test kind: a stage that writes into staging and advances until stopped."""
    with forge.store.staged("dataset") as st:
        (st / "partial.jsonl").write_text("half")
        task = progress.task("slow", total=10_000)
        for _ in range(10_000):
            time.sleep(0.01)
            task.advance(1, loss=1.0)
    return {}


register_job_kind(
    JobKind(
        "test-slow",
        "forge.jobs.verify:validate_verify_config",
        f"{__name__}:_slow_stage",
        "test only: advances until cancelled",
    )
)


def test_cancel_a_queued_job_is_immediate(forge):
    [job_id] = queue_verify(forge, 1)
    assert forge.cancel(job_id) is JobState.CANCELLED
    assert forge.jobs.transitions(job_id)[-1]["reason"] == "cancelled before it started"
    with pytest.raises(IllegalTransition, match="nothing to cancel"):
        forge.cancel(job_id)


def test_cancel_a_running_job_stops_it_and_removes_partial_artifacts(forge):
    art = make_artifact(forge)
    job = forge.submit("test-slow", {"artifacts": [art.id], "authorization": "gt-1"}, actor="pytest")
    errors = []
    runner = threading.Thread(target=lambda: _catch(errors, forge.run_job, job.id, actor="pytest"))
    runner.start()
    while not any(e["kind"] == "progress" for e in forge.jobs.events(job.id)):
        time.sleep(0.05)
    assert forge.cancel(job.id, actor="alice") is JobState.RUNNING  # a request, acted on soon
    runner.join(timeout=30)
    assert not runner.is_alive()
    assert type(errors[0]).__name__ == "JobCancelled"
    done = forge.jobs.get(job.id)
    assert done.state is JobState.CANCELLED
    assert "cancelled by alice" in forge.jobs.transitions(job.id)[-1]["reason"]
    staging = forge.store.root / ".staging"
    assert not staging.exists() or not any(staging.iterdir())


def _catch(errors, fn, *args, **kw):
    try:
        fn(*args, **kw)
    except BaseException as e:
        errors.append(e)


# -- resume --------------------------------------------------------------------------------------------


def test_resume_creates_a_linked_job_sharing_the_checkpoints(forge):
    [job_id] = queue_verify(forge, 1)
    leases.claim(forge.engine, "w")
    forge.jobs.transition(job_id, JobState.FAILED, actor="w", reason="worker ran out of memory")
    ckpt = forge.checkpoint_dir(job_id)
    new = forge.resume(job_id, actor="bob")
    assert new.state is JobState.QUEUED and new.config == forge.jobs.get(job_id).config
    assert forge.checkpoint_dir(new.id) == ckpt
    assert leases.get_lease(forge.engine, new.id).resumed_from == job_id
    status = forge.job_status(new.id)
    assert status["lease"]["resumed_from"] == job_id and status["state"] == "QUEUED"
    assert f"resumes {job_id}" in forge.jobs.transitions(new.id)[0]["reason"]
    assert any(f"resumed as {new.id}" in e.get("message", "") for e in forge.jobs.events(job_id))
    assert forge.jobs.get(job_id).state is JobState.FAILED  # terminal stays terminal


def test_resume_refuses_running_passed_and_gate_failed_jobs(forge):
    a, b = queue_verify(forge, 2)
    with pytest.raises(IllegalTransition, match="only a FAILED or CANCELLED"):
        forge.resume(a)
    leases.claim(forge.engine, "w", job_id=b)
    forge.jobs.transition(b, JobState.FAILED, actor="w", reason="gate: 0.1 < 0.5")
    with pytest.raises(IllegalTransition, match="eval gate"):
        forge.resume(b)


# -- the CLI starts a worker when none runs ------------------------------------------------------------


def test_ensure_worker_running_starts_one_detached_worker_that_exits_when_idle(forge):
    [job_id] = queue_verify(forge, 1)
    first = forge.start_worker(idle_exit_s=3)
    assert first["started"] is True
    pid, reaped = first["worker"]["pid"], False
    try:
        assert forge.wait(job_id, timeout_s=120).state is JobState.TESTS_PASSED
        again = forge.start_worker(idle_exit_s=3)
        assert again == {"started": False, "worker": again["worker"]}
        assert again["worker"]["id"] == first["worker"]["id"]
        _, status = os.waitpid(pid, 0)  # it exits by itself once idle
        reaped = True
        assert os.WEXITSTATUS(status) == 0
    finally:
        if not reaped:  # the test failed early: do not leave the worker behind
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    assert forge.jobs.get(job_id).result["by"] == first["worker"]["id"]
    assert "watching the queue" in Path(first["worker"]["log"]).read_text()


def test_ensure_worker_running_refuses_on_an_uninitialised_host(forge_home):
    from forge.governance import EnvironmentInactive

    with pytest.raises(EnvironmentInactive):
        Forge().start_worker()


def test_sigterm_puts_the_running_job_back_in_the_queue(forge):
    """The worker loop runs here in the main thread; a timer sends this process SIGTERM."""
    import signal

    art = make_artifact(forge)
    job = forge.submit("test-slow", {"artifacts": [art.id], "authorization": "gt-1"}, actor="pytest")

    def term_when_running() -> None:
        while not any(e["kind"] == "progress" for e in forge.jobs.events(job.id)):
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=term_when_running, daemon=True).start()
    done = forge.run_worker(worker_id="worker-term", poll_s=0.1)
    assert done == [{"job": job.id, "state": "QUEUED", "error": None}]
    trail = forge.jobs.transitions(job.id)
    assert trail[-1]["to"] == "QUEUED" and "worker worker-term stopped" in trail[-1]["reason"]
    assert leases.get_lease(forge.engine, job.id).owner is None
    assert not list((forge.store.root / ".staging").iterdir())
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was put back


def test_job_logs_follow_streams_until_the_job_settles(forge):
    import json

    from typer.testing import CliRunner

    from forge.cli import app

    art = make_artifact(forge)
    job = forge.submit("test-slow", {"artifacts": [art.id], "authorization": "gt-1"}, actor="pytest")
    runner_thread = threading.Thread(target=lambda: _catch([], forge.run_job, job.id, actor="pytest"))
    runner_thread.start()

    def cancel_later() -> None:
        while len([e for e in forge.jobs.events(job.id) if e["kind"] == "progress"]) < 2:
            time.sleep(0.05)
        forge.cancel(job.id, actor="carol")

    threading.Thread(target=cancel_later, daemon=True).start()
    r = CliRunner().invoke(app, ["job", "logs", job.id, "--follow", "--json", "--poll", "0.1"])
    runner_thread.join(timeout=30)
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.output.splitlines()]
    progress = [e for e in lines if e["kind"] == "progress"]
    assert len(progress) >= 2 and all("step" in e and "loss" in e for e in progress)
    assert lines[-1]["kind"] == "state" and lines[-1]["state"] == "CANCELLED"
    assert "cancelled by carol" in lines[-1]["reason"]


def test_a_dead_attempts_partial_output_is_removed_by_the_next_attempt(forge):
    [job_id, other] = queue_verify(forge, 2)
    staging = forge.store.root / ".staging"
    mine = staging / f"{job_id}--adapter-0123456789ab"  # what a killed worker leaves behind
    theirs = staging / f"{other}--adapter-0123456789ab"  # another job's work in progress
    for d in (mine, theirs):
        d.mkdir(parents=True)
        (d / "adapter_model.safetensors").write_bytes(b"half")
    forge.run_job(job_id)
    assert not mine.exists() and theirs.exists()
    assert any(mine.name in e.get("message", "") for e in forge.jobs.events(job_id))


def _pool_stage(forge, job, progress, actor):
    """A stage with a forked process pool, as ingest and dedupe have: Pool.terminate() stops
    the children with SIGTERM, which they inherit the worker's handler for."""
    import multiprocessing

    pool = multiprocessing.get_context("fork").Pool(2)
    assert pool.map(abs, [-1, -2, -3]) == [1, 2, 3]
    closer = threading.Thread(target=lambda: (pool.terminate(), pool.join()), daemon=True)
    closer.start()
    closer.join(timeout=60)  # the failure is a hang: a minute tells it apart from a loaded machine
    if closer.is_alive():
        for child in pool._pool:  # do not leave them behind: this is the failure being tested
            child.kill()
        closer.join(timeout=10)
        raise RuntimeError("pool children ignored SIGTERM: Pool.join() hangs")
    from forge.jobs.verify import run_verify

    return run_verify(forge, job, progress, actor)


register_job_kind(
    JobKind(
        "test-pool",
        "forge.jobs.verify:validate_verify_config",
        f"{__name__}:_pool_stage",
        "test only: forks a process pool",
    )
)


def test_a_worker_runs_stages_that_fork_process_pools(forge):
    art = make_artifact(forge)
    job = forge.submit("test-pool", {"artifacts": [art.id], "authorization": "gt-1"}, actor="pytest")
    done = forge.run_worker(worker_id="worker-pool", drain=True)  # main thread: the handler is installed
    assert done == [{"job": job.id, "state": "TESTS_PASSED", "error": None}]


def test_pool_children_of_a_worker_die_on_sigterm_however_they_were_forked():
    """A child forked while another of the parent's threads held a lock never gets back to Python
    code, so a Python SIGTERM handler it inherited would never run and Pool.join() would hang
    (13 of 200 pools on this machine before children started with the default). 40 pools make
    that failure all but certain to show; each takes tens of milliseconds."""
    import multiprocessing

    from forge.service.worker import _stop_on_sigterm

    flag = _stop_on_sigterm()
    try:
        for _ in range(40):
            pool = multiprocessing.get_context("fork").Pool(2)
            assert pool.map(abs, [-1, -2, -3]) == [1, 2, 3]
            closer = threading.Thread(target=lambda p=pool: (p.terminate(), p.join()), daemon=True)
            closer.start()
            closer.join(timeout=30)
            if closer.is_alive():
                for child in pool._pool:
                    child.kill()
                closer.join(timeout=10)
                raise AssertionError("a pool child ignored SIGTERM: Pool.join() hung")
    finally:
        flag.get("restore", lambda: None)()
