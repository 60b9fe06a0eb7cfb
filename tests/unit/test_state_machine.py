import itertools

import pytest

from forge.errors import IllegalTransition
from forge.jobs.state_machine import TERMINAL, TRANSITIONS, JobState, can_transition, check_transition

S = JobState
HAPPY = [S.QUEUED, S.RUNNING, S.COMPLETED_SUCCESS, S.PACKAGING_COMPLETE, S.TESTS_PASSED, S.PUBLISHED]


def test_happy_path_is_allowed_step_by_step():
    for a, b in itertools.pairwise(HAPPY):
        assert check_transition(a, b) is b


@pytest.mark.parametrize("state", [s for s in S if s not in TERMINAL])
def test_failed_and_cancelled_reachable_from_every_non_terminal_state(state):
    assert can_transition(state, S.CANCELLED)
    assert check_transition(state, S.FAILED, reason="boom") is S.FAILED


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_go_nowhere(state):
    assert TRANSITIONS[state] == frozenset()
    with pytest.raises(IllegalTransition, match="terminal"):
        check_transition(state, S.RUNNING)


def test_publish_only_from_tests_passed():
    sources = [s for s in S if can_transition(s, S.PUBLISHED)]
    assert sources == [S.TESTS_PASSED]


def test_skipping_a_state_is_illegal_and_says_what_is_allowed():
    with pytest.raises(IllegalTransition) as e:
        check_transition(S.QUEUED, S.COMPLETED_SUCCESS)
    assert "RUNNING" in str(e.value)


def test_failed_needs_a_reason():
    with pytest.raises(IllegalTransition, match="reason"):
        check_transition(S.RUNNING, S.FAILED)


# -- the worker's backward edge: a job whose worker died goes back to the queue ----------------
from forge.jobs.state_machine import ACTIVE  # noqa: E402


@pytest.mark.parametrize("state", sorted(ACTIVE))
def test_active_jobs_may_be_requeued_with_a_reason(state):
    assert check_transition(state, S.QUEUED, reason="requeued: lease expired") is S.QUEUED
    with pytest.raises(IllegalTransition, match="reason"):
        check_transition(state, S.QUEUED)


@pytest.mark.parametrize("state", [s for s in S if s not in ACTIVE])
def test_only_active_jobs_go_back_to_queued(state):
    assert not can_transition(state, S.QUEUED)


def test_transition_table_is_exactly_the_documented_one():
    expected = {
        S.QUEUED: {S.RUNNING, S.FAILED, S.CANCELLED},
        S.RUNNING: {S.COMPLETED_SUCCESS, S.QUEUED, S.FAILED, S.CANCELLED},
        S.COMPLETED_SUCCESS: {S.PACKAGING_COMPLETE, S.QUEUED, S.FAILED, S.CANCELLED},
        S.PACKAGING_COMPLETE: {S.TESTS_PASSED, S.QUEUED, S.FAILED, S.CANCELLED},
        S.TESTS_PASSED: {S.PUBLISHED, S.FAILED, S.CANCELLED},
        S.PUBLISHED: set(),
        S.FAILED: set(),
        S.CANCELLED: set(),
    }
    assert {s: set(t) for s, t in TRANSITIONS.items()} == expected
