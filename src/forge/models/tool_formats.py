"""One parser per tool-call format: how each model family writes a call in its replies.

    hermes     <tool_call>{"name": N, "arguments": {...}}</tool_call>         Qwen2.5, Qwen3, Hermes, Forge's own
    qwen3_xml  <tool_call><function=N><parameter=K>V</parameter></function></tool_call>  Qwen3-Coder, Qwen3.5
    llama3     {"name": N, "parameters": {...}} as the whole reply, or after <|python_tag|>
               (also a built-in tool as `N.call(k="v")`)                     Llama 3.1 / 3.2 / 3.3
    mistral    [TOOL_CALLS][{"name": N, "arguments": {...}}] (v3, Nemo) or
               [TOOL_CALLS]N[CALL_ID]id[ARGS]{...} (v11+, Small 3.2, Ministral)
    gemma4     <|tool_call>call:N{key:<|"|>text<|"|>,count:3}<tool_call|>      Gemma 4
    deepseek   <｜tool▁call▁begin｜>function<｜tool▁sep｜>N\\n```json\\n{...}\\n```<｜tool▁call▁end｜>  DeepSeek R1

Each parser takes the reply (already cut at its end of turn) and the offered tool schemas (the
XML format writes values as bare text; the schema says whether "3" is a number or a string) and
returns (content, calls, errors). A call is {"name": str, "arguments": dict}; a block that is
meant as a call but cannot be read becomes one error, never a silent skip. Pure: no heavy imports.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Call = dict[str, Any]
Parsed = tuple[str, list[Call], list[str]]  # content, calls, errors


def schemas_by_name(tools: list[dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Tool name → its parameters schema (OpenAI `{"type":"function","function":{...}}` entries
    or bare `{"name","parameters"}`)."""
    out: dict[str, dict[str, Any]] = {}
    for tool in tools or []:
        fn = tool.get("function", tool) if isinstance(tool, dict) else {}
        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
            out[fn["name"]] = fn.get("parameters") or {}
    return out


def _short(text: str) -> str:
    return repr(text[:80])


def _call_from_object(
    obj: Any, raw: str, errors: list[str], arg_keys: tuple[str, ...] = ("arguments", "parameters")
) -> Call | None:
    """{"name": ..., "arguments"|"parameters": {...}} → a call; anything else → an error."""
    if not isinstance(obj, dict) or not isinstance(obj.get("name"), str):
        errors.append(f"tool call has no string 'name': {_short(raw)}")
        return None
    args: Any = next((obj[k] for k in arg_keys if k in obj), {})
    return _with_arguments(obj["name"], args, raw, errors)


def _with_arguments(name: str, args: Any, raw: str, errors: list[str]) -> Call | None:
    if isinstance(args, str):  # some templates and models double-encode the arguments
        try:
            args = _DECODER.decode(args) if args.strip() else {}
        except (json.JSONDecodeError, _RepeatedKey):
            errors.append(f"tool call arguments are not a JSON object: {_short(args)}")
            return None
    if not isinstance(args, dict):
        errors.append(f"tool call arguments are not a JSON object: {_short(raw)}")
        return None
    return {"name": name, "arguments": args}


class _RepeatedKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: JSON parsers disagree on which of two values for
    one key counts (most keep the last), so a call that repeats a key says two things at once."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RepeatedKey(key)
            seen.add(key)
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def _json_or_error(raw: str, errors: list[str]) -> Any:
    try:
        return _DECODER.decode(raw)
    except json.JSONDecodeError as e:
        errors.append(f"tool call is not valid JSON ({e.msg} at char {e.pos}): {_short(raw)}")
    except _RepeatedKey as e:
        errors.append(f"tool call gives the key {e.args[0]!r} twice: {_short(raw)}")
    return None


def _json_objects(text: str) -> tuple[list[Any], str]:
    """JSON values written one after another (spaces, newlines or ';' between them);
    returns them and whatever could not be read (empty when all was read)."""
    decoder = _DECODER
    out: list[Any] = []
    i = 0
    while True:
        while i < len(text) and (text[i].isspace() or text[i] == ";"):
            i += 1
        if i >= len(text):
            return out, ""
        try:
            obj, i = decoder.raw_decode(text, i)
        except (json.JSONDecodeError, _RepeatedKey):
            return out, text[i:]
        out.append(obj)


# ---- hermes: <tool_call>{json}</tool_call> ------------------------------------------------------

_HERMES_BLOCK = re.compile(r"<tool_call>(.*?)(?:</tool_call>|$)", re.DOTALL)


