"""The reader registry, role/task rules and tool schema inference."""

from __future__ import annotations

import json
from pathlib import Path

from forge.ingest import Reader, detect_reader, readers, register
from forge.ingest.classify import role_from_cwd, task_from_tools
from forge.ingest.readers import _READERS
from forge.ingest.stage import discover
from forge.ingest.tool_schemas import KNOWN_TOOLS, infer_schema
from forge.records import Message, ToolCall


def test_builtin_readers_are_registered():
    table = readers()
    assert {"claude_code", "beads"} <= set(table)
    assert table["beads"].provides == "work_items"


def test_every_builtin_reader_has_a_format_name_for_the_cli():
    from forge.service.data import FORMATS, readers_for

    assert set(FORMATS.values()) == set(readers())
    assert readers_for(["gemini-cli"]) == ["gemini_cli"]


def test_a_reader_registers_like_a_plugin(tmp_path):
    def detect(path: Path, head: bytes) -> bool:
        return path.suffix == ".chat"

    def read(path: Path, warn):
        warn(1, "nothing to read")
        return iter(())

    reader = register(Reader("test_chat", (".chat",), detect, read))
    try:
        (tmp_path / "a.chat").write_text("x")
        assert readers()["test_chat"] is reader
        assert detect_reader(tmp_path / "a.chat", b"x") is reader
        assert [s.reader for s in discover([tmp_path])] == [reader]
        assert discover([tmp_path], only=["claude_code"]) == []  # not a suffix claude_code reads
    finally:
        _READERS.pop("test_chat")


def test_roles_from_gas_town_paths():
    assert role_from_cwd("/home/op/gt/gastown/polecats/nux") == ("polecat", {"rig": "gastown", "agent": "nux"})
    assert role_from_cwd("/home/op/gt/wyvern/witness") == ("witness", {"rig": "wyvern"})
    assert role_from_cwd("/home/op/gt/mayor") == ("mayor", {})
    assert role_from_cwd("/home/op/gt/beads/crew/max/src")[0] == "crew"
    assert role_from_cwd("/home/op/gt/deacon/dogs/boot")[0] == "boot"
    assert role_from_cwd("/home/op/gt/deacon")[0] == "deacon"
    assert role_from_cwd("/srv/project") == (None, {})
    assert role_from_cwd(None) == (None, {})


def _calls(*calls: tuple[str, dict]) -> list[Message]:
    return [Message("assistant", "", [ToolCall(f"t{i}", n, a) for i, (n, a) in enumerate(calls)])]


def test_task_rules():
    assert task_from_tools(_calls(("mcp__beads__create", {"title": "x", "issue_type": "epic"}))) == "planning"
    assert (
        task_from_tools(
            _calls(
                ("mcp__beads__create", {"title": "a"}), ("mcp__beads__create", {"title": "b", "deps": ["blocks:gt-1"]})
            )
        )
        == "planning"
    )
    assert (
        task_from_tools(_calls(("Bash", {"command": "git push -u origin b"}), ("mcp__beads__create", {"title": "x"})))
        == "git-workflow"
    )
    assert task_from_tools(_calls(("mcp__beads__create", {"title": "x"}))) == "bead-creation"
    assert task_from_tools(_calls(("Bash", {"command": 'bd create "x" -p 1'}))) == "bead-creation"
    assert task_from_tools(_calls(("Read", {"file_path": "/a"}))) is None


def test_schema_inference_marks_optional_and_mixed_keys():
    schema = infer_schema("t", [{"a": 1, "b": "x"}, {"a": 2, "b": 3, "c": [1]}])["function"]["parameters"]
    assert schema["properties"] == {"a": {"type": "integer"}, "b": {}, "c": {"type": "array"}}
    assert schema["required"] == ["a", "b"]


def test_known_beads_create_schema():
    params = KNOWN_TOOLS["mcp__beads__create"]["function"]["parameters"]
    assert params["properties"]["priority"] == {"type": "integer", "minimum": 0, "maximum": 4}
    assert "epic" in params["properties"]["issue_type"]["enum"]


def test_a_known_schema_is_fitted_to_the_calls_it_must_admit():
    from forge.ingest.tool_schemas import fitted

    bash = KNOWN_TOOLS["Bash"]
    assert fitted(bash, [{"command": "ls"}, {"command": "pwd", "timeout": 5}]) is bash
    # Gemini CLI 0.10 named read_file's arguments otherwise than later releases
    old = fitted(KNOWN_TOOLS["read_file"], [{"absolute_path": "/r/a.py", "offset": 3}, {"file_path": "b.py"}])
    params = old["function"]["parameters"]
    assert params["properties"]["absolute_path"] == {"type": "string"} and "start_line" in params["properties"]
    assert params["required"] == [] and old["function"]["description"] == "Read a file."


def test_every_call_in_the_real_sessions_fits_the_schema_it_is_shown_with(tmp_path):
    from forge.artifacts import ArtifactStore
    from forge.ingest.stage import IngestConfig, run_ingest
    from forge.ingest.tool_schemas import json_type

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real"
    folders = [real / n for n in ("claude_code", "claude_code_1.0", "codex", "gemini_cli", "openhands", "swe_agent")]
    art = run_ingest(ArtifactStore(tmp_path), folders, IngestConfig(workers=1))
    convs = [json.loads(line) for line in art.file("conversations.jsonl").read_text().splitlines()]
    checked = 0
    for conv in convs:
        schemas = {t["function"]["name"]: t["function"]["parameters"] for t in conv["tools"]}
        for msg in conv["messages"]:
            for call in msg["tool_calls"]:
                params, args = schemas[call["name"]], call["arguments"]
                assert set(args) <= set(params["properties"]), (call["name"], set(args) - set(params["properties"]))
                assert set(params["required"]) <= set(args), call["name"]
                for key, value in args.items():
                    declared = params["properties"][key].get("type")
                    seen = json_type(value).get("type")
                    assert declared in (None, seen) or (declared == "number" and seen == "integer"), (call, key)
                checked += 1
    assert checked > 100
