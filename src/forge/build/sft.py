"""SFT rows: a whole successful session in OpenAI chat form, tool calls and results kept."""

from __future__ import annotations

from typing import Any

from forge.records import Conversation


def sft_row(conv: Conversation) -> dict[str, Any]:
    return {
        "id": conv.id,
        "messages": [m.to_openai() for m in conv.messages],
        "tools": conv.tools,
        "agent_role": conv.agent_role,
        "task": conv.task,
        "work_item": conv.work_item,
        "source": str(conv.source),
        "outcome": conv.outcome,
        "outcome_source": conv.outcome_source,
    }
