"""Outcome inference from a transcript's end state and git evidence (ingest/outcome.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from forge.config import parse_config
from forge.errors import ConfigError
from forge.ingest.outcome import infer
from forge.ingest.readers import get_reader
from forge.ingest.stage import IngestConfig
from forge.records import Conversation, Message, SourceRef, ToolCall

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def session(*steps: tuple[str, dict, str], tail: list[Message] | None = None, **meta) -> Conversation:
    """A user asks; each step is (tool, arguments, result); then `tail`."""
    messages = [Message("user", "fix the parser")]
    for n, (tool, args, result) in enumerate(steps):
        call = ToolCall(f"c{n}", tool, args)
        messages += [Message("assistant", "", [call]), Message("tool", result, tool_call_id=call.id, name=tool)]
    messages += tail if tail is not None else [Message("assistant", "Done.")]
    return Conversation("s", messages, SourceRef("s.jsonl", 1), metadata=meta)


# the result layout of Gemini CLI's run_shell_command (tests/fixtures/real/gemini_cli)
GEMINI_SHELL = "Command: make\nDirectory: (root)\nOutput: (empty)\nError: (none)\nExit Code: {code}\nSignal: 0"
EDIT = ("Edit", {"file_path": "src/parse.py", "old_string": "a", "new_string": "b"}, "updated")


@pytest.mark.parametrize(
    "conv, outcome, source",
    [
        (
            session(EDIT, ("Bash", {"command": "pytest -q"}, "==== 12 passed in 0.4s ====")),
            "success",
            "transcript:tests_passed",
        ),
        (
            session(EDIT, ("Bash", {"command": "pytest -q"}, "=== 2 failed, 10 passed in 1.2s ===")),
            "failure",
            "transcript:tests_failed",
        ),
        # tests passed, then the code changed again: the run says nothing about the final code
        (session(("Bash", {"command": "pytest"}, "3 passed"), EDIT), None, None),
        (
            session(EDIT, ("Bash", {"command": "git commit -am fix"}, "[main 1a2b3c4] fix\n 1 file changed")),
            "success",
            "git:commit",
        ),
        (
            session(
                EDIT,
                ("Bash", {"command": "git push origin fix"}, "To github.com:o/r.git\n   1a2b3c4..5d6e7f8  fix -> fix"),
            ),
            "success",
            "git:push",
        ),
        (
            session(EDIT, ("Bash", {"command": "gh pr create --fill"}, "https://github.com/o/r/pull/12")),
            "success",
            "git:pr",
        ),
        # a commit with nothing changed before it is no evidence
        (session(("Bash", {"command": "git commit -m x"}, "[main 1a2b3c4] x")), None, None),
        (
            session(EDIT, ("Bash", {"command": "make build"}, "Exit code 2\nerror: missing header")),
            "failure",
            "transcript:exit",
        ),
        # nothing to commit, or a search that found nothing, is not a failed session
        (
            session(
                EDIT, ("Bash", {"command": "git commit -am x"}, "Exit code 1\nnothing to commit, working tree clean")
            ),
            None,
            None,
        ),
        (session(("Bash", {"command": "rg TODO src"}, "Exit code 1")), None, None),
        # Gemini CLI's shell results always say "Error:"; "(none)" is no error, an exit code is
        (session(EDIT, ("run_shell_command", {"command": "make"}, GEMINI_SHELL.format(code=0))), None, None),
        (
            session(EDIT, ("run_shell_command", {"command": "make"}, GEMINI_SHELL.format(code=2))),
            "failure",
            "transcript:exit",
        ),
        (
            session(EDIT, tail=[Message("assistant", "Done."), Message("user", "No, that's wrong: it still fails")]),
            "failure",
            "transcript:user_rejected",
        ),
        (
            session(EDIT, tail=[Message("assistant", "Done."), Message("user", "thanks, works now")]),
            "success",
            "transcript:user_approved",
        ),
        (session(EDIT, ended_by="interrupt"), "failure", "transcript:interrupted"),
        (session(EDIT, exit_status="exit_cost"), "failure", "transcript:agent_stop"),
        (session(EDIT, stop_reason="max_tokens"), "failure", "transcript:agent_stop"),
        (session(EDIT), None, None),
    ],
)
def test_signals(conv, outcome, source):
    verdict = infer(conv)
    assert (verdict.outcome if verdict else None, verdict.source if verdict else None) == (outcome, source)


def test_the_agent_stopping_on_an_error_outranks_a_passing_test():
    conv = session(EDIT, ("Bash", {"command": "pytest"}, "5 passed"), exit_status="exit_context")
    assert infer(conv).source == "transcript:agent_stop"
    assert infer(conv, ["tests"]).source == "transcript:tests_passed"


def test_inference_on_real_sessions():
    reader = get_reader("claude_code")
    (port,) = reader.read(REAL / "claude_code/python-to-rust-port.jsonl", lambda *a: None)
    assert infer(port).source == "transcript:tests_passed"
    (hello,) = reader.read(REAL / "claude_code/hello-world-script.jsonl", lambda *a: None)
    assert infer(hello) is None  # ran its script, nothing says whether that was the task


def test_inference_is_configurable_and_validated():
    conv = session(EDIT, ("Bash", {"command": "pytest"}, "5 passed"))
    off = parse_config(IngestConfig, {"outcome_inference": []}).labeller()
    off.apply(conv)
    assert conv.outcome == "unknown" and conv.outcome_source is None
    on = parse_config(IngestConfig, {}).labeller()
    on.apply(conv)
    assert (conv.outcome, conv.outcome_source, conv.outcome_confidence) == ("success", "transcript:tests_passed", 0.7)
    with pytest.raises(ConfigError, match="'outcome_inference': unknown signal 'vibes'"):
        parse_config(IngestConfig, {"outcome_inference": ["vibes"]})


def test_a_recipe_rule_outranks_inference():
    conv = session(EDIT, ("Bash", {"command": "pytest"}, "5 passed"))
    cfg = {"outcome_rules": [{"pattern": "parser", "outcome": "failure", "in": "first_user"}]}
    parse_config(IngestConfig, cfg).labeller().apply(conv)
    assert (conv.outcome, conv.outcome_source) == ("failure", "rule:outcome_rules[0]")
