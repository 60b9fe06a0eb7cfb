"""`forge serve` on both CPU engines (hf, llama.cpp) against the official openai client, with a
tiny model that really calls tools (tests/serving_models.py): non-streaming and streaming
replies with tool calls equal direct greedy generation, usage is counted, an agent loop runs
three turns, task adapters stack by model name or request field, and a swap of what the
served name points to lets a request already in flight finish on the old model."""

from __future__ import annotations

import json
import threading

import pytest

from forge.api.limits import Guard
from forge.settings import Settings
from helpers import llama_cpp_or_skip
from serving_models import ASK, CALLS, GREETING, HELLO, RESULTS, TOOLS, call_of, tool_model_and_adapters

pytestmark = pytest.mark.slow
ENGINES = ["hf", "llama.cpp"]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from forge.export.gguf_writer import write_gguf

    model, adapters = tool_model_and_adapters()
    gguf = tmp_path_factory.mktemp("gguf") / "tools-f32.gguf"
    write_gguf(model, gguf, "f32")
    return model, adapters, gguf


@pytest.fixture(scope="module")
def servers(models, tmp_path_factory):
    """One server per engine, started once for the module (in-process, real sockets)."""
    from forge.service import Forge

    model, adapters, gguf = models
    forge = Forge(Settings(home=tmp_path_factory.mktemp("home")).ensure())
    started = {}
    for engine in ENGINES:
        if engine == "llama.cpp":
            try:
                llama_cpp_or_skip()
            except pytest.skip.Exception:
                continue
        names = [str(p) for p in adapters.values()]  # llama.cpp: converted to GGUF LoRA on start
        server = forge.serve_app(
            str(gguf if engine == "llama.cpp" else model), names, engine=engine, port=0, guard=Guard()
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started[engine] = server
    yield started
    for server in started.values():
        server.shutdown()
        server.server_close()


@pytest.fixture(params=ENGINES)
def served(request, servers):
    from openai import OpenAI

    if request.param not in servers:
        llama_cpp_or_skip()
    server = servers[request.param]
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="local", max_retries=0)
    return request.param, server, client


def direct(engine, models, messages, tools, adapters=(), max_new_tokens=48):
    """The same prompt through `forge infer`'s paths, without the server."""
    from forge.export.infer import infer_gguf, infer_hf

    model, all_adapters, gguf = models
    if engine == "llama.cpp":
        return infer_gguf(gguf, messages, tools, max_new_tokens)
    return infer_hf(str(model), [str(all_adapters[a]) for a in adapters], messages, tools, max_new_tokens)


def collect(stream):
    """Content, tool calls (assembled from their deltas), finish reason and usage of a stream."""
    content, calls, finish, usage, roles = "", {}, None, None, []
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.role:
                roles.append(delta.role)
            content += delta.content or ""
            for tc in delta.tool_calls or []:
                slot = calls.setdefault(tc.index, {"id": None, "name": "", "arguments": ""})
                slot["id"] = tc.id or slot["id"]
                slot["name"] += (tc.function.name or "") if tc.function else ""
                slot["arguments"] += (tc.function.arguments or "") if tc.function else ""
            finish = choice.finish_reason or finish
    return content, [calls[i] for i in sorted(calls)], finish, usage, roles


def test_non_streaming_tool_call_equals_direct_generation(served, models):
    engine, server, client = served
    out = client.chat.completions.create(model=server.router.name, messages=ASK, tools=TOOLS, max_tokens=48)
    expected = call_of(direct(engine, models, ASK, TOOLS))
    choice = out.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == (expected["name"], expected["arguments"])
    assert (call.function.name, json.loads(call.function.arguments)) == CALLS[0]  # the model learnt it
    assert out.usage.prompt_tokens > 50 and out.usage.completion_tokens > 5
    assert out.usage.total_tokens == out.usage.prompt_tokens + out.usage.completion_tokens


def test_streaming_sends_tool_call_deltas_and_usage(served, models):
    _engine, server, client = served
    plain = client.chat.completions.create(model=server.router.name, messages=ASK, tools=TOOLS, max_tokens=48)
    stream = client.chat.completions.create(
        model=server.router.name,
        messages=ASK,
        tools=TOOLS,
        max_tokens=48,
        stream=True,
        stream_options={"include_usage": True},
    )
    content, calls, finish, usage, roles = collect(stream)
    assert roles == ["assistant"] and finish == "tool_calls" and not content
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] == [CALLS[0]]
    assert calls[0]["id"]
    assert usage.model_dump() == plain.usage.model_dump()


