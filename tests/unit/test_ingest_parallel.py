"""Parallel ingest (worker processes) writes exactly what the single-process ingest writes."""

from __future__ import annotations

from pathlib import Path

from forge.artifacts import ArtifactStore
from forge.ingest.pool import PARALLEL_MIN_FILES
from forge.ingest.stage import IngestConfig, run_ingest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_workers_do_not_change_the_corpus(tmp_path):
    sources = [EXAMPLES / "sessions", EXAMPLES / "beads"]
    assert len(list((EXAMPLES / "sessions").rglob("*.jsonl"))) >= PARALLEL_MIN_FILES  # the pool runs
    one = run_ingest(ArtifactStore(tmp_path / "a"), sources, IngestConfig(workers=1))
    two = run_ingest(ArtifactStore(tmp_path / "b"), sources, IngestConfig(workers=2))
    assert one.id == two.id  # workers is not part of the artifact's identity
    assert one.manifest["files"] == two.manifest["files"]  # byte-identical files


def test_fast_conversation_dict_matches_to_dict():
    from forge.ingest import claude_code
    from forge.ingest.pool import conversation_dict

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"
    (conv,) = claude_code.read(fixtures / "session_basic.jsonl", lambda *a: None)
    assert conv.messages and any(m.tool_calls for m in conv.messages)
    assert conversation_dict(conv) == conv.to_dict()
