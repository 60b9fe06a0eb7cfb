"""Reader for `codex exec --json` event streams (what Codex prints on stdout, one event a line).

Events: `thread.started` {thread_id}, `turn.started`, `turn.completed` {usage},
`turn.failed` {error}, `error` {message}, and `item.started` / `item.updated` /
`item.completed` {item}. Only completed items are read (started and updated ones are partial
copies of the same item). Item types (`type`, or `item_type` in 2025 builds):
  agent_message (assistant_message)  {text}              -> assistant text
  reasoning                          {text}              -> dropped, counted as thinking
  command_execution                  {command, aggregated_output, exit_code, status}
                                                         -> a `shell` call and its result
  file_change                        {changes: [{path, kind}], status}
                                                         -> an `apply_patch` call and its status
  mcp_tool_call                      {server, tool, arguments, result, error, status}
                                                         -> a `<server>__<tool>` call and result
  web_search, todo_list, error       counted, not kept
A failed command's result starts with "Exit code: N", the line Codex itself puts before a
command's output when it shows the model the result (as rollout files record it).

The stream does not hold the prompt: `codex exec` takes it on the command line. A session
read from a stream alone has no user turn (`metadata.prompt_recorded` is false); the rollout
file Codex writes for the same thread (~/.codex/sessions) holds the whole session under the same
id, and whichever of the two is read first is kept. A line that is not an event is skipped
with a warning naming it (a harness's own header line, for one).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.openai_chat import Counts, classify_task, text_of
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict, iter_jsonl
from forge.records import Conversation, Message, SourceRef, ToolCall

EVENT_TYPES = (
    "thread.started",
    "turn.started",
    "turn.completed",
    "turn.failed",
    "error",
    "item.started",
    "item.updated",
    "item.completed",
)
ITEM_ALIASES = {"assistant_message": "agent_message"}


def detect(path: Path, head: bytes) -> bool:
    if path.suffix not in (".jsonl", ".json"):
        return False
    compact = head.replace(b" ", b"")
    return b'"type":"thread.started"' in compact or (
        b'"type":"turn.started"' in compact and b'"type":"item.' in compact
    )


def _mcp_result(result: Any) -> str:
    if isinstance(result, dict) and "content" in result:
        return text_of(result["content"])
    return "" if result is None else text_of(result)


class _Stream:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.counts = Counts()
        self.thread_id: str | None = None
        self.first_line: int | None = None
        self.turn_failed = False

    def assistant(self) -> Message:
        if self.messages and self.messages[-1].role == "assistant" and not self.messages[-1].tool_calls:
            return self.messages[-1]
        self.messages.append(Message("assistant", ""))
        return self.messages[-1]

    def call(self, call: ToolCall, result: str) -> None:
        prev = self.messages[-1] if self.messages else None
        if prev is not None and prev.role == "assistant" and not prev.tool_calls:
            prev.tool_calls.append(call)  # the text just said what this call is for
        else:
            self.messages.append(Message("assistant", "", [call]))
        self.messages.append(Message("tool", result, tool_call_id=call.id, name=call.name))

    def item(self, lineno: int, item: dict[str, Any], warn: Warn) -> None:
        kind = item.get("type") or item.get("item_type")
        if isinstance(kind, str):
            kind = ITEM_ALIASES.get(kind, kind)
        call_id = str(item.get("id") or f"item_line_{lineno}")
        if kind == "agent_message":
            text = str(item.get("text") or "")
            if text.strip():
                msg = self.assistant()
                msg.content = "\n\n".join(p for p in (msg.content, text) if p)
        elif kind == "reasoning":
            self.counts.bump("thinking")
        elif kind == "command_execution":
            if not isinstance(item.get("command"), str):
                warn(lineno, "wrong schema: command_execution without a command")
                return
            output = str(item.get("aggregated_output") or "")
            code = item.get("exit_code")
            if isinstance(code, int) and code != 0:
                self.counts.bump("tool_errors")
                output = f"Exit code: {code}\n{output}"
            self.call(ToolCall(call_id, "shell", {"command": item["command"]}), output)
        elif kind == "file_change":
            changes = [c for c in item.get("changes") or [] if isinstance(c, dict)]
            status = str(item.get("status") or "")
            if status == "failed":
                self.counts.bump("tool_errors")
            summary = "\n".join(f"{c.get('kind', 'update')} {c.get('path', '')}" for c in changes)
            self.call(ToolCall(call_id, "apply_patch", {"changes": changes}), f"{status}\n{summary}".strip())
        elif kind == "mcp_tool_call":
            name = f"{item.get('server') or 'mcp'}__{item.get('tool') or 'tool'}"
            args = as_dict(item.get("arguments"))
            error = item.get("error")
            if error:
                self.counts.bump("tool_errors")
            result = _mcp_result(item.get("result")) if not error else f"error: {text_of(error)}"
            self.call(ToolCall(call_id, name, args), result)
        elif kind in ("web_search", "todo_list", "error"):
            self.counts.bump(f"{kind}_items")
        else:
            self.counts.bump("unknown_items")


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    s = _Stream()
    for lineno, event in iter_jsonl(path, warn):
        kind = event.get("type")
        if kind not in EVENT_TYPES:
            warn(lineno, "not a codex exec event, skipped")
            continue
        if s.first_line is None:
            s.first_line = lineno
        if kind == "thread.started":
            if isinstance(event.get("thread_id"), str) and s.thread_id is None:
                s.thread_id = event["thread_id"]
        elif kind == "item.completed":
            item = event.get("item")
            if isinstance(item, dict):
                s.item(lineno, item, warn)
            else:
                warn(lineno, "wrong schema: item.completed without an item object")
        elif kind == "turn.failed":
            s.turn_failed = True
        elif kind == "error":
            s.counts.bump("errors")
        else:
            s.counts.bump("quiet_events")
    messages = [m for m in s.messages if m.role != "assistant" or m.content.strip() or m.tool_calls]
    if not any(m.role == "assistant" for m in messages):
        return
    digest = hashlib.sha256(json.dumps([m.to_openai() for m in messages], sort_keys=True).encode())
    conv_id = s.thread_id or f"codex-exec-{path.stem}-{digest.hexdigest()[:12]}"
    metadata: dict[str, Any] = {
        "format": "codex_exec",
        "prompt_recorded": False,
        "counts": dict(sorted(s.counts.items())),
    }
    if s.turn_failed:
        metadata["stop_reason"] = "error: turn failed"
    conv = Conversation(
        id=conv_id,
        messages=messages,
        source=SourceRef(str(path), s.first_line or 1),
        task=classify_task(messages),
        metadata=metadata,
    )
    conv.tools = tools_for(conv)
    yield conv


READER = register(
    Reader(
        "codex_exec",
        (".jsonl", ".json"),
        detect,
        read,
        "`codex exec --json` event streams (thread.started, item.completed ...)",
    )
)
