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
from collections.abc import Callable
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


def one_call_per_turn(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`messages` with every assistant message that makes several tool calls written as that many
    assistant messages of one call each, each followed by the result that answers it, for
    templates that refuse parallel calls (Llama 3.1 raises "only supports single tool-calls").
    Calls made together run independently, so one after the other says the same thing. The
    first part keeps the text; every part keeps the message's other fields (its `weight`);
    results that name no call of the message follow the last part in their order."""
    out: list[dict[str, Any]] = []
    n = 0
    while n < len(messages):
        m = messages[n]
        calls = m.get("tool_calls") or []
        if m.get("role") != "assistant" or len(calls) < 2:
            out.append(m)
            n += 1
            continue
        end = n + 1
        while end < len(messages) and messages[end].get("role") == "tool":
            end += 1
        results = list(messages[n + 1 : end])
        for j, call in enumerate(calls):
            part = {**m, "tool_calls": [call]}
            if j:
                part["content"] = ""
                part.pop("reasoning_content", None)
            out.append(part)
            cid = call.get("id") if isinstance(call, dict) else None
            answer = next((r for r in results if cid and r.get("tool_call_id") == cid), None)
            if answer is None and results and not results[0].get("tool_call_id"):
                answer = results[0]  # results without ids answer the calls in order
            if answer is not None:
                results.remove(answer)
                out.append(answer)
        out.extend(results)
        n = end
    return out


def refuses_parallel_calls(render: Callable[[list[dict[str, Any]]], Any]) -> bool:
    """Whether a template (`render` of messages, raising when it refuses them) renders a turn with
    one tool call but raises on a turn with two."""

    def turn(n: int) -> list[dict[str, Any]]:
        ids = [f"a0000000{j}" for j in range(1, n + 1)]
        calls = [{"id": i, "type": "function", "function": {"name": "f", "arguments": {}}} for i in ids]
        results = [{"role": "tool", "tool_call_id": i, "content": "r"} for i in ids]
        return [{"role": "user", "content": "u"}, {"role": "assistant", "content": "", "tool_calls": calls}, *results]

    def renders(messages: list[dict[str, Any]]) -> bool:
        try:
            render(messages)
        except Exception:  # Jinja raises anything (raise_exception in templates)
            return False
        return True

    return renders(turn(1)) and not renders(turn(2))


def refuses_prompt_after_tool(render: Callable[[list[dict[str, Any]]], Any]) -> bool:
    """Whether a template (`render` of messages, raising when it refuses them) refuses a user
    message right after a tool result, though it takes one after the reply that follows (Mistral's
    "roles must alternate"). Sessions have them where the user answers a call's result themselves:
    a permission refused, a command cancelled, then what to do instead."""
    call = {"id": "a00000001", "type": "function", "function": {"name": "f", "arguments": {}}}
    start: list[dict[str, Any]] = [
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "a00000001", "content": "r"},
    ]

    def renders(messages: list[dict[str, Any]]) -> bool:
        try:
            render(messages)
        except Exception:  # Jinja raises anything (raise_exception in templates)
            return False
        return True

    after_reply: list[dict[str, Any]] = [
        *start,
        {"role": "assistant", "content": "a"},
        {"role": "user", "content": "u"},
    ]
    right_after: list[dict[str, Any]] = [
        *start,
        {"role": "user", "content": "u"},
        {"role": "assistant", "content": "a"},
    ]
    return renders([*after_reply, {"role": "assistant", "content": "a"}]) and not renders(right_after)


def prompts_after_tools(messages: list[dict[str, Any]]) -> list[int]:
    """Indices of user messages that come right after a tool result."""
    return [
        n
        for n in range(1, len(messages))
        if messages[n].get("role") == "user" and messages[n - 1].get("role") == "tool"
    ]
