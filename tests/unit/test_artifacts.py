import json

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.errors import IntegrityError


def test_commit_hashes_every_file_and_verify_catches_changes(tmp_path):
    store = ArtifactStore(tmp_path)
    aid = artifact_id("corpus", {"a": 1}, [])
    with store.staged("corpus") as staging:
        (staging / "rows.jsonl").write_text('{"x": 1}\n')
        (staging / "sub").mkdir()
        (staging / "sub" / "f.bin").write_bytes(b"\x00\x01")
        art = store.commit(staging, kind="corpus", aid=aid, config={"a": 1}, inputs=[])
    assert set(art.manifest["files"]) == {"rows.jsonl", "sub/f.bin"}
    art.verify()
    assert store.existing("corpus", aid).id == aid
    (art.path / "sub" / "f.bin").write_bytes(b"\x00\x02")
    with pytest.raises(IntegrityError, match="sub/f.bin"):
        art.verify()


def test_staged_work_is_removed_when_the_block_fails(tmp_path):
    store = ArtifactStore(tmp_path)
    with pytest.raises(RuntimeError), store.staged("dataset") as staging:
        (staging / "partial.jsonl").write_text("half")
        raise RuntimeError("boom")
    assert not any((tmp_path / ".staging").iterdir())
    assert not (tmp_path / "dataset").exists()


def test_id_depends_on_config_and_inputs_not_their_order():
    assert artifact_id("dataset", {"a": 1}, ["x", "y"]) == artifact_id("dataset", {"a": 1}, ["y", "x"])
    assert artifact_id("dataset", {"a": 1}, ["x"]) != artifact_id("dataset", {"a": 2}, ["x"])
    assert json.loads(json.dumps(artifact_id("corpus", {}, []))).startswith("corpus-")
