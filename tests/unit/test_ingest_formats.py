"""The readers for other agents' formats: each on its fixture, auto-detection, bad records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forge.build.builder import build_dataset
from forge.build.config import BuildConfig
from forge.ingest import aider, codex, context_files, openai_chat, openhands, sharegpt, swe_agent
from forge.ingest.readers import detect_reader, read_head
from forge.ingest.stage import discover
from forge.records import Conversation, Message, SourceRef

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
CODEX = FIXTURES / "rollout-2025-10-29T00-59-38-019a2d7a-41c4-78b1-b7cc-a45d62a89cd5.jsonl"
CODEX_LEGACY = FIXTURES / "rollout-2025-08-02T17-17-41-c3c4b301-27c8-4c70-b6e4-46b99fdf0236.jsonl"
AIDER = FIXTURES / "aider" / ".aider.chat.history.md"


def collect(reader, path: Path):
    warnings: list[tuple[int | None, str]] = []
    records = list(reader.read(path, lambda line, why: warnings.append((line, why))))
    return records, warnings


def roles(conv: Conversation) -> list[str]:
    return [m.role for m in conv.messages]


def assert_calls_linked(conv: Conversation) -> None:
    """Every tool message answers a call made earlier, under that call's name."""
    calls = {}
    for m in conv.messages:
        for c in m.tool_calls:
            assert isinstance(c.arguments, dict)
            calls[c.id] = c.name
        if m.role == "tool":
            assert calls.get(m.tool_call_id) == m.name, (m.tool_call_id, m.name)


def schema_names(conv: Conversation) -> list[str]:
    return [t["function"]["name"] for t in conv.tools]


@pytest.mark.parametrize(
    "path, name",
    [
        (FIXTURES / "openai_chat.jsonl", "openai_chat"),
        (FIXTURES / "sharegpt.json", "sharegpt"),
        (CODEX, "codex"),
        (CODEX_LEGACY, "codex"),
        (FIXTURES / "openhands_trajectory.json", "openhands"),
        (FIXTURES / "openhands_output.jsonl", "openhands"),
        (FIXTURES / "acme__login-101.traj", "swe_agent"),
        (FIXTURES / "acme__login-102.traj", "swe_agent"),
        (AIDER, "aider"),
        (FIXTURES / "context" / "CLAUDE.md", "context_files"),
        (FIXTURES / "context" / "AGENTS.md", "context_files"),
        (FIXTURES / "context" / "mol-polecat-work.formula.toml", "context_files"),
    ],
)
def test_auto_detection_picks_the_right_reader(path, name):
    reader = detect_reader(path, read_head(path))
    assert reader is not None and reader.name == name


def test_detection_leaves_claude_code_and_beads_alone():
    cc = FIXTURES.parent / "claude_code"
    assert detect_reader(cc / "session_basic.jsonl", read_head(cc / "session_basic.jsonl")).name == "claude_code"
    assert detect_reader(cc / "issues.jsonl", read_head(cc / "issues.jsonl")).name == "beads"
    readme = FIXTURES / "README.md"
    assert detect_reader(readme, b"# Some project\n\nNot a transcript.\n") is None


def test_folder_walk_finds_every_fixture_including_aider_history():
    found = {s.path.name: s for s in discover([FIXTURES])}
    assert all(s.reader is not None for s in found.values()), {n: s.problem for n, s in found.items()}
    assert {s.reader.name for s in found.values()} == {
        "openai_chat",
        "sharegpt",
        "codex",
        "openhands",
        "swe_agent",
        "context_files",
        "aider",
    }


def test_openai_chat():
    convs, warnings = collect(openai_chat, FIXTURES / "openai_chat.jsonl")
    assert [c.source.line for c in convs] == [1, 2, 4]
    first, legacy, partial = convs
    assert roles(first) == ["system", "user", "assistant", "tool", "assistant"]
    call = first.messages[2].tool_calls[0]
    assert (call.id, call.name, call.arguments) == (
        "call_abc123",
        "bd_create",
        {"title": "Login page crashes on empty password", "priority": 1},
    )
    assert first.tools[0]["function"]["parameters"]["required"] == ["title"]  # the source's schema
    assert (first.agent_role, first.task, first.outcome, first.work_item) == (
        "polecat",
        "bead-creation",
        "success",
        "gt-x7k2p",
    )
    # legacy functions / function_call / role "function"; developer → system; resolved: false
    assert roles(legacy) == ["system", "user", "assistant", "tool", "assistant"]
    assert legacy.messages[0].content == "Answer briefly."
    assert legacy.messages[3].name == "get_weather" and legacy.outcome == "failure"
    assert schema_names(legacy) == ["get_weather"]
    # the call with broken arguments and the orphan result are dropped; the rest is kept
    assert [c.id for c in partial.messages[1].tool_calls] == ["call_2"]
    assert partial.metadata["counts"] == {"orphan_tool_results": 1}
    assert schema_names(partial) == ["Bash"]  # none given: the known schema
    for conv in convs:
        assert_calls_linked(conv)
    assert [line for line, _ in warnings] == [3, 4, 5]
    assert warnings[0][1].startswith("invalid JSON")
    assert "JSON-object arguments" in warnings[1][1]
    assert "no user or no assistant" in warnings[2][1]


