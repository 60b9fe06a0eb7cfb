"""Guided tool calls: while a reply is generated, every tool call it opens is held to the prompt's
own tools — a name the prompt offers, arguments that parse as JSON, carry every required key and
give each declared key (once) a value of its type — and the model stays free everywhere else (text
before, between and after calls, how many calls, whether to call at all). Free text never
spells the opening marker, so a call cannot slip past the grammar as text.

The grammar is compiled by llguidance (the structured-output engine llama.cpp and vLLM use) from
the offered schemas; a logits processor (models/guided_decoding.py) asks it, token by token,
which tokens may come next, in transformers and in llama.cpp alike. The
call's layout (the whitespace around the JSON, its separators) is read off the model's own chat
template, so a guided reply is spelled as the model was trained to spell it. Only formats that
write a call as one JSON object between an opening and a closing marker are guided (hermes:
Forge's own, Qwen2.5/3, Hermes); others raise an InputError that names the format.

What it cannot fix: a call still cut off by the token budget (a string that runs on) stays
incomplete, and the choice of tool among those offered is the model's.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forge.errors import InputError
from forge.models.tool_formats import schemas_by_name

GUIDED_FORMATS = ("hermes",)
GRAMMAR_VERSION = 4  # part of a guided eval report's id: bump when the grammar changes
_PROBE = {"name": "forge_probe", "arguments": {"a": "x", "b": 1}}


@dataclass(frozen=True)
class CallLayout:
    """How the chat template spells one call: `open`, then `before` + JSON + `after`, then `close`;
    `open`/`close` are token ids where they are single added tokens, else None (written as text)."""

    open_text: str
    close_text: str
    open_id: int | None
    close_id: int | None
    before: str
    after: str
    item_sep: str
    key_sep: str


def call_layout(fmt: str, render: Callable[..., str], single_token: Callable[[str], int | None]) -> CallLayout:
    """Render one probe call with the model's chat template (`render(messages, tools)`) and read
    the layout off it; `single_token(text)`: the id when the model's vocabulary spells `text` as
    one token."""
    if fmt not in GUIDED_FORMATS:
        raise InputError(
            f"guided tool calls need a JSON-in-tags tool-call format; this model writes {fmt!r}",
            hint=f"guided decoding supports: {', '.join(GUIDED_FORMATS)}; run without --guided",
        )
    open_text, close_text = "<tool_call>", "</tool_call>"
    call = {"type": "function", "function": {"name": _PROBE["name"], "arguments": _PROBE["arguments"]}}
    messages = [{"role": "user", "content": "probe"}, {"role": "assistant", "content": "", "tool_calls": [call]}]
    tools = [{"type": "function", "function": {"name": _PROBE["name"], "parameters": {"type": "object"}}}]
    try:
        text = render(messages, tools)
    except Exception:  # a template that cannot render tool calls: the plain default layout
        text = f'{open_text}\n{{"name": "forge_probe", "arguments": {{"a": "x", "b": 1}}}}\n{close_text}'
    start = text.rfind(open_text)
    end = text.find(close_text, start)
    body = text[start + len(open_text) : end] if start >= 0 and end > start else '\n{"name": "x"}\n'
    core = body.strip()
    before, after = body[: len(body) - len(body.lstrip())], body[len(body.rstrip()) :]
    return CallLayout(
        open_text=open_text,
        close_text=close_text,
        open_id=single_token(open_text),
        close_id=single_token(close_text),
        before=before,
        after=after,
        item_sep=", " if ", " in core else ",",
        key_sep=": " if '": ' in core else ":",
    )


def hf_layout(tokenizer: Any, fmt: str) -> CallLayout:
    """The layout of a transformers model's calls, from its tokenizer's chat template."""

    def single(text: str) -> int | None:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        return int(ids[0]) if len(ids) == 1 else None

    return call_layout(fmt, lambda m, t: tokenizer.apply_chat_template(m, tools=t, tokenize=False), single)


def _lit(text: str) -> str:
    """`text` as a grammar string literal."""
    return json.dumps(text)


def _value(schema: Any, layout: CallLayout) -> str:
    """A JSON value held to `schema` (llguidance's JSON compiler), spelled with the layout's
    separators."""
    schema = dict(schema) if isinstance(schema, dict) else {}
    # lenient: a keyword the compiler does not know (a `format` such as "uri") is ignored, not fatal
    schema["x-guidance"] = {"item_separator": layout.item_sep, "key_separator": layout.key_sep, "lenient": True}
    return "%json " + json.dumps(schema)


MAX_REQUIRED_ORDERS = 3  # up to 3! = 6 orders of the required keys are spelled out
# Up to this many declared keys, each key appears at most once: one rule per set of keys already
# written (2^n rules of at most n short alternatives; only the current set's are live while
# decoding, so the per-token cost stays that of a small grammar). Past it, runs are bounded.
MAX_EXACT_KEYS = 12


def _arguments_rules(rule: str, params: Any, layout: CallLayout) -> list[str]:
    """Rules for one tool's arguments object. JSON compilers fix the keys to the schema's order;
    a model writes them in the order it learned (`issue_type` before `priority` where the schema
    lists `priority` first), so here declared keys come in any order, each with its own value
    schema, each at most once, and every required key appears. Undeclared keys are refused
    (strict tool schemas)."""
    props = params.get("properties") if isinstance(params, dict) else None
    if not isinstance(props, dict) or not props:
        return [f"{rule}: {_value(params if isinstance(params, dict) else {'type': 'object'}, layout)}"]
    if len(props) > MAX_EXACT_KEYS:
        return _bounded_arguments_rules(rule, params, props, layout)
    keys = list(props)
    required = [k for k in (params.get("required") or []) if k in props]
    need = sum(1 << keys.index(k) for k in required)
    full = (1 << len(keys)) - 1
    sep, kv = _lit(layout.item_sep), _lit(layout.key_sep)
    rules = [f"{rule}_k{i}: {_lit(json.dumps(k))} {kv} {_value(props[k], layout)}" for i, k in enumerate(keys)]

    def state(done: int, first: bool) -> str:
        """The rule for what may follow once the keys in `done` are written."""
        alts = []
        for i in range(len(keys)):
            if done & (1 << i):
                continue
            nxt = done | (1 << i)
            step = f"{rule}_k{i}" if first else f"{sep} {rule}_k{i}"
            alts.append(f"{step} {rule}_s{nxt}" if nxt != full else step)
        body = " | ".join(alts)
        return f"({body})?" if done & need == need else f"({body})"

    rules.append(f'{rule}: "{{" {state(0, True)} "}}"')
    rules += [f"{rule}_s{done}: {state(done, False)}" for done in range(1, full)]
    return rules


def _bounded_arguments_rules(rule: str, params: Any, props: dict[str, Any], layout: CallLayout) -> list[str]:
    """For tools with more keys than MAX_EXACT_KEYS: an optional key may appear twice (JSON keeps
    the last), but each run of optional keys holds at most as many as are declared, so a model that
    repeats one (`"reason": …, "reason": …` without end) must close the object."""
    required = [k for k in (params.get("required") or []) if k in props]
    optional = [k for k in props if k not in required]
    sep, kv = _lit(layout.item_sep), _lit(layout.key_sep)

    def pair(key: str) -> str:
        return f"{_lit(json.dumps(key))} {kv} {_value(props[key], layout)}"

    rules = [f"{rule}_r{i}: {pair(k)}" for i, k in enumerate(required)]
    opt = f"{rule}_o"
    if optional:
        rules.append(f"{opt}: " + " | ".join(pair(k) for k in optional))
    most = len(optional)
    if not required:
        more = f" ({sep} {opt}){{0,{most - 1}}}" if most > 1 else ""
        rules.append(f'{rule}: "{{" ({opt}{more})? "}}"')
        return rules
    idx = list(range(len(required)))
    orders = list(itertools.permutations(idx)) if len(idx) <= MAX_REQUIRED_ORDERS else [tuple(idx)]
    alts = []
    for order in orders:
        parts = [f"({opt} {sep}){{0,{most}}}"] if optional else []
        for n, i in enumerate(order):
            parts.append(("" if n == 0 else f"{sep} ") + f"{rule}_r{i}")
            if optional:
                parts.append(f"({sep} {opt}){{0,{most}}}")
        alts.append(" ".join(parts))
    rules.append(f'{rule}: "{{" (' + " | ".join(f"({a})" for a in alts) + ') "}"')
    return rules


@dataclass(frozen=True)
class ToolChoice:
    """What a request lets the reply do with its tools (OpenAI's `tool_choice`): "auto" (text and
    any number of calls), "none" (text only), "required" (at least one call); `name`: every call
    is to that tool (and there is at least one)."""

    mode: str = "auto"
    name: str | None = None


AUTO = ToolChoice()


def _rust_regex_literal(text: str) -> str:
    """`text` matched literally inside a grammar regex (Rust syntax, `/` delimited). Only the
    metacharacters are escaped: in Rust `\\<` is a word boundary, not a `<`."""
    return "".join("\\" + c if c in "\\.+*?()|[]{}^$#&-~/" else c for c in text)


def lark_grammar(tools: list[dict[str, Any]], layout: CallLayout, choice: ToolChoice = AUTO) -> str:
    """Free text with calls in it as `choice` allows; with no tools offered, free text only.
    Free text never spells the call's opening marker: a call opened in plain characters (where
    the marker is also one added token, or only text) is held to the grammar like any other, and
    "none" means no call at all."""
    schemas = schemas_by_name(tools)
    if choice.name is not None:
        schemas = {k: v for k, v in schemas.items() if k == choice.name}
    opener = _rust_regex_literal(layout.open_text)
    text_rule = f"TEXT: /(.|\\n)*/ & ~/(.|\\n)*{opener}(.|\\n)*/"
    if not schemas or choice.mode == "none":
        return f"%llguidance {{}}\nstart: TEXT\n{text_rule}\n"
    required = choice.mode == "required" or choice.name is not None

    sep, kv = _lit(layout.item_sep), _lit(layout.key_sep)
    around = [_lit(layout.before)] if layout.before else []
    after = [_lit(layout.after)] if layout.after else []
    close = f"<[{layout.close_id}]>" if layout.close_id is not None else _lit(layout.close_text)
    if layout.open_id is not None:  # an added token: free text cannot hold it
        head = [f"call: <[{layout.open_id}]> " + " ".join([*around, "body", *after, close])]
        start = "start: TEXT call (TEXT call)* TEXT" if required else "start: TEXT (call TEXT)*"
    else:
        # Spelled in text, the marker would end free text only where a greedy lexer lets it (never):
        # text and marker are one lazy lexeme instead, closed by the marker's first appearance.
        head = [
            f"head[lazy]: TEXT {_lit(layout.open_text)}",
            "call: head " + " ".join([*around, "body", *after, close]),
        ]
        start = "start: call+ TEXT" if required else "start: call* TEXT"
    lines = ["%llguidance {}", start, text_rule, *head, "body: " + " | ".join(f"tool{i}" for i in range(len(schemas)))]
    for i, (name, params) in enumerate(schemas.items()):
        name_part = f'"{{" {_lit(json.dumps("name"))} {kv} {_lit(json.dumps(name))} {sep}'
        lines.append(f'tool{i}: {name_part} {_lit(json.dumps("arguments"))} {kv} args{i} "}}"')
        lines += _arguments_rules(f"args{i}", params, layout)
    return "\n".join(lines) + "\n"
