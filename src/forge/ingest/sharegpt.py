"""Reader for ShareGPT conversations, with LLaMA-Factory's tool-calling variant.

A record is `{"conversations": [{"from": ..., "value": ...}], "system": ..., "tools": ...}` in a
`.json` list or one per line in `.jsonl`. `from` is human / gpt / system, and for tools
`function_call` (value: JSON `{"name", "arguments"}`, or a list of them for parallel calls) and
`observation` (the result). `tools` is a JSON string (or list) of function schemas. Tool calls
get ids `call_<line>_<n>` and each observation answers the oldest unanswered call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from forge.ingest.openai_chat import (
    Counts,
    first_json_line,
    has_dialogue,
    iter_records,
    parse_arguments,
    record_conversation,
)
from forge.ingest.readers import Reader, Warn, register
from forge.records import Conversation, Message, MessageRole, ToolCall

# a speaker is a message role, or a function call / its result (written as turns of their own)
SPEAKERS: dict[str, MessageRole | Literal["call", "result"]] = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "chatgpt": "assistant",
    "model": "assistant",
    "bard": "assistant",
    "bing": "assistant",
    "system": "system",
    "function_call": "call",
    "tool_call": "call",
    "observation": "result",
    "function": "result",
    "tool": "result",
}


def detect(path: Path, head: bytes) -> bool:
    if path.suffix not in (".json", ".jsonl"):
        return False
    compact = head.replace(b" ", b"")
    if not (b'"from":' in compact and b'"value":' in compact):
        return False
    if path.suffix == ".jsonl":
        first = first_json_line(head)
        return first is None or isinstance(first.get("conversations") or first.get("messages"), list)
    return b'"conversations"' in head or b'"messages"' in head


def _calls(value: Any) -> list[dict[str, Any]] | None:
    """The calls a function_call turn makes: [{"name", "arguments": dict}], or None when malformed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    specs = value if isinstance(value, list) else [value]
    calls = []
    for spec in specs:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            return None
        args = parse_arguments(spec.get("arguments", spec.get("parameters")))
        if args is None:
            return None
        calls.append({"name": spec["name"], "arguments": args})
    return calls


def to_messages(turns: list[Any], warn: Warn, line: int, counts: Counts) -> list[Message]:
    messages: list[Message] = []
    unanswered: list[ToolCall] = []
    n_calls = 0
    for i, turn in enumerate(turns):
        kind = SPEAKERS.get(str(turn.get("from"))) if isinstance(turn, dict) else None
        if kind is None:
            warn(line, f"wrong schema: turn {i} has no known speaker")
            continue
        value = turn.get("value")
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        if kind == "call":
            specs = _calls(value)
            if specs is None:
                warn(line, f"wrong schema: turn {i} is a function call without a name or JSON-object arguments")
                continue
            calls = []
            for spec in specs:
                calls.append(ToolCall(f"call_{line}_{n_calls}", spec["name"], spec["arguments"]))
                n_calls += 1
            unanswered.extend(calls)
            prev = messages[-1] if messages else None
            if prev is not None and prev.role == "assistant" and not prev.tool_calls:
                prev.tool_calls.extend(calls)  # text then call, one assistant turn
            else:
                messages.append(Message("assistant", "", calls))
        elif kind == "result":
            if not unanswered:
                counts.bump("orphan_tool_results")
                continue
            call = unanswered.pop(0)
            messages.append(Message("tool", text, tool_call_id=call.id, name=call.name))
        else:
            messages.append(Message(kind, text))
    return messages


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    for line, record in iter_records(path, warn):
        turns = record.get("conversations")
        if not isinstance(turns, list):
            turns = record.get("messages")
        if not isinstance(turns, list):
            warn(line, "wrong schema: record has no conversations list")
            continue
        counts = Counts()
        messages = to_messages(turns, warn, line, counts)
        if (
            isinstance(record.get("system"), str)
            and record["system"].strip()
            and not (messages and messages[0].role == "system")
        ):
            messages.insert(0, Message("system", record["system"]))
        if not has_dialogue(messages):
            warn(line, "wrong schema: record has no human or no gpt turn")
            continue
        yield record_conversation(
            "sharegpt", "sharegpt", record, messages, record.get("tools"), path, line, counts, warn
        )


READER = register(
    Reader(
        "sharegpt",
        (".json", ".jsonl"),
        detect,
        read,
        "ShareGPT conversations (from/value), incl. LLaMA-Factory tool calls",
    )
)
