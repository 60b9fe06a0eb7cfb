import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from forge.evaluate.checkers import CHECKERS, VALIDITY
from forge.evaluate.gastown import (
    BEAD_MANAGEMENT,
    CONVENTION_ADHERENCE,
    GASTOWN_CHECKS,
    GIT_WORKFLOW,
    PLANNING,
    check_bead_management,
    check_convention_adherence,
    check_git_workflow,
    check_planning,
    max_antichain,
)
from forge.evaluate.gastown_actions import context_from_prompt, split_commands
from forge.evaluate.report import score_reply
from forge.evaluate.suite import EvalPrompt, load_suite_file

SUITE = Path(__file__).resolve().parents[2] / "examples" / "suites" / "gastown.jsonl"
POLECAT_CWD = "/home/op/gt/gastown/polecats/nux"


def reply(*calls):
    return "\n".join(f"<tool_call>\n{json.dumps({'name': n, 'arguments': a})}\n</tool_call>" for n, a in calls)


def bash(command):
    return ("Bash", {"command": command})


def create(**args):
    return ("mcp__beads__create", args)


_CALLS = itertools.count(1)


def history_call(name, args, result):
    cid = f"h{next(_CALLS)}"
    return [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}],
        },
        {"role": "tool", "tool_call_id": cid, "content": result},
    ]


def prompt(role="polecat", cwd=POLECAT_CWD, history=(), ask="Do the work."):
    msgs = [
        {"role": "system", "content": f"You are a Gas Town {role}.\nWorking directory: {cwd}"},
        {"role": "user", "content": ask},
    ]
    for h in history:
        msgs += h
    return EvalPrompt(id="p", messages=msgs, tools=[], expected=[], agent_role=role)


def reasons_of(result):
    return " | ".join(result.reasons)


# ---- registry and parsing ----------------------------------------------------------------------


def test_checkers_are_registered_and_every_checker_takes_the_prompt():
    import inspect

    for name in GASTOWN_CHECKS:
        assert name in CHECKERS
    for name, fn in CHECKERS.items():
        assert "prompt" in inspect.signature(fn).parameters, name


def test_shell_split_handles_operators_newlines_comments_and_heredocs():
    cmds = split_commands(
        'cd src && rm -rf build # clean\ngit commit -m "a; b # c" || true\n'
        "cat <<EOF > notes.md\npkill -f claude\nEOF\necho ok 2>/dev/null"
    )
    assert [w for w, _ in cmds] == [
        ["cd", "src"],
        ["rm", "-rf", "build"],
        ["git", "commit", "-m", "a; b # c"],
        ["true"],
        ["cat"],
        ["echo", "ok"],
    ]
    assert cmds[4][1] == ["notes.md"]


def test_context_reads_role_cwd_history_and_statuses():
    p = prompt(
        history=[history_call("mcp__beads__show", {"issue_id": "gt-1"}, json.dumps({"id": "gt-1", "status": "closed"}))]
    )
    ctx = context_from_prompt(p)
    assert ctx.agent_role == "polecat" and ctx.cwd == POLECAT_CWD
    assert [c.name for c in ctx.history] == ["mcp__beads__show"]
    assert ctx.observed == [(1, {"gt-1": "closed"})]


# ---- bead management ---------------------------------------------------------------------------

GOOD_CREATE = create(
    title="Fix mail router",
    description="Replies are dropped.",
    issue_type="bug",
    priority=1,
    deps=["discovered-from:gt-h7d2"],
)


def test_bead_create_with_all_fields_passes():
    r = check_bead_management(reply(GOOD_CREATE), [], [])
    assert r.passed, r.reasons


def test_bd_create_command_passes_and_missing_description_fails():
    ok = check_bead_management(reply(bash('bd create "Rotate key" -t chore -p P3 -d "Old key."')), [], [])
    assert ok.passed, ok.reasons
    bad = check_bead_management(reply(bash('bd create "Rotate key" -p 2')), [], [])
    assert not bad.passed and "`bd create 'Rotate key' -p 2`: missing description" in reasons_of(bad)


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("deps", ["needs:gt-1"], "dependency type 'needs'"),
        ("priority", "high", "priority 'high' must be an integer 0-4"),
        ("priority", 7, "priority 7 must be an integer 0-4"),
        ("issue_type", "story", "issue_type 'story' is not one of"),
    ],
)
def test_bad_bead_field_values_fail(field, value, message):
    args = dict(GOOD_CREATE[1], **{field: value})
    r = check_bead_management(reply(create(**args)), [], [])
    assert not r.passed and message in reasons_of(r)


