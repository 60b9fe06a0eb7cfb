"""Tool calls in each family's own format, read back from text the REAL chat templates render.

Every case renders an assistant turn with tool calls through a Hub model's own template
(llama.cpp's copies, `make llama-models`), takes the assistant's part of the text, and parses
it with the parser `parser_for` picks for that template: the calls must come back exactly.
The family tokenizers go one step further: the assistant's tokens are decoded as generation
decodes them, then parsed.
"""

from __future__ import annotations

import pytest

from forge.models.chat_format import CHAT_TEMPLATE
from forge.models.templates import render
from forge.models.tool_calls import (
    DEFAULT_FORMAT,
    called_names,
    detect_format,
    parse_reply,
    parser_for,
    reply_format,
    reply_part,
)
from forge.models.tool_formats import FORMATS
from real_models import llama_models_dir, real_tokenizer

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "Bash",
            "description": "Run a shell command.",
            "parameters": {
                "type": "object",
                "required": ["command"],
                "properties": {
                    "command": {"type": "string", "description": "The command."},
                    "timeout": {"type": "integer", "description": "Seconds."},
                },
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "bd_create",
            "description": "File a bead.",
            "parameters": {
                "type": "object",
                "required": ["title"],
                "properties": {
                    "title": {"type": "string", "description": "Title."},
                    "priority": {"type": "integer", "description": "0-4."},
                    "labels": {"type": "array", "items": {"type": "string"}, "description": "Labels."},
                    "blocked": {"type": "boolean", "description": "Blocked?"},
                    "meta": {"type": "object", "description": "Extra fields."},
                },
            },
        },
    },
]
CALLS = {
    "plain": [{"name": "Bash", "arguments": {"command": "git status --short", "timeout": 30}}],
    "tricky strings": [
        {"name": "Bash", "arguments": {"command": "grep -n \"a, b}\" src/*.py | head -3\necho 'done' && cd /tmp/ü"}}
    ],
    "nested": [
        {
            "name": "bd_create",
            "arguments": {
                "title": "Fix: login {retries}",
                "priority": 0,
                "labels": ["auth", "p0"],
                "blocked": False,
                "meta": {"owner": "mayor", "estimate": 2.5},
            },
        }
    ],
    "two calls": [
        {"name": "Bash", "arguments": {"command": "ls"}},
        {"name": "bd_create", "arguments": {"title": "Add tests", "priority": 2}},
    ],
}
# Real Hub templates by the format they write (llama.cpp's models/templates).
TEMPLATES = {
    "hermes": [
        "Qwen-Qwen2.5-7B-Instruct",
        "Qwen-Qwen3-0.6B",
        "NousResearch-Hermes-3-Llama-3.1-8B-tool_use",
        "NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use",
        "ibm-granite-granite-4.0",
    ],
    "qwen3_xml": ["Qwen3-Coder", "Qwen3.5-4B"],
    "llama3": [
        "meta-llama-Llama-3.1-8B-Instruct",
        "meta-llama-Llama-3.2-3B-Instruct",
        "meta-llama-Llama-3.3-70B-Instruct",
    ],
    "mistral": [
        "mistralai-Mistral-Nemo-Instruct-2407",
        "Mistral-Small-3.2-24B-Instruct-2506",
        "unsloth-mistral-Devstral-Small-2507",
        "mistralai-Ministral-3-14B-Reasoning-2512",
    ],
    "gemma4": ["google-gemma-4-31B-it", "google-gemma-4-31B-it-interleaved"],
    "deepseek": ["deepseek-ai-DeepSeek-R1-Distill-Qwen-32B"],
}
# Templates that refuse a case: Llama 3.1-3.3 write one call per turn.
SINGLE_CALL = {"llama3"}
CASES = [
    (fmt, name, case)
    for fmt, names in TEMPLATES.items()
    for name in names
    for case in CALLS
    if not (case == "two calls" and fmt in SINGLE_CALL)
]


def _template(name: str) -> str:
    return (llama_models_dir() / "templates" / f"{name}.jinja").read_text(encoding="utf-8")


