"""The Claude Code reader on small fixtures in the real transcript format."""

from __future__ import annotations

from pathlib import Path

import pytest

from forge.ingest import claude_code
from forge.ingest.readers import detect_reader, read_head

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"


def read_one(path: Path) -> tuple:
    """The session's own conversation (first), and the warnings; subagents written into the
    session file itself come after it."""
    warnings: list[tuple[int | None, str]] = []
    convs = list(claude_code.read(path, lambda line, why: warnings.append((line, why))))
    assert len(convs) >= 1 and all(c.metadata.get("subagent") for c in convs[1:])
    return convs[0], warnings


@pytest.fixture(scope="module")
def basic():
    return read_one(FIXTURES / "session_basic.jsonl")


def test_detects_transcripts_and_not_beads():
    path = FIXTURES / "session_basic.jsonl"
    assert detect_reader(path, read_head(path)).name == "claude_code"
    beads = FIXTURES / "issues.jsonl"
    assert detect_reader(beads, read_head(beads)).name == "beads"


def test_main_thread_in_openai_shape(basic):
    conv, warnings = basic
    assert warnings == []
    assert conv.id == "4f35e220-c435-4cf7-b9b9-f40426042847"
    assert [m.role for m in conv.messages] == [
        "user",
        "assistant",
        "tool",
        "user",
        "assistant",
        "tool",
        "assistant",
        "tool",
        "assistant",
    ]
    first = conv.messages[1]
    # thinking + text + tool_use entries of one API message merge into one assistant message
    assert first.content == "Creating the branch."
    assert [(c.id, c.name, c.arguments) for c in first.tool_calls] == [
        (
            "toolu_01AAA",
            "Bash",
            {"command": "git checkout -b polecat/nux/gt-abc1", "description": "Create the work branch"},
        )
    ]
    result = conv.messages[2]
    assert (result.tool_call_id, result.name) == ("toolu_01AAA", "Bash")
    assert result.content == "Switched to a new branch 'polecat/nux/gt-abc1'"
    # a tool_result given as content blocks becomes plain text
    assert conv.messages[5].content == '[{"id": "gt-abc1", "status": "closed"}]'
    assert conv.messages[-1].content == "Done: branch pushed and gt-abc1 closed."


def test_drops_and_counts_what_it_leaves_out(basic):
    conv, _ = basic
    texts = " ".join(m.content for m in conv.messages)
    assert "Branch first." not in texts  # thinking
    assert "Abandoned reply." not in texts  # branch the user rewound away from
    assert "Sub-agent" not in texts and "router.go" not in texts  # sidechain
    assert "Caveat" not in texts  # isMeta entry
    assert conv.messages[3].content == "Here is a screenshot of the failure."  # image dropped
    counts = conv.metadata["counts"]
    assert counts["thinking"] == 1
    assert counts["images"] == 1
    assert counts["sidechain_entries"] == 2
    assert counts["off_thread_entries"] == 1
    assert counts["meta_entries"] == 1
    assert counts["quiet_entries"] == 1  # the summary line
    assert counts["tool_errors"] == 1


def test_a_subagent_written_into_the_session_file_is_a_conversation_of_its_own():
    main, sub = claude_code.read(FIXTURES / "session_basic.jsonl", lambda *a: None)
    assert sub.id == f"{main.id}/agent-s-01" and sub.metadata["parent_session"] == main.id
    assert sub.metadata["subagent"] is True and sub.messages[0].content == "Sub-agent: find the router file"


def test_source_role_task_and_metadata(basic):
    conv, _ = basic
    assert conv.source.line == 2  # line 1 is the summary
    assert conv.source.path.endswith("session_basic.jsonl")
    assert conv.agent_role == "polecat"
    assert conv.metadata["rig"] == "gastown" and conv.metadata["agent"] == "nux"
    assert conv.metadata["git_branch"] == "polecat/nux/gt-abc1"
    assert conv.task == "git-workflow"
    assert conv.outcome == "unknown" and conv.work_item is None  # linking happens later


def test_tool_schemas_known_and_inferred(basic):
    conv, _ = basic
    by_name = {t["function"]["name"]: t["function"] for t in conv.tools}
    assert list(by_name) == ["Bash", "mcp__beads__close", "mcp__gt__convoy_status"]
    assert by_name["Bash"]["parameters"]["required"] == ["command"]
    inferred = by_name["mcp__gt__convoy_status"]["parameters"]
    assert inferred["properties"] == {"convoy": {"type": "string"}, "verbose": {"type": "boolean"}}
    assert inferred["required"] == ["convoy", "verbose"]


