"""Link sessions to the beads they worked on, and so to an outcome. Pure: no I/O.

A session finds its bead, first match wins:
  1. an attempt recorded on a bead for this session id (per-session outcome);
  2. a bead whose `sessions` list holds the session id (the bead's outcome);
  3. a bead id in the session's git branch (Gas Town polecat branches end in the bead id),
     taking the bead's outcome.
The bead's role and task fill in what the session's own rules could not, and win over the
tool-based task guess (the bead says what the work was). The bead learns the session's id.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from forge.ingest.beads import SessionOutcome
from forge.records import Conversation, WorkItem

BEAD_ID_IN_BRANCH = re.compile(r"(?<![A-Za-z0-9])([a-z][a-z0-9]*-[a-z0-9]{3,}(?:\.\d+)*)$")


@dataclass
class Links:
    items: dict[str, WorkItem] = field(default_factory=dict)
    attempts: dict[str, SessionOutcome] = field(default_factory=dict)
    by_session: dict[str, str] = field(default_factory=dict)  # session id -> bead id

    def add_item(self, item: WorkItem) -> None:
        self.items[item.id] = item
        for sid in item.sessions:
            self.by_session.setdefault(sid, item.id)

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
    attempt = links.attempts.get(conv.id)
    item, how = None, None
    if attempt and attempt.work_item in links.items:
        item, how = links.items[attempt.work_item], "attempt"
    elif conv.id in links.by_session:
        item, how = links.items[links.by_session[conv.id]], "sessions"
    else:
        branch = str(conv.metadata.get("git_branch") or "")
        m = BEAD_ID_IN_BRANCH.search(branch)
        if m and m.group(1) in links.items:
            item, how = links.items[m.group(1)], "branch"
    if item is None:
        return None
    conv.work_item = item.id
    conv.outcome = attempt.outcome if how == "attempt" else item.outcome  # type: ignore[union-attr]
    if how == "attempt" and attempt.reason:  # type: ignore[union-attr]
        conv.metadata["outcome_reason"] = attempt.reason  # type: ignore[union-attr]
    conv.task = item.task or conv.task
    conv.agent_role = conv.agent_role or item.agent_role
    if learn:
        links.learn(conv.id, conv.work_item, conv.agent_role, conv.task)
    return how
