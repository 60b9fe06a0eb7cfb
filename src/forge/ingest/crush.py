"""Reader for Crush's session database (`.crush/crush.db` in a project) and that of OpenCode's Go
edition (`.opencode/opencode.db`), which Crush grew out of: the same tables.

  sessions  {id, parent_session_id, title, message_count, prompt_tokens, completion_tokens, cost,
             created_at, updated_at}
  messages  {id, session_id, role: user | assistant | tool, parts (a JSON list), model,
             provider (Crush only), created_at, finished_at}

Timestamps are Unix seconds (Crush, though its schema says milliseconds) or ISO text (OpenCode).
Messages are read in the order they were written (rowid: many share a second). Parts are
{type, data}:
  text {text}                                 -> the message's text
  reasoning {thinking}                        -> dropped, counted as thinking
  image_url, binary                           -> counted, not kept
  tool_call {id, name, input, finished}       -> a call (input: a JSON string); a call still
                                                 unfinished when the reply was cancelled never
                                                 ran and has no result: dropped, counted
  tool_result {tool_call_id, content, is_error} -> the call's result, in a `tool` message; an
                                                 error result ("Permission denied", "Tool
                                                 execution canceled by user") is kept as the
                                                 agent returned it and counted
  finish {reason, message}                    -> end_turn, tool_use, canceled, permission_denied,
                                                 error (an API error: the reply is empty)
A reply with neither text nor a call (an API error, a cancel before the first word) is dropped;
the prompts either side of it are one user turn, as the model was sent them next. Each session
is a conversation; a child session (the agent tool's task) names its parent in
`parent_session`. The database is read from a private copy (with its `-wal` file), so a running
agent's file is never locked or changed and rows still in the write-ahead log are read.
Problems name the messages table's row (`line` is its rowid), never what it holds.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forge.compression import SQLITE_MAGIC
from forge.ingest.openai_chat import Counts, classify_task, has_dialogue, parse_arguments
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.records import Conversation, Message, SourceRef, ToolCall

NAMES = ("crush.db", "opencode.db")
DATA_FOLDERS = {".crush": "crush", ".opencode": "opencode"}


def detect(path: Path, head: bytes) -> bool:
    """A SQLite file whose schema (on its first page) has the messages table with its parts."""
    if path.suffix != ".db" or not head.startswith(SQLITE_MAGIC):
        return False
    return path.name in NAMES or (b"CREATE TABLE messages" in head and b"parts TEXT" in head)


def _iso(value: Any) -> str | None:
    """A row's time as ISO 8601: Unix seconds or milliseconds, or OpenCode's ISO text as stored."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and value > 0:
        seconds = value / 1000 if value > 100_000_000_000 else value
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    return None


class _Session:
    def __init__(self, row: sqlite3.Row):
        self.row = row
        self.messages: list[Message] = []
        self.counts = Counts()
        self.models: list[str] = []
        self.names: dict[str, str] = {}  # call id -> tool name
        self.first_rowid: int | None = None
        self.last_finish: str | None = None
        self.first_at: Any = None
        self.last_at: Any = None

    def add(self, rowid: int, role: str, parts: list[Any], model: Any, warn: Warn) -> None:
        texts: list[str] = []
        calls: list[ToolCall] = []
        results: list[Message] = []
        finish: dict[str, Any] = {}
        for part in parts:
            kind = part.get("type") if isinstance(part, dict) else None
            data = part.get("data") if isinstance(part, dict) else None
            data = data if isinstance(data, dict) else {}
            if kind == "text":
                text = data.get("text")
                if isinstance(text, str) and text.strip():
                    texts.append(text)
            elif kind == "reasoning":
                self.counts.bump("thinking")
            elif kind in ("image_url", "binary"):
                self.counts.bump("images")
            elif kind == "tool_call":
                call = self._call(rowid, data, warn)
                if call is not None:
                    calls.append(call)
            elif kind == "tool_result":
                call_id = data.get("tool_call_id")
                if not isinstance(call_id, str) or not call_id:
                    warn(rowid, "wrong schema: a tool result without tool_call_id; skipped")
                    continue
                if data.get("is_error"):
                    self.counts.bump("tool_errors")
                content = data.get("content")
                results.append(
                    Message(
                        "tool",
                        content if isinstance(content, str) else json.dumps(content, ensure_ascii=False),
                        tool_call_id=call_id,
                        name=self.names.get(call_id) or data.get("name") or None,
                    )
                )
            elif kind == "finish":
                finish = data
            else:
                self.counts.bump("unknown_parts")
        reason = finish.get("reason")
        if isinstance(reason, str) and role == "assistant":
            self.last_finish = reason
            if reason in ("canceled", "error", "permission_denied"):
                self.counts.bump(f"finish_{reason}")
        text = "\n\n".join(texts)
        if role == "user":
            if not text:
                return
            prev = self.messages[-1] if self.messages else None
            if prev is not None and prev.role == "user":
                prev.content = f"{prev.content}\n\n{text}"  # the reply between them failed
                self.counts.bump("joined_prompts")
            else:
                self.messages.append(Message("user", text))
        elif role == "assistant":
            if isinstance(model, str) and model and model not in self.models:
                self.models.append(model)
            if not text and not calls:
                self.counts.bump("empty_replies")
                return
            self.messages.append(Message("assistant", text, calls))
        elif role == "tool":
            self.messages += results
        else:
            warn(rowid, f"unknown role {str(role)[:20]!r}; message skipped")
            return
        if self.first_rowid is None:
            self.first_rowid = rowid

    def _call(self, rowid: int, data: dict[str, Any], warn: Warn) -> ToolCall | None:
        call_id, name = data.get("id"), data.get("name")
        if data.get("finished") is False:
            self.counts.bump("unfinished_calls")  # cancelled while written: never ran
            return None
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
            warn(rowid, "wrong schema: a tool call without id or name; skipped")
            return None
        args = parse_arguments(data.get("input"))
        if args is None:
            warn(rowid, f"tool call {name[:40]!r}: its input is not a JSON object; call skipped")
            return None
        self.names[call_id] = name
        return ToolCall(call_id, name, args)


