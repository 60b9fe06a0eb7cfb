"""Reader for OpenAI chat JSONL (the fine-tuning format), plus the helpers other readers share.

Each line is one conversation: `{"messages": [...], "tools": [...]}`. Assistant messages carry
`tool_calls: [{id, type: "function", function: {name, arguments}}]` where `arguments` is a JSON
*string*; tool results are `{"role": "tool", "tool_call_id", "content"}`. The legacy shape is
read too: `functions` for tools, assistant `function_call: {name, arguments}`, `role: "function"`
results. `developer` messages count as system messages; content may be a list of text parts.
A `.json` file holding a list of such records is read the same way.

Labels come from the record when present: `agent_role`, `task`, `outcome`, `work_item` (or
`bead`) at the top level or under `metadata`; a boolean `resolved` / `success` gives the outcome.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import task_from_tools
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import infer_schema, tools_for
from forge.jsonl import as_dict, iter_jsonl, read_capped
from forge.records import Conversation, Message, MessageRole, Outcome, SourceRef, ToolCall

ROLES: dict[str, MessageRole] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
}
TEXT_PARTS = ("text", "input_text", "output_text")
# tools that run a shell command, and the argument holding it: used to name a session's task
SHELL_TOOLS = {
    "Bash": "command",
    "bash": "command",
    "shell": "command",
    "local_shell": "command",
    "exec_command": "cmd",
    "execute_bash": "command",
    "run": "command",
    "run_shell_command": "command",  # Gemini CLI
}


class Counts(dict):
    def bump(self, key: str, n: int = 1) -> None:
        self[key] = self.get(key, 0) + n


# ---------------------------------------------------------------- helpers shared by readers


def text_of(content: Any, counts: Counts | None = None) -> str:
    """Plain text of a message content: a string, or a list of text parts (images counted)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and part.get("type") in TEXT_PARTS:
                parts.append(str(part.get("text") or ""))
            elif isinstance(part, dict) and "image" in str(part.get("type", "")):
                if counts is not None:
                    counts.bump("images")
            else:
                parts.append(json.dumps(part, ensure_ascii=False))
        return "\n".join(p for p in parts if p)
    return json.dumps(content, ensure_ascii=False)


def parse_arguments(raw: Any) -> dict[str, Any] | None:
    """Tool-call arguments as a dict: a JSON-object string or a dict; None when neither.
    A JSON string holding the JSON object (encoded twice, as some published data is) is read too."""
    if isinstance(raw, dict):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
            if isinstance(value, str) and value.lstrip().startswith("{"):
                value = json.loads(value)
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, dict) else None
    return None


_OUTCOMES: dict[str, Outcome] = {"success": "success", "failure": "failure", "unknown": "unknown"}


def outcome_of(value: Any) -> Outcome | None:
    if isinstance(value, bool):
        return "success" if value else "failure"
    if isinstance(value, str):
        return _OUTCOMES.get(value.lower())
    return None


def labels(record: dict[str, Any]) -> dict[str, Any]:
    """agent_role / task / outcome / work_item a record states about itself (top level or metadata)."""
    meta = as_dict(record.get("metadata"))
    out: dict[str, Any] = {"agent_role": None, "task": None, "outcome": None, "work_item": None}
    for where in (meta, record):  # the top level wins
        for key, names in (("agent_role", ("agent_role",)), ("task", ("task",)), ("work_item", ("work_item", "bead"))):
            for name in names:
                if isinstance(where.get(name), str) and where[name]:
                    out[key] = where[name]
        for name in ("outcome", "resolved", "success"):
            if outcome_of(where.get(name)) is not None:
                out["outcome"] = outcome_of(where[name])
                break
    return out


def normalize_tools(raw: Any) -> list[dict[str, Any]] | None:
    """OpenAI tool schemas from `tools` (wrapped or bare function objects, maybe a JSON string)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        return None
    tools = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        fn = item.get("function") if item.get("type") == "function" else item
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            return None
        tools.append({"type": "function", "function": fn})
    return tools


def complete_tools(conv: Conversation, given: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The source's schemas, plus an inferred one for every called tool they leave out."""
    if not given:
        return tools_for(conv)
    named = {t["function"]["name"] for t in given}
    extra: dict[str, list[dict[str, Any]]] = {}
    for msg in conv.messages:
        for call in msg.tool_calls:
            if call.name not in named:
                extra.setdefault(call.name, []).append(call.arguments)
    return list(given) + [infer_schema(name, args) for name, args in extra.items()]


