"""Scoring: run checkers on replies, aggregate into a report, and the gate. Pure."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from forge.evaluate.checkers import ARGUMENT_MATCH, CHECKERS, CheckResult
from forge.evaluate.gate import GateRules, evaluate_gate
from forge.evaluate.suite import EvalPrompt

# Scored and reported, but a prompt passes or fails on the other checks alone.
INFORMATIONAL = frozenset({ARGUMENT_MATCH})
MAX_FAILURES = 8
REPLY_LIMIT = 400
PROMPT_TAIL_LIMIT = 300


def score_reply(prompt: EvalPrompt, reply: str) -> dict[str, Any]:
    """One sample: every check the prompt names, and whether the prompt passed."""
    results: dict[str, CheckResult] = {
        name: CHECKERS[name](reply, prompt.tools, prompt.expected, prompt=prompt) for name in prompt.checks
    }
    gating = [n for n in prompt.checks if n not in INFORMATIONAL] or list(prompt.checks)
    arg = results.get(ARGUMENT_MATCH)
    return {
        "id": prompt.id,
        "task": prompt.task,
        "agent_role": prompt.agent_role,
        "passed": all(results[n].passed for n in gating),
        "reasons": [r for n in gating for r in results[n].reasons],
        "argument_match": arg.details["score"] if arg else None,
        "reply": reply,
        "expected": prompt.expected,
        "checks": {n: r.to_dict() for n, r in results.items()},
    }


def _rate(passed: int, total: int) -> dict[str, Any]:
    return {"passed": passed, "total": total, "rate": round(passed / total, 4) if total else 0.0}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _group(samples: list[dict[str, Any]], key: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in samples:
        groups[str(s.get(key) or "unknown")].append(s)
    out = {}
    for name, group in sorted(groups.items()):
        entry = _rate(sum(s["passed"] for s in group), len(group))
        entry["argument_match"] = _mean([s["argument_match"] for s in group if s["argument_match"] is not None])
        entry["components"] = components(group)
        out[name] = entry
    return out


def components(samples: list[dict[str, Any]]) -> dict[str, float]:
    """What the gate weighs: each check's pass rate over the samples it scored, argument match
    as its mean fraction (partial credit for the values a reply got right)."""
    out: dict[str, float] = {}
    for name in sorted({n for s in samples for n in s["checks"]}):
        scored = [s["checks"][name] for s in samples if name in s["checks"]]
        if name == ARGUMENT_MATCH:
            out[name] = _mean([float(c["details"].get("score", 0.0)) for c in scored]) or 0.0
        else:
            out[name] = round(sum(c["passed"] for c in scored) / len(scored), 4)
    return out


def _prompt_tail(prompt: EvalPrompt) -> str:
    last = prompt.messages[-1] if prompt.messages else {}
    text = last.get("content") or ""
    if last.get("tool_calls"):
        text += " " + " ".join(c.get("function", c).get("name", "?") for c in last["tool_calls"])
    text = f"[{last.get('role', '?')}] {text.strip()}"
    return text if len(text) <= PROMPT_TAIL_LIMIT else "…" + text[-PROMPT_TAIL_LIMIT:]


def summarize(prompts: list[EvalPrompt], samples: list[dict[str, Any]]) -> dict[str, Any]:
    """The report body (without model identity): overall score, per check, per task and role."""
    categories: dict[str, Any] = {}
    names = sorted({n for s in samples for n in s["checks"]})
    for name in names:
        with_check = [s["checks"][name] for s in samples if name in s["checks"]]
        categories[name] = _rate(sum(c["passed"] for c in with_check), len(with_check))
        if name == ARGUMENT_MATCH:
            categories[name]["mean"] = _mean([c["details"]["score"] for c in with_check])
    by_id = {p.id: p for p in prompts}
    failures = [
        {
            "id": s["id"],
            "task": s["task"],
            "prompt_tail": _prompt_tail(by_id[s["id"]]),
            "reply": s["reply"][:REPLY_LIMIT],
            "reasons": s["reasons"],
        }
        for s in samples
        if not s["passed"]
    ][:MAX_FAILURES]
    n = len(samples)
    gating = [c for name, c in categories.items() if name not in INFORMATIONAL]
    return {
        # the mean of the gating categories' pass rates: each skill counts the same however
        # many prompts exercise it (the seed's per-category eval table, averaged)
        "score": round(sum(c["rate"] for c in gating) / len(gating), 4) if gating else 0.0,
        # the share of prompts that pass every one of their checks at once
        "strict_score": round(sum(s["passed"] for s in samples) / n, 4) if n else 0.0,
        "n_prompts": n,
        "categories": categories,
        "components": components(samples),
        "by_task": _group(samples, "task"),
        "by_role": _group(samples, "agent_role"),
        "argument_match": _mean([s["argument_match"] for s in samples if s["argument_match"] is not None]),
        "failures": failures,
    }


def gate(
    report: dict[str, Any],
    threshold: float,
    base_report: dict[str, Any] | None = None,
    rules: GateRules | None = None,
) -> tuple[bool, str]:
    """Pass when every role (with enough prompts) and the whole report reach the threshold
    on the weighted components and, given a base report, the candidate beats the base.
    `evaluate_gate` gives the full per-role breakdown."""
    result = evaluate_gate(report, threshold, rules, base_report)
    return result["passed"], result["reason"]