def test_sharegpt_with_tool_calls():
    convs, warnings = collect(sharegpt, FIXTURES / "sharegpt.json")
    assert len(convs) == 3
    tools, parallel, rough = convs
    assert roles(tools) == ["system", "user", "assistant", "tool", "assistant"]
    assert tools.messages[0].content == "You are the mayor."
    assert tools.messages[2].tool_calls[0].arguments == {"issue_id": "gt-abc1", "status": "in_progress"}
    assert schema_names(tools) == ["bd_update"] and tools.agent_role == "mayor"
    assert roles(parallel) == ["user", "assistant", "user", "assistant", "tool", "tool", "assistant"]
    assert [m.content for m in parallel.messages if m.role == "tool"] == ["A", "B"]
    assert schema_names(parallel) == ["lookup"]  # inferred from the calls
    assert roles(rough) == ["user", "assistant"]
    for conv in convs:
        assert_calls_linked(conv)
    assert warnings[0] == (rough.source.line - 1, "wrong schema: expected a JSON object, got int")
    assert [why.split(":")[0] for _, why in warnings[1:]] == ["wrong schema", "wrong schema"]
    assert {line for line, _ in warnings[1:]} == {rough.source.line}


def test_codex_rollout():
    (conv,), warnings = collect(codex, CODEX)
    assert conv.id == "019a2d7a-41c4-78b1-b7cc-a45d62a89cd5"
    assert roles(conv) == ["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"]
    assert conv.messages[0].content == "Commit the fix for gt-k3m9q and push the branch."
    first_call = conv.messages[1]
    assert first_call.content == "Checking the working tree first."
    assert first_call.tool_calls[0].arguments["command"] == ["bash", "-lc", "git status --short"]
    assert conv.messages[2].content == " M src/login.py\n"  # the {output, metadata} wrapper unwrapped
    patch = conv.messages[3].tool_calls[0]
    assert patch.name == "apply_patch" and patch.arguments["input"].startswith("*** Begin Patch")
    assert_calls_linked(conv)
    assert (conv.agent_role, conv.task) == ("polecat", "git-workflow")
    assert conv.metadata["git_branch"] == "polecat/nux/gt-k3m9q"
    assert conv.metadata["model"] == "gpt-5-codex" and conv.metadata["rig"] == "wyvern"
    counts = conv.metadata["counts"]
    assert counts["thinking"] == 1 and counts["meta_entries"] == 1 and counts["orphan_tool_results"] == 1
    assert schema_names(conv) == ["shell", "apply_patch"]
    assert [line for line, _ in warnings] == [10, 18, 19]
    assert warnings[0][1].startswith("invalid JSON")


def test_codex_legacy_rollout():
    (conv,), warnings = collect(codex, CODEX_LEGACY)
    assert warnings == []
    assert conv.id == "c3c4b301-27c8-4c70-b6e4-46b99fdf0236"
    assert roles(conv) == ["user", "assistant", "tool", "assistant"]
    assert conv.agent_role == "mayor"  # the cwd only the environment context names
    assert conv.messages[2].content == "gt-abc1 [P1] Fix login\n"
    assert_calls_linked(conv)


def test_openhands_trajectory_export():
    (conv,), warnings = collect(openhands, FIXTURES / "openhands_trajectory.json")
    assert roles(conv) == [
        "system",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "tool",
        "assistant",
    ]
    run = conv.messages[2]
    assert run.content == "Let me run the test first."
    assert (run.tool_calls[0].id, run.tool_calls[0].name) == ("toolu_01", "execute_bash")
    read = conv.messages[4].tool_calls[0]  # no tool_call_metadata: derived from the action's args
    assert (read.name, read.arguments) == ("str_replace_editor", {"command": "view", "path": "/workspace/src/login.py"})
    parallel = conv.messages[6].tool_calls  # two calls from one model response
    assert [c.id for c in parallel] == ["toolu_02", "toolu_03"]
    assert [m.tool_call_id for m in conv.messages[7:9]] == ["toolu_02", "toolu_03"]
    assert_calls_linked(conv)
    assert schema_names(conv) == ["execute_bash", "str_replace_editor", "finish"]  # from the system event
    assert conv.metadata["counts"] == {"quiet_events": 2, "tool_errors": 1, "unknown_actions": 1}
    assert conv.metadata["final_agent_state"] == "finished" and conv.outcome == "unknown"
    assert [line for line, _ in warnings] == [15, 18]


