"""Readers on real public samples (tests/fixtures/real, sources in its SOURCES.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from forge.artifacts import ArtifactStore
from forge.ingest.readers import detect_reader, read_head
from forge.ingest.stage import IngestConfig, run_ingest
from forge.records import Conversation, WorkItem

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def read(path: Path) -> tuple[list, list]:
    warnings: list = []
    reader = detect_reader(path, read_head(path))
    assert reader is not None, f"{path.name}: no reader recognised it"
    return list(reader.read(path, lambda line, reason: warnings.append((line, reason)))), warnings


@pytest.mark.parametrize(
    "rel, reader",
    [
        ("claude_code/hello-world-script.jsonl", "claude_code"),
        ("claude_code/coverage-test-fix.jsonl", "claude_code"),
        ("claude_code/python-to-rust-port.jsonl", "claude_code"),
        ("claude_code/stop-hook-uncommitted-changes.jsonl", "claude_code"),
        ("claude_code_subagent/55550000-0000-4000-8000-000000000001/subagents/agent-showcol1.jsonl", "claude_code"),
        ("claude_code_agents_2.0/-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl", "claude_code"),
        ("claude_code_agents_2.0/-tmp-private/agent-36541525.jsonl", "claude_code"),
        ("claude_code_agents_2.0/-tmp-private/agent-50243ee8.jsonl", "claude_code"),
        ("claude_code_parallel/e9fb405b-169f-40eb-9396-7e75076f045d/subagents/agent-a485154.jsonl", "claude_code"),
        ("codex/sample_codex_session.jsonl", "codex"),
        ("codex/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl", "codex"),
        ("codex/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl", "codex"),
        ("codex_exec/exec-docs-sample.jsonl", "codex_exec"),
        ("gemini_cli/gemini-cli-pomodoro-timer.json", "gemini_cli"),
        ("gemini_cli/entire-checkpoint-full.jsonl", "gemini_cli"),
        ("gemini_cli/session-2025-12-03T04-27-e0f6ebe9.json", "gemini_cli"),
        ("codex_exec/codex-agent-stream-exec.jsonl", "codex_exec"),
        ("openhands/basic.json", "openhands"),
        ("openhands/basic_interactions.json", "openhands"),
        ("openhands/wrong_initial_state.json", "openhands"),
        ("swe_agent/function_calling_simple.traj", "swe_agent"),
        ("swe_agent/humanevalfix-python-0.traj", "swe_agent"),
        ("swe_agent/6e44b9__sweagenttestrepo-1c2844.traj", "swe_agent"),
        ("adp/mini-coder.sample_std.json", "adp"),
        ("adp/codeactinstruct.sample_std.json", "adp"),
        ("aider/afi-core/.aider.chat.history.md", "aider"),
        ("sharegpt/conversation.json", "sharegpt"),
        ("sharegpt/glaive_toolcall_en_demo.json", "sharegpt"),
        ("openai_chat/drone_training.jsonl", "openai_chat"),
        ("beads/steveyegge-beads/.beads/issues.jsonl", "beads"),
        ("beads/steveyegge-beads-2026-01/.beads/issues.jsonl", "beads"),
        ("beads/skyhook/.beads/issues.jsonl", "beads"),
        ("beads/beads-manager/.beads/issues.jsonl", "beads"),
        ("context/beads/CLAUDE.md", "context_files"),
        ("context/beads/AGENTS.md", "context_files"),
        ("context/beads/.beads/formulas/beads-release.formula.toml", "context_files"),
        ("context/gastown/AGENTS.md", "context_files"),
        ("context/gastown/formulas/mol-polecat-work.formula.toml", "context_files"),
        ("context/gastown/formulas/code-review.formula.toml", "context_files"),
        ("context/gastown/formulas/rule-of-five.formula.toml", "context_files"),
        ("context/gastown/formulas/security-audit.formula.toml", "context_files"),
        ("context/gastown/formulas/shiny-secure.formula.toml", "context_files"),
        ("context/gemini-cli/GEMINI.md", "context_files"),
        ("crush/.crush/crush.db", "crush"),
        ("opencode_go/.opencode/opencode.db", "crush"),
        ("goose/real_export_v1_46_0.json", "goose"),
    ],
)
def test_every_real_sample_is_recognised_and_read(rel, reader):
    path = REAL / rel
    assert detect_reader(path, read_head(path)).name == reader
    records, warnings = read(path)
    if reader == "beads":  # work items, one per bead; a tombstone is a deleted bead
        beads = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        assert [r.id for r in records] == [b["id"] for b in beads if b["status"] != "tombstone"]
        assert all(isinstance(r, WorkItem) for r in records)
    elif reader == "context_files":  # the whole text as one system message, no reply
        (doc,) = records
        assert [m.role for m in doc.messages] == ["system"] and doc.outcome == "unknown"
        assert doc.messages[0].content == path.read_bytes().decode("utf-8")
    else:
        convs = [r for r in records if isinstance(r, Conversation)]
        assert convs and all(any(m.role == "assistant" for m in c.messages) for c in convs)
    # only the capture tool's own header line is not an event
    expected = [(1, "not a codex exec event, skipped")] if "stream-exec" in rel else []
    if rel.startswith("opencode_go"):  # two sessions hold only a cancelled reply
        expected = [(n, "no dialogue: no prompt with a reply; session skipped") for n in (87, 89)]
    assert warnings == expected


def test_codex_exec_stream_becomes_calls_and_results():
    (conv,), _ = read(REAL / "codex_exec/exec-docs-sample.jsonl")
    assert conv.id == "0199a213-81c0-7800-8aa1-bbab2a035a53"
    roles = [m.role for m in conv.messages]
    assert roles == ["assistant", "tool", "assistant"]
    (call,) = conv.messages[0].tool_calls
    assert call.name == "shell" and call.arguments == {"command": "bash -lc ls"}
    assert "README.md" in conv.messages[1].content and conv.messages[1].tool_call_id == call.id
    assert conv.messages[2].content.startswith("Yep")
    assert conv.metadata["counts"]["thinking"] == 2 and conv.metadata["prompt_recorded"] is False


def test_swe_agent_history_only_files_are_read_from_their_history(tmp_path):
    (conv,), _ = read(REAL / "swe_agent/function_calling_simple.traj")
    assert conv.metadata["history_only"] is True
    calls = [c.name for m in conv.messages for c in m.tool_calls]
    assert calls == ["find_file", "open", "edit", "bash", "submit"]
    assert all(m.tool_call_id for m in conv.messages if m.role == "tool")
    # a history without function calling: each assistant item's action is the command
    doc = json.loads((REAL / "swe_agent/humanevalfix-python-0.traj").read_text())
    del doc["trajectory"]
    (tmp_path / "h.traj").write_text(json.dumps(doc))
    (conv,), warnings = read(tmp_path / "h.traj")
    assert not warnings and conv.metadata["history_only"] is True
    steps = [m for m in conv.messages if m.tool_calls]
    actions = [h["action"].strip() for h in doc["history"] if h["role"] == "assistant"]
    assert [m.tool_calls[0].arguments["command"] for m in steps] == actions[: len(steps)]
    assert len(steps) >= len(actions) - 1  # a last command nobody answered keeps only its words


def test_adp_actions_become_tool_calls_answered_by_the_environment():
    (conv,), _ = read(REAL / "adp/mini-coder.sample_std.json")
    assert conv.id == "adp-mozilla__bleach.73871d76.func_pm_remove_cond__lq60cp3u"
    assert conv.messages[0].role == "user" and "HTML serializer" in conv.messages[0].content
    first = conv.messages[1]
    assert first.role == "assistant" and first.tool_calls[0].name == "execute_bash"
    assert first.tool_calls[0].arguments == {"command": "ls -la bleach/"}
    assert conv.messages[2].role == "tool" and conv.messages[2].tool_call_id == first.tool_calls[0].id


def test_aider_history_keeps_prompts_replies_and_what_aider_sent_back():
    convs, warnings = read(REAL / "aider/afi-core/.aider.chat.history.md")
    assert warnings == []
    # eight sessions; the one that only upgraded aider has no dialogue
    assert [c.metadata["started_at"] for c in convs] == [
        "2025-07-15 11:38:37",
        "2025-07-15 14:53:34",
        "2025-07-15 15:06:38",
        "2025-07-15 15:18:04",
        "2025-07-16 20:11:30",
        "2025-07-22 17:49:27",
        "2025-07-23 11:25:21",
    ]
    assert [len(c.messages) for c in convs] == [2, 6, 2, 6, 26, 6, 2]
    for conv in convs:
        assert [m.role for m in conv.messages] == ["user", "assistant"] * (len(conv.messages) // 2)
    everything = [m.content for c in convs for m in c.messages]
    # "Skip all" / "All" answers aider logged as `####` lines are not prompts
    assert not any("Add file to the chat?" in text for text in everything)
    assert [m.content.split("\n")[0] for m in convs[3].messages if m.role == "user"] == [
        "sync-afi",
        "for dir in ~/AFI_Modular_Repos/afi-*; do",
        "for dir in ~/AFI_Modular_Repos/afi-*; do",
    ]
    big = convs[4]
    # the files the person let aider add are what it sent back before the next reply
    assert big.messages[2].content == (
        "engine/afi-dag-engine.ts\nschemas/pipeline_config_schema.ts\n"
        "validators/SignalValidator.tsx\nvalidators/useSignalEvaluation.ts"
    )
    # the failed SEARCH/REPLACE report, quoted on its first line only, is the user turn, not a reply
    failed, fixed = big.messages[-2], big.messages[-1]
    assert failed.role == "user" and failed.content.startswith("The LLM did not conform to the edit format.")
    assert "## SearchReplaceNoExactMatch" in failed.content
    assert failed.content.endswith("Just reply with fixed versions of the block above that failed to match.")
    assert fixed.content.startswith("Here is the corrected *SEARCH/REPLACE* block")
    assert not any("SearchReplaceNoExactMatch" in m.content for c in convs for m in c.messages if m.role == "assistant")
    assert big.metadata["counts"] == {"commands": 9, "notes": 29, "reflections": 3}
    assert big.metadata["commits"] == [
        "9760d2f",
        "24aed81",
        "c4b9dc7",
        "0d4b6dc",
        "c3b2015",
        "6dec692",
        "d101abd",
        "7f1724d",
        "8cba441",
    ]
    assert "validators/SignalScorer.ts" in big.metadata["edited_files"] and big.metadata["model"] == "gpt-4o"
    # `!find ...` is a shell command, as /run
    last = convs[-1]
    assert [m.role for m in last.messages] == ["user", "assistant"] and last.messages[0].content == "pwd"
    assert last.metadata["counts"]["commands"] == 1


def test_aider_output_sent_back_right_after_clear_is_the_user_turn(tmp_path):
    real = REAL / "aider/afi-core/.aider.chat.history.md"
    lines = real.read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[71].startswith("Once you add the file") and lines[73].startswith("> Tokens:")
    # the person clears the chat before confirming the file aider offered to add
    (tmp_path / ".aider.chat.history.md").write_text(
        "".join([*lines[:73], "#### /clear  \n", "\n", *lines[73:]]), encoding="utf-8"
    )
    convs, warnings = read(tmp_path / ".aider.chat.history.md")
    assert warnings == []
    first, second = (c for c in convs if c.metadata["started_at"] == "2025-07-15 14:53:34")
    assert [m.role for m in first.messages] == ["user", "assistant", "user", "assistant"]
    assert (second.metadata["part"], [m.role for m in second.messages]) == (1, ["user", "assistant"])
    assert second.messages[0].content == "init_repo.sh"
    assert second.messages[1].content.startswith("To implement the `sync-afi` and `aider-afi` commands")


def test_sharegpt_turns_and_glaive_function_calls():
    (conv,), warnings = read(REAL / "sharegpt/conversation.json")
    assert warnings == [] and conv.tools == []
    assert [m.role for m in conv.messages] == ["user", "assistant"] * 6
    assert conv.messages[0].content.startswith("how could i implement a minesweeper algorithm")

    convs, warnings = read(REAL / "sharegpt/glaive_toolcall_en_demo.json")
    assert warnings == [] and len(convs) == 300
    roles = [m.role for c in convs for m in c.messages]
    assert (roles.count("user"), roles.count("assistant"), roles.count("tool")) == (746, 957, 211)
    assert sum(len(m.tool_calls) for c in convs for m in c.messages) == 211
    # `tools` is a JSON string of bare function schemas
    assert [t["function"]["name"] for t in convs[0].tools] == ["search_recipes"]
    (call,) = convs[0].messages[3].tool_calls
    assert call.name == "search_recipes" and call.arguments == {"ingredients": ["chicken", "bell peppers", "rice"]}
    # three calls in one record, each answered by the observation after it
    conv = next(c for c in convs if c.source.line == 121)
    calls = [t for m in conv.messages for t in m.tool_calls]
    assert [t.arguments["shape"] for t in calls] == ["rectangle", "circle", "square"]
    results = [m for m in conv.messages if m.role == "tool"]
    assert [(m.tool_call_id, m.content) for m in results] == [
        (calls[0].id, '{"area": 15}'),
        (calls[1].id, '{"area": 50.24}'),
        (calls[2].id, '{"area": 49}'),
    ]
    # 35 records are exact repeats: same content, same id
    assert len({c.id for c in convs}) == 265


def test_openai_chat_tool_calls_with_arguments_encoded_twice():
    convs, warnings = read(REAL / "openai_chat/drone_training.jsonl")
    assert warnings == [] and len(convs) == 5
    assert all([m.role for m in c.messages] == ["system", "user", "assistant"] for c in convs)
    calls = [(t.id, t.name, t.arguments) for c in convs for t in c.messages[2].tool_calls]
    assert calls == [
        ("call_id", "takeoff_drone", {"altitude": 100}),
        ("call_id", "takeoff_drone", {"altitude": 100}),
        # published as a JSON string holding the JSON object
        ("call_id", "land_drone", {"location": "current"}),
        ("call_id", "land_drone", {"location": "current"}),
        ("call_id", "land_drone", {"location": "home_base"}),
    ]
    assert all(len(c.tools) == 16 and c.tools[-1]["function"]["name"] == "reject_request" for c in convs)


def test_real_aider_sharegpt_and_openai_chat_through_the_stage(tmp_path):
    paths = [REAL / "aider", REAL / "openai_chat", REAL / "sharegpt"]
    art = run_ingest(ArtifactStore(tmp_path / "store"), paths, IngestConfig(workers=1))
    report = json.loads(art.file("report.json").read_text())["ingest"]
    assert report["files_by_reader"] == {"aider": 1, "openai_chat": 1, "sharegpt": 2}
    # 7 + 5 + 1 + 265: the glaive set's 35 exact repeats are dropped as duplicates, nothing else
    assert report["conversations"] == 278
    assert {w["reason"].split(" (")[0] for w in report["warnings"]} == {"duplicate session id"}
    assert len(report["warnings"]) == 35
    convs = [json.loads(line) for line in art.file("conversations.jsonl").read_text().splitlines()]
    drone = [c for c in convs if c["metadata"]["format"] == "openai_chat"]
    assert [c["messages"][2]["tool_calls"][0]["arguments"] for c in drone][2:] == [
        {"location": "current"},
        {"location": "current"},
        {"location": "home_base"},
    ]


def test_claude_code_subagent_file_links_to_its_parent():
    (child,), _ = read(
        REAL / "claude_code_subagent/55550000-0000-4000-8000-000000000001/subagents/agent-showcol1.jsonl"
    )
    assert child.id == "55550000-0000-4000-8000-000000000001/agent-showcol1"
    assert child.metadata["subagent"] is True and child.metadata["agent_id"] == "showcol1"
    assert child.metadata["parent_session"] == "55550000-0000-4000-8000-000000000001"
    assert [m.role for m in child.messages] == ["user", "assistant"]
    # a real parent lists the subagent its Task call started
    (parent,), _ = read(REAL / "claude_code/python-to-rust-port.jsonl")
    assert parent.metadata["subagents"] == ["ab81802"]
    assert "subagent" not in parent.metadata


def test_one_bad_line_in_a_real_file_costs_that_line_only(tmp_path):
    real = REAL / "claude_code/coverage-test-fix.jsonl"
    (whole,), _ = read(real)
    lines = real.read_text(encoding="utf-8").splitlines(keepends=True)
    # another tool's header first, a torn line in the middle: both skipped, nothing else lost
    damaged = [
        '{"_type": "export-header", "tool": "some-viewer", "version": 3}\n',
        *lines[:10],
        '{"parentUuid": "x", "type": "user", "mess\n',
        *lines[10:],
    ]
    (tmp_path / "s.jsonl").write_text("".join(damaged))
    (conv,), warnings = read(tmp_path / "s.jsonl")
    assert [line for line, _ in warnings] == [1, 12]
    assert warnings[0][1] == "not a Claude Code entry (no type), skipped"
    assert [m.to_openai() for m in conv.messages] == [m.to_openai() for m in whole.messages]
    # the same for an event stream and a beads table
    for rel in ("codex_exec/exec-docs-sample.jsonl", "beads_backup/.beads/backup/events.jsonl"):
        src = REAL / rel
        good, _ = read(src)
        text = src.read_text().splitlines(keepends=True)
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("".join([*text[:2], "not json at all\n", *text[2:]]))
        records, warnings = read(target)
        assert [line for line, _ in warnings] == [3]
        assert len(records) == len(good)


def test_a_byte_order_mark_or_windows_line_ends_cost_nothing(tmp_path):
    """A file saved by a Windows editor or PowerShell starts with a UTF-8 BOM and ends its lines
    with CRLF: every record is still read, the first one included."""
    real = REAL / "claude_code/coverage-test-fix.jsonl"
    (whole,), _ = read(real)
    raw = real.read_bytes()
    for name, data in (("bom", b"\xef\xbb\xbf" + raw), ("crlf", b"\xef\xbb\xbf" + raw.replace(b"\n", b"\r\n"))):
        (tmp_path / f"{name}.jsonl").write_bytes(data)
        (conv,), warnings = read(tmp_path / f"{name}.jsonl")
        assert warnings == []
        assert [m.to_openai() for m in conv.messages] == [m.to_openai() for m in whole.messages]


def test_beads_backup_tables_fold_into_their_beads(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    art = run_ingest(store, [REAL / "beads_backup"], IngestConfig(workers=1))
    items = {json.loads(line)["id"]: json.loads(line) for line in art.file("work_items.jsonl").read_text().splitlines()}
    assert len(items) == 10
    report = json.loads(art.file("report.json").read_text())["ingest"]
    assert report["files_by_reader"] == {"beads": 1, "beads_backup": 4} and report["warnings"] == []
    # labels, dependencies and comments from their own tables
    assert items["gt-4k12"]["labels"] == ["zfc-violation"] and items["gt-4k12"]["depends_on"] == ["gt-qmsx"]
    assert items["gt-gow8b"]["comments"] == 1
    # reopen counts from the events table
    assert {b for b, i in items.items() if i["reopened"]} == {"gt-yd38", "gt-fubw", "gt-5kjn", "gt-otwv"}
    # closes that set the bead aside leave its outcome unknown; a merge is a success
    assert items["gt-00us"]["outcome"] == "unknown"  # "Garbage bead from --help ..."
    assert items["gt-69dai"]["outcome"] == "unknown"  # "Completed with no code changes ..."
    assert items["gt-yd38"]["outcome"] == "success" and items["gt-yd38"]["outcome_source"] == "beads:status"


def test_beads_events_decide_a_session_whose_close_was_reopened(tmp_path):
    """A session linked to gt-yd38 (by its polecat branch) that started before the bead's first
    close, which the events show was reopened, did work that did not hold."""
    events = [json.loads(line) for line in (REAL / "beads_backup/.beads/backup/events.jsonl").read_text().splitlines()]
    timeline = [
        (e["created_at"], e["event_type"])
        for e in events
        if e["issue_id"] == "gt-yd38" and e["event_type"] in ("closed", "reopened")
    ]
    first_close = next(t for t, kind in timeline if kind == "closed")
    assert any(kind == "reopened" and t >= first_close for t, kind in timeline)
    last_reopen = max(t for t, kind in timeline if kind == "reopened")
    src = tmp_path / "in"
    shutil.copytree(REAL / "beads_backup", src / "town")
    hello = (REAL / "claude_code/hello-world-script.jsonl").read_text().splitlines()

    def session(name: str, started: str) -> None:
        out = []
        for line in hello:
            entry = json.loads(line)
            entry["sessionId"] = name
            if "gitBranch" in entry:
                entry["gitBranch"] = "polecat/furiosa/gt-yd38"
            if "timestamp" in entry:
                entry["timestamp"] = started
            out.append(json.dumps(entry))
        (src / f"{name}.jsonl").write_text("\n".join(out) + "\n")

    session("before-close", "2020-01-01T00:00:00Z")
    session("after-reopen", last_reopen)
    art = run_ingest(ArtifactStore(tmp_path / "store"), [src], IngestConfig(workers=1))
    convs = {c["id"]: c for c in map(json.loads, art.file("conversations.jsonl").read_text().splitlines())}
    assert (convs["before-close"]["outcome"], convs["before-close"]["outcome_source"]) == ("failure", "beads:events")
    assert (convs["after-reopen"]["outcome"], convs["after-reopen"]["outcome_source"]) == ("success", "beads:status")


def beads_of(rel: str) -> dict[str, WorkItem]:
    records, warnings = read(REAL / "beads" / rel / ".beads" / "issues.jsonl")
    assert warnings == []
    return {r.id: r for r in records}


def test_beads_exports_give_status_outcome_role_comments_and_dependencies():
    items = beads_of("steveyegge-beads")
    assert len(items) == 21
    xmf = items["bd-xmf"]
    assert (xmf.status, xmf.outcome, xmf.agent_role) == ("hooked", "unknown", "polecat")
    assert xmf.assignee == "beads/polecats/obsidian" and xmf.depends_on == ["bd-wisp-uq6fx"]
    assert (items["bd-pr-sheriff"].status, items["bd-pr-sheriff"].agent_role) == ("pinned", "crew")
    assert (items["bd-5ua"].status, items["bd-5ua"].outcome) == ("in_progress", "unknown")
    # every kind of dependency, each the id the bead points at
    assert items["bd-hlsw.3"].depends_on == ["bd-hlsw"]  # parent-child
    assert items["bd-ee1"].depends_on == ["bd-da96-baseline-lint", "bd-wisp-1fzx"]  # discovered-from, blocks
    assert items["hq-cv-d46qe"].depends_on == ["external:gastown:gt-5kjn"]  # a convoy tracks
    assert items["bd-6ie"].comments == 1  # comment_count: this export carries no comment text
    assert items["bd-wisp-kj9g7"].labels == ["gt:merge-request"]
    outcomes = {i: (b.outcome, b.outcome_source) for i, b in items.items() if b.status == "closed"}
    assert outcomes == {
        "bd-1x0": ("unknown", None),  # "Completed with no code changes (already fixed ...)"
        "bd-7vk": ("success", "beads:status"),  # "Closed"
        "bd-6ie": ("failure", "beads:status"),  # "Duplicate of bd-7z5"
        "bd-ee1": ("success", "beads:status"),
        "bd-7z5": ("success", "beads:status"),
        "bd-9g1z": ("unknown", None),  # "stale:auto-closed by reaper"
        "bd-hlsw": ("unknown", None),
        "bd-hlsw.3": ("unknown", None),
        "bd-hlsw.4": ("unknown", None),
        "bd-wisp-04r7": ("success", "beads:status"),  # a merge request: "merged"
        "bd-wisp-5eap": ("failure", "beads:status"),  # "rejected: Duplicate: bd-7vk fix already merged ..."
        "bd-wisp-7ap84": ("success", "beads:status"),
        "bd-wisp-kj9g7": ("failure", "beads:status"),  # "rejected: Build failure: ..."
        "bd-wisp-nyoi9": ("unknown", None),  # a molecule thrown away: "burned: polecat nuked"
        "bd-wisp-bje6rq": ("unknown", None),  # "Moot - ... Quartz's failed attempt superseded."
        # a patrol's summary that mentions others' test failures is not a failed patrol
        "bd-wisp-g9rz": ("success", "beads:status"),
    }
    assert items["bd-wisp-g9rz"].agent_role == "witness"

    old = beads_of("steveyegge-beads-2026-01")
    assert "bd-06px" not in old and len(old) == 12  # the tombstone is a deleted bead
    assert {i: b.outcome for i, b in old.items()} == {
        "bd-03z45": "success",
        "bd-0e1gk": "unknown",  # "Wrong rig - refiling in gastown beads as gt-*"
        "bd-3bhl": "success",  # "Implemented sync rollback on git commit failure ..."
        "bd-40c2": "failure",  # "Duplicate of bd-c0b6"
        "bd-5482": "unknown",  # "Branch polecat/obsidian-... no longer exists on remote"
        "bd-6dnt": "success",  # "Extracted IssueDetails ... - removed 5 duplicate definitions"
        "bd-8hea": "unknown",  # "Misfiled - belongs in gastown (gt-)"
        "bd-eysh": "unknown",  # "Refiled to gt-w66v4"
        "bd-hvwnb": "failure",  # "Won't fix - minor duplication ..."
        "bd-kp9y": "unknown",  # "Moved to gastown: gt-s94gq ..."
        "bd-yk9iz": "success",  # "Fixed by adding invalidateBlockedCache() call ..."
        "bd-zw72": "unknown",  # open
    }
    assert (old["bd-03z45"].comments, old["bd-zw72"].comments) == (1, 2)  # embedded comment lists
    assert old["bd-03z45"].agent_role == "crew" and old["bd-3bhl"].depends_on == ["bd-pnx2", "bd-usvv"]

    sky = beads_of("skyhook")
    assert [(b.id, b.status, b.outcome) for b in sky.values()][:2] == [
        ("skyhook-gld", "open", "unknown"),
        ("skyhook-gld.1", "closed", "success"),
    ]
    assert sky["skyhook-gld.6"].depends_on == ["skyhook-gld"] + [f"skyhook-gld.{n}" for n in range(1, 6)]
    assert (
        sky["skyhook-gld.4"].comments == 1
        and sky["skyhook-gld.6"].title == "Add comprehensive E2E tests for batch state reset"
    )


def test_beads_export_with_type_discriminator_and_memories(tmp_path):
    """bd 1.0.3+ writes "_type":"issue" on each line; `bd export --memories` adds memory lines."""
    path = REAL / "beads/beads-manager/.beads/issues.jsonl"
    items = beads_of("beads-manager")
    assert len(items) == 20 and sum(b.status == "open" for b in items.values()) == 3
    assert (items["beads-manager-okp"].outcome, items["beads-manager-okp"].close_reason) == ("success", None)
    assert items["beads-manager-huk"].outcome == "unknown"  # "Removed from backlog — out of scope for now"
    assert items["beads-manager-dns"].comments == 1  # an embedded comment and comment_count 1
    # the line bd writes for a memory (cmd/bd/export.go) is no bead, and no wrong line either
    memory = json.dumps({"_type": "memory", "key": "k", "value": "v"}, separators=(",", ":"))
    copy = tmp_path / ".beads" / "issues.jsonl"
    copy.parent.mkdir()
    copy.write_text(path.read_text(encoding="utf-8") + memory + "\n", encoding="utf-8")
    records, warnings = read(copy)
    assert warnings == [] and [r.id for r in records] == list(items)


def test_real_polecat_branch_links_a_session_to_its_bead(tmp_path):
    """Gas Town names a polecat's branch polecat/<name>/<bead>@<timestamp>; the merge-request
    beads in the real export say which branch carried which bead."""
    src = tmp_path / "in"
    shutil.copytree(REAL / "beads/steveyegge-beads", src / "beads")
    beads = {
        b["id"]: b
        for b in map(json.loads, (src / "beads/.beads/issues.jsonl").read_text(encoding="utf-8").splitlines())
    }

    def branch(mr: str) -> str:
        line = next(x for x in beads[mr]["description"].splitlines() if x.startswith("branch: "))
        return line.removeprefix("branch: ")

    merged, rejected = branch("bd-wisp-04r7"), branch("bd-wisp-kj9g7")
    assert (merged, rejected) == ("polecat/amber/bd-7vk@mm5l4dwf", "polecat/quartz/bd-1x0@mm5qp96g")
    hello = (REAL / "claude_code/hello-world-script.jsonl").read_text(encoding="utf-8").splitlines()
    for name, git_branch in (("on-7vk", merged), ("on-1x0", rejected)):
        out = []
        for line in hello:
            entry = json.loads(line)
            entry["sessionId"] = name
            if "gitBranch" in entry:
                entry["gitBranch"] = git_branch
            out.append(json.dumps(entry))
        (src / f"{name}.jsonl").write_text("\n".join(out) + "\n", encoding="utf-8")
    art = run_ingest(ArtifactStore(tmp_path / "store"), [src], IngestConfig(workers=1))
    convs = {c["id"]: c for c in map(json.loads, art.file("conversations.jsonl").read_text().splitlines())}
    items = {i["id"]: i for i in map(json.loads, art.file("work_items.jsonl").read_text().splitlines())}
    assert convs["on-7vk"]["work_item"] == "bd-7vk"
    assert (convs["on-7vk"]["outcome"], convs["on-7vk"]["outcome_source"]) == ("success", "beads:status")
    assert convs["on-7vk"]["agent_role"] == "polecat"  # from the bead's assignee beads/polecats/quartz
    # bd-1x0 was closed with no code changes: linked, but its outcome says nothing of the session
    assert convs["on-1x0"]["work_item"] == "bd-1x0" and convs["on-1x0"]["outcome_source"] != "beads:status"
    assert items["bd-7vk"]["sessions"] == ["on-7vk"] and items["bd-1x0"]["sessions"] == ["on-1x0"]


def test_real_convention_files_and_formulas_through_the_stage(tmp_path):
    art = run_ingest(ArtifactStore(tmp_path / "store"), [REAL / "context"], IngestConfig(workers=1))
    report = json.loads(art.file("report.json").read_text())["ingest"]
    # the formula under .beads/formulas is found too: .beads is a folder the walk keeps
    assert report["files_by_reader"] == {"context_files": 10} and report["warnings"] == []
    docs = {
        d["source"]["path"].removeprefix("context/"): d
        for d in map(json.loads, art.file("conversations.jsonl").read_text().splitlines())
    }
    assert len(docs) == 10 and all(d["metadata"]["kind"] == "context_document" for d in docs.values())
    assert {p: d["metadata"]["doc_type"] for p, d in docs.items() if p.endswith(".md")} == {
        "beads/CLAUDE.md": "claude_md",
        "beads/AGENTS.md": "agents_md",
        "gastown/AGENTS.md": "agents_md",
        "gemini-cli/GEMINI.md": "gemini_md",
    }
    assert docs["beads/AGENTS.md"]["id"] != docs["gastown/AGENTS.md"]["id"]
    formulas = {
        d["metadata"]["formula"]: (
            d["metadata"]["formula_type"],
            d["metadata"]["formula_version"],
            d["metadata"]["steps"],
        )
        for d in docs.values()
        if d["metadata"]["doc_type"] == "formula"
    }
    release = formulas.pop("beads-release")
    assert release[:2] == ("workflow", 1) and len(release[2]) == 31
    assert (release[2][0], release[2][-1]) == ("preflight-worktree", "release-complete")
    assert formulas == {
        "mol-polecat-work": (
            None,
            10,
            ["load-context", "branch-setup", "implement", "commit-changes"]
            + ["self-review", "build-check", "pre-verify", "submit-and-exit"],
        ),
        # a convoy's legs and an expansion's template are its steps
        "code-review": (
            "convoy",
            1,
            ["correctness", "performance", "security", "elegance", "resilience"]
            + ["style", "smells", "wiring", "commit-discipline", "test-quality"],
        ),
        "rule-of-five": ("expansion", 1, ["{target}.draft"] + [f"{{target}}.refine-{n}" for n in range(1, 5)]),
        "security-audit": ("aspect", 1, []),  # advice around other formulas' steps
        "shiny-secure": ("workflow", 1, []),  # extends shiny, adds none of its own
    }


def test_codex_prompts_are_read_once_whether_logged_as_items_events_or_both():
    """codex-tui logs each prompt as a response item and as a `user_message` event; Codex
    Desktop writes only the event (a reader of items alone found no dialogue in it)."""
    (tui,), warnings = read(REAL / "codex/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl")
    assert warnings == []
    assert [m.content for m in tui.messages if m.role == "user"] == [
        "show tools",
        "let's update the defailt context compart to 90 in env var",
    ]
    assert tui.metadata["model"] == "gpt-5.5" and tui.metadata["git_branch"] == "feat/codex-agent-plugin"
    (desktop,), warnings = read(REAL / "codex/rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl")
    assert warnings == [] and desktop.metadata["originator"] == "Codex Desktop"
    prompts = [m.content for m in desktop.messages if m.role == "user"]
    assert len(prompts) == 3 and "## My request for Codex:" in prompts[0]
    assert prompts[2].startswith("use app tools to go to Analytics and Project management tabs")
    # parallel calls stay one assistant turn, each answered by its own result
    turns = [m for m in desktop.messages if m.tool_calls]
    assert [len(m.tool_calls) for m in turns][:3] == [1, 2, 4]
    second = turns[1].tool_calls
    assert second[0].name == "exec_command" and second[0].arguments["cmd"].startswith("wc -l ")
    results = [m.tool_call_id for m in desktop.messages if m.role == "tool"]
    assert results[1:3] == [c.id for c in second]


CLAUDE_CODE_FOLDERS = (
    "claude_code",
    "claude_code_1.0",
    "claude_code_2.1_hooks",
    "claude_code_agents_2.0",
    "claude_code_parallel",
    "claude_code_subagent",
)
CLAUDE_CODE_FILES = sorted(
    str(p.relative_to(REAL))
    for folder in CLAUDE_CODE_FOLDERS
    for p in (REAL / folder).rglob("*.jsonl")
    if "acompact" not in p.name  # a compaction's own file: skipped on purpose (below)
)


def unanswered_turns(conv: Conversation) -> list[int]:
    """Indexes of tool messages that answer no call of the assistant turn before them (OpenAI
    chat wants each turn's results right after it)."""
    bad, calls = [], set()
    for i, m in enumerate(conv.messages):
        if m.role == "assistant":
            calls = {t.id for t in m.tool_calls}
        elif m.role == "tool" and m.tool_call_id not in calls:
            bad.append(i)
        elif m.role == "user":
            calls = set()
    return bad


@pytest.mark.parametrize("rel", CLAUDE_CODE_FILES)
def test_every_claude_code_call_and_result_in_the_file_is_read(rel):
    """Parallel calls form a tree in `parentUuid` (each result a child of its own call): the
    walk back from the session's end follows one path, and read alone it lost the calls and
    results off it (python-to-rust-port: 2 of 39 results, the parallel file: 2 of 4 calls)."""
    path = REAL / rel
    used, answered = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        content = (json.loads(line).get("message") or {}).get("content")
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_use":
                used.append(block["id"])
            elif block.get("type") == "tool_result":
                answered.append(block["tool_use_id"])
    convs, warnings = read(path)
    calls = [t.id for c in convs for m in c.messages for t in m.tool_calls]
    results = [m.tool_call_id for c in convs for m in c.messages if m.role == "tool"]
    assert warnings == []
    # in file order (a 1.0.x session file also holds its subagents: each is a conversation after it)
    assert (calls if len(convs) == 1 else sorted(calls)) == (used if len(convs) == 1 else sorted(used))
    assert sorted(results) == sorted(answered)
    for conv in convs:  # each starts with a prompt, and each result follows the turn that called it
        assert conv.messages[0].role == "user" and unanswered_turns(conv) == []


def test_parallel_calls_are_one_assistant_turn_with_every_result_after_it():
    (conv,), _ = read(REAL / "claude_code_parallel/e9fb405b-169f-40eb-9396-7e75076f045d/subagents/agent-a485154.jsonl")
    assert [m.role for m in conv.messages] == ["user", "assistant", "tool", "tool", "tool", "tool"]
    turn = conv.messages[1]
    assert turn.content.startswith("I'll analyze the existing CLI command structure")
    assert [(t.name, next(iter(t.arguments.values()))) for t in turn.tool_calls] == [
        ("Glob", "src/cli/commands/*.ts"),
        ("Glob", "bin/*.js"),
        ("Read", "/Users/User/repo/codemie-ai/codemie-code/src/cli/index.ts"),
        ("Read", "/Users/User/repo/codemie-ai/codemie-code/src/cli/CLAUDE.md"),
    ]
    # results in the order they were written (the third and fourth calls answered first)
    ids = [t.id for t in turn.tool_calls]
    assert [m.tool_call_id for m in conv.messages[2:]] == [ids[2], ids[3], ids[0], ids[1]]
    assert conv.metadata["parent_session"] == "e9fb405b-169f-40eb-9396-7e75076f045d"


def test_older_subagent_files_beside_the_session_link_to_it():
    folder = REAL / "claude_code_agents_2.0/-tmp-private"
    (main,), _ = read(folder / "4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl")
    assert main.messages[0].content == "create hello.py, md and js" and main.metadata["version"] == "2.0.64"
    for agent in ("36541525", "50243ee8"):
        (sub,), _ = read(folder / f"agent-{agent}.jsonl")
        assert sub.id == f"4c2ddfdc-b619-4525-8d03-1950fb1b0257/agent-{agent}"
        assert sub.metadata["parent_session"] == main.id and sub.metadata["agent_id"] == agent


HOOKS = REAL / "claude_code_2.1_hooks"
OLD = REAL / "claude_code_1.0"


def test_a_slash_command_session_starts_with_the_prompt_the_command_gave_the_model():
    """Claude Code writes a command as its echo (`<command-name>`, the typed `<command-args>`)
    and the expansion the model received (a following isMeta entry; inside the echo as
    `<command-contents>` in 1.0.x). Both were dropped: /init sessions gave no conversation, silently."""
    (init,), warnings = read(OLD / "sample-project/1af7fc5e-8455-4414-9ccd-011d40f70b2a.jsonl")
    assert warnings == [] and init.metadata["version"] == "1.0.98"
    assert init.messages[0].role == "user"
    assert init.messages[0].content.startswith("Please analyze this codebase and create a CLAUDE.md file")
    assert sum(len(m.tool_calls) for m in init.messages) == 12 and init.metadata["counts"]["slash_commands"] == 1
    (old,), _ = read(OLD / "-Users-chip-dev-ai-music/ba79134d-b6e9-4867-af0c-6941038c9e4b.jsonl")
    assert old.metadata["version"] == "1.0.17"
    assert old.messages[0].content.startswith("Please analyze this codebase and create a CLAUDE.md file")
    (skill,), _ = read(HOOKS / "subagent.jsonl")
    first = skill.messages[0]
    assert first.role == "user" and first.content.startswith("Create beads (epic + tasks + dependencies)")
    assert "credo, dialyzer, mix_audit" in first.content  # what was typed after the command


def test_subagents_written_into_a_1_0_session_file_are_conversations_of_their_own():
    main, *subs = read(OLD / "sample-project/5c0375b4-57a5-4f26-b12d-d022ee4e51b7.jsonl")[0]
    assert main.id == "5c0375b4-57a5-4f26-b12d-d022ee4e51b7" and main.messages[0].role == "user"
    assert main.metadata["counts"]["sidechain_entries"] == 22
    assert [s.id for s in subs] == [f"{main.id}/agent-6340ddef", f"{main.id}/agent-83e2917c"]
    assert [s.messages[0].content.split(" in ")[0] for s in subs] == [
        "Examine the package.json file(s)",
        "Analyze the current project structure",
    ]
    assert all(s.metadata["parent_session"] == main.id and s.metadata["subagent"] for s in subs)
    assert [sum(len(m.tool_calls) for m in s.messages) for s in subs] == [2, 6]


def test_a_compaction_whose_parent_entry_is_missing_keeps_the_thread_before_it():
    """The boundary's logicalParentUuid names an entry that is not in the file: the walk stopped
    there and lost everything before the compaction (the real file: 2 of 2 prompts, 69 of 150
    calls). The summary a compaction writes is not the person's prompt."""
    (conv,), warnings = read(HOOKS / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl")
    assert warnings == []
    assert [m.role for m in conv.messages].count("user") == 1
    assert conv.messages[0].content.startswith("Work on bead spotter-dov.")
    assert conv.metadata["started_at"] == "2026-02-12T16:02:25.284Z"
    assert conv.metadata["counts"]["compact_summaries"] == 1
    assert not any(m.content.startswith("This session is being continued") for m in conv.messages)


def test_one_reply_whose_calls_were_written_between_its_own_results_stays_one_turn():
    (conv,), _ = read(HOOKS / "fa812bfe-b295-4cca-9c2f-fdf01028cb46/subagents/agent-aa84377.jsonl")
    assert [m.role for m in conv.messages] == ["user", "assistant"] + ["tool"] * 6
    assert [t.name for t in conv.messages[1].tool_calls] == ["Glob"] * 6


def test_a_compactions_own_file_is_skipped_with_a_reason():
    convs, warnings = read(HOOKS / "4d5611e5-241a-462a-8d15-5122611a9569/subagents/agent-acompact-e1f845.jsonl")
    assert convs == [] and len(warnings) == 1 and "compaction" in warnings[0][1]


def test_a_user_name_in_the_project_folder_reaches_no_row_manifest_or_report(tmp_path):
    """Claude Code keeps a project's sessions in a folder named after its path
    (~/.claude/projects/-Users-<name>-code-app): the name is scrubbed from what ingest and the
    dataset write (each row's source, the manifest, warnings), while a role rule on the path
    still sees the folder as it is. A real session (SOURCES.md), its temporary working folder
    moved under the same home folder, as a user's own sessions have it."""
    import re

    from forge.build.config import BuildConfig
    from forge.build.stage import run_build
    from forge.config import parse_config

    name = "dorotheaquist"
    folder = tmp_path / "projects" / f"-Users-{name}-code-app"
    folder.mkdir(parents=True)
    text = (REAL / "claude_code" / "hello-world-script.jsonl").read_text(encoding="utf-8")
    text = re.sub(r"/tmp/[A-Za-z0-9_]+", f"/Users/{name}/code/app", text)
    assert name in text
    (folder / "session.jsonl").write_text(text, encoding="utf-8")
    (folder / "broken.jsonl").write_text('{"type": "user", "message": \n', encoding="utf-8")  # a warning names it
    rule = {"pattern": "-Users-[a-z]+-code-app/", "in": "path", "role": "crew"}  # not the scrubbed path
    cfg = parse_config(IngestConfig, {"workers": 1, "role_rules": [rule]})
    store = ArtifactStore(tmp_path / "store")
    corpus = run_ingest(store, [tmp_path / "projects"], cfg)
    rows = [json.loads(x) for x in corpus.file("conversations.jsonl").read_text().splitlines()]
    assert rows and all(r["agent_role"] == "crew" for r in rows)  # the rule matched the path as found
    assert rows[0]["source"]["path"] == "projects/-Users-<SECRET:user>-code-app/session.jsonl"
    report = json.loads(corpus.file("report.json").read_text())
    assert any("-Users-<SECRET:user>-code-app/broken.jsonl" in json.dumps(w) for w in report["ingest"]["warnings"])
    ds = run_build(store, corpus, parse_config(BuildConfig, {}))
    written = b"".join(p.read_bytes() for root in (corpus.path, ds.path) for p in root.rglob("*") if p.is_file())
    assert name.encode() not in written