def _columns(con: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in con.execute(f"PRAGMA table_info({table})")}  # (fixed table names only)


def _open_copy(path: Path, into: Path) -> sqlite3.Connection:
    """The database copied with its write-ahead log, opened there: reading a live database in
    place would take its lock, and opening it read-only skips the log's rows."""
    copy = into / path.name
    shutil.copyfile(path, copy)
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
    con = sqlite3.connect(copy)
    con.row_factory = sqlite3.Row
    return con


def _sessions(con: sqlite3.Connection, warn: Warn) -> list[_Session] | None:
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"sessions", "messages"} <= tables or not {"session_id", "role", "parts"} <= _columns(con, "messages"):
        warn(None, "not a Crush or OpenCode session database (no sessions and messages tables); skipped")
        return None
    sessions = {row["id"]: _Session(row) for row in con.execute("SELECT * FROM sessions ORDER BY rowid")}
    model = "model" if "model" in _columns(con, "messages") else "NULL"
    query = f"SELECT rowid, session_id, role, parts, {model} AS model, created_at FROM messages ORDER BY rowid"
    for row in con.execute(query):
        s = sessions.get(row["session_id"])
        if s is None:
            warn(row["rowid"], "message of a session the database does not list; skipped")
            continue
        try:
            parts = json.loads(row["parts"])
        except (TypeError, json.JSONDecodeError):
            warn(row["rowid"], "its parts are not JSON; message skipped")
            continue
        if not isinstance(parts, list):
            warn(row["rowid"], "its parts are not a list; message skipped")
            continue
        s.first_at = s.first_at if s.first_at is not None else row["created_at"]
        s.last_at = row["created_at"]
        s.add(row["rowid"], row["role"], parts, row["model"], warn)
    return list(sessions.values())


def _conversation(path: Path, s: _Session, app: str, warn: Warn) -> Conversation | None:
    row = s.row
    if not has_dialogue(s.messages):
        warn(s.first_rowid, "no dialogue: no prompt with a reply; session skipped")
        return None
    keys = row.keys()
    usage = {k: row[k] for k in ("prompt_tokens", "completion_tokens", "cost") if k in keys}
    project = path.parent.parent if path.parent.name in DATA_FOLDERS else path.parent
    metadata: dict[str, Any] = {
        "format": "crush",
        "app": app,
        "title": row["title"] if "title" in keys else None,
        "cwd": str(project),
        "model": s.models[0] if s.models else None,
        "models": s.models,
        "parent_session": row["parent_session_id"] if "parent_session_id" in keys else None,
        "started_at": _iso(s.first_at),
        "ended_at": _iso(s.last_at),
        "usage": usage,
        "counts": dict(sorted(s.counts.items())),
    }
    if s.last_finish in ("canceled", "error"):
        metadata["stop_reason"] = s.last_finish
    conv = Conversation(
        id=str(row["id"]),
        messages=s.messages,
        source=SourceRef(str(path), s.first_rowid or 1),
        task=classify_task(s.messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    return conv


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    app = DATA_FOLDERS.get(path.parent.name) or ("opencode" if path.name == "opencode.db" else "crush")
    with tempfile.TemporaryDirectory(prefix="forge-db-") as tmp:
        try:
            con = _open_copy(path, Path(tmp))
            try:
                sessions = _sessions(con, warn)
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:  # corrupt, encrypted, or not a database after all
            warn(None, f"the database could not be read ({type(exc).__name__}); file skipped")
            return
        except OSError as exc:
            warn(None, f"the database could not be copied to read ({exc.strerror or type(exc).__name__}); file skipped")
            return
    for s in sessions or []:
        conv = _conversation(path, s, app, warn)
        if conv is not None:
            yield conv


READER = register(
    Reader(
        "crush",
        (".db",),
        detect,
        read,
        "Crush and OpenCode (Go) session databases (.crush/crush.db, .opencode/opencode.db)",
    )
)