def test_streaming_content_equals_direct_generation(served, models):
    engine, server, client = served
    chunks = list(client.chat.completions.create(model=server.router.name, messages=GREETING, stream=True))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert "".join(pieces) == direct(engine, models, GREETING, []) == HELLO
    assert len(pieces) > 3  # it streamed, not one block at the end
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_agent_loop_runs_three_turns(served):
    """Call a tool, send its result back, get the next call: create → show → close."""
    _engine, server, client = served
    messages = list(ASK)
    names = []
    for turn in range(3):
        stream = client.chat.completions.create(
            model=server.router.name, messages=messages, tools=TOOLS, max_tokens=48, stream=True
        )
        _, calls, finish, _, _ = collect(stream)
        assert finish == "tool_calls", f"turn {turn}"
        call = calls[0]
        names.append(call["name"])
        assert json.loads(call["arguments"]) == CALLS[turn][1]
        tool_call = {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]},
        }
        messages.append({"role": "assistant", "content": None, "tool_calls": [tool_call]})
        if turn < 2:
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": RESULTS[turn]})
    assert names == ["bd_create", "bd_show", "bd_close"]


def test_stacked_task_adapters_by_model_name_or_field(served, models):
    from openai import NotFoundError

    engine, server, client = served
    name = server.router.name
    assert [m.id for m in client.models.list()] == [name, f"{name}+bead-create", f"{name}+bead-title"]

    def title(**kw):
        out = client.chat.completions.create(messages=ASK, tools=TOOLS, max_tokens=48, **kw)
        return json.loads(out.choices[0].message.tool_calls[0].function.arguments)["title"]

    role_only = title(model=name)
    by_name = title(model=f"{name}+bead-create")
    by_field = title(model=name, extra_body={"adapters": ["bead-title"]})
    assert role_only == "Fix login" and by_name == "Fix login page" and by_field == "Login bug"
    if engine == "hf":
        assert by_name == call_of(direct("hf", models, ASK, TOOLS, ["bead-create"]))["arguments"]["title"]
    assert title(model=name) == role_only  # the adapters are off again
    with pytest.raises(NotFoundError, match="bead-nope"):
        title(model=f"{name}+bead-nope")


def test_swap_keeps_in_flight_requests_on_the_old_model(models):
    """Deploy/rollback point the served name at another engine; a stream routed before the
    swap finishes on the model it started with, the next request gets the new one."""
    from openai import OpenAI

    from forge.serving.engine import Router
    from forge.serving.hf import HFEngine
    from forge.serving.http import make_server

    model, adapters, _ = models
    old = HFEngine(str(model), [], {})
    new = HFEngine(str(model), [str(adapters["bead-create"])], {})  # the next version: another role adapter
    server = make_server(Router("polecat", old), Guard(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="local", max_retries=0)
    result = {}

    def stream():
        s = client.chat.completions.create(model="polecat", messages=ASK, tools=TOOLS, max_tokens=48, stream=True)
        result["calls"] = collect(s)[1]

    try:
        old.lock.acquire()  # the old engine is mid-generation: the stream below waits on it
        worker = threading.Thread(target=stream)
        worker.start()
        while server.admission.in_flight() < 1:
            worker.join(0.01)
        assert server.router.swap(new) is old
        old.lock.release()
        worker.join(60)
        assert json.loads(result["calls"][0]["arguments"]) == {"title": "Fix login"}  # the old model
        out = client.chat.completions.create(model="polecat", messages=ASK, tools=TOOLS, max_tokens=48)
        assert json.loads(out.choices[0].message.tool_calls[0].function.arguments) == {"title": "Fix login page"}
    finally:
        if old.lock.locked():
            old.lock.release()
        server.shutdown()
        server.server_close()


def test_a_prompt_past_the_context_is_a_clear_400(served):
    from openai import BadRequestError

    _, server, client = served
    for stream in (False, True):
        with pytest.raises(BadRequestError, match="exceeds the model's context"):
            out = client.chat.completions.create(
                model=server.router.name, messages=ASK, tools=TOOLS, max_tokens=8000, stream=stream
            )
            list(out) if stream else None
