"""The MCP HTTP endpoint's guard in-process (the real streamable-HTTP app behind McpAuth and the
body limit; tests/integration/test_mcp_server.py runs the SDK's client against a subprocess
with a token): tokens off loopback, write tools need a write token on any bind."""

from __future__ import annotations

import json

from starlette.testclient import TestClient

from forge.mcp_server import http_app, scope_needed

HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


def call(tool, **args):
    return {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": tool, "arguments": args}}


def test_scope_needed_reads_the_json_rpc_body():
    assert scope_needed(json.dumps(INIT).encode()) == "read"
    assert scope_needed(json.dumps(call("list_models")).encode()) == "read"
    assert scope_needed(json.dumps(call("model_drift", name="p")).encode()) == "read"
    assert scope_needed(json.dumps(call("model_drift", name="p", retrain=True)).encode()) == "write"
    assert scope_needed(json.dumps(call("initiate_model_forge")).encode()) == "write"
    assert scope_needed(json.dumps(call("a_tool_added_later")).encode()) == "write"  # default: write
    assert scope_needed(json.dumps([call("list_models"), call("deploy_model")]).encode()) == "write"
    assert scope_needed(b"{not json") == "read"


def test_off_loopback_every_request_needs_a_token(forge):
    with TestClient(http_app("0.0.0.0", forge=forge), base_url="http://localhost") as c:
        r = c.post("/mcp", json=INIT, headers=HEADERS)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert "not bound to loopback" in r.json()["error"]["message"]
        token = forge.create_token("agent", "read", actor="t")["token"]
        r = c.post("/mcp", json=INIT, headers={**HEADERS, "Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
        r = c.post("/mcp", json=call("initiate_model_forge"), headers={**HEADERS, "Authorization": f"Bearer {token}"})
        assert r.status_code == 403 and "this needs write" in r.json()["error"]["message"]


def test_on_loopback_reads_are_open_and_write_tools_need_a_write_token(forge):
    with TestClient(http_app("127.0.0.1", forge=forge), base_url="http://127.0.0.1:8765") as c:
        r = c.post("/mcp", json=INIT, headers=HEADERS)
        assert r.status_code == 200, r.text
        r = c.post("/mcp", json=call("deploy_model", name="p", target="rig"), headers=HEADERS)
        assert r.status_code == 401 and "needs scope write" in r.json()["error"]["message"]
        write = forge.create_token("agent", "write", actor="t")["token"]
        r = c.post(
            "/mcp",
            json=call("deploy_model", name="p", target="rig"),
            headers={**HEADERS, "Authorization": f"Bearer {write}"},
        )
        assert r.status_code not in (401, 403)  # past the guard (the transport then wants a session)
        r = c.post("/mcp", content=b"x" * (2 * 1024 * 1024), headers={**HEADERS, "Authorization": f"Bearer {write}"})
        assert r.status_code == 413