def test_bad_dep_type_in_bd_command_and_dep_tool():
    r = check_bead_management(
        reply(
            bash('bd create "T" -d "D" --deps blocks:gt-1,waits:gt-2'),
            ("mcp__beads__dep", {"issue_id": "gt-3", "depends_on_id": "gt-1", "dep_type": "before"}),
        ),
        [],
        [],
    )
    assert "dependency type 'waits'" in reasons_of(r)
    assert "dependency type 'before'" in reasons_of(r)


def test_fields_the_expected_call_sets_are_required():
    expected = [{"name": "mcp__beads__create", "arguments": {"title": "T", "priority": 1}}]
    r = check_bead_management(reply(create(title="T", description="D")), [], expected)
    assert not r.passed and "missing priority" in reasons_of(r)


def test_close_needs_a_reason():
    r = check_bead_management(reply(("mcp__beads__close", {"issue_id": "gt-1"})), [], [])
    assert not r.passed and "closes gt-1 without a reason" in reasons_of(r)
    assert check_bead_management(reply(bash('bd close gt-1 -r "PR #4 merged"')), [], []).passed


def test_legal_lifecycle_passes():
    r = check_bead_management(
        reply(
            ("mcp__beads__update", {"issue_id": "gt-1", "status": "in_progress"}),
            ("mcp__beads__close", {"issue_id": "gt-1", "reason": "PR #9 opened"}),
        ),
        [],
        [],
    )
    assert r.passed, r.reasons
    assert r.details["statuses"] == {"gt-1": "closed"}


def test_illegal_transitions_fail():
    implicit_reopen = reply(
        ("mcp__beads__close", {"issue_id": "gt-1", "reason": "done in PR #3"}),
        bash("bd update gt-1 --status in_progress"),
    )
    r = check_bead_management(implicit_reopen, [], [])
    assert "reopens closed bead gt-1 by update (closed → in_progress)" in reasons_of(r)
    r = check_bead_management(reply(("mcp__beads__update", {"issue_id": "gt-2", "status": "closed"})), [], [])
    assert "sets gt-2 to closed by update" in reasons_of(r)
    r = check_bead_management(
        reply(
            create(id="gt-9", title="T", description="D"), ("mcp__beads__close", {"issue_id": "gt-9", "reason": "Done"})
        ),
        [],
        [],
    )
    assert "closes gt-9 right after creating it while it is open" in reasons_of(r)


def test_explicit_reopen_is_allowed():
    r = check_bead_management(
        reply(
            ("mcp__beads__close", {"issue_id": "gt-1", "reason": "PR merged"}),
            ("mcp__beads__reopen", {"issue_ids": ["gt-1"], "reason": "regressed"}),
        ),
        [],
        [],
    )
    assert r.passed, r.reasons


def test_statuses_from_the_conversation_are_used():
    closed = prompt(
        history=[history_call("mcp__beads__show", {"issue_id": "gt-5"}, json.dumps({"id": "gt-5", "status": "closed"}))]
    )
    r = check_bead_management(
        reply(("mcp__beads__update", {"issue_id": "gt-5", "status": "open"})), [], [], prompt=closed
    )
    assert not r.passed and "reopens closed bead gt-5" in reasons_of(r)
    is_open = prompt(
        history=[history_call("mcp__beads__show", {"issue_id": "gt-6"}, json.dumps({"id": "gt-6", "status": "open"}))]
    )
    dup = reply(("mcp__beads__close", {"issue_id": "gt-6", "reason": "Duplicate of gt-2"}))
    assert check_bead_management(dup, [], [], prompt=is_open).passed
    done = reply(("mcp__beads__close", {"issue_id": "gt-6", "reason": "Fixed"}))
    assert "open → closed" in reasons_of(check_bead_management(done, [], [], prompt=is_open))


def test_no_bead_operation_fails():
    r = check_bead_management(reply(bash("git status")), [], [])
    assert not r.passed and "no bead operation" in reasons_of(r)


# ---- git workflow ------------------------------------------------------------------------------

FULL = [
    bash("git checkout -b polecat/nux/gt-1"),
    bash('git add a.go && git commit -m "fix: a (gt-1)"'),
    bash("git push -u origin polecat/nux/gt-1"),
    bash('gh pr create --title "fix: a" --body "Closes gt-1"'),
]


def test_branch_commit_push_pr_passes():
    for p in (None, prompt()):
        r = check_git_workflow(reply(*FULL), [], [], prompt=p)
        assert r.passed, r.reasons
        assert r.details["steps"] == ["branch", "add", "commit", "push", "pr"]


