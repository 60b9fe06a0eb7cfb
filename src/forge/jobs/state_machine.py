"""The job state machine: an explicit transition table. Pure — no I/O.

QUEUED → RUNNING → COMPLETED_SUCCESS → PACKAGING_COMPLETE → TESTS_PASSED → PUBLISHED, with
FAILED and CANCELLED reachable from every non-terminal state. A failed eval gate is FAILED
with reason "gate". Publishing is impossible before TESTS_PASSED because no other state
leads to PUBLISHED.

A job whose worker died (its lease expired) while it was ACTIVE goes back to QUEUED — the
one backward edge — so another worker resumes it from its last checkpoint; the move needs a
reason (e.g. "requeued: lease expired"), like FAILED does.
"""

from __future__ import annotations

from enum import Enum

from forge.errors import IllegalTransition


class JobState(str, Enum):  # noqa: UP042 -- StrEnum would change str(state) in stored text
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    COMPLETED_SUCCESS = "COMPLETED_SUCCESS"
    PACKAGING_COMPLETE = "PACKAGING_COMPLETE"
    TESTS_PASSED = "TESTS_PASSED"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


S = JobState
_FORWARD: dict[JobState, set[JobState]] = {
    S.QUEUED: {S.RUNNING},
    S.RUNNING: {S.COMPLETED_SUCCESS},
    S.COMPLETED_SUCCESS: {S.PACKAGING_COMPLETE},
    S.PACKAGING_COMPLETE: {S.TESTS_PASSED},
    S.TESTS_PASSED: {S.PUBLISHED},
    S.PUBLISHED: set(),
    S.FAILED: set(),
    S.CANCELLED: set(),
}
TERMINAL: frozenset[JobState] = frozenset({S.FAILED, S.CANCELLED, S.PUBLISHED})
# TESTS_PASSED is where a successful job rests; it may still move on to PUBLISHED.
SETTLED: frozenset[JobState] = TERMINAL | {S.TESTS_PASSED}

# States in which a worker holds the job (under a lease): a dead worker leaves it here.
ACTIVE: frozenset[JobState] = frozenset({S.RUNNING, S.COMPLETED_SUCCESS, S.PACKAGING_COMPLETE})

TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    state: frozenset(
        targets
        | ({S.FAILED, S.CANCELLED} if state not in TERMINAL else set())
        | ({S.QUEUED} if state in ACTIVE else set())
    )
    for state, targets in _FORWARD.items()
}
NEEDS_REASON: frozenset[JobState] = frozenset({S.FAILED, S.QUEUED})


def can_transition(current: JobState | str, target: JobState | str) -> bool:
    return JobState(target) in TRANSITIONS[JobState(current)]


def check_transition(current: JobState | str, target: JobState | str, reason: str | None = None) -> JobState:
    """Return the target state, or raise IllegalTransition saying what is allowed instead."""
    cur, tgt = JobState(current), JobState(target)
    if tgt not in TRANSITIONS[cur]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[cur])) or "nothing (terminal)"
        raise IllegalTransition(
            f"illegal transition {cur.value} → {tgt.value}; from {cur.value} only {allowed} is allowed"
        )
    if tgt in NEEDS_REASON and not reason:
        raise IllegalTransition(f"a transition to {tgt.value} needs a reason")
    return tgt
