"""MODEL arguments: registry names, artifact dirs and ids, model dirs, GGUF files, Hub ids."""

import json

import pytest

from forge.errors import InputError, NotFound
from forge.models.refs import resolve_model


def _artifact(forge, kind, aid, files=None):
    staging = forge.store.staging(kind)
    for name, text in (files or {"config.json": "{}"}).items():
        (staging / name).write_text(text)
    return forge.store.commit(staging, kind=kind, aid=aid, config={}, inputs=[])


def test_registry_name_resolves_to_merged_model_base_and_dataset(forge):
    merged = _artifact(forge, "merged_model", "merged_model-abc")
    ds = _artifact(forge, "dataset", "dataset-xyz", {"sft_eval.jsonl": ""})
    forge.registry.register(
        name="polecat",
        role="polecat",
        base="forge/tiny-llama",
        eval_score=0.5,
        base_eval_score=0.2,
        lineage={"dataset": ds.id, "merged_model": merged.id},
        hyperparameters={},
        details={"merged_path": str(merged.path)},
    )
    for ref in ("polecat", "polecat-v1"):
        r = resolve_model(forge, ref)
        assert r.location == str(merged.path) and r.kind == "merged_model"
        assert r.base == "forge/tiny-llama" and r.dataset.id == ds.id
        assert r.registry_name == "polecat-v1"


def test_paths_artifacts_gguf_and_hub_ids(forge, tmp_path):
    gguf = _artifact(forge, "gguf", "gguf-1", {"model-f16.gguf": "x"})
    assert resolve_model(forge, "gguf-1").kind == "gguf"
    assert resolve_model(forge, str(gguf.path)).artifact.id == "gguf-1"
    assert resolve_model(forge, str(gguf.path / "model-f16.gguf")).location.endswith(".gguf")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "config.json").write_text(json.dumps({}))
    assert resolve_model(forge, str(plain)).kind == "model"
    assert resolve_model(forge, "Qwen/Qwen2.5-0.5B-Instruct").location == "Qwen/Qwen2.5-0.5B-Instruct"


def test_unknown_names_and_bad_paths_are_clear(forge, tmp_path):
    with pytest.raises(NotFound, match="no model 'polecat'"):
        resolve_model(forge, "polecat")
    with pytest.raises(InputError, match="not a model directory"):
        resolve_model(forge, str(tmp_path))
    with pytest.raises(InputError, match="adapter not found"):
        resolve_model(forge, "org/model", ["/nope/adapter"])


def test_a_changed_artifact_is_refused(forge):
    from forge.errors import IntegrityError

    art = _artifact(forge, "merged_model", "merged_model-t", {"config.json": "{}", "model.safetensors": "w"})
    (art.path / "model.safetensors").write_text("tampered")
    with pytest.raises(IntegrityError, match="model.safetensors"):
        resolve_model(forge, "merged_model-t")
