"""Link sessions to the beads they worked on, and so to an outcome. Pure: no I/O.

A session finds its bead, first match wins:
  1. an attempt recorded on a bead for this session id (per-session outcome);
  2. a bead whose `sessions` list holds the session id (the bead's outcome);
  3. a bead id in the session's git branch (Gas Town polecat branches end in the bead id, or
     in `<bead id>@<timestamp>`: polecat/quartz/bd-1x0@mm5qp96g), taking the bead's outcome.
A subagent (Claude Code sidechain) file links through its parent session's id.
The bead's known outcome replaces what the session's file stated; its role and task fill in
what the session's own rules could not, and win over the tool-based task guess (the bead says
what the work was). The bead learns the session's id.

The beads' Dolt events (backup/events.jsonl) sharpen a bead's outcome per session: a session
that started before a close which was later reopened did work that did not hold -> failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from forge.ingest.beads import BeadEvent, SessionOutcome, close_outcome
from forge.ingest.outcome import confidence_of
from forge.records import Conversation, WorkItem

BEAD_ID_IN_BRANCH = re.compile(r"(?<![A-Za-z0-9])([a-z][a-z0-9]*-[a-z0-9]{3,}(?:\.\d+)*)(?:@[a-z0-9]+)?$")


@dataclass
class Links:
    items: dict[str, WorkItem] = field(default_factory=dict)
    attempts: dict[str, SessionOutcome] = field(default_factory=dict)
    by_session: dict[str, str] = field(default_factory=dict)  # session id -> bead id
    # per bead, its close / reopen events in time order: (ISO time, "closed" | "reopened")
    closes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def add_item(self, item: WorkItem) -> None:
        self.items[item.id] = item
        for sid in item.sessions:
            self.by_session.setdefault(sid, item.id)

    # the Dolt backup's side tables, held until every beads file is read (finish_beads)
    pending: list[Any] = field(default_factory=list)

    def add_event(self, event: BeadEvent) -> None:
        if event.kind in ("closed", "reopened") and event.at:
            self.closes.setdefault(event.issue_id, []).append((event.at, event.kind))
            self.closes[event.issue_id].sort()
        if event.kind in ("closed", "reopened"):
            self.pending.append(event)

    def add_side_row(self, row: Any) -> None:
        """A label, dependency or comment row of the Dolt backup."""
        self.pending.append(row)

    def finish_beads(self) -> None:
        """Fold the side tables into their beads: labels (role:/task:), dependencies, comment
        counts, reopen counts, and a close reason from the events when the bead has none."""
        from forge.ingest.beads_backup import BeadComment, BeadDependency, BeadLabel

        last_close: dict[str, str] = {}
        for row in self.pending:
            item = self.items.get(row.issue_id)
            if item is None:
                continue
            if isinstance(row, BeadLabel):
                if row.label not in item.labels:
                    item.labels.append(row.label)
                if row.label.startswith("role:") and not item.agent_role:
                    item.agent_role = row.label[len("role:") :]
                if row.label.startswith("task:") and not item.task:
                    item.task = row.label[len("task:") :]
            elif isinstance(row, BeadDependency):
                if row.depends_on not in item.depends_on:
                    item.depends_on.append(row.depends_on)
            elif isinstance(row, BeadComment):
                item.comments += 1
            elif isinstance(row, BeadEvent):
                if row.kind == "reopened":
                    item.reopened += 1
                elif row.reason:
                    last_close[row.issue_id] = row.reason
        for bead, reason in last_close.items():
            item = self.items[bead]
            if item.status == "closed" and not item.close_reason:
                item.close_reason = reason
                if item.outcome_source is None:
                    item.outcome = close_outcome(reason)  # type: ignore[assignment]
                    item.outcome_source = "beads:events" if item.outcome != "unknown" else None
        self.pending = []

    def close_held(self, bead: str, started_at: str) -> bool | None:
        """Did the first close of `bead` after `started_at` hold? None when no close follows it."""
        events = [e for e in self.closes.get(bead, []) if e[0] >= started_at]
        first = next((n for n, e in enumerate(events) if e[1] == "closed"), None)
        if first is None:
            return None
        return not any(kind == "reopened" for _, kind in events[first + 1 :])

    def add_attempt(self, attempt: SessionOutcome) -> None:
        self.attempts[attempt.session_id] = attempt

    def learn(self, session_id: str, work_item: str | None, role: str | None, task: str | None) -> None:
        """The bead learns a linked session: its id, and the role and task it lacked."""
        item = self.items.get(work_item or "")
        if item is None:
            return
        if session_id not in item.sessions:
            item.sessions.append(session_id)
        item.agent_role = item.agent_role or role
        item.task = item.task or task


def link(conv: Conversation, links: Links, learn: bool = True) -> str | None:
    """Set conv.work_item / outcome / role / task from its bead. Returns how it linked, or None.
    learn=False leaves the beads untouched (a worker process links against a read-only copy;
    the parent calls `Links.learn` in input order, so labels never depend on scheduling)."""
    parent = conv.metadata.get("parent_session")
    keys = [conv.id] + ([parent] if isinstance(parent, str) else [])
    attempt = next((links.attempts[k] for k in keys if k in links.attempts), None)
    in_sessions = next((links.by_session[k] for k in keys if k in links.by_session), None)
    item, how = None, None
    if attempt and attempt.work_item in links.items:
        item, how = links.items[attempt.work_item], "attempt"
    elif in_sessions is not None:
        item, how = links.items[in_sessions], "sessions"
    else:
        branch = str(conv.metadata.get("git_branch") or "")
        m = BEAD_ID_IN_BRANCH.search(branch)
        if m and m.group(1) in links.items:
            item, how = links.items[m.group(1)], "branch"
    if item is None:
        return None
    conv.work_item = item.id
    if how == "attempt":
        _set(conv, attempt.outcome, "beads:attempt")  # type: ignore[union-attr]
        if attempt.reason:  # type: ignore[union-attr]
            conv.metadata["outcome_reason"] = attempt.reason  # type: ignore[union-attr]
    else:
        started = conv.metadata.get("started_at")
        held = links.close_held(item.id, started) if isinstance(started, str) and started else None
        if held is False:
            _set(conv, "failure", "beads:events")  # its close was reopened: the work did not hold
        elif item.outcome != "unknown":
            _set(conv, item.outcome, item.outcome_source or "beads:status")
    conv.task = item.task or conv.task
    conv.agent_role = conv.agent_role or item.agent_role
    if learn:
        links.learn(conv.id, conv.work_item, conv.agent_role, conv.task)
    return how


def _set(conv: Conversation, outcome: str, source: str) -> None:
    conv.outcome = outcome  # type: ignore[assignment]
    conv.outcome_source = source
    conv.outcome_confidence = confidence_of(source)
