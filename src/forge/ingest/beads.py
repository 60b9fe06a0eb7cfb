"""Reader for beads JSONL (`.beads/issues.jsonl`): one bead (work item) per line.

Standard beads fields are id, title, description, status, priority, issue_type, assignee,
labels, dependencies, created_at, updated_at, closed_at, close_reason. Forge reads three more
when present — `outcome` (success / failure), `sessions` (ids of the sessions that worked on
the bead) and `attempts` ([{session_id, outcome, reason}], one per session) — and otherwise
derives the outcome from status and close_reason. Role and task come from `role:` / `task:`
labels, else from the assignee path (rig/polecats/name → polecat).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from forge.ingest.classify import role_from_cwd
from forge.jsonl import iter_jsonl
from forge.ingest.readers import Reader, Warn, register
from forge.records import OUTCOMES, WorkItem

FAILED_CLOSE = re.compile(r"fail|abandon|won'?t ?fix|invalid|duplicate|rejected|reverted", re.I)


@dataclass
class SessionOutcome:
    """How one session's attempt at a bead went, as the bead records it."""
    session_id: str
    work_item: str
    outcome: str
    reason: str | None = None


def detect(path: Path, head: bytes) -> bool:
    if path.suffix != ".jsonl" or b'"sessionId"' in head:
        return False
    return path.name == "issues.jsonl" or (b'"issue_type"' in head and b'"title"' in head)


def derive_outcome(record: dict[str, Any]) -> str:
    explicit = record.get("outcome")
    if explicit in OUTCOMES:
        return explicit
    if record.get("status") == "closed":
        return "failure" if FAILED_CLOSE.search(str(record.get("close_reason") or "")) else "success"
    return "unknown"


def _label(labels: list[Any], prefix: str) -> str | None:
    return next((str(lab)[len(prefix):] for lab in labels if str(lab).startswith(prefix)), None)


def to_work_item(record: dict[str, Any]) -> WorkItem:
    labels = record.get("labels") if isinstance(record.get("labels"), list) else []
    role = _label(labels, "role:") or record.get("agent_role")
    if not role and isinstance(record.get("assignee"), str):
        role, _ = role_from_cwd("/" + record["assignee"])
    sessions = [s for s in record.get("sessions") or [] if isinstance(s, str)]
    for attempt in record.get("attempts") or []:
        sid = attempt.get("session_id") if isinstance(attempt, dict) else None
        if isinstance(sid, str) and sid not in sessions:
            sessions.append(sid)
    return WorkItem(id=record["id"], title=str(record.get("title") or ""),
                    status=str(record.get("status") or "open"), outcome=derive_outcome(record),
                    sessions=sessions, agent_role=role,
                    task=_label(labels, "task:") or record.get("task"))


def read(path: Path, warn: Warn) -> Iterator[WorkItem | SessionOutcome]:
    for lineno, record in iter_jsonl(path, warn):
        if not isinstance(record.get("id"), str) or not record["id"]:
            warn(lineno, "wrong schema: bead has no id")
            continue
        if record.get("status") == "tombstone":  # a deleted bead
            continue
        item = to_work_item(record)
        yield item
        for attempt in record.get("attempts") or []:
            if not isinstance(attempt, dict) or attempt.get("outcome") not in OUTCOMES \
                    or not isinstance(attempt.get("session_id"), str):
                warn(lineno, "wrong schema: attempt needs session_id and outcome")
                continue
            yield SessionOutcome(attempt["session_id"], item.id, attempt["outcome"],
                                 attempt.get("reason") if isinstance(attempt.get("reason"), str) else None)


READER = register(Reader("beads", (".jsonl",), detect, read, "beads issues (.beads/issues.jsonl)",
                         provides="work_items"))
