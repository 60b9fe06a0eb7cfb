"""forge serve: the pure request/response translation and the HTTP layer, with a stand-in
generate function (a fixed reply string; the real model path is tested in
tests/integration/test_serve_model.py)."""

import json
import re
import threading
import urllib.error
import urllib.request

import pytest

from forge.serve import BadRequest, chat_response, make_server, parse_chat_request

TOOL = {"type": "function", "function": {"name": "mcp__beads__create", "parameters": {"type": "object"}}}


def test_parse_accepts_openai_body_and_names_bad_fields():
    req = parse_chat_request({"messages": [{"role": "user", "content": "hi"}], "tools": [TOOL], "max_tokens": 5})
    assert req.max_tokens == 5 and req.tools == [TOOL]
    for body, field in [
        ({}, "'messages'"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": "x"}], "tools": [{}]}, "'tools'"),
        ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "'max_tokens'"),
        ({"messages": [{"role": "user", "content": "x"}], "stream": True}, "'stream'"),
    ]:
        with pytest.raises(BadRequest, match=re.escape(field)):
            parse_chat_request(body)


def test_response_turns_tool_call_blocks_into_openai_tool_calls():
    reply = 'On it.<tool_call>\n{"name": "mcp__beads__create", "arguments": {"title": "Fix login"}}\n</tool_call>'
    out = chat_response("polecat-v1", reply, created=1)
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]["function"]
    assert call["name"] == "mcp__beads__create" and json.loads(call["arguments"]) == {"title": "Fix login"}
    assert choice["message"]["content"] == "On it."
    plain = chat_response("m", "Just text.", created=1)["choices"][0]
    assert plain["finish_reason"] == "stop" and "tool_calls" not in plain["message"]
    broken = chat_response("m", '<tool_call>\n{"name": "Bash", "arg\n</tool_call>', created=1)["choices"][0]
    assert "tool_calls" not in broken["message"] and '"name": "Bash"' in broken["message"]["content"]


def _post(url, body):
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_http_endpoint_serves_completions_and_clear_errors():
    seen = []

    def fake_generate(messages, tools, max_tokens):
        seen.append((messages, tools, max_tokens))
        return '<tool_call>\n{"name": "Bash", "arguments": {"command": "git status"}}\n</tool_call>'

    server = make_server("polecat-v1", fake_generate, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(base + "/v1/models", timeout=10) as r:
            assert json.loads(r.read())["data"][0]["id"] == "polecat-v1"
        status, out = _post(
            base + "/v1/chat/completions",
            json.dumps({"messages": [{"role": "user", "content": "status?"}], "tools": [TOOL]}).encode(),
        )
        assert status == 200 and out["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "Bash"
        assert seen[0][1] == [TOOL] and seen[0][2] == 256
        status, out = _post(base + "/v1/chat/completions", b"{not json")
        assert status == 400 and "not JSON" in out["error"]["message"]
        status, out = _post(base + "/v1/chat/completions", json.dumps({"messages": []}).encode())
        assert status == 400 and "'messages'" in out["error"]["message"]
    finally:
        server.shutdown()
        server.server_close()