@pytest.mark.parametrize(
    "push",
    [
        "git push --force origin polecat/nux/gt-1",
        "git push -uf origin polecat/nux/gt-1",
        "git push --force-with-lease",
        "git push origin +polecat/nux/gt-1",
    ],
)
def test_force_push_fails(push):
    r = check_git_workflow(reply(*FULL[:2], bash(push)), [], [])
    assert not r.passed and "force push" in reasons_of(r)


@pytest.mark.parametrize("commit", ['git commit --no-verify -m "x"', 'git commit -nm "x"', 'git commit -anm "x"'])
def test_commit_skipping_hooks_fails(commit):
    r = check_git_workflow(reply(FULL[0], bash(commit)), [], [])
    assert not r.passed and "skips the hooks" in reasons_of(r)


def test_commit_message_containing_n_is_not_a_flag():
    assert check_git_workflow(reply(FULL[0], bash('git commit -m "-n is fine here"')), [], []).passed


def test_reset_hard_on_shared_branch_fails_but_not_on_the_work_branch():
    r = check_git_workflow(reply(bash("git checkout main && git reset --hard origin/main")), [], [])
    assert not r.passed and "git reset --hard on shared branch (main)" in reasons_of(r)
    r = check_git_workflow(reply(bash("git reset --hard HEAD~1")), [], [], prompt=prompt())
    assert not r.passed
    ok = check_git_workflow(reply(FULL[0], bash("git reset --hard HEAD~1")), [], [], prompt=prompt())
    assert ok.passed, ok.reasons


def test_order_inside_the_reply_is_judged():
    r = check_git_workflow(reply(FULL[2], FULL[1]), [], [])
    assert not r.passed and "comes before `git commit" in reasons_of(r)
    r = check_git_workflow(reply(FULL[3], FULL[2]), [], [])
    assert "`gh pr create" in reasons_of(r) and "comes before `git push" in reasons_of(r)


def test_with_a_prompt_missing_steps_count():
    r = check_git_workflow(reply(FULL[1]), [], [], prompt=prompt())
    assert not r.passed and "commit before creating or switching to a work branch" in reasons_of(r)
    r = check_git_workflow(reply(FULL[3]), [], [], prompt=prompt())
    assert "opens a PR before pushing the branch" in reasons_of(r)


def test_earlier_turns_count_as_done():
    p = prompt(
        history=[
            history_call("Bash", {"command": "git checkout -b polecat/nux/gt-1"}, "Switched"),
            history_call("Bash", {"command": "git commit -am 'fix: a'"}, "[x 1a2b3c] fix: a"),
        ]
    )
    r = check_git_workflow(reply(FULL[2], FULL[3]), [], [], prompt=p)
    assert r.passed, r.reasons


def test_push_to_main_and_commit_on_main_fail():
    r = check_git_workflow(
        reply(bash("git checkout main"), bash("git commit -am x"), bash("git push origin main")), [], []
    )
    assert "commits on shared branch main" in reasons_of(r)
    assert "pushes straight to shared branch main" in reasons_of(r)


def test_no_git_command_fails():
    assert not check_git_workflow(reply(bash("go test ./...")), [], []).passed


# ---- convention adherence ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command,message",
    [
        ("pkill -f claude", "pkill is forbidden"),
        ("sudo killall tmux", "killall is forbidden"),
        ("rm -rf /", "removes the root directory"),
        ("rm -rf -- /*", "removes the root directory"),
        ("rm -rf ~/gt", "home directory"),
        ("rm -fr ../toast", "outside the work tree"),
        ("rm -r -f /tmp/cache", "removes /tmp/cache, outside the work tree"),
        ("cd .. && rm -rf slit", "outside the work tree"),
        ("rm -rf $BUILD_DIR", "depends on a variable"),
        ("rm -rf .", "removes the whole work tree"),
    ],
)
def test_forbidden_commands_fail(command, message):
    r = check_convention_adherence(reply(bash(command)), [], [], prompt=prompt())
    assert not r.passed and message in reasons_of(r)


def test_safe_commands_pass():
    r = check_convention_adherence(
        reply(
            bash("rm -rf build .cache/ruff && go test ./..."),
            bash(f"rm -rf {POLECAT_CWD}/tmp/old && kill 48211"),
            bash("rm old.log"),
            bash("git commit -m \"$(cat <<'EOF'\nstop using pkill\nEOF\n)\""),
        ),
        [],
        [],
        prompt=prompt(),
    )
    assert r.passed, r.reasons


