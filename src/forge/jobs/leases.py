"""The queue in the database: claiming jobs under a lease, heartbeats, recovery, cancel requests.

A worker claims a QUEUED job with a compare-and-set (`UPDATE jobs SET state='RUNNING' WHERE
id=? AND state='QUEUED'`): of two workers racing for one job exactly one sees a row updated.
On PostgreSQL the candidate is also picked with `FOR UPDATE SKIP LOCKED`, so workers on
several hosts skip each other's rows instead of queueing on the lock (SQLite ignores it; the
compare-and-set alone keeps it safe there).

The claim writes a lease (owner, expires_at). The owner renews it while the job runs; a job
whose lease expired lost its worker (kill -9, power loss): `recover_expired` moves it back
to QUEUED to resume from its checkpoint, or to FAILED with the reason after `max_attempts`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, overload

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine, Row

from forge.errors import ForgeError, IllegalTransition
from forge.jobs.state_machine import ACTIVE, SETTLED, JobState, check_transition
from forge.storage.schema import job_leases, job_transitions, jobs, utcnow

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 3


def lease_seconds() -> float:
    """How long a claim lasts without a heartbeat (FORGE_LEASE_SECONDS; tests shorten it)."""
    return float(os.environ.get("FORGE_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)


def max_attempts() -> int:
    return int(os.environ.get("FORGE_MAX_ATTEMPTS") or DEFAULT_MAX_ATTEMPTS)


@overload
def aware(t: datetime) -> datetime: ...
@overload
def aware(t: None) -> None: ...
def aware(t: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; everything we store is UTC."""
    if t is not None and t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t


@dataclass
class Lease:
    job_id: str
    owner: str | None
    expires_at: datetime | None
    attempts: int
    cancel_requested_at: datetime | None
    cancel_requested_by: str | None
    resumed_from: str | None
    checkpoint_key: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            "attempts": self.attempts,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "cancel_requested_at": (self.cancel_requested_at.isoformat() if self.cancel_requested_at else None),
            "cancel_requested_by": self.cancel_requested_by,
            "resumed_from": self.resumed_from,
            "checkpoint_key": self.checkpoint_key,
        }


def _lease(row: Row[Any] | None, job_id: str) -> Lease:
    if row is None:
        return Lease(job_id, None, None, 0, None, None, None, job_id)
    return Lease(
        job_id,
        row.owner,
        aware(row.expires_at),
        row.attempts or 0,
        aware(row.cancel_requested_at),
        row.cancel_requested_by,
        row.resumed_from,
        row.checkpoint_key or job_id,
    )


def get_lease(engine: Engine, job_id: str) -> Lease:
    with engine.connect() as conn:
        row = conn.execute(select(job_leases).where(job_leases.c.job_id == job_id)).first()
    return _lease(row, job_id)


def _audit(conn: Connection, job_id: str, frm: JobState, to: JobState, actor: str, reason: str, now: datetime) -> None:
    conn.execute(
        job_transitions.insert().values(
            job_id=job_id, from_state=frm.value, to_state=to.value, at=now, actor=actor, reason=reason
        )
    )


def _upsert_lease(conn: Connection, job_id: str, **values: Any) -> None:
    done = conn.execute(update(job_leases).where(job_leases.c.job_id == job_id).values(**values))
    if done.rowcount == 0:
        conn.execute(job_leases.insert().values(job_id=job_id, **{"attempts": 0, **values}))


def claim(
    engine: Engine, owner: str, *, job_id: str | None = None, actor: str | None = None, seconds: float | None = None
) -> str | None:
    """Claim `job_id` (or the oldest QUEUED job) for `owner`: QUEUED → RUNNING under a lease.
    `actor` names who started it in the audit trail (default: the owner).

    Returns the job id, or None when there was nothing to claim (or another worker won)."""
    seconds = seconds or lease_seconds()
    actor = actor or owner
    for _ in range(20):  # lost races retry with the next candidate
        with engine.begin() as conn:
            q = select(jobs.c.id).where(jobs.c.state == JobState.QUEUED.value)
            if job_id is not None:
                q = q.where(jobs.c.id == job_id)
            row = conn.execute(
                q.order_by(jobs.c.created_at, jobs.c.id).limit(1).with_for_update(skip_locked=True)
            ).first()
            if row is None:
                return None
            now = utcnow()
            won = (
                conn.execute(
                    update(jobs)
                    .where(jobs.c.id == row.id, jobs.c.state == JobState.QUEUED.value)
                    .values(state=JobState.RUNNING.value, updated_at=now)
                ).rowcount
                == 1
            )
            if won:
                prev = conn.execute(select(job_leases.c.attempts).where(job_leases.c.job_id == row.id)).scalar() or 0
                _upsert_lease(conn, row.id, owner=owner, expires_at=now + timedelta(seconds=seconds), attempts=prev + 1)
                _audit(
                    conn,
                    row.id,
                    JobState.QUEUED,
                    JobState.RUNNING,
                    actor,
                    f"claimed by {owner} (attempt {prev + 1})",
                    now,
                )
                return str(row.id)
        if job_id is not None:
            return None
    return None


