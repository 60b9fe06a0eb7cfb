"""Gemini CLI sessions: the real sessions in tests/fixtures/real/gemini_cli (sources in its
SOURCES.md), as the CLI wrote them (one JSON object), and replayed as the JSON Lines log that
Gemini CLI 0.39 and later write. No recorded log was found in public repositories, so the logs
here are built from the real sessions the way the CLI itself converts a session on resume (a
metadata line, then one line per message), with the log's other records added as its loader
reads them (re-written messages, $set, $rewindTo)."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

from forge.ingest.readers import detect_reader, read_head

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "gemini_cli"
POMODORO = REAL / "gemini-cli-pomodoro-timer.json"


def read(path: Path) -> tuple[list, list]:
    warnings: list = []
    reader = detect_reader(path, read_head(path))
    assert reader is not None and reader.name == "gemini_cli", path
    return list(reader.read(path, lambda line, reason: warnings.append((line, reason)))), warnings


def as_log(doc: dict, extra: list[dict] | None = None) -> str:
    """The session as Gemini CLI writes its log: the metadata line, each message, then `extra`."""
    meta = {k: v for k, v in doc.items() if k != "messages"}
    lines = [{**meta, "kind": "main"}, *doc["messages"], *(extra or [])]
    return "".join(json.dumps(line) + "\n" for line in lines)


def test_every_call_and_result_of_a_real_session_is_read():
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    (conv,), warnings = read(POMODORO)
    assert warnings == [] and conv.id == doc["sessionId"]
    calls = [c for m in doc["messages"] for c in m.get("toolCalls") or []]
    read_calls = [c for m in conv.messages for c in m.tool_calls]
    assert [(c.id, c.name, c.arguments) for c in read_calls] == [(c["id"], c["name"], c["args"]) for c in calls]
    results = [m for m in conv.messages if m.role == "tool"]
    assert [m.tool_call_id for m in results] == [c["id"] for c in calls]
    for call, result in zip(calls, results, strict=True):
        output = call["result"][0]["functionResponse"]["response"]
        if call["status"] == "success":
            assert result.content == output["output"]
        else:  # the failed replace: the model was told it failed
            assert call["status"] == "error" and result.content.startswith("error: ")
    # three write_file calls in one reply: one assistant turn, then their three results
    first = next(m for m in conv.messages if m.tool_calls)
    assert [c.name for c in first.tool_calls] == ["write_file"] * 3
    assert first.content.startswith("Okay, I will build the Pomodoro timer.")
    users = [m.content for m in conv.messages if m.role == "user"]
    assert users == [m["content"] for m in doc["messages"] if m["type"] == "user"]
    assert conv.metadata["model"] == "gemini-2.5-pro" and conv.metadata["started_at"] == doc["startTime"]
    assert conv.metadata["counts"]["tool_errors"] == 1 and conv.metadata["counts"]["thinking"] > 0
    assert {t["function"]["name"] for t in conv.tools} == {"write_file", "replace"}


def test_a_cancelled_call_and_the_cli_notices():
    (conv,), warnings = read(REAL / "session-2025-12-03T04-27-e0f6ebe9.json")
    assert warnings == []
    shell = [m for m in conv.messages if m.role == "tool"]
    assert shell[0].content.startswith("Command: docker run")
    assert shell[1].content.startswith("error: [Operation Cancelled]")
    assert conv.metadata["counts"]["info_notices"] == 1  # "Request cancelled." is not dialogue
    assert conv.metadata["models"] == ["gemini-2.5-flash", "gemini-3-pro-preview"]


def test_a_session_saved_under_a_jsonl_name_is_read_whole():
    (conv,), warnings = read(REAL / "entire-checkpoint-full.jsonl")
    assert warnings == [] and conv.id == "f7633853-6663-4dbb-bbf4-6159afa29df8"
    assert [c.name for m in conv.messages for c in m.tool_calls][:2] == ["write_file", "run_shell_command"]
    # a reply that ended without a call, then another: the CLI had sent "Please continue." between
    at = next(i for i, m in enumerate(conv.messages) if m.content.startswith("I misread the `ls` output"))
    assert (conv.messages[at + 1].role, conv.messages[at + 1].content) == ("user", "Please continue.")
    assert conv.messages[at + 2].role == "assistant" and conv.messages[at + 2].tool_calls
    roles = [m.role for m in conv.messages]
    assert ("assistant", "assistant") not in set(itertools.pairwise(roles))
    assert conv.metadata["counts"]["continue_prompts"] >= 1


def test_the_log_replays_to_the_same_session(tmp_path):
    for real in sorted(REAL.iterdir()):
        doc = json.loads(real.read_text(encoding="utf-8"))
        log = tmp_path / f"{real.stem}-log.jsonl"
        log.write_text(as_log(doc, [{"$set": {"lastUpdated": doc["lastUpdated"]}}]), encoding="utf-8")
        (whole,), _ = read(real)
        (replayed,), warnings = read(log)
        assert warnings == [] and replayed.id == whole.id
        assert [m.to_openai() for m in replayed.messages] == [m.to_openai() for m in whole.messages]


def test_rewritten_messages_rewinds_and_checkpoints(tmp_path):
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    msgs = doc["messages"]
    (whole,), _ = read(POMODORO)
    log = tmp_path / "session.jsonl"

    # a message written again (tokens arrived) replaces the first copy in its place
    again = {**msgs[1], "content": "Okay, building it now."}
    log.write_text(as_log(doc, [again]), encoding="utf-8")
    (conv,), _ = read(log)
    assert conv.messages[1].content == "Okay, building it now."
    assert len(conv.messages) == len(whole.messages)

    # $rewindTo drops that message and everything after it; then the session goes on
    cut = msgs[3]  # "add smooth transitions between states"
    new = {"id": "u-new", "timestamp": cut["timestamp"], "type": "user", "content": [{"text": "add a dark theme"}]}
    reply = {"id": "g-new", "timestamp": cut["timestamp"], "type": "gemini", "content": "Done."}
    log.write_text(as_log(doc, [{"$rewindTo": cut["id"]}, new, reply]), encoding="utf-8")
    (conv,), warnings = read(log)
    assert warnings == []
    assert [m.content for m in conv.messages if m.role == "user"] == [msgs[0]["content"], "add a dark theme"]
    assert conv.messages[-1].content == "Done."

    # a $set with a messages list is a checkpoint: the list replaces every message
    log.write_text(as_log(doc, [{"$set": {"messages": msgs[:3]}}]), encoding="utf-8")
    (conv,), _ = read(log)
    assert [m.role for m in conv.messages] == ["user", "assistant", "tool", "tool", "tool", "assistant"]


def test_echoed_results_injected_context_and_cli_commands_are_not_prompts(tmp_path):
    """Since 0.44 the CLI also writes each call's results as a user message of functionResponse
    parts (the same results as the call's record); it injects <session_context>; `/` commands
    it handles itself."""
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    calls = doc["messages"][1]["toolCalls"]
    echo = {"id": "echo", "type": "user", "content": [p for c in calls for p in c["result"]]}
    context = {"id": "ctx", "type": "user", "content": [{"text": "<session_context>cwd: /repo</session_context>"}]}
    command = {"id": "cmd", "type": "user", "content": "/stats"}
    doc["messages"][2:2] = [echo, context, command]
    path_first = {"id": "p", "type": "user", "content": "/Users/yoavfarhi/dev/pomodoro/gemini/style.css looks off"}
    doc["messages"].append(path_first)  # a prompt that opens with a path is a prompt
    log = tmp_path / "session.jsonl"
    log.write_text(as_log(doc), encoding="utf-8")
    (conv,), warnings = read(log)
    (whole,), _ = read(POMODORO)
    assert warnings == []
    assert [m.to_openai() for m in conv.messages[:-1]] == [m.to_openai() for m in whole.messages]
    assert conv.messages[-1].content == path_first["content"]
    assert conv.metadata["counts"]["tool_result_echoes"] == 1 and conv.metadata["counts"]["cli_messages"] == 2


def test_bad_lines_cost_those_lines_only(tmp_path):
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    (whole,), _ = read(POMODORO)
    lines = as_log(doc).splitlines(keepends=True)
    torn = lines[-1][: len(lines[-1]) // 2]  # the last message, cut off mid-write
    damaged = [*lines[:4], "not json\n", '{"id": "x", "type": "robot"}\n', '{"$patch": {"a": 1}}\n', *lines[4:-1], torn]
    log = tmp_path / "session.jsonl"
    log.write_text("".join(damaged), encoding="utf-8")
    (conv,), warnings = read(log)
    assert [line for line, _ in warnings] == [5, 6, len(damaged)]
    assert "not a Gemini CLI" not in warnings[1][1] and "known type" in warnings[1][1]
    assert warnings[2][1] == "truncated line (file ends mid-record)"
    assert [m.to_openai() for m in conv.messages] == [m.to_openai() for m in whole.messages[:-1]]


def test_a_session_migrated_to_a_log_is_read_once(tmp_path):
    """Resuming a .json session, the CLI writes the session and what follows into a .jsonl
    beside it and leaves the .json: only the log, which holds more, is read."""
    shutil.copy(POMODORO, tmp_path / "session-1.json")
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    (tmp_path / "session-1.jsonl").write_text(as_log(doc), encoding="utf-8")
    convs, warnings = read(tmp_path / "session-1.json")
    assert convs == [] and warnings == [
        (None, "skipped: Gemini CLI copied this session to session-1.jsonl on resume; that copy is read")
    ]
    (conv,), _ = read(tmp_path / "session-1.jsonl")
    assert conv.id == doc["sessionId"]


def test_claude_code_and_gemini_files_are_told_apart(tmp_path):
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    (tmp_path / "g.jsonl").write_text(as_log(doc), encoding="utf-8")
    assert detect_reader(tmp_path / "g.jsonl", read_head(tmp_path / "g.jsonl")).name == "gemini_cli"
    claude = REAL.parent / "claude_code" / "hello-world-script.jsonl"
    assert detect_reader(claude, read_head(claude)).name == "claude_code"


def test_a_subagent_session_names_the_session_that_started_it(tmp_path):
    doc = json.loads(POMODORO.read_text(encoding="utf-8"))
    parent = "7e1c0d2a-5b6f-4c1e-9a0b-2f3d4e5f6a7b"
    folder = tmp_path / "chats" / parent
    folder.mkdir(parents=True)
    log = as_log(doc).replace('"kind": "main"', '"kind": "subagent"', 1)
    (folder / f"{doc['sessionId']}.jsonl").write_text(log, encoding="utf-8")
    (conv,), _ = read(folder / f"{doc['sessionId']}.jsonl")
    assert conv.metadata["kind"] == "subagent" and conv.metadata["parent_session"] == parent
    (main,), _ = read(POMODORO)
    assert main.metadata["parent_session"] is None


def test_the_project_folder_marker_gives_the_working_folder_and_the_role(tmp_path):
    """Gemini CLI 0.29+ names each project's folder with a short id and keeps the project's path
    in a `.project_root` marker beside chats/: a session there ran in that folder, which names
    its Gas Town role."""
    project = tmp_path / ".gemini" / "tmp" / "furiosa"
    (project / "chats").mkdir(parents=True)
    (project / ".project_root").write_text("/home/op/gt/gastown/polecats/furiosa\n")
    session = project / "chats" / "session-2025-10-21T20-04-0b23371a.json"
    shutil.copy(POMODORO, session)
    (conv,), _ = read(session)
    assert conv.metadata["cwd"] == "/home/op/gt/gastown/polecats/furiosa" and conv.agent_role == "polecat"
    (project / ".project_root").write_text("not a path")
    (conv,), _ = read(session)
    assert conv.metadata["cwd"] is None and conv.agent_role is None
