"""Which sessions become training rows: role/task selection, the success-rate curator, and the
per-session preparation (system prompt, truncation) shared by SFT and DPO."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable

from forge.build.config import BuildConfig
from forge.records import Conversation, Message, WorkItem


def fill_from_work_items(conv: Conversation, items: dict[str, WorkItem]) -> Conversation:
    """Take role and task from the session's bead when the session itself does not say."""
    item = items.get(conv.work_item or "")
    if item is None or (conv.agent_role and conv.task):
        return conv
    return dataclasses.replace(conv, agent_role=conv.agent_role or item.agent_role, task=conv.task or item.task)


def role_task_reason(conv: Conversation, config: BuildConfig) -> str | None:
    """Why the session is outside the selected roles/tasks, or None when it is inside."""
    if config.roles and conv.agent_role not in config.roles:
        return "role"
    if config.tasks and conv.task not in config.tasks:
        return "task"
    return None


def role_task_label(conv: Conversation) -> str:
    return f"{conv.agent_role or 'unknown'}/{conv.task or 'unknown'}"


def curator_group(conv: Conversation) -> str:
    """Success rate is measured per bead; sessions without one are pooled by role and task."""
    return f"item:{conv.work_item}" if conv.work_item else f"role_task:{role_task_label(conv)}"


def success_rates(conversations: Iterable[Conversation]) -> dict[str, float]:
    """Fraction of successful sessions per curator group, over sessions with a known outcome."""
    wins: dict[str, int] = defaultdict(int)
    known: dict[str, int] = defaultdict(int)
    for conv in conversations:
        if conv.outcome == "unknown":
            continue
        g = curator_group(conv)
        known[g] += 1
        wins[g] += conv.outcome == "success"
    return {g: wins[g] / n for g, n in known.items()}


def effective_outcome(conv: Conversation, config: BuildConfig) -> str:
    """The session's outcome, or "unknown" when its label is less trusted than the build asks."""
    if (
        conv.outcome != "unknown"
        and conv.outcome_confidence is not None
        and conv.outcome_confidence < config.min_outcome_confidence
    ):
        return "unknown"
    return conv.outcome


def sft_reason(conv: Conversation, rates: dict[str, float], config: BuildConfig) -> str | None:
    """Why a (selected, deduplicated) session gives no SFT row, or None when it does."""
    outcome = effective_outcome(conv, config)
    if outcome == "failure":
        return "failure"
    if outcome == "unknown" and config.unlabelled == "drop":
        return "unknown_outcome"
    rate = rates.get(curator_group(conv))
    if rate is not None and rate < config.min_success:
        return "low_success_rate"
    return None


def truncate(messages: list[Message], max_messages: int) -> list[Message]:
    """At most max_messages, ending on an assistant turn (a trailing prompt teaches nothing)."""
    out = messages[:max_messages]
    while out and out[-1].role != "assistant":
        out.pop()
    return out


def prepare(conv: Conversation, config: BuildConfig) -> Conversation:
    """The session as it will be trained on: system prompt added, long sessions truncated."""
    messages = list(conv.messages)
    if config.include_system_prompt and not (messages and messages[0].role == "system"):
        prompt = config.system_prompt_for(conv.agent_role)
        messages.insert(0, Message(role="system", content=prompt))
    if config.max_messages is not None:
        messages = truncate(messages, config.max_messages)
    return dataclasses.replace(conv, messages=messages)


def has_assistant_turn(conv: Conversation) -> bool:
    return any(m.role == "assistant" for m in conv.messages)


def has_prompt(conv: Conversation) -> bool:
    """Whether a user message comes before the first assistant turn: a session recorded without
    its task (`codex exec --json` takes the prompt on the command line) would teach the model to
    act on no request."""
    first = next((i for i, m in enumerate(conv.messages) if m.role == "assistant"), len(conv.messages))
    return any(m.role == "user" for m in conv.messages[:first])
