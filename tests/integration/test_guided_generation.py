"""Guided tool calls end to end on a model that really calls tools: the Qwen2.5-family tool model
of the serving tests (real tokenizer and chat template, fine-tuned on CPU to create, show and
close a bead; tests/serving_models.py), in transformers and, exported to GGUF, in llama.cpp.
Offered the tools it learned, guidance changes nothing; offered tools it did not learn (one it
never saw required, or its habitual tool withdrawn), its free replies are not valid calls and its
guided ones are — through `generate`, `forge eval --guided`, `forge infer --mode gguf` and the
served OpenAI API of both engines (with the official client)."""

from __future__ import annotations

import copy
import json
import threading
from typing import Any

import pytest

from forge.evaluate.schema import check_object
from forge.models.tool_calls import parse_reply
from forge.models.tool_formats import schemas_by_name
from helpers import llama_cpp_or_skip
from serving_models import ASK, GREETING, TOOLS, episode, tool_model_and_adapters

# Budget far above the replies, and each reply is checked to end before it, so none is judged as
# cut at the limit. Out of its training (another schema in the prompt) the model fills a string
# with whatever it likes until it picks the closing quote; here that takes 34 and 45 tokens. With
# every logit perturbed by 1e-3 of their mean size (about 1000x the rounding that differs between
# CPUs), 15 seeds of 15 gave those same replies; at 3e-2 they took 29-321 tokens, all valid.
BUDGET = 400


def _need_priority() -> list[dict[str, Any]]:
    """bd_create as trained, but `priority` (an integer 0-4, never seen) is required too."""
    tools = copy.deepcopy(TOOLS)
    params = tools[0]["function"]["parameters"]
    params["properties"]["priority"] = {"type": "integer", "minimum": 0, "maximum": 4}
    params["required"] = ["title", "priority"]
    return tools


def _valid(reply: str, tools: list[dict[str, Any]]) -> bool:
    """One call or more, all parsed, each to an offered tool with arguments its schema accepts."""
    parsed = parse_reply(reply, fmt="hermes", tools=tools)
    schemas = schemas_by_name(tools)
    return (
        bool(parsed.calls)
        and not parsed.errors
        and all(c["name"] in schemas and not check_object(c["arguments"], schemas[c["name"]]) for c in parsed.calls)
    )


@pytest.fixture(scope="module")
def tool_model():
    from forge.models.loading import load_model

    model_dir, _ = tool_model_and_adapters()
    model, tokenizer = load_model(str(model_dir))
    return model_dir, model, tokenizer


def _reply(tool_model, messages, tools, guided):
    from forge.models.loading import generate

    _, model, tokenizer = tool_model
    reply = generate(model, tokenizer, [messages], [tools], max_new_tokens=BUDGET, guided=guided)[0]
    assert len(tokenizer(reply, add_special_tokens=False)["input_ids"]) < BUDGET, reply
    return reply


def test_guidance_leaves_the_learned_calls_as_they_are(tool_model):
    # greedy decoding under the grammar picks the same token whenever the free choice is allowed
    for turns in range(3):
        free = _reply(tool_model, episode(turns), TOOLS, guided=False)
        assert _valid(free, TOOLS), free
        assert _reply(tool_model, episode(turns), TOOLS, guided=True) == free


@pytest.mark.parametrize("tools", [_need_priority(), TOOLS[1:]], ids=["new-required-key", "tool-withdrawn"])
def test_guided_replies_call_only_what_is_offered(tool_model, tools):
    free = _reply(tool_model, ASK, tools, guided=False)
    assert not _valid(free, tools), free  # it writes bd_create {"title": ...} as it learned
    guided = _reply(tool_model, ASK, tools, guided=True)
    assert _valid(guided, tools), guided


def test_forge_eval_guided_scores_the_guided_replies(tool_model, forge, tmp_path):
    model_dir = tool_model[0]
    suite = tmp_path / "suite.jsonl"
    rows = [
        {"id": "prio", "messages": ASK, "tools": _need_priority(), "expected": [{"name": "bd_create"}]},
        {"id": "show", "messages": episode(1), "tools": TOOLS, "expected": [{"name": "bd_show"}]},
    ]
    suite.write_text("".join(json.dumps({**r, "checks": ["tool_call_validity"]}) + "\n" for r in rows))
    free = forge.evaluate(str(model_dir), suite=str(suite), options={"max_new_tokens": BUDGET})
    guided = forge.evaluate(str(model_dir), suite=str(suite), options={"max_new_tokens": BUDGET, "guided": True})
    assert (free["decoding"], guided["decoding"]) == ("free", "guided")
    assert free["report_id"] != guided["report_id"]  # a guided score is never read back as a free one
    validity = {r["category"]: r["candidate"] for r in guided["categories"]}["tool_call_validity"]
    assert validity == 1.0
    assert {r["category"]: r["candidate"] for r in free["categories"]}["tool_call_validity"] == 0.5