def test_openhands_eval_output():
    convs, warnings = collect(openhands, FIXTURES / "openhands_output.jsonl")
    assert [(c.work_item, c.outcome) for c in convs] == [
        ("django__django-11099", "success"),
        ("django__django-11099", "failure"),
        ("astropy__astropy-12907", "failure"),
    ]
    assert len({c.id for c in convs}) == 3  # two attempts at one instance stay two sessions
    write = convs[0].messages[3].tool_calls[0]
    assert write.arguments["command"] == "create" and write.arguments["path"].endswith("auth.py")
    assert convs[0].metadata["model"] == "claude-3-5-sonnet-20241022"
    for conv in convs:
        assert_calls_linked(conv)
    assert warnings == [(4, "wrong schema: record has no history list of events")]


def test_swe_agent_trajectories():
    (classic,), warnings = collect(swe_agent, FIXTURES / "acme__login-101.traj")
    assert roles(classic) == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant", "tool"]
    assert "demonstration" not in classic.messages[1].content
    assert classic.messages[2].tool_calls[0].arguments == {"command": 'find_file "login.py"'}
    assert classic.messages[-2].tool_calls[0].arguments == {"command": "submit"}
    assert classic.outcome == "unknown" and classic.work_item == "acme__login-101"
    assert classic.metadata["exit_status"] == "submitted" and classic.metadata["counts"]["empty_actions"] == 1
    assert warnings == [(1, "wrong schema: trajectory step 4 has no action")]
    (fc,), warnings = collect(swe_agent, FIXTURES / "acme__login-102.traj")
    assert warnings == []
    assert roles(fc) == ["system", "user", "assistant", "tool", "assistant"]
    assert fc.messages[2].tool_calls[0].id == "toolu_vrtx_01"
    assert fc.outcome == "failure"  # exit_cost without a submission
    for conv in (classic, fc):
        assert_calls_linked(conv)


def test_aider_chat_history(tmp_path):
    convs, warnings = collect(aider, AIDER)
    assert warnings == []
    assert len(convs) == 2  # split at /clear; the second session holds only a /add
    first, after_clear = convs
    assert roles(first) == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert first.messages[0].content == "the login function should reject an empty password\nwith a 400 status"
    assert ">>>>>>> REPLACE" in first.messages[1].content  # reply code blocks are not quotes
    assert first.messages[2].content.startswith("src/login.py:1:1: F401")  # the lint reflection
    assert first.messages[4].content == "why return 200 last?"  # /ask keeps its prompt
    assert first.metadata["commits"] == ["3f2a1b2", "9c1d2e3"] and first.metadata["model"] == "gpt-4o"
    assert roles(after_clear) == ["user", "assistant"]
    assert first.id != after_clear.id and first.source.line == after_clear.source.line == 2
    # the folder it lies in names the role
    town = tmp_path / "gt" / "wyvern" / "polecats" / "nux"
    town.mkdir(parents=True)
    shutil.copy(AIDER, town / AIDER.name)
    convs, _ = collect(aider, town / AIDER.name)
    assert {c.agent_role for c in convs} == {"polecat"}


def test_context_documents_and_the_build_stage():
    docs = []
    for name in ("CLAUDE.md", "AGENTS.md", "mol-polecat-work.formula.toml"):
        (doc,), warnings = collect(context_files, FIXTURES / "context" / name)
        assert warnings == []
        assert roles(doc) == ["system"] and doc.outcome == "unknown"
        assert doc.metadata["kind"] == "context_document"
        docs.append(doc)
    assert "pkill" in docs[0].messages[0].content
    assert docs[2].metadata["formula"] == "mol-polecat-work"
    assert docs[2].metadata["steps"] == ["load-context", "submit-and-exit"]
    session = Conversation(
        "s1", [Message("user", "hi"), Message("assistant", "hello")], SourceRef("x", 1), outcome="success"
    )
    built = build_dataset(docs + [session], BuildConfig(eval_fraction=0.0, dpo=False))
    assert built.stats["filtered"] == {"no_assistant_turn": 3}
    assert built.stats["sft"]["train"] == 1


