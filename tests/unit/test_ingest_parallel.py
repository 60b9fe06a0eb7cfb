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
    conv, _subagent = claude_code.read(fixtures / "session_basic.jsonl", lambda *a: None)
    assert conv.messages and any(m.tool_calls for m in conv.messages)
    assert conversation_dict(conv) == conv.to_dict()


def test_stored_tool_arguments_keep_the_agents_key_order(tmp_path):
    """A real Claude Code session (tests/fixtures/real/claude_code, see SOURCES.md there): the
    stored corpus keeps each call's arguments in the order the agent wrote them, so a model learns
    that order (sorted keys would teach an Edit's new_string before its old_string)."""
    import json

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "claude_code" / "coverage-test-fix.jsonl"
    written = [
        list(block["input"])
        for line in real.read_text(encoding="utf-8").splitlines()
        for block in (json.loads(line).get("message") or {}).get("content") or []
        if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("name") == "Edit"
    ]
    art = run_ingest(ArtifactStore(tmp_path), [real], IngestConfig(workers=1))
    stored = [
        list(call["arguments"])
        for line in (Path(art.path) / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
        for m in json.loads(line)["messages"]
        for call in m["tool_calls"]
        if call["name"] == "Edit"
    ]
    assert written and stored == written
    assert all(o.index("old_string") < o.index("new_string") for o in stored)
