import json

import pytest

from forge.errors import InputError
from forge.evaluate.report import gate, score_reply, summarize
from forge.evaluate.suite import EvalPrompt, load_dataset_prompts, load_suite_file, prompts_from_row, select_prompts

BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}},
    },
}
CREATE = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "parameters": {"type": "object", "required": ["title"], "properties": {"title": {"type": "string"}}},
    },
}


def call(cid, name, args):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def row(rid, task, n_calls=2, role="polecat"):
    msgs = [{"role": "system", "content": "You are a polecat."}, {"role": "user", "content": f"Task {rid}"}]
    for i in range(n_calls):
        msgs.append(
            {"role": "assistant", "content": "", "tool_calls": [call(f"c{i}", "Bash", {"command": f"git status {i}"})]}
        )
        msgs.append({"role": "tool", "tool_call_id": f"c{i}", "content": "ok"})
    msgs.append({"role": "assistant", "content": "Done."})
    return {"id": rid, "messages": msgs, "tools": [BASH, CREATE], "agent_role": role, "task": task}


def test_one_prompt_per_assistant_tool_call_message():
    prompts = prompts_from_row(row("s1", "git-workflow", n_calls=2))
    assert [p.id for p in prompts] == ["s1#2", "s1#4"]
    first, second = prompts
    assert [m["role"] for m in first.messages] == ["system", "user"]
    assert first.expected == [{"name": "Bash", "arguments": {"command": "git status 0"}}]
    assert second.messages[-1]["role"] == "tool"  # context includes the tool result
    assert second.expected[0]["arguments"] == {"command": "git status 1"}
    assert first.task == "git-workflow" and first.agent_role == "polecat"
    assert first.tools == [BASH, CREATE]


def test_row_without_tool_calls_gives_no_prompts():
    r = {
        "id": "x",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        "tools": [],
    }
    assert prompts_from_row(r) == []


def test_bad_arguments_json_is_reported():
    r = row("bad", "planning", 1)
    r["messages"][2]["tool_calls"][0]["function"]["arguments"] = "{not json"
    with pytest.raises(ValueError, match="row bad message 2"):
        prompts_from_row(r)


def test_selection_is_capped_deterministic_and_spread_across_tasks():
    prompts = []
    for task, n in [("bead-creation", 10), ("git-workflow", 3), ("planning", 10)]:
        for i in range(n):
            prompts += prompts_from_row(row(f"{task}-{i}", task, n_calls=1))
    chosen = select_prompts(prompts, 12, seed=0)
    assert len(chosen) == 12
    counts = {t: sum(p.task == t for p in chosen) for t in ("bead-creation", "git-workflow", "planning")}
    assert counts == {"bead-creation": 5, "git-workflow": 3, "planning": 4}
    again = select_prompts(list(reversed(prompts)), 12, seed=0)
    assert [p.id for p in again] == [p.id for p in chosen]
    assert [p.id for p in select_prompts(prompts, 12, seed=1)] != [p.id for p in chosen]
    assert len(select_prompts(prompts, 100)) == len(prompts)


def test_dataset_and_suite_files(tmp_path):
    (tmp_path / "sft_eval.jsonl").write_text(
        "\n".join(json.dumps(row(f"r{i}", "git-workflow", 1)) for i in range(3)) + "\n"
    )
    assert len(load_dataset_prompts(tmp_path)) == 3
    explicit = {
        "id": "p1",
        "messages": [{"role": "user", "content": "file a bead"}],
        "tools": [CREATE],
        "expected": [{"name": "bd_create", "arguments": {"title": "t"}}],
        "task": "bead-creation",
        "checks": ["tool_call_validity"],
    }
    (tmp_path / "suite.json").write_text(json.dumps({"prompts": [explicit, row("r9", "planning", 1)]}))
    suite = load_suite_file(tmp_path / "suite.json")
    assert [p.id for p in suite] == ["p1", "r9#2"]
    assert suite[0].checks == ["tool_call_validity"]
    (tmp_path / "suite.jsonl").write_text(json.dumps(explicit) + "\n{oops\n")
    with pytest.raises(InputError, match="suite.jsonl:2"):
        load_suite_file(tmp_path / "suite.jsonl")
    (tmp_path / "bad.json").write_text(json.dumps([{**explicit, "checks": ["nope"]}]))
    with pytest.raises(InputError, match="unknown checker"):
        load_suite_file(tmp_path / "bad.json")
    with pytest.raises(InputError, match="no sft_eval.jsonl"):
        load_dataset_prompts(tmp_path / "missing")