@pytest.fixture(scope="module")
def gguf(tool_model, tmp_path_factory):
    from forge.export.gguf_writer import write_gguf

    llama_cpp_or_skip()
    path = tmp_path_factory.mktemp("gguf") / "tools-f32.gguf"
    write_gguf(tool_model[0], path, "f32")
    return path


def test_llama_cpp_guides_like_transformers(gguf):
    from forge.serving.llama import LlamaEngine

    free, guided = LlamaEngine(gguf), LlamaEngine(gguf, guided=True)
    try:
        for messages, tools in ((episode(1), TOOLS), (ASK, _need_priority()), (ASK, TOOLS[1:])):
            loose = free.complete(messages, tools, BUDGET, []).text
            held = guided.complete(messages, tools, BUDGET, [])
            assert held.finish_reason == "stop" and _valid(held.text, tools), held.text
            if tools is TOOLS:
                assert held.text == loose  # a learned call is left as it is
            else:
                assert not _valid(loose, tools), loose
    finally:
        free.close()
        guided.close()


def test_forge_infer_gguf_guided(gguf):
    from forge.export.infer import infer_gguf

    tools = _need_priority()
    assert not _valid(infer_gguf(gguf, ASK, tools, BUDGET), tools)
    assert _valid(infer_gguf(gguf, ASK, tools, BUDGET, guided=True), tools)


@pytest.mark.parametrize("engine", ["hf", "llama.cpp"])
def test_the_served_api_guides_each_request_by_its_own_tools(tool_model, engine, request):
    from openai import OpenAI

    from forge.api.limits import Guard
    from forge.serving.engine import Router
    from forge.serving.hf import HFEngine
    from forge.serving.http import make_server

    if engine == "llama.cpp":
        from forge.serving.llama import LlamaEngine

        served: Any = LlamaEngine(request.getfixturevalue("gguf"), guided=True)
    else:
        served = HFEngine(str(tool_model[0]), [], {}, guided=True)
    server = make_server(Router("polecat", served), Guard(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="local", max_retries=0)
    try:
        tools = _need_priority()
        out = client.chat.completions.create(model="polecat", messages=ASK, tools=tools, max_tokens=BUDGET)
        call = out.choices[0].message.tool_calls[0].function
        args = json.loads(call.arguments)
        # (the new schema in the prompt puts the tiny model off its learned title; the call holds)
        assert call.name == "bd_create" and isinstance(args["title"], str) and args["priority"] in range(5)
        # the learned request, with the learned tools: the same call as unguided serving gives
        out = client.chat.completions.create(model="polecat", messages=episode(1), tools=TOOLS, max_tokens=BUDGET)
        assert json.loads(out.choices[0].message.tool_calls[0].function.arguments) == {"id": "gt-1"}
    finally:
        server.shutdown()
        server.server_close()
        served.close()


@pytest.mark.parametrize("engine", ["hf", "llama.cpp"])
def test_tool_choice_is_honoured_without_guided_serving(tool_model, engine, request):
    """A server started without --guided still honours a request's tool_choice (OpenAI's
    semantics), by guiding that one request."""
    from openai import OpenAI

    from forge.api.limits import Guard
    from forge.serving.engine import Router
    from forge.serving.hf import HFEngine
    from forge.serving.http import make_server

    if engine == "llama.cpp":
        from forge.serving.llama import LlamaEngine

        served: Any = LlamaEngine(request.getfixturevalue("gguf"))
    else:
        served = HFEngine(str(tool_model[0]), [], {})
    server = make_server(Router("polecat", served), Guard(), "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="local", max_retries=0)

    def ask(messages, choice, max_tokens=BUDGET):
        out = client.chat.completions.create(
            model="polecat", messages=messages, tools=TOOLS, tool_choice=choice, max_tokens=max_tokens
        )
        return out.choices[0]

    try:
        # left to the model, it creates the bead (as it learned); named, it must show it
        assert ask(ASK, "auto").message.tool_calls[0].function.name == "bd_create"
        named = ask(ASK, {"type": "function", "function": {"name": "bd_show"}})
        assert named.finish_reason == "tool_calls"
        assert {c.function.name for c in named.message.tool_calls} == {"bd_show"}
        # "none": no call at all, where the model would make one (held off its call, it writes
        # whatever text it likes, and may run to the limit: 64 tokens are enough to show it)
        none = ask(ASK, "none", max_tokens=64)
        assert not none.message.tool_calls and none.finish_reason in ("stop", "length")
        assert "<tool_call>" not in (none.message.content or "")
        # "required" on the greeting it learned to answer in text (offered tools it never had
        # there, it starts a call it cannot finish): a well-formed call
        required = ask(GREETING, "required")
        assert required.finish_reason == "tool_calls" and required.message.tool_calls[0].function.name in {
            t["function"]["name"] for t in TOOLS
        }
    finally:
        server.shutdown()
        server.server_close()
        served.close()