def renew(engine: Engine, job_id: str, owner: str, seconds: float | None = None) -> bool:
    """Extend the lease; False when `owner` no longer holds it (it expired and was recovered)."""
    seconds = seconds or lease_seconds()
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(job_leases)
            .where(job_leases.c.job_id == job_id, job_leases.c.owner == owner)
            .values(expires_at=now + timedelta(seconds=seconds))
        )
    return done.rowcount == 1


def release(engine: Engine, job_id: str, owner: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(job_leases)
            .where(job_leases.c.job_id == job_id, job_leases.c.owner == owner)
            .values(owner=None, expires_at=None)
        )


def holds(engine: Engine, job_id: str, owner: str) -> bool:
    return get_lease(engine, job_id).owner == owner


def recover_expired(
    engine: Engine, actor: str, *, attempts_allowed: int | None = None, grace_seconds: float | None = None
) -> list[dict[str, Any]]:
    """Requeue (or fail, after too many attempts) every ACTIVE job whose lease expired.

    A job ACTIVE with no lease row at all (run by a Forge older than leases) counts as expired
    once it has not changed for `grace_seconds`."""
    attempts_allowed = attempts_allowed or max_attempts()
    grace = timedelta(seconds=grace_seconds if grace_seconds is not None else lease_seconds())
    now = utcnow()
    active = [s.value for s in ACTIVE]
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                jobs.c.id,
                jobs.c.state,
                jobs.c.updated_at,
                job_leases.c.owner,
                job_leases.c.expires_at,
                job_leases.c.attempts,
            )
            .select_from(jobs.outerjoin(job_leases, job_leases.c.job_id == jobs.c.id))
            .where(
                jobs.c.state.in_(active),
                or_(
                    job_leases.c.expires_at < now,
                    and_(job_leases.c.job_id.is_(None), jobs.c.updated_at < now - grace),
                    and_(job_leases.c.job_id.is_not(None), job_leases.c.expires_at.is_(None)),
                ),
            )
        ).all()
    out = []
    for r in rows:
        state, attempts = JobState(r.state), r.attempts or 0
        when = aware(r.expires_at).isoformat(timespec="seconds") if r.expires_at else "unknown"
        who = r.owner or "an unknown worker"
        if attempts >= attempts_allowed:
            target = JobState.FAILED
            reason = (
                f"worker {who} stopped responding (lease expired {when}) on attempt "
                f"{attempts}/{attempts_allowed}; giving up"
            )
        else:
            target = JobState.QUEUED
            reason = (
                f"requeued: lease of {who} expired {when} (attempt {attempts}/"
                f"{attempts_allowed}); resumes from its last checkpoint"
            )
        check_transition(state, target, reason)
        with engine.begin() as conn:
            moved = conn.execute(
                update(jobs)
                .where(jobs.c.id == r.id, jobs.c.state == state.value)
                .values(state=target.value, updated_at=now, **({"error": reason} if target is JobState.FAILED else {}))
            )
            if moved.rowcount != 1:
                continue  # someone else recovered or finished it meanwhile
            _upsert_lease(conn, r.id, owner=None, expires_at=None)
            _audit(conn, r.id, state, target, actor, reason, now)
        out.append({"job": r.id, "from": state.value, "to": target.value, "reason": reason})
    return out


def request_cancel(engine: Engine, job_id: str, actor: str) -> JobState:
    """Cancel a job: QUEUED goes CANCELLED at once; an ACTIVE job gets a cancel request its
    worker acts on within one step. Returns the job's state after the call."""
    for _ in range(5):
        with engine.connect() as conn:
            row = conn.execute(select(jobs.c.state).where(jobs.c.id == job_id)).first()
        if row is None:
            from forge.errors import NotFound

            raise NotFound(f"no job {job_id!r}", hint="`forge job list` shows the jobs there are")
        state = JobState(row.state)
        if state in SETTLED:
            raise IllegalTransition(f"job {job_id} is {state.value}; nothing to cancel")
        now = utcnow()
        with engine.begin() as conn:
            if state is JobState.QUEUED:
                done = conn.execute(
                    update(jobs)
                    .where(jobs.c.id == job_id, jobs.c.state == state.value)
                    .values(state=JobState.CANCELLED.value, updated_at=now)
                )
                if done.rowcount == 1:
                    _audit(conn, job_id, state, JobState.CANCELLED, actor, "cancelled before it started", now)
                    return JobState.CANCELLED
                continue  # a worker claimed it meanwhile: ask that worker instead
            _upsert_lease(conn, job_id, cancel_requested_at=now, cancel_requested_by=actor)
            return state
    raise ForgeError(f"job {job_id} kept changing state; try the cancel again")


def cancel_requested(engine: Engine, job_id: str) -> tuple[datetime, str] | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(job_leases.c.cancel_requested_at, job_leases.c.cancel_requested_by).where(
                job_leases.c.job_id == job_id
            )
        ).first()
    if row is None or row.cancel_requested_at is None:
        return None
    return aware(row.cancel_requested_at), row.cancel_requested_by or "unknown"


class JobCancelled(ForgeError):
    """A cancel request reached the running job; it stops and goes CANCELLED."""


class LeaseLost(ForgeError):
    """This worker's lease expired and the job was recovered elsewhere: stop, write nothing."""


class WorkerStopping(ForgeError):
    """The worker was asked to stop (SIGTERM): the job goes back to the queue, to resume later."""


# Set by the worker's SIGTERM handler; running jobs notice it at their next progress check.
STOPPING = threading.Event()