def classify_task(messages: list[Message]) -> str | None:
    """The task rules of `classify`, with any shell-like tool read as Bash."""
    calls = []
    for msg in messages:
        for call in msg.tool_calls:
            key = SHELL_TOOLS.get(call.name)
            if key is not None:
                cmd = call.arguments.get(key)
                cmd = " ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd or "")
                calls.append(ToolCall(call.id, "Bash", {"command": cmd}))
            else:
                calls.append(call)
    return task_from_tools([Message("assistant", "", calls)])


def record_conversation(
    fmt: str,
    id_prefix: str,
    record: dict[str, Any],
    messages: list[Message],
    raw_tools: Any,
    path: Path,
    line: int,
    counts: Counts,
    warn: Warn,
) -> Conversation:
    """A Conversation from one chat record: its id (or a content hash), labels, the tools it
    declares (inferred for any it calls without declaring), and where it came from."""
    given = normalize_tools(raw_tools) if raw_tools else None
    if given is None and raw_tools:
        warn(line, "wrong schema: tools are not a list of function schemas (inferring them)")
    lab = labels(record)
    explicit_id = record.get("id") if isinstance(record.get("id"), str) and record["id"] else None
    conv = Conversation(
        id=explicit_id or record_id(id_prefix, record),
        messages=messages,
        source=SourceRef(str(path), line),
        agent_role=lab["agent_role"],
        task=lab["task"] or classify_task(messages),
        outcome=lab["outcome"] or "unknown",
        work_item=lab["work_item"],
        metadata={"format": fmt, "counts": dict(sorted(counts.items()))},
    )
    conv.tools = complete_tools(conv, given)
    return conv


def record_id(prefix: str, record: Any) -> str:
    """A stable id from the record's content: the same record always gets the same id."""
    blob = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()
    return f"{prefix}-{hashlib.sha256(blob).hexdigest()[:16]}"


def has_dialogue(messages: list[Message]) -> bool:
    return any(m.role == "user" for m in messages) and any(m.role == "assistant" for m in messages)


def load_text(path: Path, warn: Warn) -> str | None:
    """The whole file as text, or None after a warning naming the line of the first bad byte."""
    raw = read_capped(path, warn)
    if raw is None:
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warn(raw.count(b"\n", 0, exc.start) + 1, f"invalid UTF-8 at byte {exc.start}")
        return None


def load_json(path: Path, warn: Warn) -> tuple[Any, str] | None:
    """The whole file as one JSON value (with its text, for line numbers), or None after a warning."""
    text = load_text(path, warn)
    if text is None:
        return None
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        warn(exc.lineno, f"invalid JSON: {exc.msg} at column {exc.colno}")
        return None


def json_list_items(text: str, warn: Warn) -> Iterator[tuple[int, Any]]:
    """(line, value) for each element of the top-level JSON array in `text`, each parsed where it
    starts so it keeps its line. A bad element is warned about and ends the list (no resync)."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1, 0  # line numbers counted forward, not from the start each time

    def line_at(at: int) -> int:
        nonlocal line, counted
        line += text.count("\n", counted, at)
        counted = at
        return line

    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            warn(line_at(max(exc.pos, pos)), f"invalid JSON: {exc.msg}")
            return
        yield line_at(pos), value
        pos = end


def iter_records(path: Path, warn: Warn) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, record) from JSON Lines, or from a `.json` file holding one record or a list of them."""
    if path.suffix == ".jsonl":
        yield from iter_jsonl(path, warn)
        return
    text = load_text(path, warn)
    if text is None:
        return
    if text.lstrip().startswith("["):  # a list of records, each parsed where it starts
        for line, value in json_list_items(text, warn):
            if isinstance(value, dict):
                yield line, value
            else:
                warn(line, f"wrong schema: expected a JSON object, got {type(value).__name__}")
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        warn(exc.lineno, f"invalid JSON: {exc.msg} at column {exc.colno}")
        return
    if isinstance(doc, dict):
        yield 1, doc
    else:
        warn(1, f"wrong schema: expected a JSON object or list, got {type(doc).__name__}")


