"""A small renderer for the subset of Go's text/template that Forge's Ollama template uses.

It exists to test the Modelfile: the template Ollama will run is rendered here with the data
Ollama gives it (`.System`, `.Messages`, `.Tools`) and compared with HF's chat template.
Supported: text, `{{ }}` actions with `{{-`/`-}}` trimming, fields (`.A.B`, `$.A`, `$v.A`),
variables (`$x := …`, `$x = …`), `if`/`else if`/`else`/`end`, `range [$i, $v :=] …`, string
and integer literals, parentheses, and the functions eq, ne, and, or, not, len, json. A map's
`.All` ranges over it in declaration order, as Ollama's ordered tool-property maps do (Go 1.24
templates range over iterator functions).
Printing follows Go and Ollama: strings as they are, numbers and booleans as Go prints them,
maps and lists as Go's encoding/json writes them (Ollama's Tool and argument types print as
JSON): compact, map keys sorted, and <, >, & escaped as \\u003c, \\u003e, \\u0026.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class TemplateError(ValueError):
    pass


def go_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def go_print(value: Any) -> str:
    if value is None:
        return "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return go_json(value)
    return str(value)


def truthy(value: Any) -> bool:
    """Go's notion of true: not false, 0, nil, or an empty string, slice or map."""
    return not (
        value is None
        or value is False
        or (value == 0 and not isinstance(value, bool))
        or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0)
    )


# ---- parsing ----------------------------------------------------------------------------------

_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.DOTALL)
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<int>-?\d+)|(?P<open>\()|(?P<close>\))'
    r"|(?P<word>[^\s()]+))"
)


@dataclass
class Node:
    kind: str  # text | out | if | range | set
    text: str = ""
    expr: list[Any] = field(default_factory=list)
    body: list[Node] = field(default_factory=list)
    orelse: list[Node] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    declare: bool = True


def _tokens(src: str) -> list[Any]:
    """An expression → nested lists: parentheses become sub-lists, literals become tuples."""
    stack: list[list[Any]] = [[]]
    pos = 0
    while pos < len(src):
        m = _TOKEN.match(src, pos)
        if not m or m.end() == pos:
            if src[pos:].strip():
                raise TemplateError(f"cannot parse {src!r}")
            break
        pos = m.end()
        if m["str"]:
            stack[-1].append(("lit", json.loads(m["str"])))
        elif m["int"]:
            stack[-1].append(("lit", int(m["int"])))
        elif m["open"]:
            stack.append([])
        elif m["close"]:
            inner = stack.pop()
            stack[-1].append(inner)
        elif m["word"]:
            stack[-1].append(m["word"])
    if len(stack) != 1:
        raise TemplateError(f"unbalanced parentheses in {src!r}")
    return stack[0]


def parse(template: str) -> list[Node]:
    pieces: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(template):
        text = template[pos : m.start()]
        if m.group(1):
            text = text.rstrip()
        if pieces and pieces[-1][0] == "trim-next":
            pieces.pop()
            text = text.lstrip()
        pieces.append(("text", text))
        pieces.append(("action", m.group(2).strip()))
        if m.group(3):
            pieces.append(("trim-next", ""))
        pos = m.end()
    tail = template[pos:]
    if pieces and pieces[-1][0] == "trim-next":
        pieces.pop()
        tail = tail.lstrip()
    pieces.append(("text", tail))
    nodes, _rest = _parse_block(pieces, 0, top=True)
    return nodes


def _parse_block(pieces: list[tuple[str, str]], i: int, top: bool = False) -> tuple[list[Node], int]:
    out: list[Node] = []
    while i < len(pieces):
        kind, body = pieces[i]
        if kind == "text":
            if body:
                out.append(Node("text", text=body))
            i += 1
            continue
        word = body.split(None, 1)[0] if body else ""
        if word in ("end", "else"):
            if top:
                raise TemplateError(f"unexpected {{{{ {body} }}}}")
            return out, i
        if word == "if":
            node, i = _parse_if(pieces, i, body[2:].strip())
            out.append(node)
        elif word == "range":
            spec = body[5:].strip()
            names: list[str] = []
            if ":=" in spec:
                left, spec = spec.split(":=", 1)
                names = [n.strip() for n in left.split(",")]
            node = Node("range", expr=_tokens(spec), names=names)
            node.body, i = _parse_block(pieces, i + 1)
            if pieces[i][1] == "else":
                node.orelse, i = _parse_block(pieces, i + 1)
            i += 1
            out.append(node)
        elif re.match(r"^\$\w*\s*:?=", body):
            name, expr = re.split(r"\s*:?=\s*", body, maxsplit=1)
            out.append(Node("set", names=[name], expr=_tokens(expr), declare=":=" in body))
            i += 1
        else:
            if body.startswith("/*"):
                i += 1
                continue
            out.append(Node("out", expr=_tokens(body)))
            i += 1
    if not top:
        raise TemplateError("missing {{ end }}")
    return out, i


