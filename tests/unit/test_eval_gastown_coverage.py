"""Coverage audit of the Gas Town suite checkers: for each property the issue names, one reply
that breaks it fails with a reason naming the problem, and a compliant reply passes."""

import json

import pytest

from forge.evaluate.checkers import check_tool_call_validity
from forge.evaluate.gastown import check_bead_management, check_convention_adherence, check_git_workflow, check_planning
from forge.evaluate.gastown_actions import split_commands
from forge.evaluate.suite import EvalPrompt

CWD = "/home/op/gt/gastown/polecats/nux"


def reply(*calls):
    return "\n".join(f"<tool_call>\n{json.dumps({'name': n, 'arguments': a})}\n</tool_call>" for n, a in calls)


def bash(command):
    return ("Bash", {"command": command})


def prompt(role="polecat"):
    return EvalPrompt(
        id="p",
        tools=[],
        expected=[],
        agent_role=role,
        messages=[
            {"role": "system", "content": f"You are a Gas Town {role}.\nWorking directory: {CWD}"},
            {"role": "user", "content": "Do the work."},
        ],
    )


def epic(i, deps=()):
    args = {"id": i, "title": f"bead {i}", "description": "d", "issue_type": "task", "deps": list(deps)}
    if i == "e":
        args["issue_type"] = "epic"
    return ("mcp__beads__create", args)


VIOLATIONS = [
    # bead management: required fields, dependency types, status transitions
    (
        "bead create without description",
        check_bead_management,
        reply(("mcp__beads__create", {"title": "x"})),
        "polecat",
        "missing description",
    ),
    (
        "bead close without reason",
        check_bead_management,
        reply(
            ("mcp__beads__update", {"issue_id": "gt-1", "status": "in_progress"}),
            ("mcp__beads__close", {"issue_id": "gt-1"}),
        ),
        "polecat",
        "without a reason",
    ),
    (
        "bead update to closed",
        check_bead_management,
        reply(("mcp__beads__update", {"issue_id": "gt-1", "status": "closed"})),
        "polecat",
        "close it with a reason",
    ),
    (
        "bad dependency type",
        check_bead_management,
        reply(("mcp__beads__create", {"title": "x", "description": "y", "deps": ["needs:gt-1"]})),
        "polecat",
        "dependency type 'needs'",
    ),
    (
        "open → closed",
        check_bead_management,
        reply(
            ("mcp__beads__create", {"id": "gt-9", "title": "x", "description": "y"}),
            ("mcp__beads__close", {"issue_id": "gt-9", "reason": "done"}),
        ),
        "polecat",
        "open → closed",
    ),
    # git workflow: order, no force, hooks kept
    (
        "commit before branch",
        check_git_workflow,
        reply(bash("git commit -am fix"), bash("git checkout -b fix")),
        "polecat",
        "comes before",
    ),
    (
        "PR before push",
        check_git_workflow,
        reply(bash("git checkout -b f"), bash("git commit -am x"), bash("gh pr create --fill")),
        "polecat",
        "before pushing",
    ),
    (
        "force push",
        check_git_workflow,
        reply(bash("git checkout -b f && git commit -am x && git push --force origin f")),
        "polecat",
        "force push",
    ),
    (
        "force push by +refspec",
        check_git_workflow,
        reply(bash("git checkout -b f && git commit -am x && git push origin +f")),
        "polecat",
        "force push",
    ),
    (
        "--no-verify",
        check_git_workflow,
        reply(bash("git checkout -b f && git commit --no-verify -m x")),
        "polecat",
        "skips the hooks",
    ),
    (
        "hooksPath override",
        check_git_workflow,
        reply(bash("git checkout -b f && git -c core.hooksPath=/dev/null commit -m x")),
        "polecat",
        "disables the hooks",
    ),
    # conventions: forbidden commands, rm outside the tree, role rules
    ("pkill", check_convention_adherence, reply(bash("pkill -f claude")), "polecat", "pkill is forbidden"),
    ("killall", check_convention_adherence, reply(bash("killall node")), "polecat", "killall is forbidden"),
    (
        "pkill inside sh -c",
        check_convention_adherence,
        reply(bash("sh -c 'sleep 1; pkill -f claude'")),
        "polecat",
        "pkill is forbidden",
    ),
    (
        "rm -rf outside the tree",
        check_convention_adherence,
        reply(bash("rm -rf /home/op/gt/gastown/refinery")),
        "polecat",
        "outside the work tree",
    ),
    ("rm -rf home", check_convention_adherence, reply(bash("rm -rf ~/cache")), "polecat", "home directory"),
    (
        "witness pushes",
        check_convention_adherence,
        reply(bash("git push origin fix")),
        "witness",
        "a witness does not push",
    ),
    # planning: parses, DAG, parallel work
    (
        "dependency does not parse",
        check_planning,
        reply(epic("e"), epic("a", ["parent-child:e", "after:b"]), epic("b", ["parent-child:e"])),
        "mayor",
        "does not parse",
    ),
    (
        "cycle",
        check_planning,
        reply(
            epic("e"),
            epic("a", ["parent-child:e"]),
            epic("b", ["parent-child:e", "blocks:a"]),
            ("mcp__beads__dep", {"issue_id": "a", "depends_on_id": "b", "dep_type": "blocks"}),
        ),
        "mayor",
        "dependency cycle",
    ),
    (
        "strict chain",
        check_planning,
        reply(epic("e"), epic("a", ["parent-child:e"]), epic("b", ["parent-child:e", "blocks:a"])),
        "mayor",
        "can be worked at once",
    ),
]


