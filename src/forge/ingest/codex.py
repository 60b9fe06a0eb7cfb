"""Reader for OpenAI Codex CLI session rollouts (~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl).

Current files wrap every line as `{timestamp, type, payload}`: `session_meta` (id, cwd,
cli_version, git {branch, ...}), `turn_context` (model, cwd), `response_item` (the model's
input/output items), `event_msg` (UI events that repeat the items) and `compacted`. Older files
(2025) start with a bare `{id, timestamp, instructions}` line, hold bare response items and
`{"record_type": "state"}` markers. Both are read.

Response items: `message` (role user / assistant / developer, content parts input_text /
output_text), `function_call` {name, arguments (JSON string), call_id},
`function_call_output` {call_id, output}, `custom_tool_call` {name, input, call_id} (apply_patch)
and its `custom_tool_call_output`, `local_shell_call` {call_id, action {command, ...}},
`reasoning` (dropped, counted). User messages Codex writes itself (`<environment_context>`,
`<user_instructions>`, AGENTS.md) and developer messages are harness text: counted, not kept.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.openai_chat import Counts, classify_task, first_json_line, has_dialogue, parse_arguments, text_of
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict, iter_jsonl
from forge.records import Conversation, Message, SourceRef, ToolCall

ITEM_TYPES = (
    "message",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "local_shell_call_output",
    "reasoning",
    "web_search_call",
)
CALLS = ("function_call", "custom_tool_call", "local_shell_call")
OUTPUTS = ("function_call_output", "custom_tool_call_output", "local_shell_call_output")
QUIET = ("event_msg", "turn_context", "compacted")
HARNESS_TEXT = re.compile(
    r"^\s*(<environment_context>|<user_instructions>|<turn_aborted>|"
    r"# AGENTS\.md instructions|<user_shell_command>)"
)
CWD_IN_CONTEXT = re.compile(r"<cwd>([^<]+)</cwd>")


def detect(path: Path, head: bytes) -> bool:
    if path.suffix != ".jsonl" or b'"parentUuid"' in head:  # a Claude Code file
        return False
    compact = head.replace(b" ", b"")
    if b'"type":"session_meta"' in compact or b'"type":"response_item"' in compact:
        return True
    first = first_json_line(head)  # the bare 2025 header line: {"id", "timestamp", "instructions"}
    return (
        first is not None
        and "type" not in first
        and "id" in first
        and "timestamp" in first
        and ("instructions" in first or b'"record_type":"state"' in compact)
    )


def _call(item: dict[str, Any]) -> ToolCall | str:
    """The tool call an item makes, or why it cannot be read."""
    call_id = item.get("call_id") or item.get("id")
    if not isinstance(call_id, str):
        return "wrong schema: tool call without call_id"
    if item["type"] == "local_shell_call":
        action = item.get("action")
        if not isinstance(action, dict):
            return "wrong schema: local_shell_call without an action object"
        return ToolCall(call_id, "local_shell", {k: v for k, v in action.items() if k != "type"})
    if not isinstance(item.get("name"), str):
        return "wrong schema: tool call without a name"
    if item["type"] == "custom_tool_call":
        return ToolCall(call_id, item["name"], {"input": str(item.get("input") or "")})
    args = parse_arguments(item.get("arguments"))
    if args is None:
        return "wrong schema: tool call arguments are not a JSON object"
    return ToolCall(call_id, item["name"], args)


def _output_text(output: Any, counts: Counts) -> str:
    """A tool result's text; the `{"output", "metadata": {"exit_code"}}` wrapper is unwrapped."""
    if isinstance(output, str):
        try:
            wrapped = json.loads(output)
        except json.JSONDecodeError:
            return output
        if isinstance(wrapped, dict) and "output" in wrapped:
            meta = as_dict(wrapped.get("metadata"))
            if meta.get("exit_code") not in (None, 0):
                counts.bump("tool_errors")
            return text_of(wrapped["output"])
        return output
    if isinstance(output, dict) and "content" in output:  # {content, success}
        if output.get("success") is False:
            counts.bump("tool_errors")
        return text_of(output["content"])
    return text_of(output)


