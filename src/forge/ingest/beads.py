"""Reader for beads JSONL (`.beads/issues.jsonl`): one bead (work item) per line.

Standard beads fields are id, title, description, status, priority, issue_type, assignee,
labels, dependencies, created_at, updated_at, closed_at, close_reason. Forge reads three more
when present — `outcome` (success / failure), `sessions` (ids of the sessions that worked on
the bead) and `attempts` ([{session_id, outcome, reason}], one per session) — and otherwise
derives the outcome from status and close_reason. Role and task come from `role:` / `task:`
labels, else from the assignee path (rig/polecats/name → polecat). A bead closed by a session
(`closed_by_session`, as beads' Dolt backup records it) is linked to that session.

A close reason that starts with a failure verdict (failed, abandoned, won't fix, duplicate,
rejected, reverted; "Build failed", "Tests fail") is a failure: the verdict comes first
("Duplicate of bd-7z5", "rejected: Build failure ..."), and such a word later on mostly names
the bug that was fixed ("Implemented sync rollback on git commit failure"). One that says the
bead was set aside without the work (stale, superseded, obsolete, garbage, pollution,
no-changes, out of scope, refiled, a Gas Town molecule "burned: ...") leaves the outcome
unknown: nobody's work succeeded there.

Comments are counted from the bead's `comments` list, else its `comment_count` (newer exports).
Since bd 1.0.3 each line carries `_type`; lines of another type (`memory`) are not beads.
The Dolt backup's other tables (labels, dependencies, comments, events) are read by
beads_backup.py and folded into the beads by `Links.finish_beads`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.readers import Reader, Warn, register
from forge.jsonl import iter_jsonl
from forge.records import OUTCOMES, WorkItem

FAILED_CLOSE = re.compile(
    r"^\W*(?:clos(?:ed|ing)\b\W*(?:as\s+(?:an?\s+)?)?)?(?:(?:the\s+)?(?:tests?|build|ci|checks?|deploy(?:ment)?)\s+)?"
    r"(?:fail(?:ed|ure)?|abandon(?:ed)?|won'?t ?fix|wontfix|invalid|duplicates?|rejected|reverted)\b",
    re.I,
)
BACKUP_SIDE_TABLES = (
    "labels.jsonl",
    "dependencies.jsonl",
    "comments.jsonl",
    "events.jsonl",
    "config.jsonl",
)  # beads_backup.py reads these
SET_ASIDE_CLOSE = re.compile(
    r"stale|supersed|obsolete|garbage|pollution|noise|no longer (?:relevant|exists)|"
    r"not planned|out of scope|not a bug|can(?:no|')t reproduce|refiled|misfiled|wrong (?:rig|repo)|"
    r"no[- ]changes|already (?:fixed|done|implemented)|cleanup|artifact|^\W*(?:burned|moved to)\b",
    re.I,
)


@dataclass
class SessionOutcome:
    """How one session's attempt at a bead went, as the bead records it."""

    session_id: str
    work_item: str
    outcome: str
    reason: str | None = None


def detect(path: Path, head: bytes) -> bool:
    if path.suffix != ".jsonl" or b'"sessionId"' in head or path.name in BACKUP_SIDE_TABLES:
        return False
    return path.name == "issues.jsonl" or (b'"issue_type"' in head and b'"title"' in head and b'"id"' in head)


@dataclass
class BeadEvent:
    """One row of the Dolt backup's events table that bears on outcomes."""

    issue_id: str
    kind: str  # closed, reopened, status_changed, ...
    at: str  # ISO time
    reason: str | None = None  # a close's reason


def close_outcome(reason: str) -> str:
    if FAILED_CLOSE.search(reason):
        return "failure"
    if SET_ASIDE_CLOSE.search(reason):
        return "unknown"
    return "success"


def derive_outcome(record: dict[str, Any]) -> str:
    return outcome_and_source(record)[0]


def outcome_and_source(record: dict[str, Any]) -> tuple[str, str | None]:
    """(outcome, source) of a bead record."""
    explicit = record.get("outcome")
    if explicit in OUTCOMES and explicit != "unknown":
        return explicit, "beads:explicit"
    if record.get("status") == "closed":
        outcome = close_outcome(str(record.get("close_reason") or ""))
        return outcome, ("beads:status" if outcome != "unknown" else None)
    return "unknown", None


def _label(labels: list[Any], prefix: str) -> str | None:
    return next((str(lab)[len(prefix) :] for lab in labels if str(lab).startswith(prefix)), None)


def to_work_item(record: dict[str, Any]) -> WorkItem:
    labels: list[Any] = record["labels"] if isinstance(record.get("labels"), list) else []
    role = _label(labels, "role:") or record.get("agent_role")
    if not role and isinstance(record.get("assignee"), str):
        role, _ = role_from_cwd("/" + record["assignee"])
    sessions = [s for s in record.get("sessions") or [] if isinstance(s, str)]
    for attempt in record.get("attempts") or []:
        sid = attempt.get("session_id") if isinstance(attempt, dict) else None
        if isinstance(sid, str) and sid not in sessions:
            sessions.append(sid)
    closer = record.get("closed_by_session")
    if isinstance(closer, str) and closer and closer not in sessions:
        sessions.append(closer)
    outcome, source = outcome_and_source(record)
    deps: list[str] = [
        d["depends_on_id"]
        for d in record.get("dependencies") or []
        if isinstance(d, dict) and isinstance(d.get("depends_on_id"), str)
    ]
    listed = record.get("comments")
    comments = len(listed) if isinstance(listed, list) else record.get("comment_count")
    return WorkItem(
        id=record["id"],
        title=str(record.get("title") or ""),
        status=str(record.get("status") or "open"),
        outcome=outcome,  # type: ignore[arg-type]
        sessions=sessions,
        agent_role=role,
        task=_label(labels, "task:") or record.get("task"),
        outcome_source=source,
        close_reason=str(record["close_reason"]) if record.get("close_reason") else None,
        labels=[str(lab) for lab in labels],
        depends_on=deps,
        comments=comments if isinstance(comments, int) and not isinstance(comments, bool) else 0,
        assignee=record["assignee"] if isinstance(record.get("assignee"), str) else None,
    )


def read(path: Path, warn: Warn) -> Iterator[WorkItem | SessionOutcome]:
    for lineno, record in iter_jsonl(path, warn):
        if record.get("_type", "issue") != "issue":  # a memory line of `bd export`, not a bead
            continue
        if not isinstance(record.get("id"), str) or not record["id"]:
            warn(lineno, "wrong schema: bead has no id")
            continue
        if record.get("status") == "tombstone":  # a deleted bead
            continue
        item = to_work_item(record)
        yield item
        for attempt in record.get("attempts") or []:
            if (
                not isinstance(attempt, dict)
                or attempt.get("outcome") not in OUTCOMES
                or not isinstance(attempt.get("session_id"), str)
            ):
                warn(lineno, "wrong schema: attempt needs session_id and outcome")
                continue
            yield SessionOutcome(
                attempt["session_id"],
                item.id,
                attempt["outcome"],
                attempt.get("reason") if isinstance(attempt.get("reason"), str) else None,
            )


READER = register(
    Reader("beads", (".jsonl",), detect, read, "beads issues (.beads/issues.jsonl)", provides="work_items")
)