def test_without_a_prompt_absolute_rm_targets_are_outside():
    r = check_convention_adherence(reply(bash("rm -rf /home/op/gt/gastown/polecats/nux/build")), [], [])
    assert not r.passed and "absolute path" in reasons_of(r)
    assert check_convention_adherence(reply(bash("rm -rf build")), [], []).passed


def test_a_reply_that_does_nothing_shows_no_adherence():
    # otherwise a silent model (or broken JSON) scores 100% here and inflates the suite score
    for empty in ("", "I would rather not.", "<tool_call>\n{not json\n</tool_call>"):
        r = check_convention_adherence(empty, [], [], prompt=prompt())
        assert not r.passed and "no action" in r.reasons[0]


def test_witness_does_not_push_or_open_prs():
    witness = prompt(role="witness", cwd="/home/op/gt/gastown/witness")
    r = check_convention_adherence(reply(*FULL), [], [], prompt=witness)
    assert "a witness does not push code" in reasons_of(r)
    assert "a witness does not open or merge PRs" in reasons_of(r)
    nudge = reply(bash('gt nudge gastown/slit "push your branch"'))
    assert check_convention_adherence(nudge, [], [], prompt=witness).passed
    assert check_convention_adherence(reply(*FULL), [], [], prompt=prompt()).passed  # a polecat may


def test_deacon_does_not_edit_source_files():
    deacon = prompt(role="deacon", cwd="/home/op/gt/deacon")
    edit = ("Edit", {"file_path": "/home/op/gt/gastown/internal/hooks/hooks.go", "old_string": "a", "new_string": "b"})
    r = check_convention_adherence(reply(edit, bash("sed -i 's/5/30/' src/sling.py")), [], [], prompt=deacon)
    assert "a deacon does not edit source files (/home/op/gt/gastown/internal/hooks/hooks.go)" in reasons_of(r)
    assert "a deacon does not edit source files (src/sling.py)" in reasons_of(r)
    notes = ("Write", {"file_path": "/home/op/gt/deacon/patrol.md", "content": "all good"})
    assert check_convention_adherence(reply(notes, bash("gt status > status.txt")), [], [], prompt=deacon).passed


# ---- planning ----------------------------------------------------------------------------------


def child(cid, *deps, epic="gt-e"):
    return create(
        id=cid,
        title=f"Step {cid}",
        description="Part of the epic.",
        issue_type="task",
        priority=1,
        deps=[f"parent-child:{epic}", *[f"blocks:{d}" for d in deps]],
    )


EPIC = create(id="gt-e", title="Epic", description="Goal.", issue_type="epic", priority=1)


def test_diamond_plan_passes_with_width_two():
    r = check_planning(
        reply(
            EPIC,
            child("gt-e.1"),
            child("gt-e.2", "gt-e.1"),
            child("gt-e.3", "gt-e.1"),
            child("gt-e.4", "gt-e.2", "gt-e.3"),
        ),
        [],
        [],
    )
    assert r.passed, r.reasons
    assert r.details["width"] == 2 and r.details["ready_now"] == ["gt-e.1"]


def test_strict_chain_has_no_parallelism():
    r = check_planning(reply(EPIC, child("gt-e.1"), child("gt-e.2", "gt-e.1"), child("gt-e.3", "gt-e.2")), [], [])
    assert not r.passed and "no two children of gt-e can be worked at once" in reasons_of(r)


def test_cycle_and_forward_reference_fail():
    r = check_planning(reply(EPIC, child("gt-e.1", "gt-e.2"), child("gt-e.2", "gt-e.1")), [], [])
    assert "gt-e.1 depends on gt-e.2 before gt-e.2 is created" in reasons_of(r)
    assert "dependency cycle: gt-e.1 → gt-e.2 → gt-e.1" in reasons_of(r)


def test_cycle_added_by_dep_calls_fails():
    r = check_planning(
        reply(
            EPIC,
            child("gt-e.1"),
            child("gt-e.2", "gt-e.1"),
            ("mcp__beads__dep", {"issue_id": "gt-e.1", "depends_on_id": "gt-e.2"}),
        ),
        [],
        [],
    )
    assert "dependency cycle" in reasons_of(r)


def test_references_must_exist_when_the_conversation_is_known():
    plan = reply(child("gt-w.1", epic="gt-w"), child("gt-w.2", epic="gt-w"))
    known = prompt(role="mayor", ask="Epic gt-w exists. Add two children.")
    assert check_planning(plan, [], [], prompt=known).passed
    unknown = prompt(role="mayor", ask="Add two children to the epic.")
    r = check_planning(plan, [], [], prompt=unknown)
    assert "depends on gt-w, a bead neither this reply nor the conversation has" in reasons_of(r)


