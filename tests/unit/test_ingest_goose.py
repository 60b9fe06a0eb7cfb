"""Goose sessions: a real `goose session export` (tests/fixtures/real/SOURCES.md), and the same
messages in the session-log layout older Goose kept (~/.local/share/goose/sessions/*.jsonl)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from forge.ingest.readers import detect_reader, read_head
from forge.records import Conversation

EXPORT = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "goose" / "real_export_v1_46_0.json"


def read(path: Path) -> tuple[list[Conversation], list]:
    warnings: list = []
    reader = detect_reader(path, read_head(path))
    assert reader is not None and reader.name == "goose"
    return list(reader.read(path, lambda line, reason: warnings.append((line, reason)))), warnings


def test_a_real_export_becomes_turns_calls_and_results():
    (conv,), warnings = read(EXPORT)
    assert warnings == []
    assert conv.id == "20260819_1" and conv.metadata["cwd"] == "/Users/private/entire/test-repos/test-repo"
    assert conv.metadata["title"] == "I need to revert a change to my last commit message"
    roles = [m.role for m in conv.messages]
    assert roles == ["user", "assistant", "user", "assistant", "tool", "assistant", "user", "assistant", "tool"] + [
        "assistant",
        "user",
        "assistant",
    ]
    # Goose wrote the text and the call as two assistant messages: one turn
    turn = conv.messages[3]
    assert turn.content.strip() == "Let me check the current full commit message first."
    (call,) = turn.tool_calls
    assert call.name == "Bash" and call.arguments["command"] == 'git log -1 --format="%B"'
    result = conv.messages[4]
    assert result.tool_call_id == call.id and result.name == "Bash"
    assert result.content == "test\n\nEntire-Checkpoint: ecf782729563\nEntire-Checkpoint: c81467b72ca0"
    assert conv.metadata["counts"] == {"images": 2}  # the screenshots of the last prompt
    assert [t["function"]["name"] for t in conv.tools] == ["Bash"]


def _log_of(doc: dict, path: Path) -> Path:
    """The export's messages in the older session-log layout: a metadata line, then a message a line."""
    meta = {"working_dir": doc["working_dir"], "description": doc["name"], "message_count": doc["message_count"]}
    lines = [json.dumps(meta)] + [json.dumps(m) for m in doc["conversation"]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_older_session_log_reads_as_the_export_does(tmp_path):
    doc = json.loads(EXPORT.read_text(encoding="utf-8"))
    (conv,), warnings = read(_log_of(doc, tmp_path / "20250301_7.jsonl"))
    (exported,), _ = read(EXPORT)
    assert warnings == [] and conv.id == "20250301_7"
    assert [m.to_openai() for m in conv.messages] == [m.to_openai() for m in exported.messages]
    assert conv.source.line == 2  # the first message's line


def test_errors_hidden_messages_and_bad_lines(tmp_path):
    """Variants of the real messages (edited here, each as Goose's own types allow)."""
    doc = json.loads(EXPORT.read_text(encoding="utf-8"))
    msgs = doc["conversation"]
    failed = copy.deepcopy(msgs[5])  # the result of the first call, as a failed one
    failed["content"][0]["toolResult"] = {"status": "error", "error": "Command failed: exit 128"}
    hidden = {**copy.deepcopy(msgs[2]), "metadata": {"userVisible": True, "agentVisible": False}}
    bad_call = copy.deepcopy(msgs[8])  # the second call, as one whose arguments did not parse
    bad_call["content"][0]["toolCall"] = {"status": "error", "error": "could not parse the arguments"}
    doc["conversation"] = [*msgs[:2], hidden, *msgs[3:5], failed, *msgs[6:8], bad_call, *msgs[9:]]
    path = _log_of(doc, tmp_path / "s.jsonl")
    with path.open("a", encoding="utf-8") as f:
        f.write("not json\n" + json.dumps({"role": "system", "content": []}) + "\n")
    (conv,), warnings = read(path)
    n = len(doc["conversation"])
    assert [line for line, _ in warnings] == [n + 2, n + 3]  # each bad line costs that line
    assert "role user or assistant" in warnings[1][1]
    # the hidden prompt gone, the replies either side of it are one turn
    assert [m.role for m in conv.messages[:4]] == ["user", "assistant", "tool", "assistant"]
    assert conv.messages[2].content == "error: Command failed: exit 128"
    counts = conv.metadata["counts"]
    assert counts["tool_errors"] == 1 and counts["not_sent_to_model"] == 1
    assert counts["malformed_calls"] == 1 and counts["orphan_results"] == 1  # its result goes with it
    assert all(
        m.tool_call_id in {c.id for x in conv.messages for c in x.tool_calls} for m in conv.messages if m.role == "tool"
    )


def test_a_result_list_as_older_goose_wrote_it(tmp_path):
    doc = json.loads(EXPORT.read_text(encoding="utf-8"))
    doc["conversation"][5]["content"][0]["toolResult"] = {
        "status": "success",
        "value": [
            {"type": "text", "text": "test"},
            {"type": "text", "text": "for the screen", "annotations": {"audience": ["user"]}},
        ],
    }
    (conv,), _ = read(_log_of(doc, tmp_path / "s.jsonl"))
    assert conv.messages[4].role == "tool" and conv.messages[4].content == "test"
