"""Reader for the side tables of a beads Dolt backup (`.beads/backup/*.jsonl`).

`bd backup` writes one JSONL file per Dolt table. `issues.jsonl` is read by beads.py; this
reader reads the others and yields records that `Links` folds into their beads once every
beads file is read (`Links.finish_beads`), whatever order the files come in:
  labels.jsonl        {issue_id, label}                        -> the bead's labels (role:, task:)
  dependencies.jsonl  {issue_id, depends_on_id, type, ...}     -> the bead's depends_on
  comments.jsonl      {id, issue_id, author, text, created_at} -> the bead's comment count
  events.jsonl        {id, issue_id, event_type, actor, old_value, new_value, comment,
                       created_at}                             -> closes and reopens, by time
  config.jsonl        the database's settings: nothing to learn, read and set aside
A `closed` event's new_value is the close reason; `reopened` means an earlier close did not
hold. Other event types (created, updated, status_changed, label_added ...) are counted only.
Comment text is not kept: only that the bead was discussed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.ingest.beads import BACKUP_SIDE_TABLES, BeadEvent
from forge.ingest.readers import Reader, Warn, register
from forge.jsonl import iter_jsonl

TABLES = BACKUP_SIDE_TABLES
OUTCOME_EVENTS = ("closed", "reopened")


@dataclass
class BeadLabel:
    issue_id: str
    label: str


@dataclass
class BeadDependency:
    issue_id: str
    depends_on: str
    kind: str | None = None


@dataclass
class BeadComment:
    issue_id: str


def detect(path: Path, head: bytes) -> bool:
    if path.name not in TABLES or b'"sessionId"' in head:
        return False
    if path.parent.name == "backup" or path.parent.name == ".beads":
        return True
    compact = head.replace(b" ", b"")
    return b'"issue_id":' in compact or (path.name == "config.jsonl" and b'"key":' in compact)


def _issue(record: dict[str, Any], lineno: int, warn: Warn) -> str | None:
    issue = record.get("issue_id")
    if not isinstance(issue, str) or not issue:
        warn(lineno, "wrong schema: row has no issue_id")
        return None
    return issue


def read(path: Path, warn: Warn) -> Iterator[Any]:
    table = path.name
    for lineno, record in iter_jsonl(path, warn):
        if table == "config.jsonl":
            continue
        issue = _issue(record, lineno, warn)
        if issue is None:
            continue
        if table == "labels.jsonl":
            if isinstance(record.get("label"), str):
                yield BeadLabel(issue, record["label"])
            else:
                warn(lineno, "wrong schema: label row has no label")
        elif table == "dependencies.jsonl":
            if isinstance(record.get("depends_on_id"), str):
                kind = record.get("type")
                yield BeadDependency(issue, record["depends_on_id"], kind if isinstance(kind, str) else None)
            else:
                warn(lineno, "wrong schema: dependency row has no depends_on_id")
        elif table == "comments.jsonl":
            yield BeadComment(issue)
        elif table == "events.jsonl":
            kind = record.get("event_type")
            if not isinstance(kind, str):
                warn(lineno, "wrong schema: event row has no event_type")
                continue
            at = record["created_at"] if isinstance(record.get("created_at"), str) else ""
            reason = record.get("new_value") if kind == "closed" else None
            yield BeadEvent(issue, kind, at, reason if isinstance(reason, str) and reason else None)


READER = register(
    Reader(
        "beads_backup",
        (".jsonl",),
        detect,
        read,
        "beads Dolt backup tables (.beads/backup/{labels,dependencies,comments,events}.jsonl)",
        provides="work_items",
    )
)
