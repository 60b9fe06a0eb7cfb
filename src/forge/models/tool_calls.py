"""Tool calls in model replies: split a reply into plain content and structured calls, in the
format the model's own chat template taught it.

    parser_for(tokenizer | model dir | GGUF | template text) -> format name ("hermes", "llama3", ...)
    parse_reply(text, fmt=None, tools=None) -> ParsedReply(content, calls, errors)

The formats and their parsers are in `tool_formats`. `parser_for` finds a template's format
by rendering a probe conversation with one known tool call and reading the assistant's part
back with each parser: the one that recovers the call exactly is the format. A template that
cannot render tool calls (it drops them) gets the default, Forge's own `<tool_call>` format,
and says so in `detect_format`. Templates that fail to render are matched by their text.

Scoring code that cannot pass a format around (checkers, plugins) reads the current one:
`with reply_format(fmt): ...` sets it for everything parsed inside. Pure apart from the
probe rendering, which imports transformers' template renderer.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from forge.errors import InputError
from forge.models.tool_formats import FORMATS, ToolCallFormat

DEFAULT_FORMAT = "hermes"  # Forge's own template (chat_format.py) writes this one
_CURRENT = contextvars.ContextVar("forge_tool_call_format", default=DEFAULT_FORMAT)


@dataclass
class ParsedReply:
    content: str  # text outside tool-call blocks
    calls: list[dict[str, Any]] = field(default_factory=list)  # {"name":..., "arguments":{...}}
    errors: list[str] = field(default_factory=list)  # one per unparseable block
    format: str = DEFAULT_FORMAT


def get_format(fmt: str | None = None) -> ToolCallFormat:
    name = fmt or _CURRENT.get()
    if name not in FORMATS:
        raise InputError(f"unknown tool-call format {name!r}", hint=f"one of {', '.join(FORMATS)}")
    return FORMATS[name]


@contextmanager
def reply_format(fmt: str) -> Iterator[str]:
    """Parse replies in `fmt` (a name from FORMATS) inside the block."""
    token = _CURRENT.set(get_format(fmt).name)
    try:
        yield fmt
    finally:
        _CURRENT.reset(token)


def current_format() -> str:
    return _CURRENT.get()


def cut_at_end(text: str, fmt: str | None = None) -> str:
    """The reply up to its format's first end-of-turn marker."""
    for end in get_format(fmt).ends:
        text = text.split(end, 1)[0]
    return text


def parse_reply(text: str, fmt: str | None = None, tools: list[dict[str, Any]] | None = None) -> ParsedReply:
    """Split a model reply into plain content and tool calls; bad blocks become errors.
    `fmt` defaults to the current format (`reply_format`), else Forge's own; `tools` (the offered
    schemas) types the values of formats that write them as bare text."""
    spec = get_format(fmt)
    content, calls, errors = spec.parse(cut_at_end(text, spec.name), tools)
    return ParsedReply(content=content, calls=calls, errors=errors, format=spec.name)


def called_names(text: str, fmt: str | None = None) -> list[str]:
    """The tool names a reply tries to call, read leniently (arguments may be broken)."""
    spec = get_format(fmt)
    return spec.names(cut_at_end(text, spec.name))


# ---- which format a template writes ----------------------------------------------------------

_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file of the repository.",
        "parameters": {
            "type": "object",
            "required": ["path"],
            "properties": {
                "path": {"type": "string", "description": "Path of the file."},
                "limit": {"type": "integer", "description": "Lines to read."},
            },
        },
    },
}
_PROBE_CALL = {"name": "read_file", "arguments": {"path": "src/app.py", "limit": 3}}
# Mistral's templates require 9-character alphanumeric call ids.
_PROBE_ASK = [{"role": "user", "content": "Show me the start of src/app.py."}]
_PROBE = _PROBE_ASK + [
    {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": "call12345", "type": "function", "function": _PROBE_CALL}],
    }
]


@dataclass(frozen=True)
class Detection:
    format: str
    renders_calls: bool  # the template writes an assistant tool call at all
    how: str  # "probe" | "template text" | "default"
    detail: str = ""


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def reply_part(full: str, prompt: str) -> str:
    """What a template adds for the last (assistant) message: `full` past the generation
    `prompt` (the conversation without that message, with add_generation_prompt). Templates
    that render a turn differently from their generation prompt (Gemma 4's empty thought
    channel, DeepSeek's <think>) part ways inside it; the cut then backs off to the marker
    where they part, so the reply starts at its own first token."""
    n = _common_prefix(full, prompt)
    if n < len(prompt):
        n = max(full.rfind("<", 0, n), 0) if "<" in full[max(n - 2, 0) : n] else n
    return full[n:]


@functools.lru_cache(maxsize=64)
def _detect(template: str, bos: str, eos: str) -> Detection:
    from forge.models.templates import render

    try:
        full = render(template, _PROBE, [_PROBE_TOOL], bos_token=bos, eos_token=eos)
        asked = render(template, _PROBE_ASK, [_PROBE_TOOL], add_generation_prompt=True, bos_token=bos, eos_token=eos)
    except Exception as e:
        for spec in FORMATS.values():
            if any(marker in template for marker in spec.markers):
                return Detection(spec.name, True, "template text", f"probe failed to render: {e}")
        return Detection(DEFAULT_FORMAT, False, "default", f"probe failed to render: {e}")
    turn = reply_part(full, asked)
    for spec in FORMATS.values():
        _, calls, errors = spec.parse(cut_at_end(turn, spec.name), [_PROBE_TOOL])
        if calls == [_PROBE_CALL] and not errors:
            return Detection(spec.name, True, "probe")
    return Detection(
        DEFAULT_FORMAT, False, "default", "the template does not write the assistant's tool call in any known format"
    )


def detect_format(source: Any) -> Detection:
    """The tool-call format of a tokenizer, model directory, GGUF file or template text."""
    from forge.models.templates import read_template, special_tokens

    if source is None:
        template, tokens = None, dict[str, str]()
    elif isinstance(source, str) and ("{%" in source or "{{" in source):
        template, tokens = source, {}
    else:
        template, tokens = read_template(source), special_tokens(source)
    if not template:
        return Detection(DEFAULT_FORMAT, False, "default", "no chat template")
    return _detect(template, tokens.get("bos_token", "<s>"), tokens.get("eos_token", "</s>"))


def parser_for(source: Any) -> str:
    """The name of the tool-call format a model writes, from its chat template."""
    return detect_format(source).format
