"""End to end: the demo pipeline in miniature, for real (tiny base, a few training steps).

Nothing is mocked: ingest, scrub, build, train, export and evaluate all run. The gate is
set so a barely-trained model passes (threshold 0, no improvement required) because a few
steps cannot teach the task; `make demo` runs the real gate.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forge.bundled import example_sources
from forge.cli import app
from forge.jobs.state_machine import JobState
from forge.service import Forge
from planted_kinds import needles, plants, write_planted_sessions

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    home = tmp_path_factory.mktemp("forge-home")
    # a real session with every kind of secret users' sessions carry planted in it, beside the examples
    planted = tmp_path_factory.mktemp("planted")
    write_planted_sessions(planted)
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_HOME", str(home))
    mp.setenv("FORGE_TINY_PRETRAIN_STEPS", "20")
    forge = Forge()
    forge.init_environment(allow_cpu=True, actor="pytest")  # jobs refuse to start before
    job = forge.submit_pipeline(
        {
            "sources": [*example_sources(), str(planted)],
            "name": "polecat",
            "authorization": "gt-test1",
            "gate": 0.0,
            "require_improvement": False,
            "train": {"max_steps": 6, "logging_steps": 1},
            "evaluate": {"max_prompts": 6, "max_new_tokens": 24},
        },
        actor="pytest",
    )
    job = forge.run_job(job.id, actor="pytest")
    yield forge, job, home
    mp.undo()


def test_job_walks_every_state_to_tests_passed(finished_run):
    forge, job, _ = finished_run
    assert job.state is JobState.TESTS_PASSED, job.error
    trail = [t["to"] for t in forge.jobs.transitions(job.id)]
    assert trail == ["QUEUED", "RUNNING", "COMPLETED_SUCCESS", "PACKAGING_COMPLETE", "TESTS_PASSED"]
    assert all(t["actor"] == "pytest" for t in forge.jobs.transitions(job.id)[1:])
    assert any(e["kind"] == "progress" and e.get("stage") == "train" for e in forge.jobs.events(job.id)) or any(
        e["kind"] == "stage" and e.get("stage") == "train" for e in forge.jobs.events(job.id)
    )


def test_every_artifact_rehashes_to_its_manifest(finished_run):
    forge, job, _ = finished_run
    arts = list(forge.store.all())
    assert {a.kind for a in arts} >= {"corpus", "dataset", "adapter", "merged_model", "eval_report"}
    for art in arts:
        art.verify()
        assert set(art.manifest["files"]) and art.manifest["code_version"]
    # lineage: the adapter names the dataset it came from, the dataset the corpus
    stages = job.result["stages"]
    adapter = forge.store.get(stages["adapter"]["id"])
    assert stages["dataset"]["id"] in [i["id"] for i in adapter.manifest["inputs"]]


def test_tampering_is_detected(finished_run):
    from forge.errors import IntegrityError

    forge, job, _ = finished_run
    art = forge.store.get(job.result["stages"]["corpus"]["id"])
    target = art.file("work_items.jsonl")
    original = target.read_bytes()
    try:
        target.write_bytes(original + b"\n")
        with pytest.raises(IntegrityError, match="work_items.jsonl"):
            art.verify()
    finally:
        target.write_bytes(original)


def test_no_planted_secret_anywhere_under_forge_home(finished_run, planted_secret_pieces):
    forge, job, home = finished_run
    assert len(planted_secret_pieces) > 100
    found = [("example corpus", s.encode()) for s in planted_secret_pieces] + needles(plants())
    corpus = forge.store.get(job.result["stages"]["corpus"]["id"]).file("conversations.jsonl")
    assert len(corpus.read_text().splitlines()) == 84 + len(plants())  # the planted sessions were read
    for path in home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for kind, needle in found:
                assert needle not in data, f"planted secret ({kind}) found in {path}"


def test_registry_and_cli_show_scores(finished_run):
    _forge, job, home = finished_run
    runner = CliRunner()
    env = {"FORGE_HOME": str(home)}
    r = runner.invoke(app, ["model", "list", "--json"], env=env)
    assert r.exit_code == 0, r.output
    versions = json.loads(r.output)
    assert versions[0]["name"] == "polecat-v1"
    assert "eval_score" in versions[0] and "base_eval_score" in versions[0]
    r = runner.invoke(app, ["model", "show", "polecat", "--json"], env=env)
    shown = json.loads(r.output)
    assert shown["lineage"]["adapter"] == job.result["stages"]["adapter"]["id"]
    r = runner.invoke(app, ["job", "show", job.id, "--json"], env=env)
    assert json.loads(r.output)["state"] == "TESTS_PASSED"


def test_rerun_reuses_every_artifact(finished_run):
    forge, job, _ = finished_run
    again = forge.submit_pipeline(job.config, actor="pytest")
    again = forge.run_job(again.id, actor="pytest")
    assert {k: v["id"] for k, v in again.result["stages"].items()} == {
        k: v["id"] for k, v in job.result["stages"].items()
    }
    assert forge.registry.get("polecat").version == 2