def _parse_if(pieces: list[tuple[str, str]], i: int, cond: str) -> tuple[Node, int]:
    node = Node("if", expr=_tokens(cond))
    node.body, i = _parse_block(pieces, i + 1)
    action = pieces[i][1]
    if action.startswith("else if"):
        inner, i = _parse_if(pieces, i, action[7:].strip())
        node.orelse = [inner]
        return node, i
    if action == "else":
        node.orelse, i = _parse_block(pieces, i + 1)
    return node, i + 1


# ---- evaluation -------------------------------------------------------------------------------


class Seq2(list):
    """What Ollama's ordered maps hand `range` through their All() method: (key, value) pairs in
    declaration order (a plain Go map ranges in sorted key order)."""


def _field(value: Any, path: list[str]) -> Any:
    for name in path:
        if name == "All" and isinstance(value, dict) and "All" not in value and "all" not in value:
            value = Seq2(value.items())  # ToolPropertiesMap.All(): an iter.Seq2 over the properties
        elif isinstance(value, dict):
            # Go struct fields are capitalised; the OpenAI dicts Ollama decodes them from are not
            value = value.get(name, value.get(name[:1].lower() + name[1:]))
        else:
            value = getattr(value, name, None)
    return value


def _operand(tok: Any, dot: Any, scope: dict[str, Any]) -> Any:
    if isinstance(tok, tuple):
        return tok[1]
    if isinstance(tok, list):
        return _call(tok, dot, scope)
    if tok == ".":
        return dot
    if tok.startswith("."):
        return _field(dot, tok[1:].split("."))
    if tok.startswith("$"):
        name, _, rest = tok.partition(".")
        if name not in scope:
            raise TemplateError(f"undefined variable {name}")
        return _field(scope[name], rest.split(".")) if rest else scope[name]
    if tok in ("true", "false"):
        return tok == "true"
    raise TemplateError(f"unknown operand {tok!r}")


FUNCS: dict[str, Callable[..., Any]] = {
    "eq": lambda a, *bs: any(a == b for b in bs),
    "ne": lambda a, b: a != b,
    "not": lambda a: not truthy(a),
    "len": lambda a: len(a),
    "json": go_json,
}


def _call(tokens: list[Any], dot: Any, scope: dict[str, Any]) -> Any:
    head = tokens[0]
    if isinstance(head, str) and head in ("and", "or"):
        value = None
        for tok in tokens[1:]:  # Go evaluates lazily and returns the deciding argument
            value = _operand(tok, dot, scope)
            if truthy(value) != (head == "and"):
                return value
        return value
    if isinstance(head, str) and head in FUNCS:
        return FUNCS[head](*(_operand(t, dot, scope) for t in tokens[1:]))
    if len(tokens) != 1:
        raise TemplateError(f"unknown function {head!r}")
    return _operand(head, dot, scope)


def _run(nodes: list[Node], dot: Any, scope: dict[str, Any], out: list[str]) -> None:
    for node in nodes:
        if node.kind == "text":
            out.append(node.text)
        elif node.kind == "out":
            out.append(go_print(_call(node.expr, dot, scope)))
        elif node.kind == "set":
            if not node.declare and node.names[0] not in scope:
                raise TemplateError(f"undefined variable {node.names[0]}")
            scope[node.names[0]] = _call(node.expr, dot, scope)
        elif node.kind == "if":
            branch = node.body if truthy(_call(node.expr, dot, scope)) else node.orelse
            _run(branch, dot, scope, out)
        elif node.kind == "range":
            items = _call(node.expr, dot, scope) or []
            if isinstance(items, Seq2):
                pairs = list(items)
            else:
                pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items))
            if not pairs:
                _run(node.orelse, dot, scope, out)
            for key, item in pairs:
                inner = scope  # Go: variables assigned inside a range stay assigned after it
                if len(node.names) == 1:
                    inner[node.names[0]] = item
                elif len(node.names) == 2:
                    inner[node.names[0]], inner[node.names[1]] = key, item
                _run(node.body, item, inner, out)


def render(template: str, data: dict[str, Any]) -> str:
    out: list[str] = []
    _run(parse(template), data, {"$": data}, out)
    return "".join(out)
