"""The deployment gate measures the job: per role, argument match and the Gas Town categories
weighed in. The eval set is the example corpus's real held-out split (ingest + build run for
real) and every reply is scored by the real checkers; nothing is mocked."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from forge.artifacts import ArtifactStore
from forge.build.config import BuildConfig
from forge.build.stage import run_build
from forge.bundled import example_sources
from forge.errors import ConfigError
from forge.evaluate.gastown import categories_for
from forge.evaluate.gate import OVERALL, GateRules, evaluate_gate
from forge.evaluate.report import gate, score_reply, summarize
from forge.evaluate.suite import EvalPrompt, load_dataset_prompts
from forge.ingest.stage import IngestConfig, run_ingest
from forge.pipeline import PipelineConfig, stage_configs

DEFAULT_THRESHOLD = PipelineConfig(sources=["x"]).gate


def hermes(calls: list[dict[str, Any]]) -> str:
    """Replies in Forge's own tool-call format (what the tiny base's template teaches)."""
    return "".join(
        "<tool_call>" + json.dumps({"name": c["name"], "arguments": c["arguments"]}) + "</tool_call>" for c in calls
    )


@pytest.fixture(scope="module")
def eval_prompts(tmp_path_factory) -> list[EvalPrompt]:
    store = ArtifactStore(tmp_path_factory.mktemp("store"))
    corpus = run_ingest(store, [Path(s) for s in example_sources()], IngestConfig())
    return load_dataset_prompts(run_build(store, corpus, BuildConfig()).path)


def constant_policy(prompts: list[EvalPrompt]) -> dict[str, dict[str, Any]]:
    """Per role: its most common first call, with that call's most common arguments — taken
    from the eval set itself, so the constant is as strong as a constant can be."""
    by_role: dict[str, list[EvalPrompt]] = defaultdict(list)
    for p in prompts:
        by_role[str(p.agent_role)].append(p)
    policy = {}
    for role, ps in by_role.items():
        tool = Counter(p.expected[0]["name"] for p in ps).most_common(1)[0][0]
        args = Counter(
            json.dumps(p.expected[0]["arguments"], sort_keys=True) for p in ps if p.expected[0]["name"] == tool
        )
        policy[role] = {"name": tool, "arguments": json.loads(args.most_common(1)[0][0])}
    return policy


def report_for(prompts: list[EvalPrompt], replies: list[str]) -> dict[str, Any]:
    return summarize(prompts, [score_reply(p, r) for p, r in zip(prompts, replies)])


def test_held_out_prompts_are_scored_on_gas_town_categories(eval_prompts):
    checks = Counter(c for p in eval_prompts for c in p.checks)
    assert {"tool_choice", "tool_call_validity", "argument_match"} <= set(checks)
    assert checks["bead_management"] > 0 and checks["git_workflow"] > 0 and checks["convention_adherence"] > 0


def test_a_constant_per_role_policy_fails_the_default_gate(eval_prompts):
    policy = constant_policy(eval_prompts)
    report = report_for(eval_prompts, [hermes([policy[str(p.agent_role)]]) for p in eval_prompts])
    verdict = evaluate_gate(report, DEFAULT_THRESHOLD)
    assert not verdict["passed"], verdict["reason"]
    assert verdict["score"] < DEFAULT_THRESHOLD
    failed_roles = [f for f in verdict["failures"] if f.startswith("role ")]
    assert failed_roles, verdict["failures"]  # a role is named, with the components that sank it
    assert "argument_match" in verdict["reason"]
    assert gate(report, DEFAULT_THRESHOLD) == (False, verdict["reason"])


def test_the_reference_answers_pass_the_default_gate(eval_prompts):
    report = report_for(eval_prompts, [hermes(p.expected) for p in eval_prompts])
    verdict = evaluate_gate(report, DEFAULT_THRESHOLD)
    assert verdict["passed"], verdict["reason"]
    assert verdict["score"] >= 0.9
    assert all(r["score"] >= 0.9 for r in verdict["roles"].values())


def _report(roles: dict[str, tuple[int, dict[str, float]]]) -> dict[str, Any]:
    n = sum(k for k, _ in roles.values())
    overall = {c: sum(k * comps[c] for k, comps in roles.values()) / n for c in next(iter(roles.values()))[1]}
    return {
        "score": 1.0,
        "n_prompts": n,
        "components": overall,
        "by_role": {r: {"total": k, "components": comps} for r, (k, comps) in roles.items()},
    }


GOOD = {"tool_choice": 0.9, "tool_call_validity": 0.9, "argument_match": 0.8, "bead_management": 0.9}
BAD = {"tool_choice": 0.6, "tool_call_validity": 0.6, "argument_match": 0.1, "bead_management": 0.2}


def test_every_role_must_clear_the_threshold_not_only_the_mean():
    report = _report({"polecat": (40, GOOD), "mayor": (10, BAD)})
    verdict = evaluate_gate(report, 0.5)
    assert verdict["roles"][OVERALL]["score"] >= 0.5  # the mean alone would pass
    assert not verdict["passed"]
    assert verdict["reason"].startswith("role mayor scores 32.0%, below the threshold 50.0% (10 prompts;")
    assert "argument_match 10.0%" in verdict["reason"] and "polecat" not in verdict["reason"]
    # argument match weighs 2, the rest 1: (0.6 + 0.6 + 2*0.1 + 0.2) / 5
    assert verdict["roles"]["mayor"]["score"] == pytest.approx(0.32)
    assert verdict["table"]["rows"][2][-1] == "FAIL"


def test_roles_with_few_prompts_count_in_the_overall_score_only():
    report = _report({"polecat": (40, GOOD), "mayor": (3, BAD)})
    assert evaluate_gate(report, 0.5)["passed"]
    assert not evaluate_gate(report, 0.5, GateRules(min_role_prompts=3))["passed"]
    assert evaluate_gate(report, 0.5, GateRules(per_role=False, min_role_prompts=3))["passed"]


def test_weights_are_configurable_and_the_base_must_be_beaten():
    report = _report({"polecat": (40, BAD)})
    assert not evaluate_gate(report, 0.5)["passed"]
    lenient = GateRules(weights={"tool_choice": 1.0, "tool_call_validity": 1.0, "argument_match": 0.0}, other_weight=0)
    assert evaluate_gate(report, 0.5, lenient)["passed"]  # the old mean(tool_choice, validity)
    beaten = evaluate_gate(report, 0.5, lenient, base_report=_report({"polecat": (40, GOOD)}))
    assert not beaten["passed"] and "does not beat the base model's" in beaten["reason"]


def test_gate_rules_problems_are_reported_at_once_with_their_keys():
    cfg = PipelineConfig(
        sources=["x"],
        gate_rules={"weights": {"argument_match": -1.0}, "min_role_prompts": 0},
        evaluate={"max_prompts": 0},
    )
    with pytest.raises(ConfigError) as err:
        stage_configs(cfg)
    assert err.value.problems == [
        "'evaluate.max_prompts': must be at least 1, got 0",
        "'gate_rules.weights.argument_match': must be at least 0, got -1.0",
        "'gate_rules.min_role_prompts': must be at least 1, got 0",
    ]
    with pytest.raises(ConfigError, match="'gate_rules.weight': unknown key"):
        stage_configs(PipelineConfig(sources=["x"], gate_rules={"weight": 1}))


def test_categories_read_off_the_reference_calls():
    bash = lambda cmd: [{"name": "Bash", "arguments": {"command": cmd}}]  # noqa: E731
    assert categories_for(bash("bd update gt-1 --status in_progress")) == ["bead_management", "convention_adherence"]
    assert categories_for(bash("git push -u origin polecat/x")) == ["git_workflow", "convention_adherence"]
    assert categories_for([{"name": "mcp__beads__create", "arguments": {"title": "t"}}]) == ["bead_management"]
    assert categories_for([{"name": "Edit", "arguments": {"file_path": "a.py"}}]) == ["convention_adherence"]
    assert categories_for([{"name": "Read", "arguments": {"file_path": "a.py"}}]) == []


def test_a_report_from_before_components_is_gated_on_its_score():
    assert gate({"score": 0.8, "n_prompts": 4}, 0.7) == (True, "score 80.0% >= threshold 70.0%")


def test_forge_eval_comparison_and_html_carry_the_gate(eval_prompts):
    from forge.evaluate.compare import compare_reports
    from forge.evaluate.html import render_html

    policy = constant_policy(eval_prompts)
    report = report_for(eval_prompts, [hermes([policy[str(p.agent_role)]]) for p in eval_prompts])
    comparison = compare_reports(report, None)
    assert comparison["gate"]["passed"] is False
    head = comparison["gate"]["table"]["head"]
    assert head[:2] == ["role", "prompts"] and "argument_match ×2" in head and head[-2:] == ["gated score", "verdict"]
    html = render_html("eval", comparison, {"model": "constant"})
    assert "Gate (every role's weighted score ≥ 50.0%): failed" in html and "<td>FAIL</td>" in html
