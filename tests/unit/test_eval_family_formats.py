"""A model that answers in its own tool-call format is scored on its calls.

The reply is what each family's real template writes for the expected call (rendered through
the Hub template, as the model was trained to answer); the evaluate stage sets the format from
the model's template (`reply_format(parser_for(tokenizer))`). Read in Forge's own format the
same reply scores 0 — the failure this replaces.
"""

from __future__ import annotations

import json

import pytest

from forge.evaluate.gastown_actions import reply_calls
from forge.evaluate.report import score_reply
from forge.evaluate.suite import EvalPrompt
from forge.models.templates import render
from forge.models.tool_calls import parser_for, reply_format, reply_part
from real_models import llama_models_dir

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "bd_create",
            "description": "Create a bead.",
            "parameters": {
                "type": "object",
                "required": ["title", "priority"],
                "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}},
            },
        },
    }
]
EXPECTED = [{"name": "bd_create", "arguments": {"title": "Fix login", "priority": 1}}]
TEMPLATES = [
    "Qwen-Qwen2.5-7B-Instruct",
    "meta-llama-Llama-3.1-8B-Instruct",
    "Qwen3-Coder",
    "mistralai-Mistral-Nemo-Instruct-2407",
    "Mistral-Small-3.2-24B-Instruct-2506",
    "google-gemma-4-31B-it",
    "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
]


def _prompt() -> EvalPrompt:
    return EvalPrompt(
        id="p1",
        task="bead-creation",
        agent_role="mayor",
        tools=TOOLS,
        messages=[{"role": "user", "content": "File a bead: Fix login, priority 1."}],
        expected=EXPECTED,
        checks=["tool_call_validity", "tool_choice", "argument_match"],
    )


def _reply(template: str, prompt: EvalPrompt) -> str:
    answer = {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "call12345", "type": "function", "function": EXPECTED[0]}],
    }
    full = render(template, prompt.messages + [answer], TOOLS, bos_token="<s>", eos_token="</s>")
    asked = render(template, prompt.messages, TOOLS, add_generation_prompt=True, bos_token="<s>", eos_token="</s>")
    return reply_part(full, asked)


@pytest.mark.parametrize("name", TEMPLATES)
def test_own_format_reply_passes_every_check(name):
    template = (llama_models_dir() / "templates" / f"{name}.jinja").read_text(encoding="utf-8")
    prompt = _prompt()
    reply = _reply(template, prompt)
    fmt = parser_for(template)
    with reply_format(fmt):
        sample = score_reply(prompt, reply)
        assert [(c.name, c.arguments) for c in reply_calls(reply)] == [("bd_create", EXPECTED[0]["arguments"])]
    assert sample["passed"], json.dumps(sample["checks"], indent=1)
    assert sample["argument_match"] == 1.0
    if fmt != "hermes":  # read as Forge's own <tool_call> format, the same reply scores nothing
        assert not score_reply(prompt, reply)["passed"]
