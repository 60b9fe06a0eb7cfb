"""forge serve's pure parts — request parsing, the response and the stream's chunk shapes,
the content/tool-call split of a streamed reply in each family's format — and the HTTP layer
with a fixed-reply engine (routing, /v1/models, 404/429). Real generation is tested with the
official openai client in tests/integration/test_serving_openai.py."""

import json
import re
import threading
import time
import urllib.error
import urllib.request

import pytest

from forge.api.limits import Guard
from forge.models.tool_calls import get_format, parse_reply
from forge.serving.chunks import ChunkMaker, ContentSplitter
from forge.serving.engine import Router
from forge.serving.http import make_server
from forge.serving.protocol import BadRequest, chat_response, parse_chat_request, reply_content
from serving_fixed import FixedEngine

TOOL = {"type": "function", "function": {"name": "mcp__beads__create", "parameters": {"type": "object"}}}
USER = [{"role": "user", "content": "hi"}]


def test_parse_accepts_openai_body_and_names_bad_fields():
    req = parse_chat_request(
        {"messages": USER, "tools": [TOOL], "max_tokens": 5, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert req.max_tokens == 5 and req.tools == [TOOL] and req.stream and req.include_usage
    for body, field in [
        ({}, "'messages'"),
        ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"messages": USER, "tools": [{}]}, "'tools'"),
        ({"messages": USER, "max_tokens": 0}, "'max_tokens'"),
        ({"messages": USER, "adapters": "bead-create"}, "'adapters'"),
        ({"messages": USER, "stream_options": "yes"}, "'stream_options'"),
    ]:
        with pytest.raises(BadRequest, match=re.escape(field)):
            parse_chat_request(body)


def test_tool_choice_is_read_as_openai_defines_it():
    from forge.models.guided import AUTO, ToolChoice

    def choice(value, tools=(TOOL,)):
        body = {"messages": USER, "tools": list(tools), **({"tool_choice": value} if value is not None else {})}
        return parse_chat_request(body).tool_choice

    assert choice(None) == choice("auto") == AUTO
    assert choice("none") == ToolChoice("none") and choice("required") == ToolChoice("required")
    named = {"type": "function", "function": {"name": "mcp__beads__create"}}
    assert choice(named) == ToolChoice("required", "mcp__beads__create")
    for value, tools, why in [
        ({"type": "function", "function": {"name": "Bash"}}, [TOOL], "does not offer"),
        ("required", [], "offers none"),
        ("sometimes", [TOOL], "'tool_choice'"),
        ({"type": "function"}, [TOOL], "'tool_choice'"),
    ]:
        with pytest.raises(BadRequest, match=re.escape(why)):
            choice(value, tools)


def test_arguments_sent_as_json_strings_reach_the_template_as_objects():
    call = {"id": "c1", "type": "function", "function": {"name": "Bash", "arguments": '{"command": "ls"}'}}
    req = parse_chat_request({"messages": [*USER, {"role": "assistant", "content": None, "tool_calls": [call]}]})
    assert req.messages[1]["tool_calls"][0]["function"]["arguments"] == {"command": "ls"}
    assert req.messages[1]["content"] == ""