def _prompt(pid, task):
    return EvalPrompt(
        id=pid,
        messages=[{"role": "user", "content": "go"}],
        tools=[BASH],
        expected=[{"name": "Bash", "arguments": {"command": "ls"}}],
        task=task,
    )


def test_summarize_scores_by_check_and_task():
    prompts = [_prompt("a", "git"), _prompt("b", "git"), _prompt("c", "plan")]
    replies = [
        '<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}</tool_call>',
        '<tool_call>{"name": "Bash", "arguments": {"command": "pwd"}}</tool_call>',
        "no call",
    ]
    samples = [score_reply(p, r) for p, r in zip(prompts, replies)]
    assert [s["passed"] for s in samples] == [True, True, False]  # argument_match does not gate
    report = summarize(prompts, samples)
    assert report["score"] == pytest.approx(2 / 3, abs=1e-4)
    assert report["categories"]["tool_call_validity"] == {"passed": 2, "total": 3, "rate": 0.6667}
    assert report["categories"]["argument_match"]["mean"] == pytest.approx(1 / 3, abs=1e-4)
    assert report["by_task"]["git"]["rate"] == 1.0 and report["by_task"]["plan"]["rate"] == 0.0
    assert report["argument_match"] == pytest.approx(1 / 3, abs=1e-4)
    assert [f["id"] for f in report["failures"]] == ["c"]
    assert report["failures"][0]["reasons"] == ["no <tool_call> block naming a tool", "no <tool_call> block"]
    assert report["failures"][0]["prompt_tail"] == "[user] go"


def test_score_averages_categories_and_strict_score_needs_every_check():
    prompts = [_prompt("a", "git"), _prompt("b", "git")]
    replies = [
        '<tool_call>{"name": "Bash", "arguments": {"command": "ls"}}</tool_call>',
        '<tool_call>{"name": "Bash", "arguments": {"command": "pw</tool_call>',
    ]  # right tool, broken JSON
    samples = [score_reply(p, r) for p, r in zip(prompts, replies)]
    report = summarize(prompts, samples)
    assert report["categories"]["tool_choice"]["rate"] == 1.0
    assert report["categories"]["tool_call_validity"]["rate"] == 0.5
    assert report["score"] == pytest.approx(0.75)
    assert report["strict_score"] == pytest.approx(0.5)


def test_tool_choice_reads_the_name_even_when_the_json_is_broken():
    from forge.evaluate.checkers import check_tool_choice

    exp = [{"name": "Bash", "arguments": {}}]
    assert check_tool_choice('<tool_call>\n{"name": "Bash", "arguments": {"comm', [], exp).passed
    wrong = check_tool_choice('<tool_call>\n{"name": "Read", "arguments": {}}</tool_call>', [], exp)
    assert not wrong.passed and wrong.reasons == ["expected tool 'Bash', got 'Read'"]
    assert not check_tool_choice("I would run ls", [], exp).passed


def test_gate():
    assert gate({"score": 0.8}, 0.7) == (True, "score 80.0% >= threshold 70.0%")
    ok, why = gate({"score": 0.6}, 0.7)
    assert not ok and "below the threshold" in why
    ok, why = gate({"score": 0.8}, 0.7, {"score": 0.8})
    assert not ok and "does not beat" in why
    assert gate({"score": 0.8}, 0.7, {"score": 0.5})[0]
