"""Bad input: one warning per bad record naming its line and why, never its content; reading goes on."""

from __future__ import annotations

import json
from pathlib import Path

from forge.ingest import beads, claude_code
from forge.ingest.stage import discover

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"
SECRET_BITS = ("ghp_FAKE", "AKIAFAKE", "caf", "not", "u-nomsg")


def collect(reader, path: Path):
    warnings: list[tuple[int | None, str]] = []
    records = list(reader.read(path, lambda line, why: warnings.append((line, why))))
    return records, warnings


def test_each_bad_record_is_one_warning_with_its_line():
    convs, warnings = collect(claude_code, FIXTURES / "session_bad_records.jsonl")
    lines = [line for line, _ in warnings]
    assert lines == [2, 4, 6, 7, 10]
    reasons = dict(warnings)
    assert reasons[2].startswith("invalid JSON")
    assert reasons[4].startswith("invalid UTF-8")
    assert "expected a JSON object" in reasons[6]
    assert "no message" in reasons[7]
    assert reasons[10].startswith("truncated line")
    # the good records around them still make a conversation
    assert len(convs) == 1
    assert [m.role for m in convs[0].messages] == ["user", "assistant", "tool"]


def test_warnings_never_echo_the_record():
    _, warnings = collect(claude_code, FIXTURES / "session_bad_records.jsonl")
    for _, why in warnings:
        assert not any(bit in why for bit in SECRET_BITS), why


def test_bad_blocks_inside_a_good_entry(tmp_path):
    entry = {
        "parentUuid": None,
        "isSidechain": False,
        "type": "user",
        "uuid": "a",
        "sessionId": "s1",
        "message": {"role": "user", "content": "hi"},
    }
    bad_call = {
        "parentUuid": "a",
        "isSidechain": False,
        "type": "assistant",
        "uuid": "b",
        "sessionId": "s1",
        "message": {
            "id": "m1",
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "Bash", "input": "rm -rf /"},
                {"type": "text", "text": "ok"},
            ],
        },
    }
    no_content = {
        "parentUuid": "b",
        "type": "user",
        "uuid": "c",
        "sessionId": "s1",
        "message": {"role": "user", "content": 42},
    }
    path = tmp_path / "s1.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in (entry, bad_call, no_content)) + "\n")
    convs, warnings = collect(claude_code, path)
    assert [line for line, _ in warnings] == [3, 2]
    assert "rm -rf" not in " ".join(w for _, w in warnings)
    assert [m.role for m in convs[0].messages] == ["user", "assistant"]
    assert convs[0].messages[1].tool_calls == []


def test_a_file_with_only_bad_lines_yields_nothing(tmp_path):
    path = tmp_path / "junk.jsonl"
    path.write_bytes(b'{"sessionId": \n\xff\xfe\n[]\n')
    convs, warnings = collect(claude_code, path)
    assert convs == [] and len(warnings) == 3


def test_beads_reader_warns_on_bad_beads():
    records, warnings = collect(beads, FIXTURES / "issues.jsonl")
    assert warnings == [(4, "wrong schema: bead has no id")]
    assert [r.id for r in records if hasattr(r, "title")] == ["gt-abc1", "gt-def2", "gt-ghi3"]


def test_discover_flags_empty_binary_and_unknown_files(tmp_path):
    (tmp_path / "empty.jsonl").write_bytes(b"")
    (tmp_path / "blob.jsonl").write_bytes(b"\x00\x01\x02PK\x03\x04" * 10)
    (tmp_path / "other.jsonl").write_text('{"hello": "world"}\n')
    (tmp_path / "notes.txt").write_text("ignored: no reader takes .txt files")
    (tmp_path / "ok.jsonl").write_bytes((FIXTURES / "session_basic.jsonl").read_bytes())
    found = {s.display.split("/", 1)[1]: s for s in discover([tmp_path])}
    assert set(found) == {"empty.jsonl", "blob.jsonl", "other.jsonl", "ok.jsonl"}
    assert found["empty.jsonl"].problem == "empty file"
    assert found["blob.jsonl"].problem.startswith("binary file")
    assert found["other.jsonl"].problem == "no reader recognises this file"
    assert found["ok.jsonl"].reader.name == "claude_code" and found["ok.jsonl"].problem is None
    assert all(len(s.sha256) == 64 for s in found.values())
