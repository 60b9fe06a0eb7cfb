"""Drift: convention files hashed in a model's corpus vs today's files at the same paths.

The corpus is built by the real ingest stage from convention files written by the test; the
model version is registered directly (registry data, no training) pointing at that corpus and
at a queued (never run) pipeline job whose config names the sources."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.drift import drift
from forge.ingest.stage import IngestConfig, run_ingest
from forge.service import Forge

FORMULA = '[formula]\nname = "train-role-model"\ntype = "composition"\n\n[steps.prepare]\ndescription = "x"\n'


@pytest.fixture
def trained(forge_home, tmp_path):
    rig = tmp_path / "gastown"
    (rig / "mayor").mkdir(parents=True)
    (rig / "CLAUDE.md").write_text("# Rules\nUse gt commands, never pkill.\n" * 10)  # 380 bytes
    (rig / "AGENTS.md").write_text("Agents: witness, polecat.\n" * 4)  # 104 bytes
    (rig / "mayor" / "train.formula.toml").write_text(FORMULA)
    forge = Forge()
    job = forge.submit("pipeline", {"sources": [str(rig)], "name": "mayor", "authorization": "gt-d1"}, actor="t")
    corpus = run_ingest(forge.store, [rig], IngestConfig())
    model = forge.registry.register(
        name="mayor",
        role="mayor",
        base="b",
        eval_score=0.9,
        base_eval_score=0.1,
        lineage={"corpus": corpus.id},
        hyperparameters={},
        details={},
        job_id=job.id,
    )
    return forge, model, rig, job


def test_unchanged_conventions_have_no_drift(trained):
    forge, model, _, _ = trained
    report = drift(forge, model.display_name)
    assert report["drift"] == 0.0 and not report["stale"]
    assert report["counts"] == {"unchanged": 3, "changed": 0, "added": 0, "removed": 0}


def test_changes_additions_and_removals_are_weighted_by_size(trained):
    forge, _model, rig, _ = trained
    formula_bytes = len(FORMULA.encode())
    (rig / "AGENTS.md").unlink()  # removed: 104
    (rig / "mayor" / "train.formula.toml").write_text(FORMULA + "# v2\n")  # changed: formula + 5
    (rig / "witness").mkdir()
    (rig / "witness" / "CLAUDE.md").write_text("watch\n" * 20)  # added: 120
    (rig / ".hidden").mkdir()
    (rig / ".hidden" / "CLAUDE.md").write_text("ignored")  # hidden: not looked at
    report = drift(forge, "mayor")
    moved = 104 + formula_bytes + 5 + 120
    assert report["counts"] == {"unchanged": 1, "changed": 1, "added": 1, "removed": 1}
    assert report["drift"] == round(moved / (moved + 380), 4)
    assert report["stale"]


def test_cli_drift_retrain_queues_the_original_config(trained):
    forge, _model, rig, job = trained
    runner = CliRunner()
    r = runner.invoke(app, ["drift", "mayor", "--retrain", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["drift"] == 0.0 and "retrain_job" not in json.loads(r.output)
    (rig / "CLAUDE.md").write_text("# Rules changed: use bd, not gt.\n")
    r = runner.invoke(app, ["drift", "mayor", "--retrain", "--auth", "gt-d2", "--json"])
    out = json.loads(r.output)
    assert out["stale"] and out["retrain_job"]
    queued = forge.jobs.get(out["retrain_job"])
    assert queued.state.value == "QUEUED" and queued.authorization == "gt-d2"
    assert {k: v for k, v in queued.config.items() if k != "authorization"} == {
        k: v for k, v in job.config.items() if k != "authorization"
    }
    r = runner.invoke(app, ["drift", "mayor"], terminal_width=200)
    assert "changed" in r.output and "gastown/CLAUDE.md" in r.output
