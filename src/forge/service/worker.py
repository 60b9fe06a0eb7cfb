"""The worker: a process that takes jobs from the database queue and runs them.

`forge worker` loops: recover jobs whose worker died (expired lease) → claim the oldest QUEUED
job → run it through its registered kind → repeat. Several workers, on one host or many (with
PostgreSQL), share one queue safely: claiming is a compare-and-set (jobs.leases).

`ensure_worker_running(forge)` is what the edges call after queueing work (`Forge.start_worker`):
it starts a detached worker when no live one is registered, and that worker exits after a
while idle.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from forge.jobs import leases, presence
from forge.jobs.runtime import clean_job_staging
from forge.progress import NULL_PROGRESS, Progress

if TYPE_CHECKING:
    from forge.service import Forge

AUTOSTART_IDLE_EXIT_S = float(os.environ.get("FORGE_WORKER_IDLE_EXIT", "300"))


def new_worker_id() -> str:
    from forge.governance import host_name

    return f"worker-{host_name()}-{os.getpid()}-{secrets.token_hex(2)}"


def run_worker(
    forge: Forge,
    *,
    worker_id: str | None = None,
    once: bool = False,
    drain: bool = False,
    poll_s: float = 1.0,
    idle_exit_s: float | None = None,
    progress: Progress = NULL_PROGRESS,
    say: Callable[[str], None] = lambda _m: None,
) -> list[dict[str, Any]]:
    """Run jobs until told to stop. `once`: at most one job; `drain`: until the queue is empty;
    `idle_exit_s`: stop after that long with nothing to do. Returns what each job ended as."""
    from forge.governance import host_name
    from forge.scrub import scrub_text

    say_raw = say

    def say_scrubbed(message: str) -> None:  # the worker log may carry job errors: never a secret
        say_raw(scrub_text(message))

    say = say_scrubbed

    forge.require_active()  # the worker path refuses on an uninitialised host
    worker_id = worker_id or new_worker_id()
    actor = worker_id if worker_id.startswith("worker") else f"worker:{worker_id}"
    stop = _stop_on_sigterm()
    presence.register(forge.engine, worker_id, host_name())
    say(f"{worker_id} watching the queue in {forge.settings.home} ({forge.engine.dialect.name})")
    done: list[dict[str, Any]] = []
    idle_since = last_beat = time.monotonic()
    try:
        while not stop["now"]:
            for r in leases.recover_expired(forge.engine, actor):
                say(f"{r['job']}: {r['from']} → {r['to']}: {r['reason']}")
                if r["to"] == "FAILED":  # given up: its dead attempt's partial output goes too
                    clean_job_staging(forge.store, r["job"])
            if time.monotonic() - last_beat > leases.lease_seconds() / 3:  # not every poll
                presence.beat(forge.engine, worker_id)
                last_beat = time.monotonic()
            job_id = leases.claim(forge.engine, worker_id, actor=actor)
            if job_id is None:
                if once or drain or (idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s):
                    break
                time.sleep(poll_s)
                continue
            say(f"{job_id}: claimed")
            done.append(_run_claimed(forge, job_id, worker_id, actor, progress, say))
            idle_since = time.monotonic()
            if once:
                break
    finally:
        presence.stopped(forge.engine, worker_id)
        if "restore" in stop:
            stop["restore"]()
        leases.STOPPING.clear()
    return done


def _run_claimed(
    forge: Forge, job_id: str, worker_id: str, actor: str, progress: Progress, say: Callable[[str], None]
) -> dict[str, Any]:
    try:
        job = forge.run_job(job_id, progress=progress, actor=actor, owner=worker_id)
        outcome = {"job": job_id, "state": job.state.value, "error": job.error}
    except leases.LeaseLost as e:
        outcome = {"job": job_id, "state": "LEASE_LOST", "error": str(e)}
    except leases.WorkerStopping:
        outcome = {"job": job_id, "state": forge.jobs.get(job_id).state.value, "error": None}
    except Exception as e:  # the job recorded its failure; the worker goes on with the next
        job = forge.jobs.get(job_id)
        outcome = {"job": job_id, "state": job.state.value, "error": job.error or str(e)}
    say(f"{job_id}: {outcome['state']}" + (f" — {outcome['error']}" if outcome["error"] else ""))
    return outcome


def _stop_on_sigterm() -> dict[str, Any]:
    """SIGTERM: the running job stops at its next step and goes back to the queue (resumable
    from its checkpoint by any worker), then the worker exits. kill -9 is what leases are for.

    A stage may fork a process pool (a plugin's; Forge's own start their children clean), whose
    children would inherit this handler, and Pool.terminate() stops them with SIGTERM. A Python
    handler runs only when its process gets back to Python code, which a child forked while
    another thread held a lock never does (measured: 13 pools of 200 hung in join), so a forked
    child starts with the default instead (_default_sigterm_in_child), and dies when told."""
    flag: dict[str, Any] = {"now": False}
    leases.STOPPING.clear()

    me = os.getpid()

    def stop(signum: int, _frame: object) -> None:
        if os.getpid() != me:  # a child forked before the reset below: terminate as asked
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        flag["now"] = True
        leases.STOPPING.set()

    try:
        previous = signal.signal(signal.SIGTERM, stop)
        flag["restore"] = lambda: signal.signal(signal.SIGTERM, previous)
        _WORKER_HANDLERS.add(stop)
    except ValueError:  # not the main thread (a test driving the loop): no signal handling
        pass
    return flag


# The worker's SIGTERM handlers; a process forked from a worker resets SIGTERM to the default
# at birth, before it can block anywhere (registered once: os.register_at_fork has no undo).
_WORKER_HANDLERS: set[Any] = set()


def _default_sigterm_in_child() -> None:
    if signal.getsignal(signal.SIGTERM) in _WORKER_HANDLERS:
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except ValueError:  # (forked from a thread the runtime does not take for the main one)
            pass


os.register_at_fork(after_in_child=_default_sigterm_in_child)


def ensure_worker_running(forge: Forge, *, idle_exit_s: float | None = None) -> dict[str, Any]:
    """Start a detached `forge worker` unless a live one is registered; say which happened.

    The started worker outlives the caller (its own session), logs under FORGE_HOME/logs, and
    exits after `idle_exit_s` (FORGE_WORKER_IDLE_EXIT, default 300 s) with nothing to do."""
    forge.require_active()  # a worker would refuse at once; say it here, where the user is
    alive = presence.live(forge.engine)
    if alive:
        return {"started": False, "worker": alive[0]}
    logs = forge.settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    worker_id = new_worker_id()
    log_path = logs / f"{worker_id}.log"
    idle = AUTOSTART_IDLE_EXIT_S if idle_exit_s is None else idle_exit_s
    cmd = [sys.executable, "-m", "forge.cli", "worker", "--id", worker_id, "--idle-exit", str(idle)]
    env = {**os.environ, "FORGE_HOME": str(forge.settings.home)}
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
            cwd=str(Path.cwd()),
        )
    return {"started": True, "worker": {"id": worker_id, "pid": proc.pid, "log": str(log_path)}}
