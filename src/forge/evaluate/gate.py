"""The deployment gate: does the candidate do the job, role by role? Pure.

Per role, the gated score is a weighted mean of the components the report scored for that
role: tool choice, call validity, argument match (the mean fraction of expected argument
values reproduced) and every Gas Town category its prompts were checked by. Argument match
weighs double by default: the right tool with the wrong arguments is not the job, and it is
what a constant policy (always the role's most common call) cannot fake — tool choice and
validity reward it with the majority share. Each role with at least `min_role_prompts`
prompts must clear the threshold on its own, and so must the whole report; every failure
is named at once (role, score, and the components below the threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forge.evaluate.checkers import ARGUMENT_MATCH, TOOL_CHOICE, VALIDITY

DEFAULT_WEIGHTS = {TOOL_CHOICE: 1.0, VALIDITY: 1.0, ARGUMENT_MATCH: 2.0}
OVERALL = "all roles"
DEFAULT_THRESHOLD = 0.5  # the pipeline's default `gate`


@dataclass
class GateRules:
    """How the gate weighs a report (the threshold itself is the pipeline's `gate`)."""

    # component (checker name) → weight; components not named weigh `other_weight`
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    other_weight: float = 1.0  # Gas Town categories (and plugin checkers)
    per_role: bool = True  # each role must clear the threshold, not only the mean
    min_role_prompts: int = 5  # fewer: the role counts in the overall score only

    def problems(self) -> list[str]:
        out = [f"'weights.{k}': must be at least 0, got {v}" for k, v in self.weights.items() if v < 0]
        if self.other_weight < 0:
            out.append(f"'other_weight': must be at least 0, got {self.other_weight}")
        if self.min_role_prompts < 1:
            out.append(f"'min_role_prompts': must be at least 1, got {self.min_role_prompts}")
        return out

    def weight(self, component: str) -> float:
        return self.weights.get(component, self.other_weight)


def weighted_score(components: dict[str, float], rules: GateRules) -> float:
    total = sum(rules.weight(c) for c in components)
    if total <= 0:
        return 0.0
    return round(sum(rules.weight(c) * s for c, s in components.items()) / total, 4)


def gate_rows(verdict: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The verdict as a table for reports: a row per role (and overall), a column per
    component (its score; the header holds its weight), the gated score and the verdict."""
    roles: dict[str, Any] = verdict.get("roles") or {}
    comps = sorted({c for r in roles.values() for c in r.get("components", {})})
    weights = {c: r["components"][c]["weight"] for r in roles.values() for c in r.get("components", {})}
    head = ["role", "prompts", *[f"{c} ×{weights[c]:g}" for c in comps], "gated score", "verdict"]
    rows = []
    for name, r in roles.items():
        cells = [f"{r['components'][c]['score']:.1%}" if c in r["components"] else "–" for c in comps]
        if not r.get("gated"):
            verdict_text = "in overall only (few prompts)"
        else:
            verdict_text = "pass" if r["score"] >= float(verdict.get("threshold") or 0.0) else "FAIL"
        rows.append([name, str(r.get("n_prompts", "")), *cells, f"{r['score']:.1%}", verdict_text])
    return head, rows


def breakdown(report: dict[str, Any], rules: GateRules) -> dict[str, dict[str, Any]]:
    """Gated score per role (and overall): components, weights, prompts, whether gated alone."""
    out: dict[str, dict[str, Any]] = {}
    if "components" not in report:  # a report from before components: its score, undivided
        legacy = {"score": float(report.get("score", 0.0))}
        return {
            OVERALL: {
                "score": legacy["score"],
                "n_prompts": int(report.get("n_prompts", 0)),
                "gated": True,
                "components": {"score": {"score": legacy["score"], "weight": 1.0}},
            }
        }
    groups = [(OVERALL, report.get("components") or {}, int(report.get("n_prompts", 0)))]
    groups += [
        (role, g.get("components") or {}, int(g.get("total", 0))) for role, g in (report.get("by_role") or {}).items()
    ]
    for name, components, n in groups:
        gated = name == OVERALL or (rules.per_role and n >= rules.min_role_prompts)
        out[name] = {
            "score": weighted_score(components, rules),
            "n_prompts": n,
            "gated": gated,
            "components": {c: {"score": s, "weight": rules.weight(c)} for c, s in sorted(components.items())},
        }
    return out


def _failure(name: str, entry: dict[str, Any], threshold: float) -> str:
    low = sorted(
        ((c, v["score"]) for c, v in entry["components"].items() if v["weight"] > 0 and v["score"] < threshold),
        key=lambda cv: cv[1],
    )
    weak = ", ".join(f"{c} {s:.1%}" for c, s in low) or "none alone"
    who = "overall" if name == OVERALL else f"role {name}"
    return (
        f"{who} scores {entry['score']:.1%}, below the threshold {threshold:.1%} "
        f"({entry['n_prompts']} prompts; components below it: {weak})"
    )


def evaluate_gate(
    report: dict[str, Any],
    threshold: float,
    rules: GateRules | None = None,
    base_report: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """{"passed", "reason", "threshold", "score", "base_score", "roles", "failures", "table"}."""
    rules = rules or GateRules()
    roles = breakdown(report, rules)
    score = roles[OVERALL]["score"]
    # roles first: a role that fails is the most specific thing to say
    order = [n for n in roles if n != OVERALL] + [OVERALL]
    failures = [_failure(n, roles[n], threshold) for n in order if roles[n]["gated"] and roles[n]["score"] < threshold]
    base_score = None
    if base_report is not None:
        base_score = breakdown(base_report, rules)[OVERALL]["score"]
        if score <= base_score:
            failures.append(f"overall {score:.1%} does not beat the base model's {base_score:.1%}")
    gated = [n for n, e in roles.items() if e["gated"] and n != OVERALL]
    if failures:
        reason = "; ".join(failures)
    else:
        reason = f"score {score:.1%} >= threshold {threshold:.1%}"
        if gated:
            reason += " in every role (" + ", ".join(f"{n} {roles[n]['score']:.1%}" for n in gated) + ")"
        if base_score is not None:
            reason += f" and beats base {base_score:.1%}"
    verdict = {
        "passed": not failures,
        "reason": reason,
        "threshold": threshold,
        "score": score,
        "base_score": base_score,
        "roles": roles,
        "failures": failures,
    }
    head, rows = gate_rows(verdict)
    return {**verdict, "table": {"head": head, "rows": rows}}  # for edges that only display
