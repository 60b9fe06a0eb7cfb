"""The HTTP layer of `forge serve`: GET /health, GET /v1/models, POST /v1/chat/completions
(streaming or not), on the standard library's threading server.

Before a request reaches an engine, the guard (built by the CLI from the facade: forge.api's
`Guard`) checks the bearer token and the limits — a body needs a Content-Length, at most
`max_body_bytes`; a prompt at most `max_prompt_chars` characters, and it must fit the model's
context with its max_tokens. Requests then queue for the engine (one generation at a time);
at most `max_pending` may run or wait at once, past that the answer is 429 with Retry-After.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from forge.errors import Forbidden, ForgeError, Unauthorized
from forge.serving.chunks import DONE, ChunkMaker, ContentSplitter, sse
from forge.serving.engine import Router, UnknownModel
from forge.serving.protocol import BadRequest, ChatRequest, chat_response, parse_chat_request, reply_content, usage

DEFAULT_MAX_PENDING = 8


class Admission:
    """At most `limit` requests running or queued for the engine; the rest are refused."""

    def __init__(self, limit: int):
        self.limit = limit
        self._count = 0
        self._lock = threading.Lock()

    def enter(self) -> bool:
        with self._lock:
            if self._count >= self.limit:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._count -= 1

    def in_flight(self) -> int:
        with self._lock:
            return self._count


class ServingServer(ThreadingHTTPServer):
    daemon_threads = True
    router: Router
    admission: Admission


def make_server(
    router: Router, guard: Any, host: str = "127.0.0.1", port: int = 8000, max_pending: int = DEFAULT_MAX_PENDING
) -> ServingServer:
    """`guard`: forge.api.limits.Guard (authorize, max_body_bytes, max_prompt_chars,
    body_length, prompt_chars) — passed in, so this layer does not import the API edge."""
    pending = Admission(max_pending)

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

        def _error(self, status: int, message: str, kind: str = "invalid_request_error", **headers: str) -> None:
            self._send(status, {"error": {"message": message, "type": kind}}, headers)

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
                engine = router.engine
                return self._send(200, {"status": "ok", "model": router.name, "engine": engine.kind})
            if not self._allowed():
                return None
            if self.path == "/v1/models":
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "forge"} for m in router.model_ids()]
                return self._send(200, {"object": "list", "data": data})
            self._error(404, f"no route {self.path}; use POST /v1/chat/completions")

        def do_POST(self) -> None:
            if not self._allowed():
                return None
            if self.path != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}; use POST /v1/chat/completions")
            try:
                length = guard.body_length(
                    self.headers.get("Transfer-Encoding"), self.headers.get_all("Content-Length")
                )
            except ForgeError as e:
                self.close_connection = True  # the body, if any, is never read
                return self._error(getattr(e, "status", 400), str(e))
            try:
                req = parse_chat_request(json.loads(self.rfile.read(length) or b"null"))
                if guard.prompt_chars(req.messages) > guard.max_prompt_chars:
                    raise BadRequest(f"'messages': the prompt is over {guard.max_prompt_chars} characters")
                route = router.route(req.model, req.adapters)
            except json.JSONDecodeError as e:
                return self._error(400, f"the body is not JSON: {e.msg} at char {e.pos}")
            except UnknownModel as e:
                return self._error(404, str(e), "model_not_found")
            except ForgeError as e:
                return self._error(400, str(e))
            if not pending.enter():
                return self._error(
                    429,
                    f"server busy: {max_pending} requests are already running or queued; retry shortly",
                    "rate_limit_error",
                    **{"Retry-After": "1"},
                )
            left = False

            def leave() -> None:
                # once generation is over, before the reply's last bytes go out: a client that
                # sends its next request as soon as it has this reply must find the slot free
                nonlocal left
                if not left:
                    left = True
                    pending.leave()

            try:
                (self._stream if req.stream else self._complete)(req, route, leave)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away; generation stopped with the failed write
            finally:
                leave()

        def _complete(self, req: ChatRequest, route: Any, leave: Callable[[], None]) -> None:
            from forge.models.tool_calls import get_format, parse_reply

            engine = route.engine
            try:
                done = engine.complete(
                    req.messages, req.tools, req.max_tokens, route.adapters, tool_choice=req.tool_choice
                )
            except ForgeError as e:
                leave()
                return self._error(400, str(e))
            leave()
            parsed = parse_reply(done.text, fmt=engine.tool_format, tools=req.tools)
            content = reply_content(done.text, parsed, get_format(engine.tool_format).ends)
            counts = usage(done.prompt_tokens, done.completion_tokens)
            name = req.model or router.name
            self._send(
                200, chat_response(name, content, parsed.calls, finish_reason=done.finish_reason, usage_counts=counts)
            )

        def _stream(self, req: ChatRequest, route: Any, leave: Callable[[], None]) -> None:
            from forge.models.tool_calls import get_format, parse_reply

            engine = route.engine
            spec = get_format(engine.tool_format)
            maker = ChunkMaker(req.model or router.name, include_usage=req.include_usage)
            splitter = ContentSplitter(spec.call_start, spec.ends, spec.name)
            started = False

            def write(obj: dict[str, Any] | bytes) -> None:
                nonlocal started
                if not started:  # headers go out with the first chunk: earlier errors stay plain 400s
                    started = True
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    self.wfile.write(sse(maker.role()))
                self.wfile.write(obj if isinstance(obj, bytes) else sse(obj))
                self.wfile.flush()

            def on_text(piece: str) -> None:
                if text := splitter.feed(piece):
                    write(maker.content(text))

            try:
                done = engine.complete(
                    req.messages, req.tools, req.max_tokens, route.adapters, on_text, tool_choice=req.tool_choice
                )
            except ForgeError as e:
                leave()
                if not started:
                    return self._error(400, str(e))
                write({"error": {"message": str(e), "type": "server_error"}})
                return write(DONE)
            leave()
            parsed = parse_reply(done.text, fmt=spec.name, tools=req.tools)
            if rest := splitter.finish(reply_content(done.text, parsed, spec.ends)):
                write(maker.content(rest))
            for chunk in maker.tool_calls(parsed.calls):
                write(chunk)
            write(maker.finish("tool_calls" if parsed.calls else done.finish_reason))
            if req.include_usage:
                write(maker.usage(usage(done.prompt_tokens, done.completion_tokens)))
            write(DONE)

    server = ServingServer((host, port), Handler)
    server.router, server.admission = router, pending
    return server
