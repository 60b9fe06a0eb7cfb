"""Guided tool calls (forge/models/guided.py): the grammar built from a prompt's tools, checked
token by token with llguidance on two real tokenizers — Qwen2.5's (its chat template and added
<tool_call> tokens, tests/real_models.py) and the shipped tiny base's. No model runs here; the
generation side is in tests/integration/test_guided_generation.py."""

from __future__ import annotations

import functools
import json
import re
from typing import Any

import pytest

from forge.errors import InputError
from forge.models.guided import AUTO, MAX_EXACT_KEYS, ToolChoice, hf_layout, lark_grammar
from forge.models.tiny_base import SHIPPED_DIR
from real_models import real_tokenizer


def _tool(name: str, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
    params = {"type": "object", "properties": props, "required": required}
    return {"type": "function", "function": {"name": name, "parameters": params}}


TOOLS = [
    _tool("Bash", {"command": {"type": "string"}, "timeout": {"type": "integer"}}, ["command"]),
    _tool(
        "bead_create",
        {
            "title": {"type": "string"},
            "priority": {"type": "integer", "minimum": 0, "maximum": 4},
            "issue_type": {"type": "string", "enum": ["bug", "task", "epic"]},
            "deps": {"type": "array", "items": {"type": "string"}},
        },
        ["title"],
    ),
    _tool("link", {"from_id": {"type": "string"}, "to_id": {"type": "string"}}, ["from_id", "to_id"]),
]


# (one of each per tokenizer: loading Qwen2's 151k-token vocabulary takes a second, and
# llguidance's reading of it 1.6 s more, against milliseconds for a grammar and its matcher)
@functools.cache
def _tokenizer(which: str) -> Any:
    if which in ("qwen2", "llama3"):
        return real_tokenizer(which)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(SHIPPED_DIR))


@functools.cache
def _guidance_tokenizer(tokenizer: Any) -> Any:
    import llguidance.hf

    return llguidance.hf.from_tokenizer(tokenizer)


def _call(name: str, args: dict[str, Any]) -> str:
    return f"<tool_call>\n{json.dumps({'name': name, 'arguments': args})}\n</tool_call>"


