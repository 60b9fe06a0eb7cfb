"""Programmatic checkers: pure functions that judge one model reply against what was expected.

A checker takes the reply text, the tools the prompt offered (OpenAI schemas) and the expected
tool calls (`{"name", "arguments"}`), and returns a `CheckResult`. Replies are read in the
model's own tool-call format: the evaluate stage sets it (`models.tool_calls.reply_format`)
from the model's chat template, and every checker here (and any plugin calling `parse_reply`)
reads the calls in that format. Checkers live in the `CHECKERS` table;
`@register_checker("name")` adds one (plugins use the same decorator), and an eval prompt
names the checkers it is scored by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from forge.evaluate.schema import check_object
from forge.models.tool_calls import called_names, get_format, parse_reply
from forge.models.tool_formats import schemas_by_name


@dataclass
class CheckResult:
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed (empty when it passed)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "reasons": self.reasons, "details": self.details}


# (reply, tools, expected, prompt=None) -> CheckResult. `prompt` is the EvalPrompt (role, work tree,
# earlier turns) for checkers that judge a reply in context; the others ignore it.
Checker = Callable[..., CheckResult]
CHECKERS: dict[str, Checker] = {}

VALIDITY = "tool_call_validity"
ARGUMENT_MATCH = "argument_match"
TOOL_CHOICE = "tool_choice"


def register_checker(name: str) -> Callable[[Checker], Checker]:
    def add(fn: Checker) -> Checker:
        if name in CHECKERS and CHECKERS[name] is not fn:
            raise ValueError(f"checker {name!r} is already registered")
        CHECKERS[name] = fn
        return fn

    return add


def tool_schemas(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tool name → its parameters schema, from OpenAI `{"type":"function","function":{...}}`
    entries (bare `{"name","parameters"}` entries are accepted too)."""
    return schemas_by_name(tools)


@register_checker(VALIDITY)
def check_tool_call_validity(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """Pass when the reply makes the expected call(s), as parseable JSON, to available tools,
    with every required argument present and every declared argument of the right type."""
    parsed = parse_reply(reply, tools=tools)
    schemas = tool_schemas(tools)
    reasons: list[str] = list(parsed.errors)
    if not parsed.calls and not parsed.errors:
        opener = get_format(parsed.format).call_start
        reasons.append(f"no {opener} block" if opener not in reply else "tool call block is empty")
    for i, call in enumerate(parsed.calls):
        name = call["name"]
        if name not in schemas:
            reasons.append(f"unknown tool {name!r}")
            continue
        where = f" (call {i + 1})" if len(parsed.calls) > 1 else ""
        reasons += [p + where for p in check_object(call["arguments"], schemas[name])]
    if parsed.calls:
        for i, exp in enumerate(expected):
            if i >= len(parsed.calls):
                reasons.append(f"expected {len(expected)} tool call(s), got {len(parsed.calls)}")
                break
            got = parsed.calls[i]["name"]
            if got != exp["name"]:
                reasons.append(f"expected tool {exp['name']!r}, got {got!r}")
    details = {"calls": [c["name"] for c in parsed.calls], "expected": [e["name"] for e in expected]}
    return CheckResult(passed=not reasons, reasons=reasons, details=details)


@register_checker(TOOL_CHOICE)
def check_tool_choice(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """Pass when the reply's first tool call names the expected tool — the decision of what to
    do next, scored apart from whether the arguments came out as valid JSON."""
    names = called_names(reply)
    want = expected[0]["name"] if expected else None
    if not names:
        reasons = [f"no {get_format().call_start} block naming a tool"]
    elif want is not None and names[0] != want:
        reasons = [f"expected tool {want!r}, got {names[0]!r}"]
    else:
        reasons = []
    return CheckResult(passed=not reasons, reasons=reasons, details={"called": names[:3], "expected": want})


@register_checker(ARGUMENT_MATCH)
def check_argument_match(
    reply: str, tools: list[dict[str, Any]], expected: list[dict[str, Any]], prompt: Any = None
) -> CheckResult:
    """Softer, informational: the fraction of expected argument values reproduced exactly
    (call i of the reply against expected call i; a wrong tool name scores its arguments 0).
    `details["score"]` holds the fraction; it passes only at 1.0."""
    calls = parse_reply(reply, tools=tools).calls
    total = matched = 0
    names_ok = True
    reasons: list[str] = []
    for i, exp in enumerate(expected):
        call = calls[i] if i < len(calls) else None
        same_tool = call is not None and call["name"] == exp["name"]
        names_ok &= same_tool
        for key, value in (exp.get("arguments") or {}).items():
            total += 1
            if same_tool and call is not None and key in call["arguments"] and call["arguments"][key] == value:
                matched += 1
            else:
                reasons.append(f"argument '{key}' differs" if same_tool else f"argument '{key}' not produced")
    if total == 0:  # nothing to copy: the call itself is all there is to match
        score = 1.0 if names_ok and expected else 0.0
    else:
        score = matched / total
    return CheckResult(
        passed=score == 1.0,
        reasons=reasons if score < 1.0 else [],
        details={"score": score, "matched": matched, "total": total},
    )
