"""Base vs candidate comparison and the self-contained HTML report."""

import re

from forge.evaluate.compare import compare_reports
from forge.evaluate.html import render_html


def report(rates, score, failures=()):
    return {
        "score": score,
        "n_prompts": 10,
        "failures": list(failures),
        "categories": {k: {"passed": int(v * 10), "total": 10, "rate": v} for k, v in rates.items()},
    }


def test_compare_gives_rates_side_by_side_and_the_delta():
    cand = report(
        {"git_workflow": 0.8, "planning": 0.5, "argument_match": 0.4},
        0.65,
        [{"id": "p1", "task": "t", "reply": "<b>x</b>", "reasons": ["force push"]}] * 7,
    )
    base = report({"git_workflow": 0.2, "planning": 0.5}, 0.35)
    c = compare_reports(cand, base)
    rows = {r["category"]: r for r in c["categories"]}
    assert rows["git_workflow"] == {
        "category": "git_workflow",
        "informational": False,
        "candidate": 0.8,
        "base": 0.2,
        "total": 10,
        "delta": 0.6,
    }
    assert rows["planning"]["delta"] == 0.0
    assert rows["argument_match"]["informational"] and rows["argument_match"]["base"] is None
    assert c["delta"] == 0.3 and len(c["failures"]) == 5
    assert compare_reports(cand, None)["delta"] is None


def test_html_is_self_contained_with_an_svg_bar_per_rate_and_escaped_text():
    cand = report(
        {"git_workflow": 0.8, "planning": 0.5},
        0.65,
        [{"id": "p1", "task": "t", "reply": "<script>alert(1)</script>", "reasons": ["r"]}],
    )
    base = report({"git_workflow": 0.2, "planning": 0.5}, 0.35)
    page = render_html("Forge eval: polecat-v2", compare_reports(cand, base), {"model": "polecat-v2"})
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert len(re.findall(r"<rect ", page)) == 4
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "+60.0 pts" in page and "+30.0 pts" in page
