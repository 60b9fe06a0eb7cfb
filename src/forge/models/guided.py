"""Guided tool calls: while a reply is generated, every tool call it opens is held to the prompt's
own tools — a name the prompt offers, arguments that parse as JSON, carry every required key and
give each declared key a value of its type — and the model stays free everywhere else (text
before, between and after calls, how many calls, whether to call at all).

The grammar is compiled by llguidance (the structured-output engine llama.cpp and vLLM use) from
the offered schemas; a logits processor asks it, token by token, which tokens may come next. The
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
from dataclasses import dataclass
from typing import Any

from forge.errors import InputError
from forge.models.tool_formats import schemas_by_name

GUIDED_FORMATS = ("hermes",)
GRAMMAR_VERSION = 1  # part of a guided eval report's id: bump when the grammar changes
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


def call_layout(tokenizer: Any, fmt: str) -> CallLayout:
    """Render one probe call through the chat template and read the layout off it."""
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
        text = tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)
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
        open_id=_single_token(tokenizer, open_text),
        close_id=_single_token(tokenizer, close_text),
        before=before,
        after=after,
        item_sep=", " if '", "' in core or ", " in core else ",",
        key_sep=": " if '": ' in core else ":",
    )


def _single_token(tokenizer: Any, text: str) -> int | None:
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return int(ids[0]) if len(ids) == 1 else None


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


def _arguments_rules(rule: str, params: Any, layout: CallLayout) -> list[str]:
    """Rules for one tool's arguments object. JSON compilers fix the keys to the schema's order;
    a model writes them in the order it learned (`issue_type` before `priority` where the schema
    lists `priority` first), so here declared keys come in any order, each with its own value
    schema, and every required key appears. Undeclared keys are refused (strict tool schemas)."""
    props = params.get("properties") if isinstance(params, dict) else None
    if not isinstance(props, dict) or not props:
        return [f"{rule}: {_value(params if isinstance(params, dict) else {'type': 'object'}, layout)}"]
    required = [k for k in (params.get("required") or []) if k in props]
    optional = [k for k in props if k not in required]
    sep, kv = _lit(layout.item_sep), _lit(layout.key_sep)

    def pair(key: str) -> str:
        return f"{_lit(json.dumps(key))} {kv} {_value(props[key], layout)}"

    rules = [f"{rule}_r{i}: {pair(k)}" for i, k in enumerate(required)]
    opt = f"{rule}_o"
    if optional:
        rules.append(f"{opt}: " + " | ".join(pair(k) for k in optional))
    if not required:
        rules.append(f'{rule}: "{{" ({opt} ({sep} {opt})*)? "}}"')
        return rules
    idx = list(range(len(required)))
    orders = list(itertools.permutations(idx)) if len(idx) <= MAX_REQUIRED_ORDERS else [tuple(idx)]
    alts = []
    for order in orders:
        parts = [f"({opt} {sep})*"] if optional else []
        for n, i in enumerate(order):
            parts.append(("" if n == 0 else f"{sep} ") + f"{rule}_r{i}")
            if optional:
                parts.append(f"({sep} {opt})*")
        alts.append(" ".join(parts))
    rules.append(f'{rule}: "{{" (' + " | ".join(f"({a})" for a in alts) + ') "}"')
    return rules


def lark_grammar(tools: list[dict[str, Any]], layout: CallLayout) -> str:
    """Free text with any number of calls in it; with no tools offered, free text only."""
    schemas = schemas_by_name(tools)
    if not schemas:
        return "%llguidance {}\nstart: TEXT\nTEXT: /(.|\\n)*/\n"

    def piece(token_id: int | None, text: str) -> str:
        return f"<[{token_id}]>" if token_id is not None else _lit(text)

    sep, kv = _lit(layout.item_sep), _lit(layout.key_sep)
    around = [_lit(layout.before)] if layout.before else []
    after = [_lit(layout.after)] if layout.after else []
    lines = [
        "%llguidance {}",
        "start: TEXT (call TEXT)*",
        "TEXT: /(.|\\n)*/",
        " ".join(
            ["call:", piece(layout.open_id, layout.open_text), *around, "body", *after]
            + [piece(layout.close_id, layout.close_text)]
        ),
        "body: " + " | ".join(f"tool{i}" for i in range(len(schemas))),
    ]
    for i, (name, params) in enumerate(schemas.items()):
        name_part = f'"{{" {_lit(json.dumps("name"))} {kv} {_lit(json.dumps(name))} {sep}'
        lines.append(f'tool{i}: {name_part} {_lit(json.dumps("arguments"))} {kv} args{i} "}}"')
        lines += _arguments_rules(f"args{i}", params, layout)
    return "\n".join(lines) + "\n"


# llguidance's view of a tokenizer takes up to a second to build for a 150k vocabulary: built once
# per loaded tokenizer (kept alive here, so its id is never reused) and reused by every request.
_LL_TOKENIZERS: dict[tuple[int, int, tuple[int, ...]], tuple[Any, Any]] = {}


def _ll_tokenizer(tokenizer: Any, n_vocab: int, stops: list[int]) -> Any:
    import llguidance.hf

    key = (id(tokenizer), n_vocab, tuple(stops))
    if key not in _LL_TOKENIZERS:
        _LL_TOKENIZERS[key] = (tokenizer, llguidance.hf.from_tokenizer(tokenizer, n_vocab=n_vocab, eos_token=stops))
    return _LL_TOKENIZERS[key][1]


class GuidedCalls:
    """A transformers logits processor for one batch: row i is held to `grammars[i]`. Rows that
    have ended (a stop token) are left alone. A grammar that does not compile is an InputError up
    front; a row whose matcher fails later (it cannot, unless the grammar itself is wrong) goes on
    unguided rather than being forced into nonsense, and is marked in `failed`."""

    def __init__(self, tokenizer: Any, grammars: list[str], stops: list[int], prompt_len: int, n_vocab: int):
        import llguidance

        ll_tok = _ll_tokenizer(tokenizer, n_vocab, stops)
        self.matchers = [llguidance.LLMatcher(ll_tok, g, log_level=0) for g in grammars]
        for m in self.matchers:
            if m.is_error():
                raise InputError(
                    f"guided tool calls: the offered tool schemas do not compile: {m.get_error()[:300]}",
                    hint="fix the tool schema, or run without guided tool calls",
                )
        self.failed = [False] * len(grammars)
        self.stops = set(stops)
        self.prompt_len = prompt_len
        self.done = [False] * len(grammars)
        self.n_vocab = n_vocab

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np
        import torch

        generated = input_ids.shape[1] - self.prompt_len
        for i, matcher in enumerate(self.matchers):
            if generated > 0 and not (self.done[i] or self.failed[i]):
                last = int(input_ids[i, -1])
                if last in self.stops:
                    self.done[i] = True
                elif not matcher.consume_token(last):
                    self.failed[i] = True
            if self.done[i] or self.failed[i]:
                continue
            bits = np.frombuffer(matcher.compute_bitmask(), dtype=np.uint8)
            allowed = np.unpackbits(bits, bitorder="little")[: scores.shape[1]].astype(bool)
            if not allowed.any():  # nothing fits (should not happen): leave the row unguided
                self.failed[i] = True
                continue
            if allowed.shape[0] < scores.shape[1]:
                allowed = np.concatenate([allowed, np.zeros(scores.shape[1] - allowed.shape[0], dtype=bool)])
            scores[i] = scores[i].masked_fill(~torch.from_numpy(allowed).to(scores.device), float("-inf"))
        return scores


def guided_processor(
    tokenizer: Any, tools_per_row: list[list[dict[str, Any]]], fmt: str, stops: list[int], prompt_len: int, n_vocab: int
) -> GuidedCalls:
    layout = call_layout(tokenizer, fmt)
    return GuidedCalls(tokenizer, [lark_grammar(t or [], layout) for t in tools_per_row], stops, prompt_len, n_vocab)
