"""Round-trip fidelity: does a chat template carry a row's tools, replies, calls and results?

For every row the template renders the conversation the way training and inference do, and
what it wrote is read back into structured messages:

  tools         each offered schema is found in the rendering (as JSON, or at least its name,
                description and parameter names in the template's own syntax)
  assistant     for turn i, the text the template adds past the generation prompt of
                messages[:i] is parsed with the family's own tool-call parser (tool_formats):
                its content and calls must equal the message's (content compared without
                surrounding whitespace; reasoning_content must appear in the reply)
  tool results  the text the template adds for a tool message holds its content, verbatim or
                JSON-encoded (Llama 3.1 writes results with `tojson`)

Each difference is a loss with a kind (LOSS_KINDS) and the message index; a row without
losses round-trips. Pure apart from the template renderer (transformers' Jinja, imported by
templates.render).
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from forge.models.masks import _lcp
from forge.models.tool_calls import cut_at_end, detect_format, get_format, reply_part
from forge.models.turns import (
    call_arguments,
    one_call_per_turn,
    prompts_after_tools,
    refuses_parallel_calls,
    refuses_prompt_after_tool,
    template_messages,
)

# An empty thought block that reasoning templates (Qwen3) write before every final reply.
_EMPTY_THINK = re.compile(r"^\s*<think>\s*</think>\s*")
TOOLS_DROPPED = "tools dropped"
TOOL_SCHEMA_INCOMPLETE = "tool schema incomplete"
CONTENT_DROPPED = "content dropped"
CONTENT_REWRITTEN = "content rewritten"
CALLS_DROPPED = "tool calls dropped"
CALLS_CHANGED = "tool calls changed"
CALLS_UNREADABLE = "tool calls unreadable"
REASONING_DROPPED = "reasoning dropped"
RESULT_DROPPED = "tool result dropped"
TEMPLATE_ERROR = "template error"
LOSS_KINDS = (
    TOOLS_DROPPED,
    TOOL_SCHEMA_INCOMPLETE,
    CONTENT_DROPPED,
    CONTENT_REWRITTEN,
    CALLS_DROPPED,
    CALLS_CHANGED,
    CALLS_UNREADABLE,
    REASONING_DROPPED,
    RESULT_DROPPED,
    TEMPLATE_ERROR,
)
# What to do about each kind (the report's "next" line).
ADVICE = {
    TOOLS_DROPPED: "pass a chat template that renders tools (--template FILE), or a base whose template does",
    TOOL_SCHEMA_INCOMPLETE: "check the template writes the whole tool schema (--template FILE to use another)",
    CALLS_DROPPED: "pass a chat template that writes tool calls (--template FILE), or a tool-calling base",
    CALLS_CHANGED: "the template rewrites tool calls: pass one that keeps them (--template FILE)",
    CALLS_UNREADABLE: "the template writes calls no known parser reads back: pass another template (--template FILE)",
    CONTENT_DROPPED: "the template drops assistant text (e.g. text beside a tool call): those words are not learned",
    CONTENT_REWRITTEN: "the template rewrites assistant text: what is learned differs from the rows",
    REASONING_DROPPED: "the template drops reasoning: use a reasoning template or accept it is not learned",
    RESULT_DROPPED: "the template drops tool results: the model never sees them; pass another template",
    TEMPLATE_ERROR: "the template refuses these rows (see the detail); pass another template (--template FILE)",
}


@dataclass
class Loss:
    kind: str  # one of LOSS_KINDS
    message: int | None  # index into the row's messages (None: the row's tools)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "detail": self.detail}


@dataclass
class RowFidelity:
    id: str
    checked: int = 0  # items compared: tools, assistant turns, tool results
    losses: list[Loss] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.losses

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "exact": self.exact,
            "checked": self.checked,
            "losses": [x.as_dict() for x in self.losses],
        }


@dataclass
class FidelityReport:
    format: str  # the tool-call format the template writes (parser used to read it back)
    renders_calls: bool
    rows: list[RowFidelity] = field(default_factory=list)

    @property
    def exact_rows(self) -> int:
        return sum(r.exact for r in self.rows)

    @property
    def fidelity(self) -> float:
        """Percentage of rows that round-trip exactly (100.0 for no rows)."""
        return 100.0 * self.exact_rows / len(self.rows) if self.rows else 100.0

    def totals(self) -> dict[str, int]:
        """Loss kind → rows with at least one loss of that kind."""
        out: Counter[str] = Counter()
        for r in self.rows:
            out.update({x.kind for x in r.losses})
        return {k: out[k] for k in LOSS_KINDS if out[k]}

    def rows_with_calls_lost(self) -> int:
        return sum(any(x.kind == CALLS_DROPPED for x in r.losses) for r in self.rows)

    def advice(self) -> list[str]:
        totals = self.totals()
        if not totals:
            return ["every row round-trips: the template carries the dataset as it is"]
        return [f"{kind} ({n} rows): {ADVICE[kind]}" for kind, n in totals.items()]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "renders_tool_calls": self.renders_calls,
            "rows": len(self.rows),
            "exact_rows": self.exact_rows,
            "fidelity_percent": round(self.fidelity, 2),
            "losses_by_kind": self.totals(),
            "next": self.advice(),
            "per_row": [r.as_dict() for r in self.rows],
        }


class _Template:
    def __init__(self, template: str, bos: str, eos: str):
        self.template, self.variables = template, {"bos_token": bos, "eos_token": eos}
        # parallel calls are trained one per message where the template takes no more (windows.py)
        self.single_call_only = refuses_parallel_calls(lambda m: self.render(m, None))
        # and a prompt right after a tool result starts a part of its own where it is refused
        self.prompt_after_tool_refused = refuses_prompt_after_tool(lambda m: self.render(m, None))

    def render(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None, prompt: bool = False) -> str:
        from forge.models.templates import render

        return render(self.template, messages, tools, add_generation_prompt=prompt, **self.variables)


def _json_values(text: str) -> list[Any]:
    """Every JSON object that starts at a '{' of the text (tool schemas the template dumped)."""
    decoder = json.JSONDecoder()
    out, i = [], text.find("{")
    while i >= 0:
        try:
            value, _ = decoder.raw_decode(text, i)
            out.append(value)
        except json.JSONDecodeError:
            pass
        i = text.find("{", i + 1)
    return out


def _check_tools(t: _Template, msgs: list[dict[str, Any]], tools: list[dict[str, Any]], row: RowFidelity) -> None:
    with_tools = t.render(msgs, tools)
    row.checked += len(tools)
    try:
        without = t.render(msgs, None)
    except Exception:  # a tool-use template that needs tools (Hermes 2 Pro): it renders them
        without = None
    if with_tools == without:
        row.losses.append(Loss(TOOLS_DROPPED, None, f"{len(tools)} tool schemas are not rendered"))
        return
    dumped = _json_values(with_tools)
    for tool in tools:
        fn = tool.get("function", tool)
        if tool in dumped or fn in dumped:
            continue
        params = (fn.get("parameters") or {}).get("properties") or {}
        wanted = [fn.get("name", ""), *(str(k) for k in params)]
        if fn.get("description"):
            wanted.append(str(fn["description"]).strip())
        missing = [w for w in wanted if w and w not in with_tools]
        if missing:
            row.losses.append(Loss(TOOL_SCHEMA_INCOMPLETE, None, f"{fn.get('name')!r}: missing {missing[:5]}"))


def _calls_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function", call)
        out.append({"name": fn.get("name", ""), "arguments": call_arguments(fn.get("arguments"))})
    return out


def _turn_text(t: _Template, msgs: list[dict[str, Any]], i: int, tools: Any) -> str:
    """What the template writes for assistant message i: the rendering past the generation
    prompt of messages[:i]. Some templates end the message before it differently when it is
    the last one (Hermes 2 Pro: `</tool_response><|im_end|>` vs `</tool_response>\n<|im_end|>`);
    then the turn is found after the generation prompt's own text (what add_generation_prompt
    adds) in what the message adds to the rendering."""
    full, prompt = t.render(msgs[: i + 1], tools), t.render(msgs[:i], tools, prompt=True)
    if full.startswith(prompt):
        return full[len(prompt) :]
    before = t.render(msgs[:i], tools)
    opening = prompt[_lcp(before, prompt) :]
    added = full[_lcp(before, full) :]
    if opening and opening in added:
        return added[added.index(opening) + len(opening) :]
    return reply_part(full, prompt)


def _check_turn(t: _Template, msgs: list[dict[str, Any]], i: int, tools: Any, fmt: str, row: RowFidelity) -> None:
    message = msgs[i]
    row.checked += 1
    reply = cut_at_end(_turn_text(t, msgs, i, tools), fmt)
    reasoning = (message.get("reasoning_content") or "").strip()
    if reasoning:
        if reasoning in reply:
            reply = reply.replace(reasoning, "", 1)
            for tag in ("<think>", "</think>"):
                reply = reply.replace(tag, "", 1)
        else:
            row.losses.append(Loss(REASONING_DROPPED, i))
    reply = _EMPTY_THINK.sub("", reply, count=1)
    content, calls, errors = get_format(fmt).parse(reply, tools)
    want_content, want_calls = (message.get("content") or "").strip(), _calls_of(message)
    if errors:
        row.losses.append(Loss(CALLS_UNREADABLE, i, "; ".join(errors)[:200]))
    elif want_calls and not calls:
        row.losses.append(Loss(CALLS_DROPPED, i, ", ".join(c["name"] for c in want_calls)))
    elif calls != want_calls:
        row.losses.append(
            Loss(CALLS_CHANGED, i, f"wrote {[c['name'] for c in calls]} for {[c['name'] for c in want_calls]}")
        )
    if content.strip() != want_content:
        kind = CONTENT_DROPPED if want_content and not content.strip() else CONTENT_REWRITTEN
        row.losses.append(Loss(kind, i, f"{len(want_content)} chars became {len(content.strip())}"))


def _result_encodings(content: str) -> list[str]:
    return [content, json.dumps(content, ensure_ascii=False), json.dumps(content)]


def _check_result(t: _Template, msgs: list[dict[str, Any]], i: int, tools: Any, row: RowFidelity) -> None:
    row.checked += 1
    content = msgs[i].get("content") or ""
    if not isinstance(content, str) or not content.strip():
        return
    before, after = t.render(msgs[:i], tools), t.render(msgs[: i + 1], tools)
    added = after[_lcp(before, after) :]
    if not any(enc in added for enc in _result_encodings(content)) and content.strip() not in added:
        row.losses.append(Loss(RESULT_DROPPED, i, f"{len(content)} chars not found in the rendering"))


def _parts(t: _Template, msgs: list[dict[str, Any]]) -> list[tuple[int, list[dict[str, Any]], int]]:
    """(shift, messages, first to check) of each part a row is trained as: the row whole, or,
    where the template refuses a prompt right after a tool result, split there with the system
    prompt before each later part (windows.row_windows); part index + shift = row index."""
    cuts = prompts_after_tools(msgs) if t.prompt_after_tool_refused else []
    if not cuts:
        return [(0, msgs, 0)]
    system = msgs[:1] if msgs[0].get("role") == "system" else []
    bounds = [*cuts, len(msgs)]
    later = [(a - len(system), system + msgs[a:b], len(system)) for a, b in itertools.pairwise(bounds)]
    return [(0, msgs[: cuts[0]], 0), *later]


def check_row(t: _Template, row: dict[str, Any], fmt: str, n: int) -> RowFidelity:
    out = RowFidelity(str(row.get("id", n)))
    messages = row.get("messages") or []
    msgs = template_messages(one_call_per_turn(messages) if t.single_call_only else messages)
    tools = row.get("tools") or None
    try:
        if tools:
            _check_tools(t, msgs, tools, out)
        for shift, part, first in _parts(t, msgs):
            before = len(out.losses)
            for i in range(first, len(part)):
                if part[i].get("role") == "assistant":
                    _check_turn(t, part, i, tools, fmt, out)
                elif part[i].get("role") == "tool":
                    _check_result(t, part, i, tools, out)
            for n in range(before, len(out.losses)):  # message numbers are the row's
                loss = out.losses[n]
                if loss.message is not None:
                    out.losses[n] = Loss(loss.kind, loss.message + shift, loss.detail)
    except Exception as e:  # Jinja raises anything (raise_exception in templates)
        out.losses.append(Loss(TEMPLATE_ERROR, None, f"{type(e).__name__}: {e}"[:300]))
    return out


def check_rows(rows: list[dict[str, Any]], template: str, *, bos: str = "<s>", eos: str = "</s>") -> FidelityReport:
    """Round-trip every row through `template` (see the module docstring)."""
    detection = detect_format(template)
    t = _Template(template, bos, eos)
    report = FidelityReport(detection.format, detection.renders_calls)
    report.rows = [check_row(t, row, detection.format, n) for n, row in enumerate(rows)]
    return report


def rows_have_calls(rows: list[dict[str, Any]]) -> bool:
    return any(m.get("tool_calls") for row in rows for m in row.get("messages") or [] if isinstance(m, dict))


def read_template_file(path: str) -> str:
    """An explicit chat template (`--template FILE`): Jinja text, or a tokenizer_config.json /
    model directory holding one."""
    from pathlib import Path

    from forge.errors import InputError
    from forge.models.templates import read_template

    p = Path(path).expanduser()
    if not p.exists():
        raise InputError("chat template file not found", path=str(p), hint="pass a .jinja file or a model directory")
    if p.is_dir() or p.suffix in (".json", ".gguf"):
        found = read_template(p.parent if p.name == "tokenizer_config.json" else p)
        if not found:
            raise InputError("no chat template in it", path=str(p))
        return found
    text = p.read_text(encoding="utf-8")
    if "{{" not in text and "{%" not in text:
        raise InputError("this is not a Jinja chat template (no {{ or {%)", path=str(p))
    return text


def base_template(base_location: str, template_file: str | None = None) -> tuple[str, str, str]:
    """(template, bos_token, eos_token) of a base model, its template replaced by `template_file`
    when given. A base without a template and no file is an InputError."""
    from transformers import AutoTokenizer

    from forge.errors import InputError

    tokenizer = AutoTokenizer.from_pretrained(base_location)
    template = read_template_file(template_file) if template_file else None
    if template is None:
        from forge.models.templates import read_template

        template = read_template(tokenizer)
    if not template:
        raise InputError(
            f"base model {base_location} has no chat template",
            hint="pass one with --template FILE (a .jinja chat template)",
        )
    bos, eos = getattr(tokenizer, "bos_token", None), getattr(tokenizer, "eos_token", None)
    return template, bos if isinstance(bos, str) else "", eos if isinstance(eos, str) else ""