class _Session:
    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self.meta_line: int | None = None
        self.model: str | None = None
        self.cwd: str | None = None
        self.messages: list[Message] = []
        self.names: dict[str, str] = {}
        self.first_line: int | None = None
        self.counts = Counts()

    def assistant(self) -> Message:
        """The current assistant turn: text and the calls that follow it belong together."""
        if self.messages and self.messages[-1].role == "assistant":
            return self.messages[-1]
        self.messages.append(Message("assistant", ""))
        return self.messages[-1]

    def user(self, text: str) -> None:
        """A user turn, once: Codex logs a prompt as a response item and as a `user_message`
        event, in either order, and some clients (Codex Desktop) write only the event."""
        for m in reversed(self.messages):
            if m.role != "user":
                break
            if m.content.strip() == text.strip():
                return
        self.messages.append(Message("user", text))

    def item(self, lineno: int, item: dict[str, Any], warn: Warn) -> None:
        kind = item.get("type")
        if self.first_line is None:
            self.first_line = lineno
        if kind == "message":
            text = text_of(item.get("content"), self.counts)
            role = item.get("role")
            if role == "assistant":
                if text.strip():
                    msg = self.assistant()
                    if msg.tool_calls:  # text after calls starts the next turn
                        self.messages.append(Message("assistant", text))
                    else:
                        msg.content = "\n\n".join(p for p in (msg.content, text) if p)
            elif role == "user":
                if HARNESS_TEXT.match(text):
                    self.counts.bump("meta_entries")
                    if "<turn_aborted>" in text:
                        self.counts.bump("interruptions")  # read by the `aborted` outcome rule
                    found = CWD_IN_CONTEXT.search(text)
                    if found and not self.cwd:
                        self.cwd = found.group(1).strip()
                elif text.strip():
                    self.user(text)
            elif role in ("developer", "system"):
                self.counts.bump("instructions")
            else:
                warn(lineno, "wrong schema: message without a known role")
        elif kind in CALLS:
            call = _call(item)
            if isinstance(call, str):
                warn(lineno, call)
                return
            self.names[call.id] = call.name
            self.assistant().tool_calls.append(call)
        elif kind in OUTPUTS:
            call_id = item.get("call_id")
            if call_id not in self.names:
                self.counts.bump("orphan_tool_results")
                return
            self.messages.append(
                Message(
                    "tool",
                    _output_text(item.get("output"), self.counts),
                    tool_call_id=call_id,
                    name=self.names[call_id],
                )
            )
        elif kind == "reasoning":
            self.counts.bump("thinking")
        else:
            self.counts.bump("unknown_items")


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    s = _Session()
    for lineno, obj in iter_jsonl(path, warn):
        kind = obj.get("type")
        payload = obj.get("payload")
        if kind == "session_meta":
            if not isinstance(payload, dict):
                warn(lineno, "wrong schema: session_meta without a payload object")
            elif not s.meta:  # a resumed or forked session repeats its parent's meta after its own
                s.meta, s.meta_line = payload, lineno
        elif kind == "response_item":
            if not isinstance(payload, dict):
                warn(lineno, "wrong schema: response_item without a payload object")
            else:
                s.item(lineno, payload, warn)
        elif kind in ITEM_TYPES:  # pre-envelope files: the item is the line
            s.item(lineno, obj, warn)
        elif kind == "turn_context":
            if isinstance(payload, dict):
                s.model = s.model or payload.get("model")
                s.cwd = s.cwd or payload.get("cwd")
        elif kind == "event_msg" and isinstance(payload, dict) and payload.get("type") == "user_message":
            text = payload.get("message")
            if isinstance(text, str) and text.strip() and not HARNESS_TEXT.match(text):
                s.user(text)
            s.counts.bump("quiet_entries")
        elif kind in QUIET or (kind is None and "record_type" in obj):
            s.counts.bump("quiet_entries")
        elif kind is None and not s.meta and "id" in obj and "timestamp" in obj:
            s.meta, s.meta_line = obj, lineno  # the bare 2025 header
        elif kind is None:
            warn(lineno, "wrong schema: entry has no type")
        else:
            s.counts.bump("unknown_entries")
    messages = [m for m in s.messages if m.role != "assistant" or m.content.strip() or m.tool_calls]
    if not has_dialogue(messages):
        # said, not silent: a session the reader cannot follow must not vanish unnoticed
        warn(s.meta_line or s.first_line or 1, "no dialogue: no user prompt with an assistant reply; session skipped")
        return
    meta = s.meta
    cwd = meta.get("cwd") if isinstance(meta.get("cwd"), str) else s.cwd
    git = as_dict(meta.get("git"))
    role, where = role_from_cwd(cwd)
    session_id = meta["id"] if isinstance(meta.get("id"), str) else path.stem
    metadata: dict[str, Any] = {
        "format": "codex",
        "cwd": cwd,
        "git_branch": git.get("branch"),
        "version": meta.get("cli_version"),
        "model": s.model,
        "originator": meta.get("originator"),
        "started_at": meta.get("timestamp"),
        **where,
        "counts": dict(sorted(s.counts.items())),
    }
    line = s.meta_line or s.first_line or 1
    conv = Conversation(
        id=session_id,
        messages=messages,
        source=SourceRef(str(path), line),
        agent_role=role,
        task=classify_task(messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    yield conv


READER = register(
    Reader(
        "codex", (".jsonl",), detect, read, "OpenAI Codex CLI session rollouts (~/.codex/sessions/**/rollout-*.jsonl)"
    )
)
