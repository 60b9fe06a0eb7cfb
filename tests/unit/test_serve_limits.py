"""`forge serve`'s guard over a real socket: a bearer token off loopback (the facade's rule),
a Content-Length on every body (no chunked or unbounded bodies, never -1), a body and a
prompt size limit. The model is a stand-in reply (the real one: test_serve_model.py)."""

from __future__ import annotations

import json
import socket
import threading

import pytest

from forge.api.limits import Guard
from forge.service import Forge
from forge.serving.engine import Router
from forge.serving.http import make_server
from serving_fixed import FixedEngine

BODY = json.dumps({"messages": [{"role": "user", "content": "hi"}]}).encode()


def _raw(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _post(port: int, headers: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    return _raw(port, f"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode() + body)


@pytest.fixture
def served(forge_home):
    forge = Forge()
    seen = []

    engine = FixedEngine("ok", seen)

    def start(loopback: bool):
        guard = Guard(
            authorize=lambda h: forge.authorize(h, "read", loopback=loopback), max_body_bytes=4096, max_prompt_chars=100
        )
        server = make_server(Router("polecat-v1", engine), guard, "127.0.0.1", 0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    servers: list = []
    yield forge, start, seen
    for s in servers:
        s.shutdown()
        s.server_close()


def test_bodies_must_declare_a_sane_length(served):
    _, start, seen = served
    port = start(loopback=True)
    status, _, body = _post(port, "Content-Type: application/json\r\nContent-Length: -1\r\n", BODY)
    assert status == 400 and b"non-negative integer" in body
    status, _, body = _post(port, "Transfer-Encoding: chunked\r\n", b"5\r\nhello\r\n0\r\n\r\n")
    assert status == 411 and b"chunked" in body
    status, _, body = _post(port, "Content-Type: application/json\r\n")
    assert status == 411 and b"Content-Length header is required" in body
    status, _, body = _post(port, "Content-Length: 1000000000\r\n", BODY)  # never read
    assert status == 413
    status, _, body = _post(port, "Content-Length: 5\r\nContent-Length: 6\r\n", BODY)
    assert status == 400 and b"conflicting" in body
    long = json.dumps({"messages": [{"role": "user", "content": "x" * 101}]}).encode()
    status, _, body = _post(port, f"Content-Length: {len(long)}\r\n", long)
    assert status == 400 and b"over 100 characters" in body
    assert seen == []  # none of them reached the model
    status, _, body = _post(port, f"Content-Length: {len(BODY)}\r\n", BODY)
    assert status == 200 and json.loads(body)["choices"][0]["message"]["content"] == "ok"


def test_off_loopback_every_request_needs_a_token(served):
    forge, start, seen = served
    port = start(loopback=False)
    status, headers, body = _post(port, f"Content-Length: {len(BODY)}\r\n", BODY)
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")
    assert json.loads(body)["error"]["type"] == "authentication_error"
    status, _, _ = _raw(port, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 401
    status, _, _ = _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")  # liveness stays open
    assert status == 200
    token = forge.create_token("gastown", "read", actor="t")["token"]
    status, _, _ = _post(port, f"Authorization: Bearer {token}\r\nContent-Length: {len(BODY)}\r\n", BODY)
    assert status == 200 and len(seen) == 1
    forge.revoke_token("gastown")
    status, _, _ = _post(port, f"Authorization: Bearer {token}\r\nContent-Length: {len(BODY)}\r\n", BODY)
    assert status == 401
