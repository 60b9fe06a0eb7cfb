"""Recipe rules that label sessions: outcome, role and task. Pure: no I/O.

Where a label comes from, strongest first:
  outcome  the bead (attempt, events or bead status, see linking.py) > what the record states
           about itself (metadata, `resolved`, agent state) > `outcome_rules`, first match wins
           > the transcript's end state and git evidence (`outcome_inference`, outcome.py)
  role     metadata / the Gas Town cwd layout (readers) > the bead > `role_rules` > default_role
  task     the bead > metadata / tool use (readers) > `task_rules` > default_task
A rule with `override: true` replaces what the readers and the bead said instead of filling a gap.

Outcome rules are built-in names or pattern rules:
  "tests_failed"   the last tool result reports failing tests (pytest, go test, cargo, jest, ...)
  "tests_passed"   the last tool result reports passing tests and no failures  -> success
  "error_exit"     the last tool result reports a non-zero exit or a traceback, or the agent
                   itself stopped on an error (SWE-agent exit_status, OpenHands agent_state)
  "aborted"        the session was interrupted, or ends before the agent answered
  {"pattern": REGEX, "outcome": "success"|"failure", "in": WHERE}
Role and task rules: {"pattern": REGEX, "role"|"task": NAME, "in": WHERE, "override": false}.
WHERE names the text a pattern searches; see FIELDS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forge.ingest.outcome import DEFAULT_SIGNALS, confidence_of, infer
from forge.records import Conversation, Message

FAILURE, SUCCESS = "failure", "success"

TESTS_FAILED = re.compile(
    r"\b[1-9]\d* (?:failed|failing)\b|^FAILED\b|^--- FAIL\b|^FAIL\b|test result: FAILED|"
    r"FAILED \((?:failures|errors)=\d+|Tests?:\s+[1-9]\d* failed|npm ERR! Test failed",
    re.M,
)
TESTS_PASSED = re.compile(r"\b[1-9]\d* passed\b|^ok\s|^PASS\b|test result: ok|^OK(?: \(|$)|Tests?:\s+\d+ passed", re.M)
ERROR_EXIT = re.compile(
    r"(?i)\bexit(?:ed with)? (?:code|status)[:= ]+[1-9]\d*|returned non-zero exit status|"
    r"^Traceback \(most recent call last\)|command not found$",
    re.M,
)
AGENT_ERROR_STATES = re.compile(r"(?i)error|exit_format|exit_cost|exit_context|exit_api")
INTERRUPTED = re.compile(r"\[Request interrupted by user|<turn_aborted>")


def _last(conv: Conversation, role: str) -> Message | None:
    return next((m for m in reversed(conv.messages) if m.role == role), None)


def _last_tool_text(conv: Conversation) -> str:
    m = _last(conv, "tool")
    return m.content if m else ""


def _first_user(conv: Conversation) -> str:
    return next((m.content for m in conv.messages if m.role == "user"), "")


def _tool_calls_text(conv: Conversation) -> str:
    return "\n".join(
        f"{c.name} {json.dumps(c.arguments, ensure_ascii=False, sort_keys=True)}"
        for m in conv.messages
        for c in m.tool_calls
    )


FIELDS: dict[str, Callable[[Conversation], str]] = {
    "last_tool_result": _last_tool_text,
    "last_message": lambda c: c.messages[-1].content if c.messages else "",
    "any_tool_result": lambda c: "\n".join(m.content for m in c.messages if m.role == "tool"),
    "first_user": _first_user,
    "tool_calls": _tool_calls_text,
    "cwd": lambda c: str(c.metadata.get("cwd") or ""),
    "path": lambda c: c.source.path,
    "branch": lambda c: str(c.metadata.get("git_branch") or ""),
    "model": lambda c: str(c.metadata.get("model") or ""),
}


def _tests_failed(conv: Conversation) -> bool:
    return bool(TESTS_FAILED.search(_last_tool_text(conv)))


def _tests_passed(conv: Conversation) -> bool:
    text = _last_tool_text(conv)
    return bool(TESTS_PASSED.search(text)) and not TESTS_FAILED.search(text)


def _error_exit(conv: Conversation) -> bool:
    meta = conv.metadata
    for key in ("exit_status", "agent_state"):
        if isinstance(meta.get(key), str) and AGENT_ERROR_STATES.search(meta[key]):
            return True
    return bool(ERROR_EXIT.search(_last_tool_text(conv)))


def _aborted(conv: Conversation) -> bool:
    if conv.metadata.get("aborted") is True or (conv.metadata.get("counts") or {}).get("interruptions"):
        return True
    if any(m.role == "user" and INTERRUPTED.search(m.content) for m in conv.messages):
        return True
    return bool(conv.messages) and conv.messages[-1].role in ("user", "tool")


BUILTIN_OUTCOME_RULES: dict[str, tuple[str, Callable[[Conversation], bool]]] = {
    "tests_failed": (FAILURE, _tests_failed),
    "tests_passed": (SUCCESS, _tests_passed),
    "error_exit": (FAILURE, _error_exit),
    "aborted": (FAILURE, _aborted),
}


@dataclass(frozen=True)
class PatternRule:
    name: str  # how reports name it: "outcome_rules[2]"
    pattern: re.Pattern[str]
    value: str  # the outcome, role or task it gives
    field: str
    override: bool = False

    def matches(self, conv: Conversation) -> bool:
        return bool(self.pattern.search(FIELDS[self.field](conv)))


def rule_problems(
    key: str, rules: list[Any], label: str, allowed: tuple[str, ...] | None, builtin: dict[str, Any] | None = None
) -> list[str]:
    """Every problem in one list of rules, each naming the rule as `'key[i]...'`."""
    out: list[str] = []
    for i, rule in enumerate(rules):
        where = f"'{key}[{i}]"
        if isinstance(rule, str):
            if builtin is None or rule not in builtin:
                known = ", ".join(sorted(builtin)) if builtin else "none; use a pattern rule"
                out.append(f"{where}': unknown rule {rule!r} (built-in rules: {known})")
            continue
        if not isinstance(rule, dict):
            out.append(f"{where}': expected a table with pattern, {label} and in")
            continue
        extra = set(rule) - {"pattern", label, "in", "override"}
        if extra:
            out.append(f"{where}': unknown keys {sorted(extra)} (allowed: pattern, {label}, in, override)")
        try:
            re.compile(str(rule.get("pattern", "")))
        except re.error as exc:
            out.append(f"{where}.pattern': invalid regular expression ({exc})")
        if not rule.get("pattern"):
            out.append(f"{where}.pattern': required")
        value = rule.get(label)
        if not isinstance(value, str) or not value:
            out.append(f"{where}.{label}': required, a non-empty string")
        elif allowed and value not in allowed:
            out.append(f"{where}.{label}': must be one of {', '.join(allowed)}, got {value!r}")
        if rule.get("in") not in FIELDS:
            out.append(f"{where}.in': must be one of {', '.join(FIELDS)}, got {rule.get('in')!r}")
        if not isinstance(rule.get("override", False), bool):
            out.append(f"{where}.override': must be true or false")
    return out


def compile_rules(key: str, rules: list[Any], label: str) -> list[Any]:
    """Pattern rules compiled; built-in names kept as names. Validate first (rule_problems)."""
    out: list[Any] = []
    for i, rule in enumerate(rules):
        if isinstance(rule, str):
            out.append(rule)
        else:
            out.append(
                PatternRule(
                    f"{key}[{i}]",
                    re.compile(rule["pattern"]),
                    rule[label],
                    rule["in"],
                    bool(rule.get("override", False)),
                )
            )
    return out


@dataclass
class Labeller:
    """Applies a recipe's rules to a conversation, in place."""

    outcome_rules: list[Any]
    role_rules: list[PatternRule]
    task_rules: list[PatternRule]
    default_role: str | None = None
    default_task: str | None = None
    signals: tuple[str, ...] = DEFAULT_SIGNALS  # outcome inference, in order (outcome.py)

    def apply(self, conv: Conversation) -> None:
        for rule in self.role_rules:
            if (rule.override or not conv.agent_role) and rule.matches(conv):
                conv.agent_role = rule.value
                break
        for rule in self.task_rules:
            if (rule.override or not conv.task) and rule.matches(conv):
                conv.task = rule.value
                break
        conv.agent_role = conv.agent_role or self.default_role
        conv.task = conv.task or self.default_task
        if conv.outcome == "unknown":
            for rule in self.outcome_rules:
                if isinstance(rule, str):
                    outcome, test = BUILTIN_OUTCOME_RULES[rule]
                    hit, name = test(conv), rule
                else:
                    outcome, hit, name = rule.value, rule.matches(conv), rule.name
                if hit:
                    conv.outcome = outcome  # type: ignore[assignment]
                    conv.metadata["outcome_rule"] = name
                    conv.outcome_source = f"rule:{name}"
                    conv.outcome_confidence = confidence_of("rule")
                    break
        if conv.outcome == "unknown" and self.signals:
            verdict = infer(conv, self.signals)
            if verdict is not None:
                conv.outcome = verdict.outcome  # type: ignore[assignment]
                conv.outcome_source = verdict.source
                conv.outcome_confidence = verdict.confidence