def test_bad_formula_and_undecodable_documents_warn(tmp_path):
    bad = tmp_path / "broken.formula.toml"
    bad.write_text('formula = "x"\nversion = = 3\n')
    convs, warnings = collect(context_files, bad)
    assert convs == [] and warnings[0][0] == 2 and warnings[0][1].startswith("invalid TOML")
    claude = tmp_path / "CLAUDE.md"
    claude.write_bytes(b"# ok\n\xff\xfe bad\n")
    convs, warnings = collect(context_files, claude)
    assert convs == [] and warnings == [(2, "invalid UTF-8 at byte 5")]


def test_bad_records_never_raise_or_echo(tmp_path):
    secret = "ghp_FAKEFAKEFAKEFAKE"
    cases = {
        "a.jsonl": (openai_chat, f'{{"messages": "{secret}"}}\n[1]\n{{"messages": [{{"role": "{secret}"}}]}}\n'),
        "b.json": (sharegpt, f'[{{"conversations": [{{"from": "{secret}", "value": "{secret}"}}]}}, {{"oops": 1}}'),
        "rollout-x.jsonl": (codex, f'{{"type": "response_item", "payload": "{secret}"}}\n\xff\n'),
        "c.json": (openhands, f'{{"history": [{{"action": "run", "args": "{secret}"}}, 5]}}'),
        "d.traj": (swe_agent, f'{{"trajectory": "{secret}"}}'),
        "e.traj": (
            swe_agent,
            '{"trajectory": [{"action": "',
        ),
        ".aider.chat.history.md": (aider, "#### \xff\n"),
    }
    for name, (reader, text) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode("utf-8", "surrogateescape") if "\xff" not in text else text.encode("latin-1"))
        _convs, warnings = collect(reader, path)
        assert warnings, name
        assert all(isinstance(line, int) for line, _ in warnings), (name, warnings)
        assert not any(secret in why for _, why in warnings), (name, warnings)


def test_every_conversation_round_trips(tmp_path):
    paths = [p for p in FIXTURES.rglob("*") if p.is_file()]
    for path in paths:
        reader = detect_reader(path, read_head(path))
        for conv in reader.read(path, lambda line, why: None):
            again = Conversation.from_dict(json.loads(json.dumps(conv.to_dict())))
            assert again == conv
            assert all(m.role in ("system", "user", "assistant", "tool") for m in conv.messages)


def test_the_corpus_stage_reads_every_format(tmp_path):
    from forge.artifacts import ArtifactStore
    from forge.ingest.stage import IngestConfig, run_ingest

    store = ArtifactStore(tmp_path / "store")
    art = run_ingest(store, [FIXTURES, AIDER], IngestConfig())
    report = json.loads((art.path / "report.json").read_text())["ingest"]
    assert report["files_by_reader"] == {
        "aider": 1,
        "codex": 2,
        "context_files": 3,
        "openai_chat": 1,
        "openhands": 2,
        "sharegpt": 1,
        "swe_agent": 2,
    }
    assert report["conversations"] == 19  # 16 sessions + 3 convention files kept as context documents
    lines = (art.path / "conversations.jsonl").read_text().splitlines()
    docs = [json.loads(line) for line in lines]
    assert sum(d["metadata"].get("kind") == "context_document" for d in docs) == 3
    formats = {d["metadata"]["format"] for d in docs if d["metadata"].get("kind") != "context_document"}
    assert formats == {"aider", "codex", "openai_chat", "openhands", "sharegpt", "swe_agent"}


def test_a_session_recorded_without_its_request_makes_no_sft_row():
    """`codex exec --json` takes the prompt on the command line, so its stream (Codex's own
    documented sample, fixtures/real/codex_exec) has no user turn: a row from it would teach
    the model to act on no request. The build sets it aside, and says where the prompt is."""
    from forge.build.empty import no_sft_rows
    from forge.ingest import codex_exec

    stream = Path(__file__).resolve().parents[1] / "fixtures/real/codex_exec/exec-docs-sample.jsonl"
    (conv,), _ = collect(codex_exec, stream)
    assert roles(conv)[:2] == ["assistant", "tool"] and conv.metadata["prompt_recorded"] is False
    conv.outcome = "success"
    built = build_dataset([conv], BuildConfig(eval_fraction=0.0, dpo=False))
    assert built.stats["filtered"] == {"no_prompt": 1} and built.stats["sft"]["train"] == 0
    said, hint = no_sft_rows(built.stats)
    assert "no request before the agent's first turn" in said and "~/.codex/sessions" in hint
