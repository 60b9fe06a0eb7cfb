"""Crush and OpenCode (Go) session databases: real ones (tests/fixtures/real/SOURCES.md), each
as the agent left it in the project's `.crush/` or `.opencode/` folder."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from forge.artifacts import ArtifactStore
from forge.ingest.readers import detect_reader, read_head
from forge.ingest.stage import IngestConfig, run_ingest
from forge.records import Conversation

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
CRUSH = REAL / "crush" / ".crush" / "crush.db"
OPENCODE = REAL / "opencode_go" / ".opencode" / "opencode.db"


def read(path: Path) -> tuple[list[Conversation], list]:
    warnings: list = []
    reader = detect_reader(path, read_head(path))
    assert reader is not None and reader.name == "crush"
    return list(reader.read(path, lambda line, reason: warnings.append((line, reason)))), warnings


def test_a_crush_session_becomes_prompts_replies_calls_and_their_results():
    convs, warnings = read(CRUSH)
    assert warnings == []
    assert [c.id for c in convs] == ["a20c5ed5-41d4-45f7-88eb-7ba0645f1341", "f306c145-4c83-492c-b575-739c30bbced4"]
    conv = convs[0]
    assert conv.metadata["app"] == "crush" and conv.metadata["model"] == "gpt-5"
    assert conv.metadata["started_at"] == "2025-08-09T03:11:00Z"
    assert conv.metadata["title"] == "Create and Enhance CRUSH.md with Codebase Guidelines"
    # the first reply was an API error (no text, no call): the prompt and the "try again" after
    # it are the one user turn the model was sent next
    first = conv.messages[0]
    assert first.role == "user" and first.content.startswith("`Please analyze this codebase")
    assert first.content.endswith("\n\ntry again")
    # ten calls in one reply, as the model made them
    assert conv.messages[1].role == "assistant" and [c.name for c in conv.messages[1].tool_calls] == [
        "ls",
        "glob",
        "grep",
        "view",
        "view",
        "grep",
        "glob",
        "view",
        "grep",
        "grep",
    ]
    # every call is answered, in order, by a result that names its tool
    calls = [c for m in conv.messages for c in m.tool_calls]
    results = [m for m in conv.messages if m.role == "tool"]
    assert [r.tool_call_id for r in results] == [c.id for c in calls] and len(calls) == 40
    assert all(r.name == c.name for r, c in zip(results, calls))
    assert calls[2].arguments == {
        "path": "/Users/max/codeZ/dbos-transact-golang",
        "pattern": "package main",
        "include": "*.go",
    }
    # a write the user did not allow: the result Crush returned, counted as an error
    denied = [r for r in results if r.content == "Permission denied"]
    assert len(denied) == 3
    counts = conv.metadata["counts"]
    assert counts["empty_replies"] == 3 and counts["joined_prompts"] == 1 and counts["tool_errors"] == 8
    assert counts["finish_permission_denied"] == 3
    # the user cancelled the last command: the session ends there
    assert results[-1].content == "Tool execution canceled by user" and conv.metadata["stop_reason"] == "canceled"
    assert {t["function"]["name"] for t in conv.tools} == {"ls", "glob", "grep", "view", "write", "edit", "bash"}


def test_opencode_rows_still_in_the_write_ahead_log_are_read():
    """Most of this database is in opencode.db-wal, as OpenCode left it: the main file alone holds
    one session; with its log, four (two of them only a cancelled reply: no dialogue)."""
    convs, warnings = read(OPENCODE)
    assert [c.id[:8] for c in convs] == ["2530334d", "a1898573"]
    assert warnings == [
        (87, "no dialogue: no prompt with a reply; session skipped"),
        (89, "no dialogue: no prompt with a reply; session skipped"),
    ]
    conv, later = convs
    assert conv.metadata["app"] == "opencode" and conv.metadata["started_at"] == "2025-05-28T11:05:58.133000Z"
    assert later.metadata["model"] == "gemini-2.5"
    (batch,) = later.messages[1].tool_calls
    assert batch.name == "batch" and batch.arguments["calls"][0]["name"] == "view"
    # two calls were still being written when the user cancelled: they never ran, and have no result
    assert conv.metadata["counts"]["unfinished_calls"] == 2
    calls = [c.id for m in conv.messages for c in m.tool_calls]
    assert [m.tool_call_id for m in conv.messages if m.role == "tool"] == calls and len(calls) == 87


def test_the_database_is_read_from_a_copy_and_left_as_it_was(tmp_path):
    folder = tmp_path / ".opencode"
    shutil.copytree(OPENCODE.parent, folder)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    convs, _ = read(folder / "opencode.db")
    assert len(convs) == 2
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    assert after == before  # no -shm made, the log not checkpointed into the file


def test_bad_rows_cost_those_rows_and_bad_files_a_warning(tmp_path):
    db = tmp_path / "crush.db"
    shutil.copyfile(CRUSH, db)
    with sqlite3.connect(db) as con:
        con.execute('UPDATE messages SET parts = \'[{"type": "text", "data": \' WHERE rowid = 79')
        con.execute('UPDATE messages SET parts = \'{"not": "a list"}\' WHERE rowid = 82')
    convs, warnings = read(db)
    assert warnings == [
        (79, "its parts are not JSON; message skipped"),
        (82, "its parts are not a list; message skipped"),
        (80, "no dialogue: no prompt with a reply; session skipped"),
    ]
    assert len(convs) == 1 and len(convs[0].messages) == 85  # the other session, whole
    # a SQLite file of something else, and one whose pages are garbage
    other = tmp_path / "other" / "crush.db"
    other.parent.mkdir()
    with sqlite3.connect(other) as con:
        con.execute("CREATE TABLE notes (body TEXT)")
    assert read(other) == (
        [],
        [(None, "not a Crush or OpenCode session database (no sessions and messages tables); skipped")],
    )
    broken = tmp_path / "broken" / "crush.db"
    broken.parent.mkdir()
    broken.write_bytes(CRUSH.read_bytes()[:100] + b"\xff" * 8000)
    assert read(broken) == ([], [(None, "the database could not be read (DatabaseError); file skipped")])


def test_a_project_folder_is_walked_into_its_crush_folder_and_the_log_is_part_of_the_corpus_id(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(OPENCODE.parent, project / ".opencode")
    store = ArtifactStore(tmp_path / "artifacts")
    corpus = run_ingest(store, [project], IngestConfig(workers=1))
    report = json.loads(corpus.file("report.json").read_text())["ingest"]
    assert report["files_by_reader"] == {"crush": 1} and report["conversations"] == 2
    # the agent goes on: a new prompt lands in the log, the database file stays as it was
    db = project / ".opencode" / "opencode.db"
    main_file = db.read_bytes()
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute(
        "INSERT INTO messages (id, session_id, role, parts) VALUES ('m-new', "
        '\'a1898573-ca36-4b7c-a7a5-7617a8e34c61\', \'user\', \'[{"type": "text", "data": {"text": "and the docs"}}]\')'
    )
    con.commit()
    shutil.copyfile(db.with_name("opencode.db-wal"), tmp_path / "wal")  # as it is while the agent runs
    con.close()
    shutil.copyfile(tmp_path / "wal", db.with_name("opencode.db-wal"))
    db.with_name("opencode.db-shm").unlink(missing_ok=True)
    db.write_bytes(main_file)
    again = run_ingest(store, [project], IngestConfig(workers=1))
    assert again.id != corpus.id
    rows = [json.loads(line) for line in again.file("conversations.jsonl").read_text().splitlines()]
    last = next(r for r in rows if r["id"].startswith("a1898573"))
    assert last["messages"][-1] == {
        "role": "user",
        "content": "and the docs",
        "tool_calls": [],
        "tool_call_id": None,
        "name": None,
    }
