"""`forge serve`: an OpenAI-compatible chat endpoint for a registry model and its task adapters.

This is what `forge model provider-config` points Gas Town at: `forge serve --model polecat-v3
--adapters bead-create`. Endpoints: GET /health, GET /v1/models, POST /v1/chat/completions
(non-streaming; `tools` in, `tool_calls` out, parsed from the model's <tool_call> blocks).
Request/response translation is pure (below); the HTTP layer is the standard library's, and
generation is serialised behind a lock (one model, CPU or one GPU).

Before a request reaches the model, a `Guard` (built by the CLI from the facade) checks the
bearer token — required off loopback — and the limits: a body needs a Content-Length (no
chunked or unbounded bodies), at most `max_body_bytes`, and a prompt at most `max_prompt_chars`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from forge.api.limits import Guard, HTTPRefusal, body_length, prompt_chars
from forge.errors import Forbidden, ForgeError, Unauthorized

MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_TOKENS = 256


class BadRequest(ForgeError):
    """A request the endpoint refuses (HTTP 400), with a message naming the field."""


@dataclass
class ChatRequest:
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]]
    max_tokens: int


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
    if body.get("stream"):
        raise BadRequest("'stream': streaming is not supported; send stream=false")
    max_tokens = body.get("max_tokens", body.get("max_completion_tokens", DEFAULT_MAX_TOKENS))
    if not isinstance(max_tokens, int) or not 1 <= max_tokens <= 8192:
        raise BadRequest("'max_tokens': an integer between 1 and 8192")
    return ChatRequest(messages, tools, max_tokens)


def chat_response(model_name: str, reply: str, *, created: int | None = None) -> dict[str, Any]:
    """The OpenAI response for a raw reply: tool calls parsed out, arguments as JSON strings."""
    from forge.service import IM_END, parse_reply

    parsed = parse_reply(reply)
    calls = [
        {
            "id": f"call_{i}",
            "type": "function",
            "function": {"name": c["name"], "arguments": json.dumps(c["arguments"], ensure_ascii=False)},
        }
        for i, c in enumerate(parsed.calls)
    ]
    # a <tool_call> block that does not parse is not dropped: the client sees the raw text
    content = parsed.content or (reply.split(IM_END, 1)[0].strip() if parsed.errors else "")
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = calls
    created = int(time.time()) if created is None else created
    return {
        "id": f"chatcmpl-{created}",
        "object": "chat.completion",
        "created": created,
        "model": model_name,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
    }


Generate = Callable[[list[dict[str, Any]], list[dict[str, Any]], int], str]


def make_server(
    model_name: str, generate: Generate, host: str = "127.0.0.1", port: int = 8000, guard: Guard | None = None
) -> ThreadingHTTPServer:
    lock = threading.Lock()
    guard = guard or Guard(max_body_bytes=MAX_BODY_BYTES)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: Any) -> None:  # requests may carry prompts: no logging
            pass

        def _send(self, status: int, obj: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, message: str, kind: str = "invalid_request_error") -> None:
            self._send(status, {"error": {"message": message, "type": kind}})

        def _allowed(self) -> bool:
            """Run the guard's token check; answer 401/403 and say False when it refuses."""
            if guard.authorize is None:
                return True
            try:
                guard.authorize(self.headers.get("Authorization"))
                return True
            except Unauthorized as e:
                self.close_connection = True
                self._send(
                    401,
                    {"error": {"message": str(e), "type": "authentication_error"}},
                    {"WWW-Authenticate": 'Bearer realm="forge"'},
                )
            except Forbidden as e:
                self.close_connection = True
                self._error(403, str(e), "permission_error")
            return False

        def do_GET(self) -> None:
            if self.path == "/health":
                return self._send(200, {"status": "ok", "model": model_name})
            if not self._allowed():
                return None
            if self.path == "/v1/models":
                return self._send(200, {"object": "list", "data": [{"id": model_name, "object": "model"}]})
            self._error(404, f"no route {self.path}; use POST /v1/chat/completions")

        def do_POST(self) -> None:
            if not self._allowed():
                return None
            if self.path != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}; use POST /v1/chat/completions")
            try:
                length = body_length(
                    self.headers.get("Transfer-Encoding"),
                    self.headers.get_all("Content-Length") or [],
                    guard.max_body_bytes,
                )
            except HTTPRefusal as e:
                self.close_connection = True  # the body, if any, is never read
                return self._error(e.status, str(e))
            try:
                req = parse_chat_request(json.loads(self.rfile.read(length) or b"null"))
                if prompt_chars(req.messages) > guard.max_prompt_chars:
                    raise BadRequest(f"'messages': the prompt is over {guard.max_prompt_chars} characters")
            except json.JSONDecodeError as e:
                return self._error(400, f"the body is not JSON: {e.msg} at char {e.pos}")
            except BadRequest as e:
                return self._error(400, str(e))
            try:
                with lock:
                    reply = generate(req.messages, req.tools, req.max_tokens)
            except ForgeError as e:
                return self._error(400, str(e))
            self._send(200, chat_response(model_name, reply))

    return ThreadingHTTPServer((host, port), Handler)
