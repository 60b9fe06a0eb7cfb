"""Worker presence: live workers announce themselves in the database, so the CLI knows whether one runs
(on any host sharing the queue) before it starts another."""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from forge.jobs.leases import aware, lease_seconds, renew
from forge.storage.schema import utcnow, workers


def register(engine: Engine, worker_id: str, host: str) -> None:
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(workers)
            .where(workers.c.id == worker_id)
            .values(host=host, pid=os.getpid(), started_at=now, heartbeat_at=now, stopped_at=None)
        )
        if done.rowcount == 0:
            conn.execute(
                workers.insert().values(
                    id=worker_id, host=host, pid=os.getpid(), started_at=now, heartbeat_at=now, stopped_at=None
                )
            )


def beat(engine: Engine, worker_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(workers).where(workers.c.id == worker_id).values(heartbeat_at=utcnow()))


def stopped(engine: Engine, worker_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(workers).where(workers.c.id == worker_id).values(stopped_at=utcnow()))


def live(engine: Engine, within_seconds: float | None = None) -> list[dict[str, Any]]:
    """Workers that beat within the lease period and did not say they stopped."""
    since = utcnow() - timedelta(seconds=within_seconds or lease_seconds())
    with engine.connect() as conn:
        rows = conn.execute(
            select(workers).where(workers.c.stopped_at.is_(None), workers.c.heartbeat_at >= since)
        ).all()
    return [
        {
            "id": r.id,
            "host": r.host,
            "pid": r.pid,
            "started_at": aware(r.started_at).isoformat(),
            "heartbeat_at": aware(r.heartbeat_at).isoformat(),
        }
        for r in rows
    ]


class Heartbeat:
    """A daemon thread renewing the lease on `job_id` every third of the lease period (and the
    worker's own row, if any). `lost` turns True when the lease was taken away meanwhile."""

    def __init__(
        self, engine: Engine, job_id: str, owner: str, *, worker_id: str | None = None, seconds: float | None = None
    ):
        self.engine, self.job_id, self.owner, self.worker_id = engine, job_id, owner, worker_id
        self.seconds = seconds or lease_seconds()
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not renew(self.engine, self.job_id, self.owner, self.seconds):
                    self.lost = True
                    return
                if self.worker_id:
                    beat(self.engine, self.worker_id)
            except Exception:  # a database hiccup: try again next beat; the lease has slack
                continue
