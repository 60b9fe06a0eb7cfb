"""An artifact id can never name a folder outside the store: every lookup checks the id
against KIND-SUFFIX (no '/', no '..', no absolute path), so no caller — CLI, MCP, API — can
load an arbitrary directory that happens to hold a manifest.json."""

from __future__ import annotations

import json

import pytest

from forge.artifacts import ArtifactStore, check_artifact_id
from forge.errors import InputError, NotFound
from forge.service import Forge


@pytest.fixture
def store_with_decoy(tmp_path):
    store = ArtifactStore(tmp_path / "home" / "artifacts")
    staging = store.staging("dataset")
    (staging / "stats.json").write_text("{}")
    real = store.commit(staging, kind="dataset", aid="dataset-0123456789abcdef", config={}, inputs=[])
    decoy = tmp_path / "decoy"  # a folder outside the store that looks like an artifact
    decoy.mkdir()
    (decoy / "manifest.json").write_text(json.dumps({"kind": "dataset", "id": "dataset-decoy", "files": {}}))
    return store, real, decoy


@pytest.mark.parametrize(
    "bad",
    [
        "../../decoy",
        "dataset-../../../decoy",
        "/etc/passwd",
        "dataset-",
        "-abc",
        "dataset-a/b",
        "Dataset-abc",
        "dataset-abc\x00",
        "dataset-a.b",
        "",
        "dataset-x-y",
    ],
)
def test_malformed_ids_are_refused_before_any_path_is_built(store_with_decoy, bad):
    store, _, _ = store_with_decoy
    with pytest.raises(InputError, match="is not an artifact id"):
        store.get(bad)


def test_well_formed_ids_still_resolve(store_with_decoy):
    store, real, _ = store_with_decoy
    assert store.get("dataset-0123456789abcdef").path == real.path
    with pytest.raises(NotFound):
        store.get("dataset-ffffffffffffffff")
    assert check_artifact_id("base_model-tiny") == "base_model-tiny"  # short test ids stay valid
    with pytest.raises(InputError, match="not a corpus"):
        check_artifact_id("dataset-0123456789abcdef", "corpus")
    with pytest.raises(InputError):
        store.path_for("../x", "dataset-0123456789abcdef")
    with pytest.raises(InputError):
        store.path_for("dataset", "corpus-0123456789abcdef")  # the id's kind must be the folder's


def test_facade_lookups_by_id_never_take_a_path(forge_home, tmp_path):
    forge = Forge()
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "manifest.json").write_text(json.dumps({"kind": "dataset", "id": "dataset-decoy", "files": {}}))
    for call in (
        lambda: forge.stored_artifact(str(decoy)),
        lambda: forge.dataset_view(str(decoy)),
        lambda: forge.corpus_view("corpus-../../x"),
        lambda: forge.eval_comparison(str(decoy)),
    ):
        with pytest.raises(InputError, match="is not an artifact id"):
            call()
