"""SFT rows: reading them from a dataset artifact and turning them into token ids + loss masks.

A row is {"id", "messages": [OpenAI chat messages], "tools": [OpenAI tool schemas], ...}.
Rows are tokenised here, one at a time, with the tokenizer's chat template — never through an
Arrow table, which would unify the differently shaped tool schemas and fill missing keys with
None (rendered as `null` in the prompt). Only assistant turns are learned: the template's
{% generation %} markers give the mask. Pure apart from `read_rows`; the tokenizer is passed in.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.jsonl import read_jsonl
from forge.errors import InputError

TRAIN_FILE, EVAL_FILE = "sft_train.jsonl", "sft_eval.jsonl"
ROLES = ("system", "user", "assistant", "tool")


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of an SFT jsonl file, each checked; a bad line raises InputError naming it."""
    rows = []
    for n, row in read_jsonl(path):
        problem = row_problem(row)
        if problem:
            raise InputError(problem, path=str(path), line=n)
        rows.append(row)
    return rows


def row_problem(row: Any) -> str | None:
    """Why a row cannot be trained on, or None."""
    if not isinstance(row, dict):
        return "row is not a JSON object"
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return "row has no 'messages' list"
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ROLES:
            return f"message {i} has no valid 'role' (one of {', '.join(ROLES)})"
    if not any(m["role"] == "assistant" for m in messages):
        return "row has no assistant message to learn from"
    tools = row.get("tools", [])
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        return "'tools' must be a list of tool schemas"
    return None


def template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Messages as chat templates expect them: content never None; tool calls in OpenAI's shape
    with their id (templates such as Gemma 4's name a tool result by its call's id) and the
    arguments as an object (Hub templates write them with `| tojson`)."""
    out = []
    for m in messages:
        m = dict(m)
        m["content"] = m.get("content") or ""
        if m.get("tool_calls"):
            m["tool_calls"] = [_call_for_template(c) for c in m["tool_calls"]]
        out.append(m)
    return out


def _call_for_template(call: dict[str, Any]) -> dict[str, Any]:
    fn = dict(call.get("function", call))
    args = fn.get("arguments", {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            pass  # not JSON: the template writes the text as it is
    out: dict[str, Any] = {"type": "function", "function": {"name": fn.get("name", ""), "arguments": args}}
    if call.get("id"):
        out["id"] = call["id"]
    return out


@dataclass
class TokenizedRows:
    input_ids: list[list[int]] = field(default_factory=list)
    assistant_masks: list[list[int]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    truncated: int = 0         # rows cut at max_length (still trained on their first part)
    dropped: int = 0           # rows with no assistant token left after truncation
    tokens: int = 0
    assistant_tokens: int = 0


def tokenize_row(tokenizer, row: dict[str, Any]) -> tuple[list[int], list[int]]:
    """Token ids and the assistant mask (1 = learned) of one row via the chat template."""
    enc = tokenizer.apply_chat_template(
        template_messages(row["messages"]), tools=row.get("tools") or None, tokenize=True,
        return_dict=True, return_assistant_tokens_mask=True)
    return list(enc["input_ids"]), list(enc["assistant_masks"])


def tokenize_rows(tokenizer, rows: list[dict[str, Any]], max_length: int) -> TokenizedRows:
    """Tokenise, truncate to max_length (keeping the start), drop rows with nothing to learn."""
    out = TokenizedRows()
    for row in rows:
        ids, mask = tokenize_row(tokenizer, row)
        if len(ids) > max_length:
            ids, mask = ids[:max_length], mask[:max_length]
            out.truncated += 1
        if not any(mask):
            out.dropped += 1
            continue
        out.input_ids.append(ids)
        out.assistant_masks.append(mask)
        out.ids.append(str(row.get("id", len(out.ids))))
        out.tokens += len(ids)
        out.assistant_tokens += sum(mask)
    return out
