"""Registry logic: versions, deploy/rollback history, progressive rollout gates, prune,
adapters, provider config. Model versions are registered directly with chosen scores (registry
data, not training); no model is loaded."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.errors import ForgeError, NotFound
from forge.registry.api import adapters, deployments, lineage, provider_config


def _register(forge, name, role=None, score=0.9, **details):
    return forge.registry.register(
        name=name,
        role=role or name,
        base="llama-8b",
        eval_score=score,
        base_eval_score=0.2,
        lineage={"corpus": "corpus-x", "dataset": "dataset-y"},
        hyperparameters={"lora_r": 64, "learning_rate": 1e-4},
        details={
            "corpus": {"conversations": 1847},
            "dataset": {"sft": {"train": 90, "eval": 10}, "dpo": {"train": 300, "eval": 42}},
            **details,
        },
    )


def test_versions_auto_increment_per_name(forge):
    assert [_register(forge, "mayor").version for _ in range(3)] == [1, 2, 3]
    assert _register(forge, "polecat").version == 1
    assert forge.registry.get("mayor").display_name == "mayor-v3"
    assert forge.registry.get("mayor-v2").version == 2


def test_rollout_order_gates_roles(forge):
    deps = deployments(forge)
    _register(forge, "deacon"), _register(forge, "boot"), _register(forge, "witness")
    with pytest.raises(ForgeError, match="witness comes after deacon, boot"):
        deps.deploy("witness", "witness", actor="t")
    deps.deploy("deacon", "deacon", actor="t")
    with pytest.raises(ForgeError, match="after boot"):
        deps.deploy("witness", "witness", actor="t")
    deps.deploy("boot", "boot", actor="t")
    d = deps.deploy("witness", "witness", actor="t")
    assert d.model == "witness-v1" and "witness eval 90.0%" in d.reason


def test_each_step_is_gated_on_that_roles_eval(forge, forge_home):
    deps = deployments(forge)
    _register(forge, "deacon", score=0.3)
    with pytest.raises(ForgeError, match="scored 30.0% on the deacon eval; deacon needs 50.0%"):
        deps.deploy("deacon", "deacon", actor="t")
    # a model trained for another role has no eval for this one unless the eval gave a per-role score
    _register(forge, "generalist", role="polecat", score=0.95)
    with pytest.raises(ForgeError, match="no eval for role 'deacon'"):
        deps.deploy("generalist", "deacon", actor="t")
    _register(forge, "generalist", role="polecat", score=0.95, eval_by_role={"deacon": 0.8})
    assert deps.deploy("generalist", "deacon", actor="t").model == "generalist-v2"
    # the threshold and order are configurable
    (forge_home / "registry.toml").write_text(
        '[rollout]\norder = [["deacon"], ["witness"]]\nmin_eval_by_role = { witness = 0.95 }\n'
    )
    _register(forge, "witness", score=0.9)
    with pytest.raises(ForgeError, match="witness needs 95.0%"):
        deployments(forge).deploy("witness", "witness", actor="t")


def test_bad_rollout_config_names_the_key(forge, forge_home):
    (forge_home / "registry.toml").write_text("[rollout]\nmin_evl = 0.4\n")
    with pytest.raises(ForgeError, match=r"'rollout.min_evl': unknown key \(did you mean 'rollout.min_eval'\?\)"):
        deployments(forge)


def test_deploy_rollback_history_and_statuses(forge):
    deps = deployments(forge)
    for _ in range(3):
        _register(forge, "mayor")
    for v in (1, 2, 3):
        deps.deploy(f"mayor-v{v}", "sfgastown", actor="t")  # a rig: no role gate
    deps.deploy("mayor-v3", "frankentui", actor="t")
    statuses = {m.display_name: m.status for m in forge.registry.list()}
    assert statuses == {"mayor-v3": "active", "mayor-v2": "archived", "mayor-v1": "archived"}
    assert deps.rollback("sfgastown", actor="t").model == "mayor-v2"
    assert deps.rollback("sfgastown", actor="t").model == "mayor-v1"
    with pytest.raises(ForgeError, match="nothing to roll back to"):
        deps.rollback("sfgastown", actor="t")
    assert [(d.action, d.model) for d in deps.history("sfgastown")] == [
        ("deploy", "mayor-v1"),
        ("deploy", "mayor-v2"),
        ("deploy", "mayor-v3"),
        ("rollback", "mayor-v2"),
        ("rollback", "mayor-v1"),
    ]
    assert {m.display_name: m.status for m in forge.registry.list()}["mayor-v1"] == "active"
    assert lineage(forge, "mayor-v3")["deployed_to"] == ["frankentui"]
    with pytest.raises(NotFound, match="nothing is deployed to 'nowhere'"):
        deps.rollback("nowhere", actor="t")
    with pytest.raises(ForgeError, match="already runs mayor-v3"):
        deps.deploy("mayor-v3", "frankentui", actor="t")


def test_prune_keeps_newest_and_deployed(forge):
    deps = deployments(forge)
    for _ in range(5):
        _register(forge, "polecat")
    deps.deploy("polecat-v1", "rig1", actor="t")
    assert deps.prune(2, dry_run=True) == ["polecat-v3", "polecat-v2"]
    assert len(forge.registry.list()) == 5
    assert deps.prune(2) == ["polecat-v3", "polecat-v2"]
    assert [m.display_name for m in forge.registry.list()] == ["polecat-v5", "polecat-v4", "polecat-v1"]
    assert _register(forge, "polecat").version == 6  # numbers are never reused


def test_adapters_and_provider_config(forge, tmp_path):
    from forge.artifacts import artifact_id

    m = _register(forge, "polecat")
    with forge.store.staged("adapter") as staging:
        (staging / "adapter_model.safetensors").write_bytes(b"weights")
        art = forge.store.commit(
            staging, kind="adapter", aid=artifact_id("adapter", {"t": 1}, []), config={}, inputs=[]
        )
    ads = adapters(forge)
    ads.register("code-review", task="code review", artifact_id=art.id, compatible_with=["polecat"])
    again = ads.register("code-review", task="code review", artifact_id=art.id, compatible_with=["polecat-v1"])
    assert again.version == 2 and again.compatible_with == ["polecat-v1"]
    with pytest.raises(NotFound):
        ads.register("x", task="t", artifact_id=art.id, compatible_with=["ghost"])
    for role in ("deacon", "boot", "witness"):
        _register(forge, role)
        deployments(forge).deploy(role, role, actor="t")
    deployments(forge).deploy(m.display_name, "polecat", actor="t")
    cfg = provider_config(forge, "polecat")
    assert cfg == {
        "agents": {
            "forge-polecat": {
                "command": "forge",
                "provider": "forge",
                "args": ["serve", "--model", "polecat-v1", "--adapters", "code-review"],
            }
        },
        "role_agents": {"polecat": "forge-polecat"},
    }
    (forge.settings.home / "registry.toml").write_text(
        '[provider]\nname = "node0"\ncommand = "node0-inference"\nargs = []\n'
    )
    cfg = provider_config(forge, "polecat")
    assert cfg["agents"] == {
        "node0-polecat": {
            "command": "node0-inference",
            "provider": "node0",
            "args": ["--model", "polecat-v1", "--adapters", "code-review"],
        }
    }
    assert cfg["role_agents"] == {"polecat": "node0-polecat"}
    info = lineage(forge, "polecat")
    assert info["adapters"] == ["code-review"] and info["dpo_pairs"] == 342
    assert info["corpus_conversations"] == 1847 and info["lora"] == "rank-64"


def test_cli_list_show_deploy_rollback_json(forge, forge_home):
    _register(forge, "mayor", score=0.873)
    _register(forge, "mayor", score=0.821)
    runner = CliRunner()
    r = runner.invoke(app, ["model", "list"], terminal_width=200)
    assert r.exit_code == 0, r.output
    header = next(line for line in r.output.splitlines() if "NAME" in line)
    assert list(header.replace("┃", " ").split()) == ["NAME", "ROLE", "BASE", "VER", "EVAL", "STATUS"]
    assert "mayor-v1" in r.output and "87.3%" in r.output
    r = runner.invoke(app, ["model", "deploy", "mayor-v1", "--to", "sfgastown", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["model"] == "mayor-v1"
    r = runner.invoke(app, ["model", "deploy", "mayor-v2", "--to", "mayor"])
    assert r.exit_code == 1 and "rollout order" in r.output and "Traceback" not in r.output
    runner.invoke(app, ["model", "deploy", "mayor-v2", "--to", "sfgastown"])
    r = runner.invoke(app, ["model", "rollback", "sfgastown", "--json"])
    assert json.loads(r.output)["model"] == "mayor-v1"
    r = runner.invoke(app, ["model", "show", "mayor-v1"], terminal_width=200)
    assert re.search(r"Deployed to:\s+sfgastown\n", r.output) and re.search(r"DPO pairs:\s+342\n", r.output)
    r = runner.invoke(app, ["model", "history", "--json"])
    assert [d["action"] for d in json.loads(r.output)] == ["deploy", "deploy", "rollback"]
    r = runner.invoke(app, ["model", "provider-config", "sfgastown"])
    assert json.loads(r.output)["agents"]["forge-sfgastown"]["args"][:3] == ["serve", "--model", "mayor-v1"]
    r = runner.invoke(app, ["model", "adapters", "--json"])
    assert r.exit_code == 0 and json.loads(r.output) == []


def test_real_forge_subprocess_prints_seed_columns(forge, forge_home):
    import os
    import subprocess
    import sys
    from pathlib import Path

    _register(forge, "witness", score=0.912)
    forge_bin = Path(sys.executable).parent / "forge"
    env = {**os.environ, "FORGE_HOME": str(forge_home), "COLUMNS": "160"}
    out = subprocess.run([str(forge_bin), "model", "list"], capture_output=True, text=True, env=env, check=True)
    header = next(line for line in out.stdout.splitlines() if "NAME" in line)
    assert header.replace("┃", " ").split() == ["NAME", "ROLE", "BASE", "VER", "EVAL", "STATUS"]
    assert "witness-v1" in out.stdout and "91.2%" in out.stdout and "candidate" in out.stdout
    bad = subprocess.run([str(forge_bin), "model", "rollback", "witness"], capture_output=True, text=True, env=env)
    assert bad.returncode == 1 and "nothing is deployed to 'witness'" in bad.stderr and "Traceback" not in bad.stderr


def _artifact(forge, kind, name, inputs=()):
    from forge.artifacts import artifact_id

    staging = forge.store.staging(kind)
    (staging / "weights.bin").write_bytes(name.encode() * 100)
    return forge.store.commit(
        staging,
        kind=kind,
        aid=artifact_id(kind, {"n": name}, [i.id for i in inputs]),
        config={"n": name},
        inputs=list(inputs),
    )


def test_prune_frees_weights_only_pruned_versions_used(forge):
    from forge.registry.prune import prune

    corpus = _artifact(forge, "corpus", "shared")
    old_adapter, old_merged = _artifact(forge, "adapter", "a1"), _artifact(forge, "merged_model", "m1")
    gguf = _artifact(forge, "gguf", "g1", [old_merged])
    new_merged = _artifact(forge, "merged_model", "m2")
    for merged, adapter in ((old_merged, old_adapter), (new_merged, old_adapter)):
        forge.registry.register(
            name="polecat",
            role="polecat",
            base="b",
            eval_score=0.5,
            base_eval_score=0.1,
            lineage={"corpus": corpus.id, "adapter": adapter.id, "merged_model": merged.id},
            hyperparameters={},
            details={},
        )
    plan = prune(forge, 1, dry_run=True)
    assert plan["removed"] == ["polecat-v1"]
    # the corpus is kept by design, the adapter because v2 still names it; the GGUF goes with its source
    assert {a["id"] for a in plan["artifacts"]} == {old_merged.id, gguf.id}
    assert old_merged.path.exists()
    done = prune(forge, 1)
    assert not old_merged.path.exists() and not gguf.path.exists()
    assert corpus.path.exists() and old_adapter.path.exists() and new_merged.path.exists()
    assert done["artifacts"][0]["bytes"] > 0
    result = CliRunner().invoke(app, ["model", "prune", "--keep", "1", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["removed"] == []
