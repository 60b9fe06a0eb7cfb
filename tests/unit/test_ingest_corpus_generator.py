"""The example corpus generator: deterministic, in the real format, covering roles, tasks,
successes and failures, with planted fake secrets in tool output."""

from __future__ import annotations

import importlib.util
import itertools
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from forge.ingest import beads, claude_code
from forge.records import WorkItem

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_generator():
    name = "forge_example_generate_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / "generate_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses need the module registered while it runs
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def gen():
    return load_generator()


@pytest.fixture(scope="module")
def corpus(gen):
    return gen.build_corpus()


def read_corpus(corpus, root):
    convs = []
    for rel, text in corpus.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
        if rel.startswith("sessions/"):
            convs += list(claude_code.read(root / rel, lambda line, why, rel=rel: pytest.fail(f"{rel}:{line}: {why}")))
    items = list(beads.read(root / "beads/issues.jsonl", lambda line, why: pytest.fail(why)))
    return convs, items


@pytest.fixture(scope="module")
def sessions(corpus, tmp_path_factory):
    return read_corpus(corpus, tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def town_corpus(gen):
    return gen.build_corpus(town=True)


@pytest.fixture(scope="module")
def town_sessions(town_corpus, tmp_path_factory):
    return read_corpus(town_corpus, tmp_path_factory.mktemp("town"))


def test_deterministic_and_matches_the_committed_files(gen, corpus):
    assert gen.build_corpus().files == corpus.files
    assert gen.build_corpus(seed=7).files != corpus.files
    committed = {
        p.relative_to(EXAMPLES).as_posix(): p.read_text(encoding="utf-8")
        for sub in ("sessions", "beads")
        for p in (EXAMPLES / sub).rglob("*.jsonl")
    }
    assert committed == corpus.files, "examples/ is stale: run python examples/generate_corpus.py"


def test_writes_the_same_bytes_twice(gen, tmp_path):
    gen.write_corpus(tmp_path / "a")
    gen.write_corpus(tmp_path / "b")
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / p).read_bytes() == (tmp_path / "b" / p).read_bytes() for p in files_a)


def test_real_transcript_fields(corpus):
    rel = next(r for r in corpus.files if "-polecats-" in r)
    entries = [json.loads(line) for line in corpus.files[rel].splitlines()]
    msgs = [e for e in entries if e["type"] in ("user", "assistant")]
    for e in msgs:
        assert {
            "parentUuid",
            "isSidechain",
            "userType",
            "cwd",
            "sessionId",
            "version",
            "gitBranch",
            "uuid",
            "timestamp",
            "message",
        } <= set(e)
    assert msgs[0]["parentUuid"] is None
    assert all(b["parentUuid"] == a["uuid"] for a, b in itertools.pairwise(msgs))
    assistant = next(e for e in msgs if e["type"] == "assistant")["message"]
    assert {"id", "model", "role", "content", "stop_reason", "usage"} <= set(assistant)
    call = next(b for e in msgs if e["type"] == "assistant" for b in e["message"]["content"] if b["type"] == "tool_use")
    assert call["id"].startswith("toolu_")
    result = next(
        e
        for e in msgs
        if isinstance(e["message"]["content"], list) and e["message"]["content"][0]["type"] == "tool_result"
    )
    assert "toolUseResult" in result and result["message"]["content"][0]["tool_use_id"].startswith("toolu_")
    assert rel.split("/")[1] == entries[-1]["cwd"].replace("/", "-")  # the project slug


def test_coverage_of_roles_tasks_and_outcomes(sessions):
    convs, records = sessions
    assert len(convs) >= 72
    assert {"polecat", "witness", "mayor"} <= {c.agent_role for c in convs}
    items = [r for r in records if isinstance(r, WorkItem)]
    attempts = defaultdict(set)
    for r in records:
        if not isinstance(r, WorkItem):
            attempts[r.work_item].add(r.outcome)
    worked = [i for i in items if i.sessions]
    assert {i.task for i in worked} == {"bead-creation", "git-workflow", "planning"}
    assert all(attempts[i.id] == {"success", "failure"} for i in worked)
    assert {s for i in worked for s in i.sessions} == {c.id for c in convs}


def test_first_assistant_turn_is_a_tool_call_copying_the_request(sessions):
    convs, records = sessions
    outcome = {r.session_id: r.outcome for r in records if not isinstance(r, WorkItem)}
    for c in convs:
        ask = c.messages[0].content
        first = c.messages[1]
        assert c.messages[0].role == "user" and first.role == "assistant" and first.tool_calls, c.id
        if outcome[c.id] == "success":  # some failures garble the fields on purpose
            args = first.tool_calls[0].arguments
            copied = (
                [args["title"], args["description"], str(args["priority"])]
                if "title" in args
                else [args["command"].split()[-1]]
            )
            assert all(part in ask for part in copied), c.id


def test_failed_attempts_show_the_bad_habits(sessions):
    convs, records = sessions
    outcome = {r.session_id: r.outcome for r in records if not isinstance(r, WorkItem)}
    commands = defaultdict(list)
    for c in convs:
        for m in c.messages:
            for call in m.tool_calls:
                if call.name == "Bash":
                    commands[outcome[c.id]].append(call.arguments["command"])
    bad = ("--force", "--no-verify")
    assert any(flag in cmd for cmd in commands["failure"] for flag in bad)
    assert not any(flag in cmd for cmd in commands["success"] for flag in bad)


def test_prompts_vary(sessions):
    convs, _ = sessions
    asks = Counter(c.messages[0].content for c in convs)
    assert len(asks) >= 36  # one ask per bead, shared only by its attempts
    assert max(asks.values()) <= 3