def test_response_turns_parsed_calls_into_openai_tool_calls():
    reply = 'On it.<tool_call>\n{"name": "mcp__beads__create", "arguments": {"title": "Fix login"}}\n</tool_call>'
    parsed = parse_reply(reply, fmt="hermes")
    out = chat_response("polecat-v1", parsed.content, parsed.calls, usage_counts={"prompt_tokens": 1})
    choice = out["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and out["usage"] == {"prompt_tokens": 1}
    call = choice["message"]["tool_calls"][0]
    assert call["function"]["name"] == "mcp__beads__create" and re.fullmatch(r"[0-9a-f]{9}", call["id"])
    assert json.loads(call["function"]["arguments"]) == {"title": "Fix login"}
    assert choice["message"]["content"] == "On it."
    broken = '<tool_call>\n{"name": "Bash", "arg\n</tool_call>'
    parsed = parse_reply(broken, fmt="hermes")
    assert '"name": "Bash"' in reply_content(broken, parsed, get_format("hermes").ends)


def _split(pieces, fmt):
    spec = get_format(fmt)
    splitter = ContentSplitter(spec.call_start, spec.ends, fmt)
    streamed = "".join(splitter.feed(p) for p in pieces)
    text = "".join(pieces)
    parsed = parse_reply(text, fmt=fmt)
    return streamed + splitter.finish(reply_content(text, parsed, spec.ends)), parsed


@pytest.mark.parametrize(
    "fmt, reply",
    [
        ("hermes", 'Let me look.\n<tool_call>\n{"name": "bd_show", "arguments": {"id": "gt-1"}}\n</tool_call>'),
        ("llama3", '{"name": "bd_show", "parameters": {"id": "gt-1"}}'),
        ("mistral", 'Checking.[TOOL_CALLS][{"name": "bd_show", "arguments": {"id": "gt-1"}}]'),
        ("gemma4", 'Checking.<|tool_call>call:bd_show{id:<|"|>gt-1<|"|>}<tool_call|>'),
        ("hermes", "Just words, no call at all."),
    ],
)
def test_streamed_content_stops_where_the_families_call_opens(fmt, reply):
    """Fed a few characters at a time, the content streamed is the non-streamed content; no
    piece of the call's markup leaks into it."""
    pieces = [reply[i : i + 3] for i in range(0, len(reply), 3)]
    streamed, parsed = _split(pieces, fmt)
    assert streamed == parsed.content
    assert "bd_show" not in streamed and "<" not in streamed and "[" not in streamed


def test_chunks_have_openais_stream_shape():
    maker = ChunkMaker("polecat", include_usage=True)
    role, text = maker.role(), maker.content("hi")
    assert role["object"] == "chat.completion.chunk" and role["choices"][0]["delta"]["role"] == "assistant"
    assert text["choices"][0]["delta"] == {"content": "hi"} and text["usage"] is None
    head, args = maker.tool_calls([{"name": "bd_show", "arguments": {"id": "gt-1"}}])
    assert head["choices"][0]["delta"]["tool_calls"][0]["function"] == {"name": "bd_show", "arguments": ""}
    assert json.loads(args["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]) == {"id": "gt-1"}
    assert maker.finish("tool_calls")["choices"][0]["finish_reason"] == "tool_calls"
    assert maker.usage({"total_tokens": 3}) | {"choices": []} == maker.usage({"total_tokens": 3})


def _request(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def server():
    engine = FixedEngine('<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}}\n</tool_call>', adapters=["t1"])
    srv = make_server(Router("polecat", engine), Guard(), "127.0.0.1", 0, max_pending=1)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv, engine, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_models_routes_and_unknown_names(server):
    _srv, engine, base = server
    status, out = _request(base + "/v1/models")
    assert [m["id"] for m in out["data"]] == ["polecat", "polecat+t1"]
    status, out = _request(base + "/v1/chat/completions", {"model": "polecat+t1", "messages": USER})
    assert status == 200 and engine.seen[-1][3] == ["t1"]
    assert out["usage"] == {"prompt_tokens": 3, "completion_tokens": 7, "total_tokens": 10}
    status, out = _request(base + "/v1/chat/completions", {"model": "polecat", "messages": USER, "adapters": ["t1"]})
    assert status == 200 and engine.seen[-1][3] == ["t1"]
    status, out = _request(base + "/v1/chat/completions", {"model": "mayor", "messages": USER})
    assert status == 404 and "polecat+t1" in out["error"]["message"]
    status, out = _request(base + "/v1/chat/completions", {"model": "polecat+nope", "messages": USER})
    assert status == 404 and "'nope'" in out["error"]["message"]


def test_a_reply_is_sent_after_its_slot_is_free(server):
    """With room for one request, a client that asks again as soon as it has a reply is served:
    the slot is given back when generation ends, before the reply's last bytes go out (it was
    given back after them, and a quick client got a 429 now and then). Giving it back is made
    slow here: done after the reply, the count is still 1 when the client has read it."""
    srv, _engine, base = server
    give_back = srv.admission.leave

    def slow_leave():  # a server thread held up while it gives the slot back
        time.sleep(0.2)
        give_back()

    srv.admission.leave = slow_leave
    for stream in (False, True, False, True):
        body = json.dumps({"messages": USER, "stream": stream}).encode()
        req = urllib.request.Request(base + "/v1/chat/completions", data=body)
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200 and r.read()  # the whole reply (a stream up to [DONE])
        assert srv.admission.in_flight() == 0


def test_a_full_queue_answers_429(server):
    srv, engine, base = server
    engine.lock.acquire()  # the engine is busy: the first request waits in the queue
    first = threading.Thread(target=_request, args=(base + "/v1/chat/completions", {"messages": USER}))
    first.start()
    try:
        while srv.admission.in_flight() < 1:
            first.join(0.01)
        status, out = _request(base + "/v1/chat/completions", {"messages": USER})
        assert status == 429 and out["error"]["type"] == "rate_limit_error" and "busy" in out["error"]["message"]
    finally:
        engine.lock.release()
        first.join(10)
    status, _ = _request(base + "/v1/chat/completions", {"messages": USER})
    assert status == 200