def parse_hermes(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    calls: list[Call] = []
    errors: list[str] = []
    for match in _HERMES_BLOCK.finditer(text):
        raw = match.group(1).strip()
        obj = _json_or_error(raw, errors)
        if obj is not None and (call := _call_from_object(obj, raw, errors)):
            calls.append(call)
    return _HERMES_BLOCK.sub("", text).strip(), calls, errors


# ---- qwen3_xml: <tool_call><function=N><parameter=K>\nV\n</parameter></function></tool_call> ---

_XML_FUNCTION = re.compile(r"^\s*<function=([^>\n]+)>(.*?)(?:</function>\s*)?$", re.DOTALL)
_XML_PARAMETER = re.compile(r"<parameter=([^>\n]+)>\n?(.*?)\n?</parameter>", re.DOTALL)


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A parameter written as bare text, read as its schema's type (the template wrote
    strings as they are and everything else as JSON / Python text)."""
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "string" in kinds and len(kinds) == 1:
        return value
    if value in ("True", "False", "None"):  # Jinja's `| string` of Python values
        return {"True": True, "False": False, "None": None}[value]
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def parse_qwen3_xml(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    schemas = schemas_by_name(tools)
    calls, errors = [], []
    for match in _HERMES_BLOCK.finditer(text):
        raw = match.group(1)
        fn = _XML_FUNCTION.match(raw)
        if not fn:
            errors.append(f"tool call has no <function=...> block: {_short(raw.strip())}")
            continue
        name = fn.group(1).strip()
        props = (schemas.get(name) or {}).get("properties") or {}
        params = [(k.strip(), v) for k, v in _XML_PARAMETER.findall(fn.group(2))]
        args = {k: _typed(v, props.get(k) or {}) for k, v in params}
        if len(args) < len(params):
            errors.append(f"tool call gives a parameter twice: {_short(raw.strip())}")
            continue
        calls.append({"name": name, "arguments": args})
    return _HERMES_BLOCK.sub("", text).strip(), calls, errors


# ---- llama3: bare JSON reply, or <|python_tag|> ------------------------------------------------

PYTHON_TAG = "<|python_tag|>"


def _builtin_call(body: str, errors: list[str]) -> Call | None:
    """`brave_search.call(query="...")`: Llama 3.1's built-in tools, read without evaluating."""
    try:
        node = ast.parse(body.strip(), mode="eval").body
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "call"
            and isinstance(node.func.value, ast.Name)
            and not node.args
        ):
            raise ValueError("not NAME.call(key=value, ...)")
        args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    except (SyntaxError, ValueError) as e:
        errors.append(f"python tool call cannot be read ({e}): {_short(body.strip())}")
        return None
    return {"name": node.func.value.id, "arguments": args}


