"""Messages in the shape Hub chat templates expect, and what the template writes for them.

Rows hold OpenAI chat messages as Forge stores them (tool-call arguments as JSON text, content
possibly None, provider call ids such as "toolu_01..."). Templates expect something narrower:
Qwen2.5, Llama 3.1 and Gemma 4 write `arguments | tojson` or iterate over them, so arguments
must be a mapping; several concatenate `content` to strings, so it must be "" not None;
Mistral's templates accept only 9-character alphanumeric call ids. `template_messages`
produces that shape: every call as {"id", "type": "function", "function": {"name",
"arguments": {...}}}, every tool result with the `tool_call_id` of its call (mapped to the
same id), per-message bookkeeping (`weight`) left out. Pure: no heavy imports.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

_ALNUM9 = re.compile(r"[A-Za-z0-9]{9}")
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# keys a template may read; anything else a row carries (weight, provider fields) stays out
_MESSAGE_KEYS = ("role", "content", "tool_calls", "tool_call_id", "name", "reasoning_content")


def template_call_id(call_id: Any, fallback: str) -> str:
    """A 9-character alphanumeric id (Mistral's rule) standing for `call_id`, stable across
    rows; ids already in that shape are kept."""
    text = str(call_id) if call_id not in (None, "") else fallback
    if _ALNUM9.fullmatch(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:9])


def call_arguments(value: Any) -> Any:
    """Arguments as a mapping; JSON text that is not an object stays text (fidelity reports it)."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            return value
        return parsed if isinstance(parsed, dict) else value
    return value if value is not None else {}


def template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`messages` as chat templates expect them (see the module docstring)."""
    out: list[dict[str, Any]] = []
    ids: dict[str, str] = {}
    last_calls: list[str] = []
    for n, m in enumerate(messages):
        m2 = {k: m[k] for k in _MESSAGE_KEYS if k in m and m[k] is not None}
        m2["content"] = m.get("content") or ""
        if m.get("tool_calls"):
            calls: list[dict[str, Any]] = []
            for j, call in enumerate(m["tool_calls"]):
                fn = call.get("function", call) if isinstance(call, dict) else {}
                original = call.get("id") if isinstance(call, dict) else None
                cid = template_call_id(original, f"m{n}c{j}")
                if original:
                    ids[str(original)] = cid
                calls.append(
                    {
                        "id": cid,
                        "type": "function",
                        "function": {"name": fn.get("name", ""), "arguments": call_arguments(fn.get("arguments"))},
                    }
                )
            m2["tool_calls"] = calls
            last_calls = [cid for cid in (c["id"] for c in calls) if isinstance(cid, str)]
        elif "tool_calls" in m2:
            del m2["tool_calls"]
        if m2.get("role") == "tool":
            original = m.get("tool_call_id")
            if original and str(original) in ids:
                m2["tool_call_id"] = ids[str(original)]
            elif original:
                m2["tool_call_id"] = template_call_id(original, "")
            elif last_calls:  # a result without an id answers the oldest unanswered call
                m2["tool_call_id"] = last_calls[0]
            if last_calls and m2.get("tool_call_id") in last_calls:
                last_calls = [c for c in last_calls if c != m2["tool_call_id"]]
        out.append(m2)
    return out


def message_weight(message: dict[str, Any]) -> float:
    """A message's `weight` (OpenAI fine-tuning's "do not learn this turn" is 0), default 1."""
    w = message.get("weight", 1)
    try:
        return float(w)
    except (TypeError, ValueError):
        return 1.0
