"""Recipe rules for outcome, role and task: validated config keys, applied in the corpus stage."""

from __future__ import annotations

import json

import pytest

from forge.artifacts import ArtifactStore
from forge.config import parse_config
from forge.errors import ConfigError
from forge.ingest.stage import IngestConfig, run_ingest
from forge.records import Conversation, Message, SourceRef, ToolCall


def conv(*tail: Message, cwd: str | None = None, **meta) -> Conversation:
    call = ToolCall("c1", "Bash", {"command": "pytest -q"})
    messages = [Message("user", "fix the bug"), Message("assistant", "", [call]), *tail]
    return Conversation("s1", messages, SourceRef("proj/s1.jsonl", 1), metadata={"cwd": cwd, **meta})


def tool(text: str) -> Message:
    return Message("tool", text, tool_call_id="c1", name="Bash")


def label(c: Conversation, **cfg) -> Conversation:
    cfg.setdefault("outcome_inference", [])  # these tests are about the recipe's rules alone
    parse_config(IngestConfig, cfg).labeller().apply(c)
    return c


@pytest.mark.parametrize(
    "last, rules, outcome, rule",
    [
        (tool("=== 2 failed, 10 passed in 1.2s ==="), ["tests_failed"], "failure", "tests_failed"),
        (tool("--- FAIL: TestSling (0.00s)\nFAIL\tgt/sling"), ["tests_failed"], "failure", "tests_failed"),
        (tool("test result: FAILED. 3 passed; 1 failed"), ["tests_failed"], "failure", "tests_failed"),
        (tool("==== 12 passed in 0.4s ===="), ["tests_failed", "tests_passed"], "success", "tests_passed"),
        (tool("Exit code 2\nerror: no such file"), ["error_exit"], "failure", "error_exit"),
        (tool("Traceback (most recent call last):\n  File ..."), ["error_exit"], "failure", "error_exit"),
        (tool("12 passed"), ["tests_failed", "error_exit"], "unknown", None),
    ],
)
def test_builtin_outcome_rules_read_the_last_tool_result(last, rules, outcome, rule):
    c = label(conv(last, Message("assistant", "done")), outcome_rules=rules)
    assert c.outcome == outcome and c.metadata.get("outcome_rule") == rule


def test_only_the_last_tool_result_counts_for_tests_failed():
    c = conv(
        tool("1 failed"),
        Message("assistant", "", [ToolCall("c2", "Bash", {"command": "pytest"})]),
        Message("tool", "5 passed", tool_call_id="c2", name="Bash"),
        Message("assistant", "fixed"),
    )
    assert label(c, outcome_rules=["tests_failed", "tests_passed"]).outcome == "success"


def test_aborted_sessions():
    ends_on_tool = conv(tool("running..."))
    assert label(ends_on_tool, outcome_rules=["aborted"]).outcome == "failure"
    interrupted = conv(tool("ok"), Message("assistant", "next"), counts={"interruptions": 1})
    assert label(interrupted, outcome_rules=["aborted"]).outcome == "failure"
    finished = conv(tool("ok"), Message("assistant", "all done"))
    assert label(finished, outcome_rules=["aborted"]).outcome == "unknown"


def test_agent_error_states_are_error_exits():
    c = conv(tool("ok"), Message("assistant", "bye"), exit_status="exit_cost")
    assert label(c, outcome_rules=["error_exit"]).outcome == "failure"


def test_rules_never_override_a_known_outcome():
    c = conv(tool("3 failed"), Message("assistant", "shipped"))
    c.outcome = "success"  # from the bead or the record's own metadata
    assert label(c, outcome_rules=["tests_failed"]).outcome == "success"


def test_pattern_rules_for_outcome_role_and_task():
    c = conv(tool("deploy ok: release v2 is live"), Message("assistant", "done"), cwd="/srv/ops/deployer")
    c = label(
        c,
        outcome_rules=[{"pattern": r"release v\d+ is live", "outcome": "success", "in": "last_tool_result"}],
        role_rules=[{"pattern": r"/ops/", "role": "deployer", "in": "cwd"}],
        task_rules=[{"pattern": r"(?i)\bfix\b", "task": "bug-fix", "in": "first_user"}],
    )
    assert (c.outcome, c.agent_role, c.task) == ("success", "deployer", "bug-fix")
    assert c.metadata["outcome_rule"] == "outcome_rules[0]"


def test_role_rules_fill_gaps_unless_they_override():
    c = conv(Message("assistant", "x"), cwd="/home/op/gt/gastown/polecats/nux")
    c.agent_role = "polecat"  # what the reader took from the Gas Town layout
    rule = {"pattern": "gastown", "role": "rig-worker", "in": "cwd"}
    assert label(c, role_rules=[rule]).agent_role == "polecat"
    assert label(c, role_rules=[{**rule, "override": True}]).agent_role == "rig-worker"
    bare = label(conv(Message("assistant", "x")), role_rules=[rule], default_role="crew")
    assert bare.agent_role == "crew"  # no rule matched: the default


def test_bad_rules_are_refused_each_naming_its_key():
    with pytest.raises(ConfigError) as err:
        parse_config(
            IngestConfig,
            {
                "outcome_rules": ["tests_faild", {"pattern": "(", "outcome": "meh", "in": "somewhere"}],
                "role_rules": [{"pattern": "x", "in": "cwd", "colour": "red"}],
                "workers": 0,
            },
        )
    text = str(err.value)
    for expected in (
        "'outcome_rules[0]': unknown rule 'tests_faild'",
        "'outcome_rules[1].pattern': invalid regular expression",
        "'outcome_rules[1].outcome': must be one of success, failure, got 'meh'",
        "'outcome_rules[1].in': must be one of",
        "'role_rules[0]': unknown keys ['colour']",
        "'role_rules[0].role': required",
        "'workers': must be at least 1",
    ):
        assert expected in text, expected


def test_rules_apply_in_the_stage_and_are_counted(tmp_path):
    lines = [
        {
            "messages": [
                {"role": "user", "content": "run the tests"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "bash", "arguments": '{"command": "pytest"}'},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": out},
                {"role": "assistant", "content": "done"},
            ]
        }
        for out in ("2 failed, 3 passed", "5 passed", "nothing")
    ]
    src = tmp_path / "chats.jsonl"
    src.write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = parse_config(IngestConfig, {"outcome_rules": ["tests_failed", "tests_passed"], "workers": 1})
    art = run_ingest(ArtifactStore(tmp_path / "store"), [src], cfg)
    outcomes = [json.loads(x)["outcome"] for x in art.file("conversations.jsonl").read_text().splitlines()]
    assert outcomes == ["failure", "success", "unknown"]
    report = json.loads(art.file("report.json").read_text())["ingest"]
    assert report["outcome_rules"] == {"tests_failed": 1, "tests_passed": 1}
