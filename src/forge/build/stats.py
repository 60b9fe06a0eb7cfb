"""Dataset statistics, and the hook for token counts with the target tokenizer.

A `TokenCounter` takes OpenAI messages and tool schemas and returns the number of tokens the
rendered chat takes. `chat_token_counter(tokenizer)` makes one from a Hugging Face tokenizer
that has a chat template; the build only calls it, so this module imports nothing heavy.
"""

from __future__ import annotations

from typing import Any, Protocol

Row = dict[str, Any]


class TokenCounter(Protocol):
    name: str  # identifies the tokenizer: part of the dataset's artifact id

    def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int: ...


class ChatTokenCounter:
    def __init__(self, tokenizer: Any, name: str | None = None):
        self.tokenizer = tokenizer
        self.name = name or getattr(tokenizer, "name_or_path", None) or type(tokenizer).__name__

    def __call__(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> int:
        out = self.tokenizer.apply_chat_template(messages, tools=tools or None, tokenize=True)
        if hasattr(out, "keys"):  # transformers may return a BatchEncoding
            out = out["input_ids"]
        return len(out)


def chat_token_counter(tokenizer: Any, name: str | None = None) -> TokenCounter:
    return ChatTokenCounter(tokenizer, name)


def message_counts(rows: list[Row]) -> dict[str, int]:
    """Messages, tool calls and characters (content plus call arguments) over SFT rows."""
    messages = tool_calls = chars = 0
    for row in rows:
        for m in row["messages"]:
            messages += 1
            chars += len(m.get("content") or "")
            for call in m.get("tool_calls") or []:
                tool_calls += 1
                chars += len(call["function"]["arguments"])
    return {"messages": messages, "tool_calls": tool_calls, "chars": chars}


def summarise(values: list[int]) -> dict[str, float | int]:
    if not values:
        return {"rows": 0, "total": 0, "mean": 0.0, "max": 0, "p50": 0, "p95": 0}
    ordered = sorted(values)

    def pct(q: float) -> int:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {
        "rows": len(values),
        "total": sum(values),
        "mean": round(sum(values) / len(values), 1),
        "max": ordered[-1],
        "p50": pct(0.5),
        "p95": pct(0.95),
    }


def token_stats(sft_rows: list[Row], dpo_rows: list[Row], count: TokenCounter) -> dict[str, Any]:
    """Token lengths of SFT rows and of DPO prompt+chosen / prompt+rejected, as rendered."""
    return {
        "tokenizer": count.name,
        "sft": summarise([count(r["messages"], r["tools"]) for r in sft_rows]),
        "dpo_chosen": summarise([count(r["prompt"] + r["chosen"], r["tools"]) for r in dpo_rows]),
        "dpo_rejected": summarise([count(r["prompt"] + r["rejected"], r["tools"]) for r in dpo_rows]),
    }