def test_round_trips_through_to_dict(basic):
    from forge.records import Conversation

    conv, _ = basic
    again = Conversation.from_dict(conv.to_dict())
    assert again.to_dict() == conv.to_dict()


def _entry(uuid: str, parent: str | None, kind: str, content, **extra) -> str:
    import json

    message = {"role": kind, "content": content} | ({"id": f"msg_{uuid}"} if kind == "assistant" else {})
    return json.dumps({"parentUuid": parent, "sessionId": "s1", "uuid": uuid, "type": kind, "message": message} | extra)


def test_background_task_notices_are_not_the_persons_prompts(tmp_path):
    """Claude Code 2.1 tells the model a background task ended with a plain user entry."""
    path = tmp_path / "s1.jsonl"
    notice = "<task-notification>\n<task-id>b1</task-id>\n<status>completed</status>\n</task-notification>"
    lines = [
        _entry("u1", None, "user", "run the tests in the background"),
        _entry("a1", "u1", "assistant", [{"type": "text", "text": "Started."}]),
        _entry("u2", "a1", "user", notice),
        _entry("a2", "u2", "assistant", [{"type": "text", "text": "They passed."}]),
    ]
    path.write_text("\n".join(lines) + "\n")
    conv, warnings = read_one(path)
    # kept where it re-prompts the model (the reply answers it), marked as the harness's own words
    assert [m.role for m in conv.messages] == ["user", "assistant", "user", "assistant"] and warnings == []
    assert conv.messages[2].content == notice
    assert conv.metadata["counts"]["task_notifications"] == 1


def test_a_stop_hooks_feedback_is_what_the_next_reply_answers_not_a_persons_verdict(tmp_path):
    """A blocking Stop hook makes Claude Code send its message to the model (an isMeta user
    entry) and the model goes on: dropped, the reply after it would look unprompted."""
    from forge.ingest.outcome import infer, turn_results

    path = tmp_path / "s1.jsonl"
    feedback = "Stop hook feedback:\n[stop.sh]: Cannot exit with unstaged changes. No, commit them first."
    lines = [
        _entry("u1", None, "user", "add a docstring"),
        _entry("a1", "u1", "assistant", [{"type": "text", "text": "Done."}]),
        _entry("u2", "a1", "user", feedback, isMeta=True),
        _entry("a2", "u2", "assistant", [{"type": "text", "text": "Committing first."}]),
        _entry(
            "u3", "a2", "user", "<local-command-caveat>Caveat: the messages below</local-command-caveat>", isMeta=True
        ),
    ]
    path.write_text("\n".join(lines) + "\n")
    conv, _ = read_one(path)
    assert [(m.role, m.content) for m in conv.messages] == [
        ("user", "add a docstring"),
        ("assistant", "Done."),
        ("user", feedback),
        ("assistant", "Committing first."),
    ]
    assert conv.metadata["counts"]["hook_feedback"] == 1
    assert conv.metadata["counts"]["meta_entries"] == 1  # other meta entries are still left out
    # its "No," is the hook's, not a person rejecting the work
    assert infer(conv) is None or infer(conv).source != "transcript:user_rejected"
    assert turn_results(conv) == [(1, True), (3, True)]
    # ...wherever it sits: the build puts a system prompt first
    conv.messages.insert(0, type(conv.messages[0])("system", "You are a coding agent."))
    assert turn_results(conv) == [(2, True), (4, True)]


def test_a_session_with_messages_but_no_prompt_says_why_it_is_skipped(tmp_path):
    path = tmp_path / "s1.jsonl"
    lines = [
        _entry("u1", None, "user", "<command-name>/model</command-name>\n<command-args></command-args>"),
        _entry("a1", "u1", "assistant", [{"type": "text", "text": "Set model."}]),
    ]
    path.write_text("\n".join(lines) + "\n")
    warnings: list = []
    assert list(claude_code.read(path, lambda line, why: warnings.append((line, why)))) == []
    assert warnings == [(1, "no prompt and reply on the session's thread (2 message entries): session skipped")]


def test_a_command_without_a_written_expansion_gives_what_was_typed_after_it(tmp_path):
    path = tmp_path / "s1.jsonl"
    echo = (
        "<command-message>review</command-message>\n<command-name>/review</command-name>\n"
        "<command-args>PR 12</command-args>"
    )
    lines = [
        _entry("u1", None, "user", echo),
        _entry("a1", "u1", "assistant", [{"type": "text", "text": "Reviewing PR 12."}]),
    ]
    path.write_text("\n".join(lines) + "\n")
    conv, _ = read_one(path)
    assert [(m.role, m.content) for m in conv.messages] == [("user", "PR 12"), ("assistant", "Reviewing PR 12.")]