def _accepts(tokenizer: Any, tools: list[dict[str, Any]], text: str, choice: ToolChoice | None = None) -> bool:
    """Whether the grammar lets a model write `text` (as the tokenizer splits it) and stop."""
    import llguidance

    grammar = lark_grammar(tools, hf_layout(tokenizer, "hermes"), choice or ToolChoice())
    matcher = llguidance.LLMatcher(_guidance_tokenizer(tokenizer), grammar, log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return matcher.consume_tokens(ids) and matcher.is_accepting()


@pytest.mark.parametrize("which", ["qwen2", "tiny"])
def test_layout_is_read_off_the_chat_template(which):
    tok = _tokenizer(which)
    layout = hf_layout(tok, "hermes")
    # both templates write <tool_call>\n{"name": N, "arguments": {...}}\n</tool_call>, with
    # json.dumps-style separators, and both have the markers as single added tokens
    assert (layout.before, layout.after, layout.item_sep, layout.key_sep) == ("\n", "\n", ", ", ": ")
    assert layout.open_id == tok.convert_tokens_to_ids("<tool_call>")
    assert layout.close_id == tok.convert_tokens_to_ids("</tool_call>")


@pytest.mark.parametrize("which", ["qwen2", "tiny"])
def test_well_formed_calls_pass_in_any_key_order(which):
    tok = _tokenizer(which)
    ok = [
        "Plain text, no call at all.",
        _call("Bash", {"command": "ls -la"}),
        "I will look first.\n" + _call("Bash", {"command": "ls", "timeout": 5}),
        # the model's key order, not the schema's (issue_type before priority; title last)
        _call("bead_create", {"issue_type": "task", "priority": 1, "deps": ["blocks:gt-1"], "title": "Fix"}),
        _call("link", {"to_id": "gt-2", "from_id": "gt-1"}),
        _call("bead_create", {"title": "A"}) + "\n" + _call("bead_create", {"title": "B", "priority": 0}),
    ]
    for text in ok:
        assert _accepts(tok, TOOLS, text), text


@pytest.mark.parametrize(
    "text",
    [
        _call("Write", {"file_path": "a"}),  # a tool the prompt does not offer
        _call("Bash", {"timeout": 5}),  # the required key is missing
        _call("link", {"from_id": "gt-1"}),  # one of two required keys is missing
        _call("bead_create", {"title": "x", "prio": 1}),  # a key the schema does not declare
        _call("bead_create", {"title": "x", "priority": "high"}),  # wrong type
        _call("bead_create", {"title": "x", "priority": 9}),  # out of range
        _call("bead_create", {"title": "x", "issue_type": "story"}),  # not in the enum
        '<tool_call>\n{"name": "Bash", "arguments": {"command":"ls"}}\n</tool_call>',  # not the template's spacing
        '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}\n</tool_call>',  # unbalanced
        "</tool_call>",  # a closing marker with no call
    ],
)
def test_malformed_calls_are_refused(text):
    assert not _accepts(_tokenizer("qwen2"), TOOLS, text)


def _raw_call(name: str, args_json: str) -> str:
    """A call whose arguments are given as JSON text (duplicate keys can be written)."""
    return f'<tool_call>\n{{"name": "{name}", "arguments": {args_json}}}\n</tool_call>'


def test_no_key_is_written_twice():
    """A small model repeats a key it likes ("reason": …, "reason": … until the token budget
    ends, or "description" three times in one call); JSON parsers keep one value and drop the
    rest. Each declared key appears at most once, in any order, required ones included."""
    tok = _tokenizer("qwen2")
    note = _tool("note", {"text": {"type": "string"}, "tag": {"type": "string"}}, [])
    tools = [*TOOLS, note]
    assert _accepts(tok, tools, _raw_call("Bash", '{"timeout": 1, "command": "ls"}'))
    assert not _accepts(tok, tools, _raw_call("Bash", '{"command": "ls", "timeout": 1, "timeout": 2}'))
    assert not _accepts(tok, tools, _raw_call("Bash", '{"command": "ls", "command": "pwd"}'))
    every = '{"deps": [], "issue_type": "bug", "title": "x", "priority": 1}'
    assert _accepts(tok, tools, _raw_call("bead_create", every))
    assert not _accepts(tok, tools, _raw_call("bead_create", '{"title": "x", "priority": 1, "priority": 2}'))
    assert not _accepts(tok, tools, _raw_call("bead_create", '{"priority": 1, "title": "x", "priority": 1}'))
    assert not _accepts(tok, tools, _raw_call("bead_create", every[:-1] + ', "title": "y"}'))
    assert not _accepts(tok, tools, _raw_call("link", '{"from_id": "a", "to_id": "b", "from_id": "c"}'))
    # no required keys: none, either or both, once each
    assert _accepts(tok, tools, _raw_call("note", '{"tag": "a", "text": "b"}'))
    assert _accepts(tok, tools, _raw_call("note", "{}"))
    assert not _accepts(tok, tools, _raw_call("note", '{"tag": "a", "tag": "b"}'))


def test_a_tool_with_very_many_keys_bounds_each_run_of_optional_keys():
    """Past MAX_EXACT_KEYS (one rule per set of written keys would grow as 2^n) a key may repeat,
    but a run of optional keys holds at most as many as are declared, so it cannot run on."""
    tok = _tokenizer("qwen2")
    n = MAX_EXACT_KEYS + 1
    wide = _tool("wide", {"id": {"type": "string"}, **{f"k{i}": {"type": "integer"} for i in range(n)}}, ["id"])
    pairs = ", ".join(f'"k{i}": {i}' for i in range(n))
    assert _accepts(tok, [wide], _raw_call("wide", f'{{"id": "a", {pairs}}}'))
    repeats = ", ".join(['"k0": 0'] * n)
    assert _accepts(tok, [wide], _raw_call("wide", f'{{"id": "a", {repeats}}}'))
    assert not _accepts(tok, [wide], _raw_call("wide", f'{{"id": "a", {repeats}, "k0": 0}}'))
    assert not _accepts(tok, [wide], _raw_call("wide", '{"k0": 0}'))  # the required key


def test_keywords_the_compiler_does_not_know_are_ignored_not_fatal():
    # a tool schema from the wild: a string `format` llguidance does not implement
    tools = [_tool("fetch", {"url": {"type": "string", "format": "uri-reference"}}, ["url"])]
    assert _accepts(_tokenizer("qwen2"), tools, _call("fetch", {"url": "../a"}))


def test_tool_choice_none_required_and_named():
    tok = _tokenizer("qwen2")
    text, bash = "Done.", _call("Bash", {"command": "ls"})
    link = _call("link", {"from_id": "gt-1", "to_id": "gt-2"})
    assert _accepts(tok, TOOLS, text, ToolChoice("none"))
    assert not _accepts(tok, TOOLS, bash, ToolChoice("none"))
    assert not _accepts(tok, TOOLS, text, ToolChoice("required"))
    assert _accepts(tok, TOOLS, "Listing.\n" + bash + "\nThen linking.\n" + link, ToolChoice("required"))
    assert _accepts(tok, TOOLS, link, ToolChoice("required", "link"))
    assert not _accepts(tok, TOOLS, bash, ToolChoice("required", "link"))
    assert not _accepts(tok, TOOLS, text, ToolChoice("required", "link"))


def _accepts_ids(tokenizer: Any, grammar: str, ids: list[int]) -> bool:
    import llguidance

    matcher = llguidance.LLMatcher(_guidance_tokenizer(tokenizer), grammar, log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    return matcher.consume_tokens(ids) and matcher.is_accepting()


def _spelled_out(tokenizer: Any, text: str) -> list[int]:
    """`text` tokenized with both markers written in ordinary tokens ("<" + "tool_call>",
    "</" + "tool_call>"), not as the added tokens."""
    ids: list[int] = []
    for piece in re.split(r"(</?tool_call>)", text):
        if piece in ("<tool_call>", "</tool_call>"):
            ids += tokenizer(piece[:-10], add_special_tokens=False)["input_ids"]
            piece = piece[-10:]
        ids += tokenizer(piece, add_special_tokens=False)["input_ids"]
    return ids


def test_a_call_spelled_in_ordinary_tokens_is_held_too():
    """A model whose marker is an added token can still spell it from ordinary tokens ("<",
    "tool", "_call", ">"), and a parser reads that as a call; such a call must not slip past the
    grammar, nor past "none" (where the added token is masked, that spelling is what is left)."""
    tok = _tokenizer("qwen2")
    layout = hf_layout(tok, "hermes")
    good, bad = _call("Bash", {"command": "ls"}), _call("Write", {"file_path": "a"})
    spelled = _spelled_out(tok, good)
    assert layout.open_id not in spelled and layout.close_id not in spelled
    assert tok.decode(spelled) == good  # the same text, in other tokens
    for choice in (ToolChoice(), ToolChoice("required"), ToolChoice("none")):
        grammar = lark_grammar(TOOLS, layout, choice)
        assert not _accepts_ids(tok, grammar, _spelled_out(tok, "Here: " + good)), choice
        assert not _accepts_ids(tok, grammar, _spelled_out(tok, "Here: " + bad)), choice
    assert _accepts(tok, TOOLS, "a < b, and <tool is not a call", ToolChoice("none"))


def test_markers_that_are_only_text_are_guided():
    """A hermes-style template on a tokenizer without <tool_call> as an added token (Llama 3's
    vocabulary): the markers are text, and calls are held to the tools all the same."""
    from dataclasses import replace

    tok = _tokenizer("llama3")
    layout = replace(hf_layout(_tokenizer("qwen2"), "hermes"), open_id=None, close_id=None)
    assert len(tok("<tool_call>", add_special_tokens=False)["input_ids"]) > 1

    def accepts(text: str, choice: ToolChoice = AUTO) -> bool:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        return _accepts_ids(tok, lark_grammar(TOOLS, layout, choice), ids)

    bash, link = _call("Bash", {"command": "ls"}), _call("link", {"from_id": "gt-1", "to_id": "gt-2"})
    assert accepts("Plain text, a < b.")
    assert accepts("Listing.\n" + bash + "\nThen linking.\n" + link + "\nDone.")
    assert not accepts("Listing.\n" + _call("Write", {"file_path": "a"}))
    assert not accepts(_call("Bash", {"timeout": 5}))
    assert not accepts(bash, ToolChoice("none"))
    assert accepts("no call here <tool", ToolChoice("none"))
    assert not accepts("Done.", ToolChoice("required"))
    assert accepts(bash + "\n" + link, ToolChoice("required"))
    assert not accepts(bash, ToolChoice("required", "link"))


def test_no_tools_means_text_only():
    tok = _tokenizer("qwen2")
    assert _accepts(tok, [], "Hello rig, ready to work.")
    assert not _accepts(tok, [], _call("Bash", {"command": "ls"}))


def test_a_format_that_is_not_json_in_tags_is_refused_with_its_name():
    with pytest.raises(InputError, match="'llama3'"):
        hf_layout(_tokenizer("tiny"), "llama3")


def test_every_reference_reply_of_the_gas_town_suite_fits_its_grammar():
    """Guidance must never refuse a correct reply: each suite prompt's expected calls (several in
    one reply for plans), under that prompt's own tools (beads MCP, Bash, Read, Edit schemas)."""
    from forge.evaluate.bundled_suites import resolve_suite

    tok = _tokenizer("tiny")
    rows = [json.loads(line) for line in resolve_suite("gastown").read_text().splitlines() if line.strip()]
    assert len(rows) >= 39
    for row in rows:
        reply = "\n".join(_call(c["name"], c.get("arguments") or {}) for c in row["expected"])
        assert _accepts(tok, row["tools"], reply), row["id"]
