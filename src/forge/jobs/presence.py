"""Worker presence: live workers announce themselves in the database, so the CLI knows whether one runs
(on any host sharing the queue) before it starts another."""
from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from forge.db import utcnow, workers
from forge.jobs.leases import aware, lease_seconds


def register(engine: Engine, worker_id: str, host: str) -> None:
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(update(workers).where(workers.c.id == worker_id).values(
            host=host, pid=os.getpid(), started_at=now, heartbeat_at=now, stopped_at=None))
        if done.rowcount == 0:
            conn.execute(workers.insert().values(id=worker_id, host=host, pid=os.getpid(),
                                                 started_at=now, heartbeat_at=now, stopped_at=None))


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
        rows = conn.execute(select(workers).where(workers.c.stopped_at.is_(None),
                                                  workers.c.heartbeat_at >= since)).all()
    return [{"id": r.id, "host": r.host, "pid": r.pid, "started_at": aware(r.started_at).isoformat(),
             "heartbeat_at": aware(r.heartbeat_at).isoformat()} for r in rows]