def parse_llama3(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    """The template asks for the call as the whole reply; a reply that opens with '{' is a call
    attempt. After <|python_tag|> the call is JSON or a built-in `NAME.call(...)`."""
    if PYTHON_TAG in text:
        content, body = text.split(PYTHON_TAG, 1)
        content, body = content.strip(), body.strip()
    else:
        stripped = text.strip()
        if not stripped.startswith("{"):
            return stripped, [], []
        content, body = "", stripped
    errors: list[str] = []
    if not body.startswith("{"):
        call = _builtin_call(body, errors)
        return content, [call] if call else [], errors
    objects, rest = _json_objects(body)
    calls = [c for obj in objects if (c := _call_from_object(obj, json.dumps(obj), errors))]
    if rest:
        _json_or_error(rest, errors)
    return content, calls, errors


# ---- mistral: [TOOL_CALLS] ---------------------------------------------------------------------

TOOL_CALLS = "[TOOL_CALLS]"
_MISTRAL_V11 = re.compile(r"^\s*([^\[\]{}\s]+)\s*(?:\[CALL_ID\]\s*[^\[]*)?\[ARGS\](.*)$", re.DOTALL)


def parse_mistral(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    content, *segments = text.split(TOOL_CALLS)
    calls: list[Call] = []
    errors: list[str] = []
    for segment in segments:
        seg = segment.strip()
        if seg.startswith("["):  # v3: a JSON list of calls
            objects, rest = _json_objects(seg)
            if rest:
                _json_or_error(seg, errors)
                continue
            if len(objects) != 1 or not isinstance(objects[0], list):
                errors.append(f"[TOOL_CALLS] is not followed by one JSON list: {_short(seg)}")
                continue
            calls += [c for obj in objects[0] if (c := _call_from_object(obj, json.dumps(obj), errors))]
        elif m := _MISTRAL_V11.match(seg):  # v11+: NAME[ARGS]{...}
            args = _json_or_error(m.group(2).strip(), errors)
            if args is not None and (call := _with_arguments(m.group(1), args, seg, errors)):
                calls.append(call)
        else:
            errors.append(f"[TOOL_CALLS] is followed by neither a JSON list nor NAME[ARGS]: {_short(seg)}")
    return content.strip(), calls, errors


# ---- gemma4: <|tool_call>call:NAME{key:value,...}<tool_call|> ----------------------------------

GEMMA_QUOTE = '<|"|>'
_GEMMA_BLOCK = re.compile(r"<\|tool_call>(.*?)(?:<tool_call\|>|$)", re.DOTALL)
_GEMMA_CHANNEL = re.compile(r"<\|channel>.*?(?:<channel\|>|$)", re.DOTALL)
_GEMMA_SCALAR_END = re.compile(r"[,}\]]")


class _GemmaValues:
    """Gemma 4's argument syntax: strings between <|"|> marks, bare keys, JSON-like numbers,
    true/false, nested {...} and [...]. A small recursive-descent reader."""

    def __init__(self, text: str) -> None:
        self.text, self.i = text, 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"{what} at char {self.i}")

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self) -> str:
        self.skip()
        return self.text[self.i] if self.i < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.i += 1

    def quoted(self) -> str:
        end = self.text.find(GEMMA_QUOTE, self.i + len(GEMMA_QUOTE))
        if end < 0:
            raise self.fail("unterminated string")
        value = self.text[self.i + len(GEMMA_QUOTE) : end]
        self.i = end + len(GEMMA_QUOTE)
        return value

    def value(self) -> Any:
        self.skip()
        if self.text.startswith(GEMMA_QUOTE, self.i):
            return self.quoted()
        char = self.peek()
        if char == "{":
            return self.mapping()
        if char == "[":
            return self.sequence()
        match = _GEMMA_SCALAR_END.search(self.text, self.i)
        end = match.start() if match else len(self.text)
        word, self.i = self.text[self.i : end].strip(), end
        if not word:
            raise self.fail("missing value")
        if word in ("true", "false", "null", "None"):
            return {"true": True, "false": False}.get(word)
        try:
            return json.loads(word)
        except json.JSONDecodeError:
            return word

    def mapping(self) -> dict[str, Any]:
        self.expect("{")
        out: dict[str, Any] = {}
        while self.peek() != "}":
            if out:
                self.expect(",")
            self.skip()
            if self.text.startswith(GEMMA_QUOTE, self.i):
                key = self.quoted()
            else:
                colon = self.text.find(":", self.i)
                if colon < 0:
                    raise self.fail("expected key:value")
                key, self.i = self.text[self.i : colon].strip(), colon
            self.expect(":")
            out[key] = self.value()
        self.i += 1
        return out

    def sequence(self) -> list[Any]:
        self.expect("[")
        out: list[Any] = []
        while self.peek() != "]":
            if out:
                self.expect(",")
            out.append(self.value())
        self.i += 1
        return out


