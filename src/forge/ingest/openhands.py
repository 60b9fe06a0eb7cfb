"""Reader for OpenHands (formerly OpenDevin) trajectories.

A trajectory is a list of events, each either an action `{id, source: agent|user, action, args,
tool_call_metadata?}` or an observation `{id, cause, observation, content, extras}`; `cause` is
the id of the action it answers. Files come as
  - a `.json` list of events (the UI's trajectory export, `save_trajectory_path`),
  - a `.json` object with the events under `history` (or `trajectory`) plus evaluation fields,
  - `.jsonl` evaluation output, one such object per line (`instance_id`, `history`,
    `metadata.llm_config.model`, `report.resolved` / `test_result.report.resolved`, `error`).

Actions become OpenAI tool calls under the CodeAct tool names: the recorded function name and
arguments when `tool_call_metadata` holds the model's response, else from the action's args
(run → execute_bash {command}, read/write/edit → str_replace_editor, run_ipython →
execute_ipython_cell {code}, ...). The action's `thought` is the assistant text. Observations
become tool messages. `message` actions are user or assistant text by `source`; the `system`
action gives the system prompt and, when present, the tool schemas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.openai_chat import (
    Counts,
    classify_task,
    complete_tools,
    has_dialogue,
    iter_records,
    json_list_items,
    labels,
    load_text,
    normalize_tools,
    outcome_of,
    parse_arguments,
    record_id,
    text_of,
)
from forge.ingest.readers import Reader, Warn, register
from forge.jsonl import as_dict
from forge.records import Conversation, Message, MessageRole, Outcome, SourceRef, ToolCall

QUIET_ACTIONS = (
    "recall",
    "change_agent_state",
    "null",
    "condensation",
    "condensation_request",
    "reject",
    "pause",
    "resume",
)
QUIET_OBSERVATIONS = ("agent_state_changed", "null", "recall", "condensation", "success")
EDITOR = "str_replace_editor"


def _from_args(action: str, args: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """(tool name, arguments) of an action recorded without its model response."""
    if action == "run":
        return "execute_bash", {"command": args.get("command", "")}
    if action == "run_ipython":
        return "execute_ipython_cell", {"code": args.get("code", "")}
    if action == "read":
        return EDITOR, {"command": "view", "path": args.get("path", "")}
    if action == "write":
        return EDITOR, {"command": "create", "path": args.get("path", ""), "file_text": args.get("content", "")}
    if action == "edit":
        keys = ("command", "path", "file_text", "old_str", "new_str", "insert_line")
        return EDITOR, {k: args[k] for k in keys if args.get(k) is not None}
    if action == "browse":
        return "web_read", {"url": args.get("url", "")}
    if action == "browse_interactive":
        return "browser", {"code": args.get("browser_actions", "")}
    if action == "think":
        return "think", {"thought": args.get("thought", "")}
    if action == "delegate":
        return "delegate", {"agent": args.get("agent", ""), "inputs": args.get("inputs", {})}
    if action in ("call_tool_mcp", "mcp") and isinstance(args.get("name"), str):
        return args["name"], as_dict(args.get("arguments"))
    return None


def _recorded_call(event: dict[str, Any]) -> tuple[str, str, dict[str, Any]] | None:
    """(call id, name, arguments) as the model emitted them, from tool_call_metadata."""
    meta = event.get("tool_call_metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("tool_call_id"), str):
        return None
    call_id, name = meta["tool_call_id"], meta.get("function_name")
    response = as_dict(meta.get("model_response"))
    for choice in response.get("choices") or []:
        msg = choice.get("message") if isinstance(choice, dict) else None
        for tc in (msg or {}).get("tool_calls") or []:
            fn = tc.get("function") if isinstance(tc, dict) else None
            if tc.get("id") == call_id and isinstance(fn, dict):
                args = parse_arguments(fn.get("arguments"))
                if args is not None and isinstance(fn.get("name"), str):
                    return call_id, fn["name"], args
    return (call_id, name, {}) if isinstance(name, str) else None


def _response_id(event: dict[str, Any]) -> str | None:
    meta = event.get("tool_call_metadata")
    response = meta.get("model_response") if isinstance(meta, dict) else None
    return response.get("id") if isinstance(response, dict) else None


def _exit_code(extras: Any) -> Any:
    if not isinstance(extras, dict):
        return None
    meta = extras.get("metadata")
    return meta.get("exit_code") if isinstance(meta, dict) else extras.get("exit_code")


class _Trajectory:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.tools: list[dict[str, Any]] | None = None
        self.by_action: dict[Any, str] = {}  # action event id -> call id
        self.names: dict[str, str] = {}
        self.last_response: str | None = None
        self.agent_state: str | None = None
        self.counts = Counts()

    def say(self, role: MessageRole, text: str) -> None:
        prev = self.messages[-1] if self.messages else None
        if role == "assistant" and prev is not None and prev.role == "assistant" and not prev.tool_calls:
            prev.content = f"{prev.content}\n\n{text}"  # one turn, not two in a row
        else:
            self.messages.append(Message(role, text))

    def action(self, line: int, ev: dict[str, Any], warn: Warn) -> None:
        action, source = ev["action"], ev.get("source")
        args = as_dict(ev.get("args"))
        response_id = _response_id(ev)
        same_response = response_id is not None and response_id == self.last_response
        self.last_response = response_id
        if action == "system":
            text = text_of(args.get("content") or ev.get("message"))
            if text.strip():
                self.messages.append(Message("system", text))
            self.tools = normalize_tools(args.get("tools")) or self.tools
            return
        if action == "message":
            text = text_of(args.get("content") if "content" in args else ev.get("message"))
            if text.strip():
                self.say("user" if source == "user" else "assistant", text)
            return
        if action in QUIET_ACTIONS:
            self.counts.bump("quiet_events")
            return
        recorded = _recorded_call(ev)
        thought = text_of(args.get("thought") or "")
        if recorded is None and action == "finish":  # no tool call recorded: the closing words
            text = text_of(args.get("final_thought") or args.get("thought") or ev.get("message"))
            if text.strip():
                self.say("assistant", text)
            return
        if recorded is not None:
            call_id, name, arguments = recorded
        else:
            derived = _from_args(action, args)
            if derived is None:
                self.counts.bump("unknown_actions")
                return
            call_id, (name, arguments) = f"oh_{ev.get('id', line)}", derived
        call = ToolCall(call_id, name, arguments)
        self.names[call_id] = name
        if ev.get("id") is not None:
            self.by_action[ev["id"]] = call_id
        prev = self.messages[-1] if self.messages else None
        if same_response and prev is not None and prev.role == "assistant":
            prev.tool_calls.append(call)  # parallel calls from one model response
        else:
            self.messages.append(Message("assistant", thought, [call]))

    def observation(self, ev: dict[str, Any]) -> None:
        kind = ev["observation"]
        extras = ev.get("extras")
        if kind == "agent_state_changed" and isinstance(extras, dict):
            self.agent_state = extras.get("agent_state") or self.agent_state
        if kind in QUIET_OBSERVATIONS:
            self.counts.bump("quiet_events")
            return
        call_id = self.by_action.get(ev.get("cause"))
        meta = ev.get("tool_call_metadata")
        if call_id is None and isinstance(meta, dict) and meta.get("tool_call_id") in self.names:
            call_id = meta["tool_call_id"]
        if call_id is None or any(m.tool_call_id == call_id for m in self.messages):
            self.counts.bump("orphan_tool_results" if kind != "error" else "errors")
            return
        if kind == "error" or _exit_code(extras) not in (None, 0, -1):
            self.counts.bump("tool_errors")
        content = ev.get("content") if "content" in ev else ev.get("message")
        self.messages.append(Message("tool", text_of(content), tool_call_id=call_id, name=self.names[call_id]))


def _events(events: list[tuple[int, Any]], warn: Warn) -> _Trajectory:
    t = _Trajectory()
    for line, ev in events:
        if not isinstance(ev, dict):
            warn(line, "wrong schema: event is not a JSON object")
        elif isinstance(ev.get("action"), str):
            t.action(line, ev, warn)
        elif isinstance(ev.get("observation"), str):
            t.observation(ev)
        else:
            warn(line, "wrong schema: event has neither action nor observation")
    return t


def _outcome(record: dict[str, Any], agent_state: str | None) -> tuple[Outcome, str | None]:
    """resolved (report / test_result.report / top level) wins; an error or crashed agent fails."""
    test_result = as_dict(record.get("test_result"))
    for where in (record.get("report"), test_result.get("report"), record):
        resolved = outcome_of(where.get("resolved")) if isinstance(where, dict) else None
        if resolved is not None:
            return resolved, "record:resolved"
    stated = labels(record)["outcome"]
    if stated:
        return stated, "record:label"
    if record.get("error") or agent_state == "error":
        return "failure", "record:agent_error"
    return "unknown", None


def _conversation(path: Path, line: int, record: dict[str, Any], t: _Trajectory, warn: Warn) -> Conversation | None:
    messages = t.messages
    if not any(m.role == "user" for m in messages) and isinstance(record.get("instruction"), str):
        at = 1 if messages and messages[0].role == "system" else 0
        messages.insert(at, Message("user", record["instruction"]))
    if not has_dialogue(messages):
        warn(line, "no dialogue: no user turn with an assistant reply; record skipped")
        return None
    meta = as_dict(record.get("metadata"))
    llm = as_dict(meta.get("llm_config"))
    instance = record.get("instance_id") if isinstance(record.get("instance_id"), str) else None
    lab = labels(record)
    outcome, source = _outcome(record, t.agent_state)
    key = {"instance": instance, "record": record or [m.to_openai() for m in messages]}
    conv = Conversation(
        id=record_id(f"openhands-{instance}" if instance else "openhands", key),
        messages=messages,
        source=SourceRef(str(path), line),
        agent_role=lab["agent_role"],
        task=lab["task"] or classify_task(messages),
        outcome=outcome,
        outcome_source=source,
        work_item=lab["work_item"] or instance,
        metadata={
            "format": "openhands",
            "instance_id": instance,
            "model": llm.get("model") or record.get("model"),
            "agent_class": meta.get("agent_class") or record.get("agent_class"),
            "final_agent_state": t.agent_state,
            "counts": dict(sorted(t.counts.items())),
        },
    )
    conv.tools = complete_tools(conv, t.tools)
    return conv


def detect(path: Path, head: bytes) -> bool:
    if path.suffix not in (".json", ".jsonl"):
        return False
    compact = head.replace(b" ", b"")
    events = (b'"action":' in compact or b'"observation":' in compact) and (
        b'"args":' in compact or b'"extras":' in compact
    )
    if path.suffix == ".jsonl":
        return events and b'"history":' in compact
    return events and head.lstrip()[:1] in (b"[", b"{")


def _wrapped_events(record: dict[str, Any], line: int) -> list[tuple[int, Any]] | None:
    events = record.get("history")
    if not isinstance(events, list):
        events = record.get("trajectory")
    return [(line, ev) for ev in events] if isinstance(events, list) else None


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    if path.suffix == ".json":
        text = load_text(path, warn)
        if text is None:
            return
        if text.lstrip().startswith("["):  # a bare event list: each event keeps its own line
            conv = _conversation(path, 1, {}, _events(list(json_list_items(text, warn)), warn), warn)
            if conv is not None:
                yield conv
            return
    records = iter_records(path, warn)
    for line, record in records:
        events = _wrapped_events(record, line)
        if events is None:
            warn(line, "wrong schema: record has no history list of events")
            continue
        conv = _conversation(path, line, record, _events(events, warn), warn)
        if conv is not None:
            yield conv


READER = register(
    Reader("openhands", (".json", ".jsonl"), detect, read, "OpenHands trajectories (event lists, eval output.jsonl)")
)