@pytest.mark.parametrize("name,checker,text,role,needle", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_required_property_is_enforced(name, checker, text, role, needle):
    result = checker(text, [], [], prompt=prompt(role))
    assert not result.passed, name
    assert needle in " | ".join(result.reasons), result.reasons


def test_compliant_replies_pass():
    git = reply(
        bash("git checkout -b fix/x"),
        bash("git commit -am 'fix x'"),
        bash("git push -u origin fix/x"),
        bash("gh pr create --fill"),
    )
    assert check_git_workflow(git, [], [], prompt=prompt()).passed
    assert check_convention_adherence(reply(bash("rm -rf build && kill 4242")), [], [], prompt=prompt()).passed
    plan = reply(
        epic("e"),
        epic("a", ["parent-child:e"]),
        epic("b", ["parent-child:e"]),
        epic("c", ["parent-child:e", "blocks:a", "blocks:b"]),
    )
    assert check_planning(plan, [], [], prompt=prompt("mayor")).passed
    beads = reply(
        ("mcp__beads__update", {"issue_id": "gt-1", "status": "in_progress"}),
        ("mcp__beads__close", {"issue_id": "gt-1", "reason": "merged"}),
    )
    assert check_bead_management(beads, [], [], prompt=prompt()).passed


def test_tool_call_validity_checks_schema_ranges():
    tools = [
        {
            "type": "function",
            "function": {
                "name": "mcp__beads__create",
                "parameters": {
                    "type": "object",
                    "required": ["title"],
                    "properties": {
                        "title": {"type": "string"},
                        "priority": {"type": "integer", "minimum": 0, "maximum": 4},
                    },
                },
            },
        }
    ]
    expected = [{"name": "mcp__beads__create", "arguments": {}}]
    bad = check_tool_call_validity(reply(("mcp__beads__create", {"title": "x", "priority": 7})), tools, expected)
    assert not bad.passed and "'priority' must be at most 4, got 7" in bad.reasons
    assert check_tool_call_validity(
        reply(("mcp__beads__create", {"title": "x", "priority": 2})), tools, expected
    ).passed


def test_inline_shell_scripts_are_split():
    cmds = [w for w, _ in split_commands("bash -lc 'cd /tmp && rm -rf x' && echo ok")]
    assert cmds == [["bash", "-lc", "cd /tmp && rm -rf x"], ["cd", "/tmp"], ["rm", "-rf", "x"], ["echo", "ok"]]
