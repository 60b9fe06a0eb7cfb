"""The record types every stage shares. Pure data: no I/O, no heavy imports.

A `Conversation` is one agent session in a format-neutral shape close to the OpenAI chat
format: messages with roles system/user/assistant/tool, assistant tool calls with JSON
arguments, tool results linked by `tool_call_id`. Readers produce it, the scrubber rewrites
its text, the builder turns it into SFT and DPO rows.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

MessageRole = Literal["system", "user", "assistant", "tool"]
Outcome = Literal["success", "failure", "unknown"]
OUTCOMES: tuple[str, ...] = ("success", "failure", "unknown")


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: dict[str, Any]

    def to_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": json.dumps(self.arguments, ensure_ascii=False)},
        }


@dataclass
class Message:
    role: MessageRole
    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None  # for role == "tool": which call this result answers
    name: str | None = None  # for role == "tool": the tool's name

    def to_openai(self) -> dict[str, Any]:
        out: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            out["tool_calls"] = [c.to_openai() for c in self.tool_calls]
        if self.role == "tool":
            out["tool_call_id"] = self.tool_call_id
            if self.name:
                out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        calls = [ToolCall(**c) for c in d.get("tool_calls") or []]
        return cls(
            role=d["role"],
            content=d.get("content") or "",
            tool_calls=calls,
            tool_call_id=d.get("tool_call_id"),
            name=d.get("name"),
        )


@dataclass
class SourceRef:
    path: str
    line: int  # 1-based line of the first record of the session in that file

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class Conversation:
    id: str  # stable: the session id from the source
    messages: list[Message]
    source: SourceRef
    tools: list[dict[str, Any]] = field(default_factory=list)  # OpenAI tool schemas
    agent_role: str | None = None  # Gas Town role: polecat, witness, mayor, ...
    task: str | None = None  # task category: bead-creation, git-workflow, planning
    outcome: Outcome = "unknown"
    work_item: str | None = None  # bead id this session worked on, when known
    metadata: dict[str, Any] = field(default_factory=dict)
    # where the outcome came from ("beads:attempt", "record:resolved", "transcript:tests", "git:push",
    # "rule:outcome_rules[0]", ...; see ingest/outcome.py) and how far it is trusted (0..1)
    outcome_source: str | None = None
    outcome_confidence: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["source"] = {"path": self.source.path, "line": self.source.line}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Conversation:
        return cls(
            id=d["id"],
            messages=[Message.from_dict(m) for m in d["messages"]],
            source=SourceRef(**d["source"]),
            tools=d.get("tools") or [],
            agent_role=d.get("agent_role"),
            task=d.get("task"),
            outcome=d.get("outcome", "unknown"),
            work_item=d.get("work_item"),
            metadata=d.get("metadata") or {},
            outcome_source=d.get("outcome_source"),
            outcome_confidence=d.get("outcome_confidence"),
        )

    def tool_names(self) -> set[str]:
        return {c.name for m in self.messages for c in m.tool_calls}


@dataclass
class PreferencePair:
    """DPO pair: a shared prompt, then the successful (chosen) and failed (rejected) turns."""

    prompt: list[Message]
    chosen: list[Message]
    rejected: list[Message]
    task: str | None = None
    agent_role: str | None = None
    chosen_id: str = ""
    rejected_id: str = ""


@dataclass
class WorkItem:
    """A bead (work item) that links sessions to an outcome."""

    id: str
    title: str
    status: str  # open / in_progress / closed
    outcome: Outcome = "unknown"
    sessions: list[str] = field(default_factory=list)
    agent_role: str | None = None
    task: str | None = None
    outcome_source: str | None = None  # "beads:status", "beads:events", "beads:explicit"
    close_reason: str | None = None
    labels: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)  # ids of the beads this one depends on
    comments: int = 0
    reopened: int = 0  # times the bead was reopened after a close (Dolt events)
    assignee: str | None = None