def _messages(calls, content=""):
    return [
        {"role": "user", "content": "Look at the repository and file the bead."},
        {
            "role": "assistant",
            "content": content,
            "tool_calls": [
                {"id": f"call{i:05d}", "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
                for i, c in enumerate(calls)
            ],
        },
    ]


def assistant_turn(template: str, messages, tools=TOOLS, **variables) -> str:
    """The text the template adds for the last (assistant) message, after the prompt."""
    full = render(template, messages, tools, bos_token="<s>", eos_token="</s>", **variables)
    asked = render(
        template, messages[:-1], tools, add_generation_prompt=True, bos_token="<s>", eos_token="</s>", **variables
    )
    return reply_part(full, asked)


@pytest.mark.parametrize("fmt,name,case", CASES, ids=[f"{f}-{n}-{c}" for f, n, c in CASES])
def test_calls_rendered_by_the_real_template_parse_back(fmt, name, case):
    template = _template(name)
    assert parser_for(template) == fmt
    turn = assistant_turn(template, _messages(CALLS[case]))
    parsed = parse_reply(turn, fmt=fmt, tools=TOOLS)
    assert parsed.errors == [], turn
    assert parsed.calls == CALLS[case], turn
    assert called_names(turn, fmt) == [c["name"] for c in CALLS[case]]


@pytest.mark.parametrize("name", ["Qwen-Qwen2.5-7B-Instruct", "Qwen3-Coder", "google-gemma-4-31B-it"])
def test_content_written_beside_a_call_is_kept_apart(name):
    template = _template(name)
    fmt = parser_for(template)
    turn = assistant_turn(template, _messages(CALLS["plain"], content="Checking the tree first."))
    parsed = parse_reply(turn, fmt=fmt, tools=TOOLS)
    assert parsed.calls == CALLS["plain"]
    assert parsed.content == "Checking the tree first."


def test_llama3_builtin_tool_after_python_tag():
    """With builtin_tools the 3.1 template writes `<|python_tag|>NAME.call(k="v")<|eom_id|>`."""
    template = _template("meta-llama-Llama-3.1-8B-Instruct")
    call = {"name": "brave_search", "arguments": {"query": "llama.cpp gguf parity", "count": "3"}}
    turn = assistant_turn(template, _messages([call]), builtin_tools=["brave_search"])
    assert turn.startswith("<|python_tag|>brave_search.call(") and turn.endswith("<|eom_id|>")
    parsed = parse_reply(turn, fmt="llama3")
    assert parsed.calls == [call] and parsed.errors == []


@pytest.mark.parametrize("family,fmt", [("qwen2", "hermes"), ("llama3", "llama3"), ("gemma4", "gemma4")])
def test_family_tokenizer_decodes_calls_that_parse(family, fmt):
    """Tokenize the rendered conversation with the real tokenizer and decode the assistant's
    tokens as generation does (special tokens kept): the calls survive the round trip."""
    tok = real_tokenizer(family)
    assert parser_for(tok) == fmt
    calls = CALLS["nested"] if fmt == "llama3" else CALLS["two calls"]
    messages = _messages(calls)
    full = tok.apply_chat_template(messages, tools=TOOLS, tokenize=False)
    prompt = tok.apply_chat_template(messages[:1], tools=TOOLS, tokenize=False, add_generation_prompt=True)
    ids = tok(full, add_special_tokens=False)["input_ids"]
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    n = 0
    while n < min(len(ids), len(prompt_ids)) and ids[n] == prompt_ids[n]:
        n += 1
    reply = tok.decode(ids[n:], skip_special_tokens=False)
    parsed = parse_reply(reply, fmt=fmt, tools=TOOLS)
    assert parsed.calls == calls and parsed.errors == [], reply


def test_every_real_template_that_writes_calls_round_trips():
    """All of llama.cpp's Hub templates: each one the probe finds a format for reads back a
    two-argument call. Templates in formats Forge has no parser for are listed, not hidden."""
    found, other = {}, []
    for path in sorted((llama_models_dir() / "templates").glob("*.jinja")):
        text = path.read_text(encoding="utf-8")
        detection = detect_format(text)
        if not detection.renders_calls:
            other.append(path.stem)
            continue
        found[path.stem] = detection.format
        if detection.how != "probe":
            continue
        turn = assistant_turn(text, _messages(CALLS["plain"]))
        assert parse_reply(turn, fmt=detection.format, tools=TOOLS).calls == CALLS["plain"], path.stem
    assert set(found.values()) == set(FORMATS)
    assert len(found) >= 20, found


def test_forge_template_and_tool_less_templates():
    assert parser_for(CHAT_TEMPLATE) == "hermes"
    phi = detect_format(_template("microsoft-Phi-3.5-mini-instruct"))
    assert (phi.format, phi.renders_calls) == (DEFAULT_FORMAT, False)
    assert detect_format(None).how == "default"


BROKEN = {
    "hermes": ('<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"\n</tool_call>', "not valid JSON"),
    "qwen3_xml": ("<tool_call>\n<parameter=command>\nls\n</parameter>\n</tool_call>", "no <function=...>"),
    "llama3": ('{"name": "Bash", "parameters": {"command": "ls"}', "not valid JSON"),
    "mistral": ('[TOOL_CALLS][{"name": "Bash", "arguments": {"command": "ls"}]', "not valid JSON"),
    "gemma4": ('<|tool_call>call:Bash{command:<|"|>ls}<tool_call|>', "unterminated string"),
    "deepseek": (
        '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Bash\n```json\n{"command": ls}\n```'
        "<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        "not valid JSON",
    ),
}


@pytest.mark.parametrize("fmt", sorted(BROKEN))
def test_a_broken_call_is_an_error_not_a_silent_skip(fmt):
    text, message = BROKEN[fmt]
    parsed = parse_reply(text, fmt=fmt, tools=TOOLS)
    assert parsed.calls == [] and len(parsed.errors) == 1 and message in parsed.errors[0], parsed
    # the tool it meant to call is still read (tool choice is scored apart from the arguments)
    assert called_names(text, fmt) == ([] if fmt == "qwen3_xml" else ["Bash"])


REPEATED = {
    "hermes": '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls", "command": "rm -rf build"}}\n</tool_call>',
    "qwen3_xml": "<tool_call>\n<function=Bash>\n<parameter=command>\nls\n</parameter>\n"
    "<parameter=command>\nrm -rf build\n</parameter>\n</function>\n</tool_call>",
    "llama3": '{"name": "Bash", "parameters": {"command": "ls", "command": "rm -rf build"}}',
    "mistral": '[TOOL_CALLS][{"name": "Bash", "arguments": {"command": "ls", "command": "rm -rf build"}}]',
    "deepseek": (
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>Bash\n```json\n"
        '{"command": "ls", "command": "rm -rf build"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>'
    ),
}


@pytest.mark.parametrize("fmt", sorted(REPEATED))
def test_a_call_that_gives_a_key_twice_is_an_error(fmt):
    """Which of two values counts is up to the JSON parser (Python keeps the last, some keep the
    first, some refuse): such a call says two things at once, so no check or client reads one."""
    parsed = parse_reply(REPEATED[fmt], fmt=fmt, tools=TOOLS)
    assert parsed.calls == [] and len(parsed.errors) == 1 and "twice" in parsed.errors[0], parsed
    # nested objects too
    nested = '<tool_call>\n{"name": "Bash", "arguments": {"env": {"A": "1", "A": "2"}, "command": "ls"}}\n</tool_call>'
    assert parse_reply(nested, fmt="hermes", tools=TOOLS).errors


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_prose_is_content_without_calls(fmt):
    parsed = parse_reply("The tests pass; nothing to file. {not json}", fmt=fmt)
    assert parsed.calls == [] and parsed.errors == []
    assert parsed.content.startswith("The tests pass")


def test_reply_format_sets_the_default_for_code_that_passes_none():
    llama = '{"name": "Bash", "parameters": {"command": "ls"}}'
    assert parse_reply(llama).calls == []  # Forge's own format by default
    with reply_format("llama3"):
        assert parse_reply(llama).calls == [{"name": "Bash", "arguments": {"command": "ls"}}]
    assert parse_reply(llama).format == DEFAULT_FORMAT


def test_reply_is_read_up_to_its_end_of_turn():
    text = '{"name": "Bash", "parameters": {"command": "ls"}}<|eot_id|>{"name": "rm"}'
    assert [c["name"] for c in parse_reply(text, fmt="llama3").calls] == ["Bash"]
    gemma = '<|tool_call>call:Bash{command:<|"|>ls<|"|>}<tool_call|><|tool_response>junk'
    assert parse_reply(gemma, fmt="gemma4").calls == [{"name": "Bash", "arguments": {"command": "ls"}}]


def test_xml_values_take_their_schema_type():
    text = (
        "<tool_call>\n<function=bd_create>\n<parameter=title>\n42\n</parameter>\n"
        "<parameter=priority>\n1\n</parameter>\n<parameter=blocked>\nTrue\n</parameter>\n"
        "</function>\n</tool_call>"
    )
    args = parse_reply(text, fmt="qwen3_xml", tools=TOOLS).calls[0]["arguments"]
    assert args == {"title": "42", "priority": 1, "blocked": True}


def test_unknown_format_is_a_clear_error():
    from forge.errors import InputError

    with pytest.raises(InputError, match="unknown tool-call format 'harmony'"):
        parse_reply("x", fmt="harmony")
