"""Base vs candidate: per-category pass rates side by side, the delta, failing examples. Pure."""

from __future__ import annotations

from typing import Any

from forge.evaluate.gate import DEFAULT_THRESHOLD, GateRules, evaluate_gate
from forge.evaluate.report import INFORMATIONAL


def compare_reports(
    candidate: dict[str, Any],
    base: dict[str, Any] | None,
    max_failures: int = 5,
    threshold: float = DEFAULT_THRESHOLD,
    rules: GateRules | None = None,
) -> dict[str, Any]:
    """Side by side, plus the deployment gate's verdict (per role, per component) on the candidate."""
    cats = sorted(set(candidate.get("categories", {})) | set((base or {}).get("categories", {})))
    rows = []
    for name in cats:
        c = candidate.get("categories", {}).get(name)
        b = (base or {}).get("categories", {}).get(name)
        rows.append(
            {
                "category": name,
                "informational": name in INFORMATIONAL,
                "candidate": c["rate"] if c else None,
                "base": b["rate"] if b else None,
                "total": (c or b)["total"],
                "delta": round(c["rate"] - b["rate"], 4) if c and b else None,
            }
        )
    score_b = base.get("score") if base else None
    return {
        "categories": rows,
        "candidate_score": candidate.get("score"),
        "base_score": score_b,
        "delta": round(candidate["score"] - score_b, 4) if score_b is not None else None,
        "n_prompts": candidate.get("n_prompts"),
        "failures": candidate.get("failures", [])[:max_failures],
        "gate": evaluate_gate(candidate, threshold, rules, base),
    }
