"""Request size limits as plain ASGI middleware (no framework import), shared by the REST API
and the MCP HTTP endpoint.

A body is refused with 413 when its Content-Length says it is too large, and also when no
Content-Length was sent and the bytes that arrive pass the limit (chunked uploads are counted,
never buffered without bound). A Content-Length that is not a non-negative integer is a 400.
"""
from __future__ import annotations

import json
from typing import Any, Awaitable, Callable

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


async def send_json_error(send: Send, status: int, message: str, hint: str | None = None,
                          kind: str = "request_error") -> None:
    body = json.dumps({"error": {"message": message, "hint": hint, "type": kind}}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
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
            return await send_json_error(send, 413, f"request body of {declared} bytes is over the limit of "
                                         f"{self.max_bytes} bytes", "[limits] max_body_bytes in FORGE_HOME/server.toml",
                                         "too_large")
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
            await send_json_error(send, 413, f"request body is over the limit of {self.max_bytes} bytes",
                                  "[limits] max_body_bytes in FORGE_HOME/server.toml", "too_large")
