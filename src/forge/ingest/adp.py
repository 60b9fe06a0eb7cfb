"""Reader for Agent Data Protocol (ADP) trajectories, the "interlingua" of agent datasets.

A trajectory is `{id, content: [...], details: {...}}`; a `.json` file holds a list of them
(ADP's sample_std.json), a `.jsonl` file one per line. Content items carry `class_`:
  text_observation  {content, source: user | agent | environment, name}
  code_action       {language, content, description}
  api_action        {function, kwargs, description}
  message_action    {content, description}
  web_observation   {html, axtree, url, ...}      image_observation {...}
Actions become assistant turns: the description is the turn's text, a code action calls
`execute_bash` {command} (bash, sh, shell) or `execute_ipython_cell` {code} (python) or
`execute_code` {language, code}, an API action calls its function with its kwargs (the tool
names ADP's own OpenHands converter uses). The environment's next observation answers the call;
the user's observations are user turns; an agent-sourced observation is assistant text. Labels
(outcome, resolved, role, task) come from `details` when it states them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.openai_chat import Counts, classify_task, has_dialogue, iter_records, labels, record_id, text_of
from forge.ingest.readers import Reader, Warn, register
from forge.ingest.tool_schemas import tools_for
from forge.jsonl import as_dict
from forge.records import Conversation, Message, SourceRef, ToolCall

ACTIONS = ("code_action", "api_action", "message_action")
OBSERVATIONS = ("text_observation", "web_observation", "image_observation")
SHELLS = ("bash", "sh", "shell", "zsh")


def detect(path: Path, head: bytes) -> bool:
    if path.suffix not in (".json", ".jsonl"):
        return False
    compact = head.replace(b" ", b"")
    return (
        b'"class_":' in compact
        and b'"content":' in compact
        and (b'"text_observation"' in compact or b'_action"' in compact)
    )


def _code_call(item: dict[str, Any], call_id: str) -> ToolCall:
    language = str(item.get("language") or "").lower()
    code = str(item.get("content") or "")
    if language in SHELLS:
        return ToolCall(call_id, "execute_bash", {"command": code})
    if language in ("python", "ipython", "py"):
        return ToolCall(call_id, "execute_ipython_cell", {"code": code})
    return ToolCall(call_id, "execute_code", {"language": language, "code": code})


def _observation_text(item: dict[str, Any], counts: Counts) -> str:
    if item.get("class_") == "image_observation":
        counts.bump("images")
        return ""
    if item.get("class_") == "web_observation":
        if isinstance(item.get("image_observation"), dict):
            counts.bump("images")
        return "\n".join(str(item[k]) for k in ("url", "axtree") if item.get(k)) or str(item.get("html") or "")
    return text_of(item.get("content"))


def _messages(trajectory: dict[str, Any], line: int, warn: Warn, counts: Counts) -> list[Message]:
    messages: list[Message] = []
    pending: list[ToolCall] = []  # calls still waiting for the environment's answer
    for n, item in enumerate(trajectory["content"]):
        if not isinstance(item, dict) or not isinstance(item.get("class_"), str):
            warn(line, f"wrong schema: content item {n} has no class_")
            continue
        kind = item["class_"]
        if kind in ACTIONS:
            text = text_of(item.get("description") or "")
            if kind == "message_action":
                said = text_of(item.get("content"))
                messages.append(Message("assistant", said or text))
                continue
            call_id = f"adp_{n}"
            if kind == "code_action":
                call = _code_call(item, call_id)
            else:
                kwargs = as_dict(item.get("kwargs"))
                if not isinstance(item.get("function"), str):
                    warn(line, f"wrong schema: api_action {n} has no function name")
                    continue
                call = ToolCall(call_id, item["function"], kwargs)
            prev = messages[-1] if messages else None
            if prev is not None and prev.role == "assistant" and pending and not text:
                prev.tool_calls.append(call)  # parallel calls, answered in order
            else:
                messages.append(Message("assistant", text, [call]))
            pending.append(call)
        elif kind in OBSERVATIONS:
            text = _observation_text(item, counts)
            source = item.get("source", "environment")
            if source == "user" and kind == "text_observation":
                messages.append(Message("user", text))
            elif source == "agent":
                messages.append(Message("assistant", text))
            elif pending:
                call = pending.pop(0)
                messages.append(Message("tool", text, tool_call_id=call.id, name=call.name))
            elif text.strip():
                counts.bump("unanswered_observations")
                messages.append(Message("user", text))  # the environment speaks first: a prompt
        else:
            counts.bump("unknown_items")
    for call in pending:  # an action the trajectory never answered: drop the call, keep the turn
        for m in messages:
            if call in m.tool_calls:
                m.tool_calls.remove(call)
        counts.bump("unanswered_actions")
    return [m for m in messages if m.role != "assistant" or m.content.strip() or m.tool_calls]


def _conversation(path: Path, line: int, trajectory: dict[str, Any], warn: Warn) -> Conversation | None:
    if not isinstance(trajectory.get("content"), list):
        warn(line, "wrong schema: trajectory has no content list")
        return None
    counts = Counts()
    messages = _messages(trajectory, line, warn, counts)
    if not has_dialogue(messages):
        warn(line, "no dialogue: no user turn with an assistant reply; trajectory skipped")
        return None
    details = as_dict(trajectory.get("details"))
    lab = labels(details)
    tid = trajectory.get("id")
    conv = Conversation(
        id=f"adp-{tid}" if isinstance(tid, (str, int)) else record_id("adp", trajectory),
        messages=messages,
        source=SourceRef(str(path), line),
        agent_role=lab["agent_role"],
        task=lab["task"] or classify_task(messages),
        outcome=lab["outcome"] or "unknown",
        work_item=lab["work_item"],
        outcome_source="record:label" if lab["outcome"] else None,
        metadata={
            "format": "adp",
            "trajectory_id": tid,
            "dataset": details.get("dataset"),
            "counts": dict(sorted(counts.items())),
        },
    )
    conv.tools = tools_for(conv)
    return conv


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    for line, record in iter_records(path, warn):
        conv = _conversation(path, line, record, warn)
        if conv is not None:
            yield conv


READER = register(
    Reader(
        "adp",
        (".json", ".jsonl"),
        detect,
        read,
        "Agent Data Protocol trajectories ({id, content: [class_ ...], details})",
    )
)