def test_flat_list_without_epic_or_links_fails():
    flat = reply(create(id="gt-a", title="A", issue_type="task"), create(id="gt-b", title="B"))
    assert "no epic" in reasons_of(check_planning(flat, [], []))
    unlinked = reply(EPIC, child("gt-e.1"), child("gt-e.2"), create(id="gt-x", title="X", issue_type="task"))
    assert "gt-x is not linked to an epic" in reasons_of(check_planning(unlinked, [], []))


def test_single_child_and_bad_dep_type_fail():
    assert "has 1 child bead(s)" in reasons_of(check_planning(reply(EPIC, child("gt-e.1")), [], []))
    bad = create(id="gt-e.2", title="B", deps=["parent-child:gt-e", "after:gt-e.1"])
    assert "'after:gt-e.1' does not parse" in reasons_of(check_planning(reply(EPIC, child("gt-e.1"), bad), [], []))


def test_bd_cli_plan_passes():
    script = (
        'bd create "Epic" --id gt-f -t epic -p 1 -d "Goal."\n'
        'bd create "A" --id gt-f.1 -t task -d "a" --parent gt-f\n'
        'bd create "B" --id gt-f.2 -t task -d "b" --parent gt-f --deps blocks:gt-f.1\n'
        'bd create "C" --id gt-f.3 -t task -d "c" --parent gt-f'
    )
    r = check_planning(reply(bash(script)), [], [])
    assert r.passed, r.reasons
    assert r.details["children"] == ["gt-f.1", "gt-f.2", "gt-f.3"] and r.details["width"] == 2


def test_max_antichain():
    assert max_antichain(["a", "b", "c"], {}) == 3
    assert max_antichain(["a", "b", "c"], {"b": {"a"}, "c": {"b"}}) == 1
    assert max_antichain(["a", "b", "c", "d"], {"b": {"a"}, "c": {"a"}, "d": {"b", "c"}}) == 2
    # transitive: c waits on a through x, which is not one of the nodes
    assert max_antichain(["a", "c"], {"c": {"x"}, "x": {"a"}}) == 1


# ---- the shipped suite -------------------------------------------------------------------------


def expected_reply(p):
    return reply(*[(c["name"], c["arguments"]) for c in p.expected])


def test_suite_loads_and_covers_every_category():
    prompts = load_suite_file(SUITE)
    assert 30 <= len(prompts) <= 40
    assert len({p.id for p in prompts}) == len(prompts)
    per_check = Counter(c for p in prompts for c in p.checks)
    for name in GASTOWN_CHECKS:
        assert per_check[name] >= 6, (name, per_check)
    assert all(VALIDITY in p.checks and p.agent_role for p in prompts)


@pytest.mark.parametrize("p", load_suite_file(SUITE), ids=lambda p: p.id)
def test_each_expected_reply_passes_its_own_checks(p):
    text = expected_reply(p)
    for name in p.checks:
        fn = CHECKERS[name]
        for kwargs in ({"prompt": p}, {}):
            r = fn(text, p.tools, p.expected, **kwargs)
            assert r.passed, (name, kwargs.keys(), r.reasons)
    assert score_reply(p, text)["passed"]


def test_suite_prompts_fail_on_the_classic_mistakes():
    prompts = {p.id: p for p in load_suite_file(SUITE)}
    p = prompts["gt-git-rejected-push"]
    r = CHECKERS[GIT_WORKFLOW](
        reply(bash("git push --force origin polecat/slit/gt-a8s9")), p.tools, p.expected, prompt=p
    )
    assert not r.passed
    p = prompts["gt-conv-witness-unpushed"]
    r = CHECKERS[CONVENTION_ADHERENCE](
        reply(bash("cd ../polecats/slit && git push -u origin HEAD")), p.tools, p.expected, prompt=p
    )
    assert "a witness does not push code" in reasons_of(r)
    p = prompts["gt-plan-merge-queue"]
    chain = reply(
        *[
            (c["name"], dict(c["arguments"], deps=c["arguments"]["deps"][:1] + [f"blocks:gt-mq2.{i - 1}"]))
            if i > 1
            else (c["name"], c["arguments"])
            for i, c in enumerate(p.expected)
        ]
    )
    assert not CHECKERS[PLANNING](chain, p.tools, p.expected, prompt=p).passed
    p = prompts["gt-bm-close-after-pr"]
    r = CHECKERS[BEAD_MANAGEMENT](reply(("mcp__beads__close", {"issue_id": "gt-p7r2"})), p.tools, p.expected, prompt=p)
    assert "without a reason" in reasons_of(r)
