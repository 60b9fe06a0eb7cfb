"""What a running job sees: progress that becomes job events (and hears cancel requests), and an
artifact store whose staging dirs carry the job id so a dead attempt's leftovers can be found."""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from forge.artifacts import ArtifactStore
from forge.jobs.store import JobStore
from forge.progress import Progress, Task
from forge.settings import Settings

CANCEL_CHECK_S = 0.5
PROGRESS_EVENT_S = 1.0  # one progress event a second is plenty to follow a job


@dataclass(frozen=True)
class JobContext:
    """What a job kind's function works with: the home, the database, the job's own view of the
    artifact store (staging named after the job) and where its training checkpoints go."""

    settings: Settings
    engine: Engine
    store: ArtifactStore
    jobs: JobStore
    checkpoint_dir: Path


class JobProgress:
    """Forwards progress to the caller's display and records it as job events (throttled).

    It is also how a running job hears from outside: every advance checks (at most every
    CANCEL_CHECK_S) for a cancel request and whether the heartbeat lost the lease, and raises
    JobCancelled / LeaseLost, so training stops within one step of a `forge job cancel`."""

    def __init__(self, jobs: JobStore, job_id: str, inner: Progress, heartbeat: Any = None):
        self.jobs, self.job_id, self.inner, self.heartbeat = jobs, job_id, inner, heartbeat
        self._checked = 0.0

    def task(self, name: str, total: int | None = None) -> Task:
        self.check()
        self.jobs.add_event(self.job_id, "stage", {"stage": name, "total": total, "status": "started"})
        return _JobTask(self, name, total, self.inner.task(name, total))

    def log(self, message: str) -> None:
        self.jobs.add_event(self.job_id, "log", {"message": message})
        self.inner.log(message)

    def check(self, force: bool = False) -> None:
        from forge.jobs.leases import STOPPING, JobCancelled, LeaseLost, WorkerStopping, cancel_requested

        now = time.monotonic()
        if not force and now - self._checked < CANCEL_CHECK_S:
            return
        self._checked = now
        if STOPPING.is_set():
            raise WorkerStopping(f"job {self.job_id}: the worker is stopping")
        if self.heartbeat is not None and self.heartbeat.lost:
            raise LeaseLost(
                f"job {self.job_id}: this worker's lease expired and the job was recovered by another worker; stopping"
            )
        req = cancel_requested(self.jobs.engine, self.job_id)
        if req is not None:
            at, by = req
            raise JobCancelled(f"cancelled by {by} (requested {at.isoformat(timespec='seconds')})")


class _JobTask:
    def __init__(self, owner: JobProgress, name: str, total: int | None, inner: Task):
        self.owner, self.name, self.total, self.inner = owner, name, total, inner
        self.completed, self._last = 0, 0.0

    def advance(self, n: int = 1, **metrics: Any) -> None:
        self.completed += n
        self.inner.advance(n, **metrics)
        now = time.monotonic()
        # a logged loss is always recorded (the loss curve needs every point; one comes every
        # logging_steps); other metrics at most once a second
        if metrics and ("loss" in metrics or now - self._last >= PROGRESS_EVENT_S):
            self._last = now
            self.owner.jobs.add_event(
                self.owner.job_id,
                "progress",
                {"stage": self.name, "step": self.completed, "total": self.total, **jsonable_flat(metrics)},
            )
        self.owner.check()

    def done(self, **metrics: Any) -> None:
        self.inner.done(**metrics)
        self.owner.jobs.add_event(
            self.owner.job_id,
            "stage",
            {
                "stage": self.name,
                "status": "done",
                "step": self.completed,
                "total": self.total,
                **jsonable_flat(metrics),
            },
        )


def jsonable_flat(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in d.items()}


class JobArtifactStore(ArtifactStore):
    """The artifact store as one job writes to it: staging dirs are named `<job id>--<kind>-…`.
    A worker killed mid-stage cannot discard its staging; the job's next attempt (or the
    recovery that gives up on it) removes exactly that job's leftovers and nothing else."""

    def __init__(self, root: Path, job_id: str):
        super().__init__(root)
        self.job_id = job_id

    def staging(self, kind: str) -> Path:
        path = self.root / ".staging" / f"{self.job_id}--{kind}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        return path


def clean_job_staging(store: ArtifactStore, *job_ids: str | None) -> list[Path]:
    """Remove the staging dirs of jobs no process is running (a dead attempt's partial output)."""
    removed = []
    for job_id in filter(None, job_ids):
        for path in (store.root / ".staging").glob(f"{job_id}--*"):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
