"""Reader for SWE-agent trajectories (`<instance_id>.traj`, one JSON document per attempt).

The document holds `trajectory: [{action, observation, response, thought, ...}]` (one step per
model call), `history: [{role, content, agent, is_demo, message_type, tool_calls?,
tool_call_ids?}]` (the chat as sent to the model) and `info: {exit_status, submission,
model_stats, swe_agent_version, ...}`.

With function calling (history assistant items carry OpenAI `tool_calls`) the history is read
as OpenAI messages. Otherwise the system prompt and task come from the history and every
trajectory step becomes an assistant turn (its thought) calling `bash` with the step's action,
answered by the observation: SWE-agent's ACI commands (open, edit, submit, ...) run in its shell.
Demonstration messages (`is_demo`) are left out. A file holding only `history` (SWE-agent's
demonstrations, `trajectories/demonstrations/*.traj`) is read from the history alone: with
function calling as OpenAI messages, else each assistant item's `action` (or its text) is the
`bash` call and the next observation item answers it.

Outcome: `info.resolved` when an evaluation wrote it; an exit without a submission (cost or
context limit, format errors, crashes) is a failure; a submitted patch stays unknown until it is
evaluated.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.openai_chat import (
    Counts,
    classify_task,
    has_dialogue,
    labels,
    load_json,
    openai_messages,
    outcome_of,
    text_of,
)
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict
from forge.records import Conversation, Message, Outcome, SourceRef, ToolCall


def detect(path: Path, head: bytes) -> bool:
    compact = head.replace(b" ", b"")
    steps = b'"trajectory":' in compact or b'"history":' in compact
    if path.suffix == ".traj":
        return steps
    # a .traj renamed to .json: SWE-agent steps carry thought/response, not OpenHands args/extras
    return (
        path.suffix == ".json"
        and b'"trajectory":' in compact
        and b'"thought":' in compact
        and b'"args":' not in compact
        and b'"extras":' not in compact
    )


def _history(record: dict[str, Any], counts: Counts) -> list[dict[str, Any]]:
    items = []
    for item in record.get("history") or []:
        if not isinstance(item, dict):
            continue
        if item.get("is_demo"):
            counts.bump("demo_messages")
            continue
        items.append(item)
    return items


def _from_history(history: list[dict[str, Any]], warn: Warn, counts: Counts) -> list[Message]:
    raw = []
    for item in history:
        m = dict(item)
        ids = m.get("tool_call_ids")
        if m.get("role") == "tool" and isinstance(ids, list) and ids and not m.get("tool_call_id"):
            m["tool_call_id"] = ids[0]
        raw.append(m)
    return openai_messages(raw, warn, 1, counts)


def _from_steps(history: list[dict[str, Any]], steps: list[Any], warn: Warn, counts: Counts) -> list[Message]:
    messages: list[Message] = []
    for item in history:
        if item.get("role") in ("system", "user"):
            text = text_of(item.get("content"), counts)
            if text.strip():
                messages.append(Message(item["role"], text))
        if item.get("role") == "user":
            break  # the task; later user items are observations the steps carry
    for i, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("action"), str):
            warn(1, f"wrong schema: trajectory step {i} has no action")
            continue
        action = step["action"].strip()
        thought = text_of(step.get("thought") or "").strip()
        if not action:  # a step whose output had no command (format error)
            counts.bump("empty_actions")
            continue
        call = ToolCall(f"step_{i}", "bash", {"command": action})
        messages.append(Message("assistant", thought, [call]))
        messages.append(Message("tool", text_of(step.get("observation")), tool_call_id=call.id, name="bash"))
    return messages


def _from_text_history(history: list[dict[str, Any]], counts: Counts) -> list[Message]:
    """A history without tool calls: assistant items carry the command in `action`."""
    messages: list[Message] = []
    pending: ToolCall | None = None
    for n, item in enumerate(history):
        role, text = item.get("role"), text_of(item.get("content"), counts)
        if role == "assistant":
            action = item.get("action") if isinstance(item.get("action"), str) else None
            thought = text_of(item.get("thought") or "") if action else text
            if action and action.strip():
                pending = ToolCall(f"hist_{n}", "bash", {"command": action.strip()})
                messages.append(Message("assistant", thought.strip(), [pending]))
            elif text.strip():
                messages.append(Message("assistant", text))
        elif (
            role in ("user", "tool")
            and pending is not None
            and (role == "tool" or item.get("message_type") == "observation")
        ):
            messages.append(Message("tool", text, tool_call_id=pending.id, name="bash"))
            pending = None
        elif role in ("system", "user") and text.strip():
            messages.append(Message(role, text))
    if pending is not None:  # the last command was never answered: keep the words, not the call
        for m in messages:
            if pending in m.tool_calls:
                m.tool_calls.remove(pending)
    return [m for m in messages if m.role != "assistant" or m.content.strip() or m.tool_calls]


def _outcome(record: dict[str, Any], info: dict[str, Any]) -> tuple[Outcome, str | None]:
    resolved = outcome_of(info.get("resolved"))
    if resolved:
        return resolved, "record:resolved"
    stated = labels(record)["outcome"]
    if stated:
        return stated, "record:label"
    status = str(info.get("exit_status") or "")
    if status and not info.get("submission") and "submitted" not in status:
        return "failure", "record:agent_error"
    return "unknown", None


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    loaded = load_json(path, warn)
    if loaded is None:
        return
    record = loaded[0]
    if not isinstance(record, dict) or not (
        isinstance(record.get("trajectory"), list) or isinstance(record.get("history"), list)
    ):
        warn(1, "wrong schema: expected a JSON object with a trajectory or history list")
        return
    info = as_dict(record.get("info"))
    counts = Counts()
    history = _history(record, counts)
    function_calling = any(h.get("role") == "assistant" and h.get("tool_calls") for h in history)
    if function_calling:
        messages = _from_history(history, warn, counts)
    elif isinstance(record.get("trajectory"), list):
        messages = _from_steps(history, record["trajectory"], warn, counts)
    else:
        messages = _from_text_history(history, counts)
    if not has_dialogue(messages):
        return
    stats = as_dict(info.get("model_stats"))
    lab = labels(record)
    outcome, source = _outcome(record, info)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    conv = Conversation(
        id=f"swe-agent-{path.stem}-{digest}",
        messages=messages,
        source=SourceRef(str(path), 1),
        agent_role=lab["agent_role"],
        task=lab["task"] or classify_task(messages),
        outcome=outcome,
        outcome_source=source,
        work_item=lab["work_item"] or path.stem,
        metadata={
            "format": "swe_agent",
            "instance_id": path.stem,
            "exit_status": info.get("exit_status"),
            "submitted": bool(info.get("submission")),
            "function_calling": function_calling,
            "api_calls": stats.get("api_calls"),
            "history_only": not isinstance(record.get("trajectory"), list),
            "version": info.get("swe_agent_version"),
            "counts": dict(sorted(counts.items())),
        },
    )
    conv.tools = tools_for(conv)
    yield conv


READER = register(Reader("swe_agent", (".traj", ".json"), detect, read, "SWE-agent trajectories (*.traj)"))
