"""Job store: jobs, their audit trail and progress events, over SQLAlchemy Core."""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine, Row

from forge.errors import IllegalTransition, NotFound
from forge.jobs.state_machine import JobState, check_transition
from forge.scrub import scrub_text
from forge.storage.schema import job_events, job_leases, job_transitions, jobs, utcnow


@dataclass
class Job:
    id: str
    kind: str
    state: JobState
    authorization: str
    config: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state.value,
            "authorization": self.authorization,
            "config": self.config,
            "result": self.result,
            "error": self.error,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


def _job(row: Row[Any]) -> Job:
    return Job(
        id=row.id,
        kind=row.kind,
        state=JobState(row.state),
        authorization=row.authorization,
        config=row.config,
        result=row.result,
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class JobStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def create(
        self,
        kind: str,
        config: dict[str, Any],
        *,
        authorization: str,
        actor: str,
        resumed_from: str | None = None,
        checkpoint_key: str | None = None,
    ) -> Job:
        """Queue a job. `resumed_from`: the FAILED/CANCELLED job this one continues, sharing its
        checkpoints (`checkpoint_key`); the link is written with the job, before any worker sees it."""
        if not authorization or not authorization.strip():
            raise IllegalTransition("every job needs an authorization task id (a bead or ticket id)")
        job_id = "job-" + secrets.token_hex(4)
        now = utcnow()
        reason = f"created; authorized by {authorization}"
        if resumed_from:
            reason += f"; resumes {resumed_from} from its last checkpoint"
        with self.engine.begin() as conn:
            conn.execute(
                jobs.insert().values(
                    id=job_id,
                    kind=kind,
                    state=JobState.QUEUED.value,
                    authorization=authorization,
                    config=config,
                    result=None,
                    error=None,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                job_transitions.insert().values(
                    job_id=job_id, from_state=None, to_state=JobState.QUEUED.value, at=now, actor=actor, reason=reason
                )
            )
            conn.execute(
                job_leases.insert().values(
                    job_id=job_id,
                    owner=None,
                    expires_at=None,
                    attempts=0,
                    resumed_from=resumed_from,
                    checkpoint_key=checkpoint_key or job_id,
                )
            )
        return self.get(job_id)

    def get(self, job_id: str) -> Job:
        with self.engine.connect() as conn:
            row = conn.execute(select(jobs).where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFound(f"no job {job_id!r}", hint="`forge job list` shows the jobs there are")
        return _job(row)

    def list(self, limit: int = 50) -> list[Job]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(jobs).order_by(jobs.c.created_at.desc()).limit(limit)).all()
        return [_job(r) for r in rows]

    def transition(
        self,
        job_id: str,
        target: JobState | str,
        *,
        actor: str,
        reason: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> Job:
        """Move a job to `target` if the state machine allows it; write the audit row atomically.
        The reason (a failure's exception text, say) is scrubbed before it is stored."""
        reason = scrub_text(reason) if reason else reason
        with self.engine.begin() as conn:
            row = conn.execute(select(jobs.c.state).where(jobs.c.id == job_id)).first()
            if row is None:
                raise NotFound(f"no job {job_id!r}")
            current = JobState(row.state)
            new = check_transition(current, target, reason)
            now = utcnow()
            values: dict[str, Any] = {"state": new.value, "updated_at": now}
            if new is JobState.FAILED:
                values["error"] = reason
            if result is not None:
                values["result"] = result
            # compare-and-set on the state: a concurrent writer cannot slip a transition in between
            done = conn.execute(update(jobs).where(jobs.c.id == job_id, jobs.c.state == current.value).values(**values))
            if done.rowcount != 1:
                raise IllegalTransition(f"job {job_id} changed state concurrently; retry")
            conn.execute(
                job_transitions.insert().values(
                    job_id=job_id, from_state=current.value, to_state=new.value, at=now, actor=actor, reason=reason
                )
            )
        return self.get(job_id)

    def set_result(self, job_id: str, result: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(jobs).where(jobs.c.id == job_id).values(result=result, updated_at=utcnow()))

    def transitions(self, job_id: str) -> builtins.list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_transitions).where(job_transitions.c.job_id == job_id).order_by(job_transitions.c.id)
            ).all()
        return [
            {"from": r.from_state, "to": r.to_state, "at": r.at.isoformat(), "actor": r.actor, "reason": r.reason}
            for r in rows
        ]

    def add_event(self, job_id: str, kind: str, data: dict[str, Any]) -> None:
        """Store a progress, stage or log event; its text fields are scrubbed first."""
        data = {k: scrub_text(v) if isinstance(v, str) else v for k, v in data.items()}
        with self.engine.begin() as conn:
            conn.execute(job_events.insert().values(job_id=job_id, at=utcnow(), kind=kind, data=data))

    def events(self, job_id: str, after_id: int = 0) -> builtins.list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_events)
                .where(job_events.c.job_id == job_id, job_events.c.id > after_id)
                .order_by(job_events.c.id)
            ).all()
        return [{"id": r.id, "at": r.at.isoformat(), "kind": r.kind, **r.data} for r in rows]

    def recent_events(self, job_id: str, n: int) -> builtins.list[dict[str, Any]]:
        """The newest `n` events, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_events).where(job_events.c.job_id == job_id).order_by(job_events.c.id.desc()).limit(n)
            ).all()
        return [{"id": r.id, "at": r.at.isoformat(), "kind": r.kind, **r.data} for r in reversed(rows)]

    def last_event(self, job_id: str, *kinds: str) -> dict[str, Any] | None:
        """The newest event of these kinds (pollers ask often; a long job has thousands)."""
        with self.engine.connect() as conn:
            r = conn.execute(
                select(job_events)
                .where(job_events.c.job_id == job_id, job_events.c.kind.in_(kinds))
                .order_by(job_events.c.id.desc())
                .limit(1)
            ).first()
        return None if r is None else {"id": r.id, "at": r.at.isoformat(), "kind": r.kind, **r.data}
