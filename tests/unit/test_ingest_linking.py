"""Beads → work items and per-session outcomes; sessions linked to their bead."""

from __future__ import annotations

from pathlib import Path

import pytest

from forge.ingest import beads, claude_code
from forge.ingest.beads import SessionOutcome, derive_outcome
from forge.ingest.linking import Links, link
from forge.records import Conversation, Message, SourceRef, WorkItem

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"


def load_links() -> Links:
    links = Links()
    for record in beads.read(FIXTURES / "issues.jsonl", lambda line, why: None):
        if isinstance(record, WorkItem):
            links.add_item(record)
        else:
            links.add_attempt(record)
    return links


def conv(cid: str, branch: str | None = None, task: str | None = None) -> Conversation:
    return Conversation(
        cid,
        [Message("user", "hi"), Message("assistant", "ok")],
        SourceRef("x.jsonl", 1),
        task=task,
        metadata={"git_branch": branch},
    )


def test_beads_become_work_items_with_outcomes():
    links = load_links()
    abc, def_, ghi = links.items["gt-abc1"], links.items["gt-def2"], links.items["gt-ghi3"]
    assert (abc.status, abc.outcome, abc.agent_role, abc.task) == ("closed", "success", "polecat", "git-workflow")
    assert (def_.outcome, def_.sessions, def_.agent_role) == ("success", ["sess-a", "sess-b"], "witness")
    assert ghi.outcome == "failure"  # closed as won't fix
    assert "gt-gone" not in links.items  # tombstones are deleted beads
    assert links.attempts["sess-a"] == SessionOutcome("sess-a", "gt-def2", "failure", "wrong issue_type")


def test_derive_outcome_rules():
    assert derive_outcome({"outcome": "failure", "status": "closed"}) == "failure"
    assert derive_outcome({"status": "closed", "close_reason": "Merged"}) == "success"
    assert derive_outcome({"status": "closed", "close_reason": "duplicate of gt-1"}) == "failure"
    assert derive_outcome({"status": "in_progress"}) == "unknown"


@pytest.mark.parametrize(
    "reason, outcome",
    [
        ("Build failed: linker error on arm64", "failure"),
        ("Tests fail on main after the merge", "failure"),
        ("Closed as duplicate of bd-7z5", "failure"),
        ("Won't fix", "failure"),
        ("Implemented sync rollback on git commit failure", "success"),  # the bug it fixed
        ("Fixed test failures in the refinery", "success"),
        ("Out of scope for this rig", "unknown"),
        ("burned: molecule expired", "unknown"),
    ],
)
def test_a_close_reason_is_a_failure_when_its_verdict_says_so(reason, outcome):
    assert derive_outcome({"status": "closed", "close_reason": reason}) == outcome


def test_attempt_gives_the_session_its_own_outcome():
    links = load_links()
    failed, won = conv("sess-a", task="planning"), conv("sess-b")
    assert link(failed, links) == "attempt" and link(won, links) == "attempt"
    assert (failed.work_item, failed.outcome) == ("gt-def2", "failure")
    assert failed.metadata["outcome_reason"] == "wrong issue_type"
    assert (won.work_item, won.outcome) == ("gt-def2", "success")
    assert failed.task == "bead-creation"  # the bead says what the work was
    assert won.agent_role == "witness"  # filled from the bead's label


def test_branch_names_the_bead():
    links = load_links()
    c = conv("sess-z", branch="polecat/nux/gt-abc1")
    assert link(c, links) == "branch"
    assert (c.work_item, c.outcome, c.task) == ("gt-abc1", "success", "git-workflow")
    assert "sess-z" in links.items["gt-abc1"].sessions  # the bead learns its session


def test_sessions_list_links_without_attempts():
    links = Links()
    links.add_item(WorkItem("gt-1", "t", "closed", outcome="failure", sessions=["s1"]))
    c = conv("s1")
    assert link(c, links) == "sessions" and c.outcome == "failure"


def test_unlinked_sessions_stay_unknown():
    c = conv("nobody", branch="main")
    assert link(c, load_links()) is None
    assert c.outcome == "unknown" and c.work_item is None


def test_fixture_session_links_through_its_branch():
    session, _subagent = claude_code.read(FIXTURES / "session_basic.jsonl", lambda line, why: None)
    assert link(session, load_links()) == "branch"
    assert session.outcome == "success"
