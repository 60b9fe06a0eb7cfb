import pytest

from forge.errors import IllegalTransition, NotFound
from forge.jobs.state_machine import JobState
from forge.jobs.store import JobStore
from forge.registry.models import Registry
from forge.storage import connect, migrate, table_names
from forge.storage.migrations import MIGRATIONS


@pytest.fixture
def engine(tmp_path):
    return connect(f"sqlite:///{tmp_path / 'forge.db'}")


def test_migrations_run_once_and_are_recorded(engine):
    assert {"jobs", "job_transitions", "job_events", "model_versions", "schema_migrations"} <= set(table_names(engine))
    assert migrate(engine) == []  # second run applies nothing
    assert next(n for n, _ in MIGRATIONS) == "0001_initial"


def test_job_walks_the_state_machine_with_one_audit_row_per_transition(engine):
    jobs = JobStore(engine)
    job = jobs.create("pipeline", {"x": 1}, authorization="gt-a1b2", actor="tester")
    assert job.state is JobState.QUEUED
    for target in (JobState.RUNNING, JobState.COMPLETED_SUCCESS, JobState.PACKAGING_COMPLETE, JobState.TESTS_PASSED):
        jobs.transition(job.id, target, actor="tester", reason=f"to {target.value}")
    trail = jobs.transitions(job.id)
    assert [t["to"] for t in trail] == ["QUEUED", "RUNNING", "COMPLETED_SUCCESS", "PACKAGING_COMPLETE", "TESTS_PASSED"]
    assert all(t["actor"] == "tester" and t["at"] for t in trail)
    assert "gt-a1b2" in trail[0]["reason"]


def test_illegal_transition_raises_and_writes_nothing(engine):
    jobs = JobStore(engine)
    job = jobs.create("pipeline", {}, authorization="gt-1", actor="t")
    with pytest.raises(IllegalTransition):
        jobs.transition(job.id, JobState.PUBLISHED, actor="t")
    assert jobs.get(job.id).state is JobState.QUEUED
    assert len(jobs.transitions(job.id)) == 1


def test_failure_records_reason(engine):
    jobs = JobStore(engine)
    job = jobs.create("pipeline", {}, authorization="gt-1", actor="t")
    jobs.transition(job.id, JobState.RUNNING, actor="t")
    jobs.transition(job.id, JobState.FAILED, actor="t", reason="gate: 0.1 < 0.5")
    assert jobs.get(job.id).error == "gate: 0.1 < 0.5"


def test_authorization_is_required(engine):
    with pytest.raises(IllegalTransition, match="authorization"):
        JobStore(engine).create("pipeline", {}, authorization=" ", actor="t")


def test_events_are_followable_by_id(engine):
    jobs = JobStore(engine)
    job = jobs.create("pipeline", {}, authorization="gt-1", actor="t")
    jobs.add_event(job.id, "progress", {"step": 1, "loss": 2.5})
    first = jobs.events(job.id)
    jobs.add_event(job.id, "progress", {"step": 2, "loss": 2.1})
    later = jobs.events(job.id, after_id=first[-1]["id"])
    assert [e["step"] for e in later] == [2]


def test_unknown_job_is_not_found(engine):
    with pytest.raises(NotFound):
        JobStore(engine).get("job-nope")


def test_registry_versions_auto_increment_per_name(engine):
    reg = Registry(engine)
    kw = {
        "role": "polecat",
        "base": "forge/tiny-llama",
        "base_eval_score": 0.0,
        "lineage": {"adapter": "a"},
        "hyperparameters": {"lora_r": 8},
        "details": {},
    }
    v1 = reg.register(name="polecat", eval_score=0.5, **kw)
    v2 = reg.register(name="polecat", eval_score=0.8, **kw)
    other = reg.register(name="witness", eval_score=0.9, **kw)
    assert (v1.version, v2.version, other.version) == (1, 2, 1)
    assert reg.get("polecat").display_name == "polecat-v2"
    assert reg.get("polecat-v1").eval_score == 0.5
    with pytest.raises(NotFound, match="polecat-v1"):
        reg.get("mayor")


def test_last_event_is_the_newest_of_its_kind(engine):
    store = JobStore(engine)
    job = store.create("pipeline", {}, authorization="gt-1", actor="t")
    assert store.last_event(job.id, "progress") is None
    for step in (1, 2, 3):
        store.add_event(job.id, "progress", {"step": step})
        store.add_event(job.id, "log", {"message": f"after {step}"})
    last = store.last_event(job.id, "progress")
    assert last["step"] == 3 and last["kind"] == "progress"
    assert store.last_event(job.id, "log")["message"] == "after 3"
