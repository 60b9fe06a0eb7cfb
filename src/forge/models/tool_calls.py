"""Tool calls in model replies: split a reply into plain content and structured calls.

Today one format: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>` blocks (Hermes /
Qwen2.5, and our own template). Pure: no heavy imports.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from forge.models.chat_format import IM_END, TOOL_CALL_CLOSE, TOOL_CALL_OPEN

_CALL_RE = re.compile(re.escape(TOOL_CALL_OPEN) + r"(.*?)(?:" + re.escape(TOOL_CALL_CLOSE) + r"|$)",
                      re.DOTALL)


@dataclass
class ParsedReply:
    content: str                                   # text outside tool-call blocks
    calls: list[dict[str, Any]] = field(default_factory=list)  # {"name":..., "arguments":{...}}
    errors: list[str] = field(default_factory=list)            # one per unparseable block


def parse_reply(text: str) -> ParsedReply:
    """Split a model reply into plain content and tool calls; bad blocks become errors."""
    text = text.split(IM_END, 1)[0]
    calls, errors = [], []
    for match in _CALL_RE.finditer(text):
        raw = match.group(1).strip()
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            errors.append(f"tool call is not valid JSON ({e.msg} at char {e.pos}): {raw[:80]!r}")
            continue
        if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
            errors.append(f"tool call has no string 'name': {raw[:80]!r}")
            continue
        args = obj.get("arguments", {})
        if isinstance(args, str):  # some models double-encode
            try:
                args = json.loads(args)
            except json.JSONDecodeError:
                errors.append(f"tool call arguments are not a JSON object: {args[:80]!r}")
                continue
        if not isinstance(args, dict):
            errors.append(f"tool call arguments are not a JSON object: {raw[:80]!r}")
            continue
        calls.append({"name": obj["name"], "arguments": args})
    content = _CALL_RE.sub("", text).strip()
    return ParsedReply(content=content, calls=calls, errors=errors)