def first_json_line(head: bytes) -> dict[str, Any] | None:
    """The first line of `head` as a JSON object, when it is one and fits in the head."""
    line = head.lstrip().split(b"\n", 1)[0]
    try:
        value = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


# ---------------------------------------------------------------- OpenAI messages → Messages


def openai_messages(raw: list[Any], warn: Warn, line: int, counts: Counts) -> list[Message]:
    """Convert OpenAI-shaped messages; a bad message is skipped with a warning naming its index."""
    messages: list[Message] = []
    names: dict[str, str] = {}  # call id -> tool name
    unanswered: list[str] = []  # call ids without a result yet (legacy `function` results)
    for i, m in enumerate(raw):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            warn(line, f"wrong schema: message {i} has no known role")
            continue
        role = ROLES[m["role"]]
        text = text_of(m.get("content"), counts)
        if role == "assistant":
            calls = []
            specs = list(m.get("tool_calls") or [])
            if isinstance(m.get("function_call"), dict):
                specs.append({"id": None, "function": m["function_call"]})
            for spec in specs:
                fn = spec.get("function") if isinstance(spec, dict) else None
                args = parse_arguments(fn.get("arguments")) if isinstance(fn, dict) else None
                if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or args is None:
                    warn(line, f"wrong schema: message {i} has a tool call without a name or JSON-object arguments")
                    continue
                call_id = (
                    spec.get("id")
                    if isinstance(spec.get("id"), str) and spec.get("id")
                    else f"call_{line}_{len(names)}"
                )
                names[call_id] = fn["name"]
                unanswered.append(call_id)
                calls.append(ToolCall(call_id, fn["name"], args))
            if not text.strip() and not calls:
                counts.bump("empty_messages")
                continue
            messages.append(Message("assistant", text, calls))
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if m["role"] == "function" and not isinstance(call_id, str):
                call_id = next((c for c in unanswered if names[c] == m.get("name")), None)
            if call_id not in names:
                counts.bump("orphan_tool_results")
                continue
            if call_id in unanswered:
                unanswered.remove(call_id)
            messages.append(Message("tool", text, tool_call_id=call_id, name=names[call_id]))
        else:
            messages.append(Message(role, text))
    return messages


def detect(path: Path, head: bytes) -> bool:
    if path.suffix not in (".jsonl", ".json") or b'"messages"' not in head or b'"role"' not in head:
        return False
    compact = head.replace(b" ", b"")
    if b'"sessionId"' in head or (b'"from":' in compact and b'"value":' in compact):
        return False  # Claude Code / ShareGPT
    if b'"type":"session_meta"' in compact or b'"type":"response_item"' in compact:
        return False  # Codex
    if path.suffix == ".jsonl":
        first = first_json_line(head)
        if first is None:  # a first line longer than the head
            return compact.lstrip().startswith(b'{"messages":')
        return isinstance(first.get("messages"), list)
    # a .json list of records; not an OpenHands event list or a SWE-agent trajectory
    return b'"trajectory":' not in compact and not (b'"action":' in compact and b'"args":' in compact)


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    for line, record in iter_records(path, warn):
        raw = record.get("messages")
        if not isinstance(raw, list):
            warn(line, "wrong schema: record has no messages list")
            continue
        counts = Counts()
        messages = openai_messages(raw, warn, line, counts)
        if not has_dialogue(messages):
            warn(line, "wrong schema: record has no user or no assistant message")
            continue
        raw_tools = record.get("tools") if record.get("tools") is not None else record.get("functions")
        yield record_conversation("openai_chat", "openai", record, messages, raw_tools, path, line, counts, warn)


READER = register(
    Reader(
        "openai_chat",
        (".jsonl", ".json"),
        detect,
        read,
        "OpenAI chat JSONL with messages + tools/tool_calls (fine-tuning format)",
    )
)
