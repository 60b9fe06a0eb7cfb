import json

import pytest

from forge.evaluate.checkers import (
    CHECKERS,
    CheckResult,
    check_argument_match,
    check_tool_call_validity,
    register_checker,
)
from forge.evaluate.schema import check_object, check_value

CREATE = {
    "type": "function",
    "function": {
        "name": "mcp__beads__create",
        "description": "Create a bead",
        "parameters": {
            "type": "object",
            "required": ["title", "priority"],
            "properties": {
                "title": {"type": "string"},
                "priority": {"type": "integer"},
                "issue_type": {"type": "string", "enum": ["bug", "feature", "task", "epic"]},
                "labels": {"type": "array", "items": {"type": "string"}},
                "estimate": {"type": "number"},
                "blocking": {"type": "boolean"},
            },
        },
    },
}
BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}},
    },
}
TOOLS = [CREATE, BASH]
EXPECTED = [{"name": "mcp__beads__create", "arguments": {"title": "Fix login", "priority": 1, "issue_type": "bug"}}]


def reply(name, args, raw=None):
    body = raw if raw is not None else json.dumps({"name": name, "arguments": args})
    return f"I'll file it.\n<tool_call>\n{body}\n</tool_call>"


def test_valid_call_passes():
    r = check_tool_call_validity(
        reply(
            "mcp__beads__create",
            {
                "title": "Fix login",
                "priority": 1,
                "issue_type": "bug",
                "labels": ["auth"],
                "estimate": 2,
                "blocking": False,
            },
        ),
        TOOLS,
        EXPECTED,
    )
    assert r.passed and r.reasons == []
    assert r.details["calls"] == ["mcp__beads__create"]


def test_trailing_im_end_and_unclosed_block_still_parse():
    text = '<tool_call>\n{"name": "Bash", "arguments": {"command": "git status"}}\n<|im_end|>'
    r = check_tool_call_validity(text, TOOLS, [{"name": "Bash", "arguments": {}}])
    assert r.passed, r.reasons


def test_no_block():
    r = check_tool_call_validity("Sure, I will create the bead.", TOOLS, EXPECTED)
    assert not r.passed and r.reasons == ["no <tool_call> block"]


def test_invalid_json():
    r = check_tool_call_validity(reply(None, None, raw='{"name": "Bash", "arguments": {'), TOOLS, EXPECTED)
    assert not r.passed
    assert any("not valid JSON" in x for x in r.reasons)


def test_missing_required():
    r = check_tool_call_validity(reply("mcp__beads__create", {"priority": 2}), TOOLS, EXPECTED)
    assert not r.passed and r.reasons == ["missing required 'title'"]


@pytest.mark.parametrize(
    "args, needle",
    [
        ({"title": "x", "priority": "high"}, "'priority' should be integer, got string"),
        ({"title": 5, "priority": 1}, "'title' should be string, got integer"),
        ({"title": "x", "priority": True}, "'priority' should be integer, got boolean"),
        ({"title": "x", "priority": 1.5}, "'priority' should be integer, got number"),
        ({"title": "x", "priority": 1, "labels": "auth"}, "'labels' should be array"),
        ({"title": "x", "priority": 1, "labels": ["a", 3]}, "'labels[1]' should be string"),
        ({"title": "x", "priority": 1, "estimate": "2h"}, "'estimate' should be number"),
        ({"title": "x", "priority": 1, "blocking": "yes"}, "'blocking' should be boolean"),
    ],
)
def test_wrong_type(args, needle):
    r = check_tool_call_validity(reply("mcp__beads__create", args), TOOLS, EXPECTED)
    assert not r.passed
    assert any(needle in x for x in r.reasons), r.reasons


def test_integral_float_is_an_integer_and_int_is_a_number():
    assert check_value(2.0, {"type": "integer"}, "p") == []
    assert check_value(2, {"type": "number"}, "p") == []
    assert check_value(None, {"type": ["string", "null"]}, "p") == []


def test_enum_respected():
    r = check_tool_call_validity(
        reply("mcp__beads__create", {"title": "x", "priority": 1, "issue_type": "chore"}), TOOLS, EXPECTED
    )
    assert not r.passed
    assert "'issue_type' must be one of 'bug', 'feature', 'task', 'epic', got 'chore'" in r.reasons


def test_wrong_tool():
    r = check_tool_call_validity(reply("Bash", {"command": "bd create 'Fix login'"}), TOOLS, EXPECTED)
    assert not r.passed
    assert r.reasons == ["expected tool 'mcp__beads__create', got 'Bash'"]


def test_unknown_tool():
    r = check_tool_call_validity(reply("Deploy", {}), TOOLS, EXPECTED)
    assert not r.passed
    assert "unknown tool 'Deploy'" in r.reasons


def test_too_few_calls():
    expected = EXPECTED + [{"name": "Bash", "arguments": {"command": "bd sync"}}]
    r = check_tool_call_validity(reply("mcp__beads__create", {"title": "a", "priority": 1}), TOOLS, expected)
    assert not r.passed and r.reasons == ["expected 2 tool call(s), got 1"]


def test_additional_properties_false():
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    assert check_object({"a": "x", "b": 1}, schema) == ["unexpected argument 'b'"]


def test_argument_match_fraction():
    r = check_argument_match(
        reply("mcp__beads__create", {"title": "Fix login", "priority": 2, "issue_type": "bug"}), TOOLS, EXPECTED
    )
    assert r.details["score"] == pytest.approx(2 / 3)
    assert not r.passed and r.reasons == ["argument 'priority' differs"]
    exact = check_argument_match(reply("mcp__beads__create", EXPECTED[0]["arguments"]), TOOLS, EXPECTED)
    assert exact.passed and exact.details["score"] == 1.0
    wrong_tool = check_argument_match(reply("Bash", {"title": "Fix login"}), TOOLS, EXPECTED)
    assert wrong_tool.details["score"] == 0.0


def test_argument_match_without_expected_arguments():
    expected = [{"name": "Bash", "arguments": {}}]
    assert check_argument_match(reply("Bash", {"command": "ls"}), TOOLS, expected).details["score"] == 1.0
    assert check_argument_match("nothing", TOOLS, expected).details["score"] == 0.0


def test_register_checker_adds_to_table_and_rejects_clash():
    @register_checker("test_no_force_push")
    def no_force(text, tools, expected):
        return CheckResult(passed="--force" not in text, reasons=["uses --force"])

    try:
        assert CHECKERS["test_no_force_push"] is no_force
        assert not CHECKERS["test_no_force_push"]("git push --force", [], []).passed
        with pytest.raises(ValueError):
            register_checker("test_no_force_push")(lambda *a: CheckResult(True))
    finally:
        del CHECKERS["test_no_force_push"]
