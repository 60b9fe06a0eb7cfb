"""OpenAI chat-completions requests and (non-streaming) responses, pure.

A request may pick task adapters two ways: a model name `ROLE+TASK[+TASK...]` (Gas Town's
provider entry names one per agent) or the Forge field `adapters: [TASK, ...]` (the openai
client sends it with `extra_body`)."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from forge.errors import ForgeError
from forge.models.guided import AUTO, ToolChoice
from forge.models.tool_formats import schemas_by_name

DEFAULT_MAX_TOKENS = 256


class BadRequest(ForgeError):
    """A request the endpoint refuses (HTTP 400), with a message naming the field."""


@dataclass
class ChatRequest:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    max_tokens: int
    model: str = ""
    stream: bool = False
    include_usage: bool = False
    adapters: list[str] = field(default_factory=list)
    tool_choice: ToolChoice = AUTO


def parse_tool_choice(value: Any, tools: list[dict[str, Any]]) -> ToolChoice:
    """OpenAI's `tool_choice`: "auto" (or absent), "none", "required", or
    {"type": "function", "function": {"name": N}} naming one of the offered tools."""
    if value is None or value == "auto":
        return AUTO
    if value in ("none", "required"):
        choice = ToolChoice(value)
    elif isinstance(value, dict) and isinstance((value.get("function") or {}).get("name"), str):
        name = value["function"]["name"]
        if name not in schemas_by_name(tools):
            raise BadRequest(f"'tool_choice': names {name!r}, which 'tools' does not offer")
        choice = ToolChoice("required", name)
    else:
        raise BadRequest(
            '\'tool_choice\': "auto", "none", "required" or {"type": "function", "function": {"name": ...}}'
        )
    if choice.mode == "required" and not tools:
        raise BadRequest("'tool_choice': a call is required but 'tools' offers none")
    return choice


def parse_chat_request(body: Any) -> ChatRequest:
    """Validate an OpenAI chat-completions body; every problem names its field."""
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages': a non-empty list is required")
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant", "tool"):
            raise BadRequest(f"'messages[{i}].role': must be system, user, assistant or tool")
        if m.get("content") is None and not m.get("tool_calls"):
            raise BadRequest(f"'messages[{i}].content': required unless the message has tool_calls")
    tools = body.get("tools") or []
    if not isinstance(tools, list) or any(not isinstance(t, dict) or "function" not in t for t in tools):
        raise BadRequest('\'tools\': a list of {"type": "function", "function": {...}} objects')
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", DEFAULT_MAX_TOKENS))
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 8192:
        raise BadRequest("'max_tokens': an integer between 1 and 8192")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise BadRequest("'stream_options': an object such as {\"include_usage\": true}")
    adapters = body.get("adapters") or []
    if not isinstance(adapters, list) or any(not isinstance(a, str) or not a for a in adapters):
        raise BadRequest("'adapters': a list of task adapter names")
    model = body.get("model") or ""
    if not isinstance(model, str):
        raise BadRequest("'model': a string")
    return ChatRequest(
        [_template_ready(m) for m in messages],
        tools,
        max_tokens,
        model=model,
        stream=bool(body.get("stream")),
        include_usage=bool(options.get("include_usage")),
        adapters=adapters,
        tool_choice=parse_tool_choice(body.get("tool_choice"), tools),
    )


def _template_ready(message: dict[str, Any]) -> dict[str, Any]:
    """OpenAI clients send a call's arguments as a JSON string; chat templates (and the
    training data) write them as an object, so the prompt is rendered as the model saw it."""
    calls = message.get("tool_calls")
    if not calls:
        return message
    out = []
    for call in calls:
        fn = dict((call or {}).get("function") or {})
        if isinstance(fn.get("arguments"), str):
            try:
                fn["arguments"] = json.loads(fn["arguments"]) if fn["arguments"].strip() else {}
            except json.JSONDecodeError:
                pass  # left as the client sent it; the template renders the string
        out.append({**call, "function": fn})
    return {**message, "tool_calls": out, "content": message.get("content") or ""}


def call_id() -> str:
    """9 alphanumerics: what Mistral's templates require of a call id, fine for every other."""
    return uuid.uuid4().hex[:9]


def openai_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": call_id(),
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)},
        }
        for c in calls
    ]


def reply_content(reply: str, parsed: Any, ends: tuple[str, ...]) -> str:
    """The message content: text outside tool calls; a call block that does not parse is not
    dropped — the client sees the raw text."""
    if parsed.content or not parsed.errors:
        return str(parsed.content or "")
    for end in ends:
        reply = reply.split(end, 1)[0]
    return reply.strip()


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def chat_response(
    model_name: str,
    content: str,
    calls: list[dict[str, Any]],
    *,
    finish_reason: str = "stop",
    usage_counts: dict[str, int] | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    """The OpenAI response; `calls` are parsed ({"name", "arguments": dict})."""
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = openai_calls(calls)
    created = int(time.time()) if created is None else created
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": created,
        "model": model_name,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else finish_reason}],
        "usage": usage_counts or usage(0, 0),
    }
