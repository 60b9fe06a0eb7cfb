"""Hub publish and pull against tests/local_hub.py — a LOCAL STAND-IN HTTP server that speaks
the Hub endpoints huggingface_hub 2.4 uses (create repo, preupload, commit, repo info,
resolve). It is not the real Hugging Face Hub, which no machine here can reach; what the real
Hub adds (auth, LFS/Xet, rate limits) is not exercised.

The model here is registry data plus a small stand-in merged-model artifact (a config and a
weights file written by the test); the job is walked through the state machine to
TESTS_PASSED. The MCP integration test publishes a really trained tiny model."""

from __future__ import annotations

import json

import pytest

from forge.artifacts import artifact_id
from forge.errors import ForgeError, IllegalTransition, IntegrityError
from forge.hub import FILES_MANIFEST
from forge.jobs.state_machine import JobState
from forge.service import Forge
from local_hub import LocalHub

SECRET = "ghp_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8d"  # a fake GitHub token, planted in model details


def _model(forge, state: JobState):
    with forge.store.staged("merged_model") as staging:
        (staging / "config.json").write_text('{"model_type": "llama"}')
        (staging / "model.safetensors").write_bytes(bytes(range(256)) * 64)
        merged = forge.store.commit(
            staging, kind="merged_model", aid=artifact_id("merged_model", {"s": str(state)}, []), config={}, inputs=[]
        )
    job = forge.jobs.create("pipeline", {"sources": ["x"]}, authorization="gt-hub1", actor="t")
    walk = [JobState.RUNNING, JobState.COMPLETED_SUCCESS, JobState.PACKAGING_COMPLETE, JobState.TESTS_PASSED]
    for s in walk[: walk.index(state) + 1] if state in walk else []:
        forge.jobs.transition(job.id, s, actor="t", reason="test")
    return forge.registry.register(
        name="polecat",
        role="polecat",
        base="forge/tiny-llama",
        eval_score=0.7,
        base_eval_score=0.1,
        job_id=job.id,
        lineage={"merged_model": merged.id, "dataset": "dataset-abc"},
        hyperparameters={"lora_r": 8, "learning_rate": 0.001, "notes": f"token={SECRET}"},
        details={
            "description": f"trained on rig sfgastown, deploy key {SECRET}",
            "corpus": {"conversations": 84},
            "dataset": {"dpo": {"train": 10, "eval": 2}},
            "eval": {"base": {"bead": {"passed": 1, "total": 4}}, "candidate": {"bead": {"passed": 3, "total": 4}}},
        },
    )


@pytest.fixture
def hub():
    with LocalHub() as h:
        yield h


def test_publish_then_pull_verifies_every_file(forge_home, hub, tmp_path):
    forge = Forge()
    model = _model(forge, JobState.TESTS_PASSED)
    out = forge.publish(model.display_name, "gastown/polecat", private=True, actor="t", endpoint=hub.url)
    assert out["files"] >= 5 and out["revision"]
    repo = hub.state.repos["gastown/polecat"]
    assert repo["private"] is True
    assert {"README.md", FILES_MANIFEST, "manifest.json", "model.safetensors", "config.json"} <= set(repo["files"])
    assert forge.jobs.get(model.job_id).state is JobState.PUBLISHED
    assert forge.registry.get("polecat-v1").details["published"][0]["repo"] == "gastown/polecat"

    card = repo["files"]["README.md"].decode()
    assert "# polecat-v1" in card and "| bead | 1/4 | 3/4 |" in card and "| DPO pairs | 12 |" in card
    assert SECRET not in card and "<SECRET:github_token>" in card
    assert all(SECRET.encode() not in data for data in repo["files"].values())

    got = forge.pull("gastown/polecat", dest=tmp_path / "dl", endpoint=hub.url)
    assert got["verified"] and got["files"] == len(json.loads(repo["files"][FILES_MANIFEST])["files"])
    assert (tmp_path / "dl" / "model.safetensors").read_bytes() == bytes(range(256)) * 64

    # pulling again over our own earlier download is fine; over someone else's folder it is not
    assert forge.pull("gastown/polecat", dest=tmp_path / "dl", endpoint=hub.url)["verified"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ForgeError, match="not an earlier Forge download"):
        forge.pull("gastown/polecat", dest=tmp_path / "mine", endpoint=hub.url)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"

    # the repo changes behind our back: the pull refuses it
    repo["files"]["model.safetensors"] = b"tampered"
    with pytest.raises(IntegrityError, match="model.safetensors: SHA-256 differs"):
        forge.pull("gastown/polecat", dest=tmp_path / "dl2", endpoint=hub.url)


@pytest.mark.parametrize("state", [JobState.QUEUED, JobState.RUNNING, JobState.PACKAGING_COMPLETE])
def test_publish_is_refused_before_tests_passed(forge_home, hub, state):
    forge = Forge()
    model = _model(forge, state)
    with pytest.raises(IllegalTransition, match=f"refused: job .* is {state.value}; publishing needs TESTS_PASSED"):
        forge.publish(model.display_name, "gastown/polecat", private=False, actor="t", endpoint=hub.url)
    assert hub.state.requests == [] and forge.jobs.get(model.job_id).state is state


def test_publish_cli_and_bad_repo_name(forge_home, hub, monkeypatch):
    from typer.testing import CliRunner

    from forge.cli import app

    forge = Forge()
    _model(forge, JobState.TESTS_PASSED)
    r = CliRunner().invoke(app, ["model", "publish", "polecat", "--repo", "not a repo"])
    assert r.exit_code == 1 and "invalid Hub repository" in r.output
    monkeypatch.setattr(
        "forge.hub._api", lambda endpoint=None, _u=hub.url: __import__("huggingface_hub").HfApi(endpoint=_u)
    )
    r = CliRunner().invoke(app, ["model", "publish", "polecat", "--repo", "org/p", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["repo"] == "org/p" and hub.state.repos["org/p"]["private"] is False
