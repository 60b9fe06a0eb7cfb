"""The example corpus generator: deterministic, in the real format, covering roles, tasks,
successes and failures, with planted fake secrets in tool output."""

from __future__ import annotations

import importlib.util
import itertools
import json
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


@pytest.fixture(scope="module")
def sessions(corpus, tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    convs = []
    for rel, text in corpus.files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
        if rel.startswith("sessions/"):
            convs += list(claude_code.read(root / rel, lambda line, why, rel=rel: pytest.fail(f"{rel}:{line}: {why}")))
    items = list(beads.read(root / "beads/issues.jsonl", lambda line, why: pytest.fail(why)))
    return convs, items


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
