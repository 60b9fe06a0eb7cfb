"""Request size limits, shared by the network edges: plain ASGI middleware (no framework
import) for the REST API and the MCP HTTP endpoint, and the checks `forge serve` runs.

A body is refused with 413 when its Content-Length says it is too large, and also when no
Content-Length was sent and the bytes that arrive pass the limit (chunked uploads are counted,
never buffered without bound). A Content-Length that is not a non-negative integer is a 400.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from forge.errors import ForgeError

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    """The declared body length; None when absent. ValueError when malformed, negative, or
    given twice with different values (request smuggling)."""
    values = {v.strip() for k, v in headers if k.lower() == b"content-length"}
    if not values:
        return None
    if len(values) > 1:
        raise ValueError("conflicting Content-Length headers")
    (raw,) = values
    if not raw.isdigit():  # rejects "-1", "+5", "1e3", ""
        raise ValueError(f"Content-Length must be a non-negative integer, got {raw[:20].decode(errors='replace')!r}")
    return int(raw)


@dataclass
class Guard:
    """What every request to `forge serve` passes before the model sees it. `authorize` gets the
    Authorization header (or None) and raises Unauthorized (401) or Forbidden (403)."""

    authorize: Callable[[str | None], Any] | None = None
    max_body_bytes: int = 1024 * 1024
    max_prompt_chars: int = 200_000

    # what forge.serving's HTTP layer calls (it sits below this edge and cannot import it)
    def body_length(self, transfer_encoding: str | None, content_lengths: list[str] | None) -> int:
        return body_length(transfer_encoding, content_lengths or [], self.max_body_bytes)

    def prompt_chars(self, messages: list[dict[str, Any]]) -> int:
        return prompt_chars(messages)


class HTTPRefusal(ForgeError):
    """A request refused before its body is read, with its HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def body_length(transfer_encoding: str | None, content_lengths: list[str], limit: int) -> int:
    """The body size a request declares. Refused: chunked or undeclared bodies (411), a
    Content-Length that is not a non-negative integer such as -1 (400) or differs between two
    headers (400), and one over `limit` (413). The body is then read exactly that long."""
    if transfer_encoding:
        raise HTTPRefusal(411, "chunked request bodies are not accepted; send a Content-Length")
    if not content_lengths:
        raise HTTPRefusal(411, "a Content-Length header is required")
    if len({v.strip() for v in content_lengths}) > 1:
        raise HTTPRefusal(400, "conflicting Content-Length headers")
    raw = content_lengths[0].strip()
    if not raw.isdigit():
        raise HTTPRefusal(400, f"Content-Length must be a non-negative integer, got {raw[:20]!r}")
    if int(raw) > limit:
        raise HTTPRefusal(413, f"request body over {limit} bytes")
    return int(raw)


def prompt_chars(messages: list[dict[str, Any]]) -> int:
    """Characters of text in a chat request's messages (string contents, text parts, tool calls)."""
    total = 0
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            total += len(content)
        elif isinstance(content, list):
            total += sum(len(str(p.get("text", ""))) for p in content if isinstance(p, dict))
        total += sum(len(str(call)) for call in m.get("tool_calls") or [])
    return total


async def send_json_error(
    send: Send, status: int, message: str, hint: str | None = None, kind: str = "request_error"
) -> None:
    body = json.dumps({"error": {"message": message, "hint": hint, "type": kind}}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over `max_bytes` (413) and malformed Content-Length (400)."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        try:
            declared = content_length(scope.get("headers") or [])
        except ValueError as e:
            return await send_json_error(send, 400, str(e), "send a Content-Length of the body's size in bytes")
        if declared is not None and declared > self.max_bytes:
            return await send_json_error(
                send,
                413,
                f"request body of {declared} bytes is over the limit of {self.max_bytes} bytes",
                "[limits] max_body_bytes in FORGE_HOME/server.toml",
                "too_large",
            )
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive() -> Message:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    # the app sees a client that went away; the 413 below is what the client gets
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["over"] and not state["started"]:
                return  # whatever the app answers to the cut-off body, the answer is the 413
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            await send_json_error(
                send,
                413,
                f"request body is over the limit of {self.max_bytes} bytes",
                "[limits] max_body_bytes in FORGE_HOME/server.toml",
                "too_large",
            )
