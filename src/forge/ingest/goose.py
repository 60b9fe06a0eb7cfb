"""Reader for Goose sessions: `goose session export --format json` files, and the session logs
Goose kept before its session database (~/.local/share/goose/sessions/<id>.jsonl: a first line of
session metadata, {working_dir, description, message_count, ...}, then one message a line).

An export is one object: {id, name, working_dir, created_at, conversation: [message], usage, ...}.
A message is {id, role: user | assistant, created (Unix seconds), content: [part], metadata:
{userVisible, agentVisible}}; one the model never saw (agentVisible false) is skipped, counted.
Parts (`type`):
  text {text}                                  -> the message's text
  image {data, mimeType}                       -> counted, not kept
  toolRequest {id, toolCall}                   -> a call; toolCall is {status: success, value:
                                                  {name, arguments}} or {status: error, error}
                                                  (a call the model wrote badly: dropped, counted)
  toolResponse {id, toolResult}                -> the call's result, in a tool message (Goose sends
                                                  it in a user message); toolResult is {status:
                                                  success, value: {content: [...], isError} or, in
                                                  older files, [...]} or {status: error, error}; one
                                                  whose call was dropped is dropped too
  thinking, redactedThinking                   -> dropped, counted as thinking
  anything else (confirmations, notices)       -> counted, not kept
Goose writes a reply's text and its calls as separate assistant messages: consecutive assistant
messages are one turn. A user message's text after its tool responses is the next prompt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.openai_chat import Counts, classify_task, has_dialogue, load_json, text_of
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict, iter_jsonl
from forge.records import Conversation, Message, SourceRef, ToolCall


def _metadata_line(obj: Any) -> bool:
    return isinstance(obj, dict) and "working_dir" in obj and "role" not in obj and "conversation" not in obj


def detect(path: Path, head: bytes) -> bool:
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if path.suffix == ".json":
        return text.startswith(b"{") and b'"conversation"' in text and b'"working_dir"' in text
    if path.suffix == ".jsonl":
        first = text.split(b"\n", 1)[0]
        try:
            return _metadata_line(json.loads(first))
        except ValueError:
            return False
    return False


def _result_text(result: Any, counts: Counts) -> str:
    """A toolResult as the text the model was sent back (an error's text prefixed "error: ")."""
    if not isinstance(result, dict):
        return text_of(result, counts)
    if result.get("status") == "error":
        counts.bump("tool_errors")
        return f"error: {text_of(result.get('error'), counts)}"
    value = result.get("value")
    if isinstance(value, dict):  # rmcp's CallToolResult
        if value.get("isError"):
            counts.bump("tool_errors")
        value = value.get("content")
    if isinstance(value, list):  # content items meant only for the user's screen are not the model's
        value = [c for c in value if not _user_only(c)]
    return text_of(value, counts)


def _user_only(item: Any) -> bool:
    audience = (item.get("annotations") or {}).get("audience") if isinstance(item, dict) else None
    return isinstance(audience, list) and "assistant" not in audience


class _Session:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.counts = Counts()
        self.names: dict[str, str] = {}
        self.first_line: int | None = None
        self.first_at: Any = None
        self.last_at: Any = None

    def add(self, line: int, msg: dict[str, Any], warn: Warn) -> None:
        role, content = msg.get("role"), msg.get("content")
        if role not in ("user", "assistant") or not isinstance(content, list):
            warn(line, "wrong schema: a message needs role user or assistant and a content list; skipped")
            return
        if as_dict(msg.get("metadata")).get("agentVisible") is False:
            self.counts.bump("not_sent_to_model")
            return
        self.first_line = self.first_line or line
        self.first_at = self.first_at if self.first_at is not None else msg.get("created")
        self.last_at = msg.get("created")
        texts: list[str] = []
        calls: list[ToolCall] = []
        results: list[Message] = []
        for part in content:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                if isinstance(part.get("text"), str) and part["text"].strip():
                    texts.append(part["text"])
            elif kind == "image":
                self.counts.bump("images")
            elif kind == "toolRequest":
                call = self._call(line, part, warn)
                if call is not None:
                    calls.append(call)
            elif kind == "toolResponse":
                call_id = str(part.get("id") or "")
                if call_id not in self.names:  # its call was dropped (or never sent): no turn asked
                    self.counts.bump("orphan_results")
                    continue
                results.append(
                    Message(
                        "tool",
                        _result_text(part.get("toolResult"), self.counts),
                        tool_call_id=call_id,
                        name=self.names.get(call_id),
                    )
                )
            elif kind in ("thinking", "redactedThinking"):
                self.counts.bump("thinking")
            else:
                self.counts.bump(f"{kind or 'unknown'}_parts")
        text = "\n\n".join(texts)
        if role == "assistant":
            if not text and not calls:
                return
            prev = self.messages[-1] if self.messages else None
            if prev is not None and prev.role == "assistant":  # Goose's text, then its calls
                prev.content = "\n\n".join(p for p in (prev.content, text) if p)
                prev.tool_calls += calls
            else:
                self.messages.append(Message("assistant", text, calls))
            return
        self.messages += results
        if text:
            self.messages.append(Message("user", text))

    def _call(self, line: int, part: dict[str, Any], warn: Warn) -> ToolCall | None:
        call_id, request = part.get("id"), as_dict(part.get("toolCall"))
        if request.get("status") == "error":
            self.counts.bump("malformed_calls")  # the model's call did not parse: nothing ran
            return None
        value = as_dict(request.get("value"))
        name = value.get("name")
        if not isinstance(call_id, str) or not call_id or not isinstance(name, str) or not name:
            warn(line, "wrong schema: a toolRequest without id or name; skipped")
            return None
        self.names[call_id] = name
        return ToolCall(call_id, name, as_dict(value.get("arguments")))


def _export(path: Path, warn: Warn) -> tuple[dict[str, Any], list[tuple[int, Any]]] | None:
    loaded = load_json(path, warn)
    if loaded is None:
        return None
    doc = loaded[0]
    if not isinstance(doc, dict) or not isinstance(doc.get("conversation"), list):
        warn(1, "not a Goose session export (no conversation list); skipped")
        return None
    return doc, [(1, m) for m in doc["conversation"]]


def _log(path: Path, warn: Warn) -> tuple[dict[str, Any], list[tuple[int, Any]]]:
    meta: dict[str, Any] = {}
    messages: list[tuple[int, Any]] = []
    for lineno, obj in iter_jsonl(path, warn):
        if not meta and not messages and _metadata_line(obj):
            meta = obj
        else:
            messages.append((lineno, obj))
    return meta, messages


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    if path.suffix == ".json":
        found = _export(path, warn)
        if found is None:
            return
        meta, raw = found
    else:
        meta, raw = _log(path, warn)
    s = _Session()
    for line, msg in raw:
        if isinstance(msg, dict):
            s.add(line, msg, warn)
        else:
            warn(line, "wrong schema: a message is not an object; skipped")
    if not has_dialogue(s.messages):
        warn(s.first_line or 1, "no dialogue: no prompt with a reply; session skipped")
        return
    cwd = meta.get("working_dir") if isinstance(meta.get("working_dir"), str) else None
    role, where = role_from_cwd(cwd)
    metadata: dict[str, Any] = {
        "format": "goose",
        "title": meta.get("name") or meta.get("description"),
        "cwd": cwd,
        "parent_session": meta.get("parent_session_id"),
        "started_at": meta.get("created_at") or s.first_at,
        "ended_at": meta.get("updated_at") or s.last_at,
        "provider": meta.get("provider_name"),
        **where,
        "counts": dict(sorted(s.counts.items())),
    }
    conv = Conversation(
        id=str(meta.get("id") or path.stem),
        messages=s.messages,
        source=SourceRef(str(path), s.first_line or 1),
        agent_role=role,
        task=classify_task(s.messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    yield conv


READER = register(
    Reader(
        "goose",
        (".json", ".jsonl"),
        detect,
        read,
        "Goose sessions (goose session export --format json; ~/.local/share/goose/sessions/*.jsonl)",
    )
)