def parse_gemma4(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    calls, errors = [], []
    for match in _GEMMA_BLOCK.finditer(text):
        raw = match.group(1).strip()
        head, brace, _ = raw.partition("{")
        if not head.startswith("call:") or not brace:
            errors.append(f"tool call is not call:NAME{{...}}: {_short(raw)}")
            continue
        reader = _GemmaValues(raw)
        reader.i = len(head)
        try:
            args = reader.mapping()
            if reader.peek():
                raise reader.fail("text after the arguments")
        except ValueError as e:
            errors.append(f"tool call arguments cannot be read ({e}): {_short(raw)}")
            continue
        calls.append({"name": head[len("call:") :].strip(), "arguments": args})
    content = _GEMMA_CHANNEL.sub("", _GEMMA_BLOCK.sub("", text))
    return content.strip(), calls, errors


# ---- deepseek: <｜tool▁call▁begin｜>TYPE<｜tool▁sep｜>NAME ```json ... ``` ------------------------

DS_CALLS_BEGIN, DS_CALLS_END = "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"
DS_CALL_BEGIN, DS_CALL_END, DS_SEP = "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>"
_DS_BLOCK = re.compile(re.escape(DS_CALL_BEGIN) + r"(.*?)(?:" + re.escape(DS_CALL_END) + r"|$)", re.DOTALL)
_DS_BODY = re.compile(
    r"^\s*\w*\s*" + re.escape(DS_SEP) + r"\s*([^\n`]+?)\s*\n?```(?:json)?\s*(.*?)\s*(?:```)?\s*$", re.DOTALL
)


def parse_deepseek(text: str, tools: list[dict[str, Any]] | None = None) -> Parsed:
    calls, errors = [], []
    for match in _DS_BLOCK.finditer(text):
        raw = match.group(1)
        body = _DS_BODY.match(raw)
        if not body:
            errors.append(f"tool call is not TYPE<｜tool▁sep｜>NAME ```json ...```: {_short(raw.strip())}")
            continue
        args = _json_or_error(body.group(2), errors)
        if args is not None and (call := _with_arguments(body.group(1), args, raw, errors)):
            calls.append(call)
    first = min((i for i in (text.find(DS_CALLS_BEGIN), text.find(DS_CALL_BEGIN)) if i >= 0), default=-1)
    content = text if first < 0 else text[:first]
    return content.strip(), calls, errors


# ---- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCallFormat:
    name: str
    description: str
    parse: Callable[[str, list[dict[str, Any]] | None], Parsed]
    call_start: str  # how a call opens (named in "no tool call" messages)
    ends: tuple[str, ...]  # end-of-turn text: a reply is read up to the first of these
    names: Callable[[str], list[str]]  # lenient: the tool names a reply tries to call, even badly
    markers: tuple[str, ...]  # template text that says a template writes this format


_NAME = r'\s*\{\s*"name"\s*:\s*"([^"]+)"'


def _regex_names(pattern: str) -> Callable[[str], list[str]]:
    compiled = re.compile(pattern)
    return lambda text: [next(g for g in m.groups() if g) for m in compiled.finditer(text)]


_MISTRAL_NAMES = _regex_names(
    r"(?:\[TOOL_CALLS\]\s*\[|,)" + _NAME + r"|\[TOOL_CALLS\]\s*([^\[\]{}\s]+)\s*(?:\[CALL_ID\]|\[ARGS\])"
)
FORMATS: dict[str, ToolCallFormat] = {
    f.name: f
    for f in (
        ToolCallFormat(
            "gemma4",
            'Gemma 4: <|tool_call>call:NAME{key:<|"|>value<|"|>}<tool_call|>',
            parse_gemma4,
            "<|tool_call>",
            ("<turn|>", "<|tool_response>", "<eos>"),
            _regex_names(r"<\|tool_call>\s*call:([^{\s<]+)"),
            ("<|tool_call>",),
        ),
        ToolCallFormat(
            "mistral",
            "Mistral: [TOOL_CALLS] then a JSON list (v3) or NAME[ARGS]{...} (v11+)",
            parse_mistral,
            TOOL_CALLS,
            ("</s>",),
            _MISTRAL_NAMES,
            (TOOL_CALLS,),
        ),
        ToolCallFormat(
            "deepseek",
            "DeepSeek: <｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME ```json {...}```",
            parse_deepseek,
            DS_CALL_BEGIN,
            ("<｜end▁of▁sentence｜>",),
            _regex_names(re.escape(DS_CALL_BEGIN) + r"\s*\w*\s*" + re.escape(DS_SEP) + r"\s*([^\n`]+)"),
            ("tool▁call▁begin",),
        ),
        ToolCallFormat(
            "qwen3_xml",
            "Qwen3-Coder XML: <tool_call><function=NAME><parameter=KEY>value</parameter>",
            parse_qwen3_xml,
            "<tool_call>",
            ("<|im_end|>", "<|endoftext|>"),
            _regex_names(r"<tool_call>\s*<function=([^>\s]+)>"),
            ("<function=",),
        ),
        ToolCallFormat(
            "hermes",
            'Hermes / Qwen: <tool_call>{"name": ..., "arguments": {...}}</tool_call>',
            parse_hermes,
            "<tool_call>",
            ("<|im_end|>", "<|endoftext|>"),
            _regex_names(r"<tool_call>" + _NAME),
            ("<tool_call>",),
        ),
        ToolCallFormat(
            "llama3",
            'Llama 3.1: {"name": ..., "parameters": {...}} as the reply, or after <|python_tag|>',
            parse_llama3,
            '{"name": ...}',
            ("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>"),
            _regex_names(r"^(?:\s*<\|python_tag\|>)?" + _NAME + r"|<\|python_tag\|>\s*([A-Za-z_]\w*)\.call\("),
            ('"parameters": ', PYTHON_TAG),
        ),
    )
}