def test_planted_secrets_sit_in_tool_output_across_many_sessions(gen, corpus):
    planted = gen.PLANTED_SECRETS
    assert set(planted) >= {"aws_access_key", "aws_secret_key", "github_token", "private_key", "ipv4", "email"}
    assert all(planted[k] for k in planted)
    assert all(v.startswith("AKIA") and len(v) == 20 for v in planted["aws_access_key"])
    assert all(v.startswith("ghp_") and len(v) == 40 for v in planted["github_token"])
    assert all(v.startswith("-----BEGIN ") for v in planted["private_key"])
    holders = set()
    for rel, text in corpus.files.items():
        for line in text.splitlines():
            entry = json.loads(line)
            if entry.get("type") == "user" and isinstance(entry["message"]["content"], str):
                assert not any(v in entry["message"]["content"] for vs in planted.values() for v in vs)
            if any(v.split("\n")[1 if "\n" in v else 0] in line for vs in planted.values() for v in vs):
                holders.add(rel)
    assert len([h for h in holders if h.startswith("sessions/")]) >= 40


TOWN_TASKS = ("bead-lifecycle", "town-ops", "batch-planning")


def test_the_town_corpus_adds_the_rest_of_the_day_and_keeps_the_example_sessions(corpus, town_corpus, town_sessions):
    convs, records = town_sessions
    assert len(convs) >= 200  # hundreds of sessions, every role the town runs an agent in
    assert {"polecat", "witness", "mayor", "crew", "deacon"} <= {c.agent_role for c in convs}
    items = [r for r in records if isinstance(r, WorkItem) and r.sessions]
    assert {i.task for i in items} >= set(TOWN_TASKS)
    outcomes = defaultdict(set)
    for r in records:
        if not isinstance(r, WorkItem):
            outcomes[r.work_item].add(r.outcome)
    assert all(outcomes[i.id] == {"success", "failure"} for i in items)
    # generated after the first three tasks from the same RNG: those sessions are byte-identical
    assert {k: v for k, v in corpus.files.items() if k.startswith("sessions/")}.items() <= town_corpus.files.items()


def test_town_sessions_name_only_beads_they_were_told_about_and_fail_by_breaking_conventions(town_sessions):
    convs, records = town_sessions
    task = {s: i.task for i in records if isinstance(i, WorkItem) for s in i.sessions}
    outcome = {r.session_id: r.outcome for r in records if not isinstance(r, WorkItem)}
    bad = ("pkill", "sudo rm", "reset --hard", "/home/op/gt/", "bd delete")
    commands = defaultdict(list)
    for c in convs:
        if task[c.id] not in TOWN_TASKS:
            continue
        first = next(m for m in c.messages if m.tool_calls)
        seen = " ".join(m.content for m in c.messages[: c.messages.index(first)])
        ids = re.findall(r"\bgt-[a-z0-9]{3,4}\b", json.dumps([t.arguments for t in first.tool_calls]))
        assert all(i in seen for i in ids), c.id
        commands[outcome[c.id]] += [
            t.arguments["command"] for m in c.messages for t in m.tool_calls if t.name == "Bash"
        ]
    assert any(b in cmd for cmd in commands["failure"] for b in bad)
    assert not any(b in cmd for cmd in commands["success"] for b in bad)


def test_a_plan_with_fixed_ids_is_filed_in_one_reply(town_sessions):
    convs, records = town_sessions
    task = {s: i.task for i in records if isinstance(i, WorkItem) for s in i.sessions}
    plans = [c for c in convs if task[c.id] == "batch-planning"]
    assert len(plans) >= 16
    for c in plans:
        reply = c.messages[1]
        assert len(reply.tool_calls) >= 3 and {t.name for t in reply.tool_calls} == {"mcp__beads__create"}, c.id
        results = [m for m in c.messages[2:] if m.role == "tool"]
        assert len(results) == len(reply.tool_calls)  # every call's result came back to this reply
        assert reply.tool_calls[0].arguments["id"] in c.messages[0].content


@pytest.mark.parametrize("which", ["corpus", "town_corpus"])
def test_no_task_suite_prompt_or_expected_call_is_in_the_corpus(which, request):
    """The Gas Town suite scores what a model learned; a corpus must not hold its answers."""
    files = request.getfixturevalue(which).files
    suite = [json.loads(line) for line in (EXAMPLES / "suites" / "gastown.jsonl").read_text().splitlines()]
    asked, called = set(), set()
    for rel, text in files.items():
        if not rel.startswith("sessions/"):
            continue
        for line in text.splitlines():
            entry = json.loads(line)
            content = entry.get("message", {}).get("content")
            if entry.get("type") == "user" and isinstance(content, str):
                asked.add(content)
            elif entry.get("type") == "assistant":
                called |= {
                    (b["name"], json.dumps(b["input"], sort_keys=True)) for b in content if b["type"] == "tool_use"
                }
    for prompt in suite:
        assert not [m for m in prompt["messages"] if m["role"] == "user" and m["content"] in asked], prompt["id"]
        for exp in prompt["expected"]:
            assert (exp["name"], json.dumps(exp["arguments"], sort_keys=True)) not in called, prompt["id"]


def test_the_town_corpus_needs_an_out_dir(gen, tmp_path, capsys):
    assert gen.main(["generate_corpus.py", "--town"]) == 2
    assert "OUT_DIR" in capsys.readouterr().err
    assert gen.main(["generate_corpus.py", "--town", str(tmp_path)]) == 0
    assert sum(1 for _ in (tmp_path / "sessions").rglob("*.jsonl")) >= 200
