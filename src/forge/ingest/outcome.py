"""Outcome inference: what a session's own transcript says about how it ended. Pure: no I/O.

The corpus stage labels every session, strongest evidence first, and records where the label
came from (`Conversation.outcome_source`) and how far it is trusted (`outcome_confidence`):

  1. beads        the bead the session worked on: an attempt recorded for the session, the
                  bead's Dolt events (closed, then reopened: the close did not hold), its status
                  and close reason                                       (linking.py)
  2. record       what the file states about itself: an evaluation's `resolved`, an explicit
                  outcome label, the agent's own error state             (the readers)
  3. rule         the recipe's `outcome_rules`, first match wins          (rules.py)
  4. transcript   the session's end state, the signals below, in this order
  5. git          a commit, push or pull request after the last change to the code

Transcript and git signals (IngestConfig.outcome_inference names them; [] turns inference off):
  "agent_stop"      the agent stopped on an error or a limit (SWE-agent exit_status, OpenHands
                    agent_state, a Claude Code reply cut at max_tokens)           -> failure
  "interrupted"     the person interrupted the agent and it did not answer again  -> failure
  "user_verdict"    the person's last message rejects or corrects the work        -> failure
                    ... or approves it ("thanks, works", "lgtm")                   -> success
  "tests"           the last test run failed                                      -> failure
                    ... passed, and no file was changed after it                  -> success
  "exit"            the session ends on a command that failed (non-zero exit, traceback)
                    with no assistant turn after it that recovered               -> failure
  "git"             after the last file change, a successful git commit / push /
                    `gh pr create`                                               -> success

Confidence is an ordinal judgment, not a measured probability: an evaluation or a bead states
the outcome (0.85-0.95); a test run or an explicit verdict in the transcript is direct
evidence about the work (0.6-0.75); a commit or push only shows the agent considered it done
(0.6). The build can select on it (BuildConfig.min_outcome_confidence).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from forge.records import Conversation, Message

FAILURE, SUCCESS = "failure", "success"

CONFIDENCE: dict[str, float] = {
    "beads:attempt": 0.95,
    "beads:events": 0.9,
    "beads:explicit": 0.9,
    "beads:status": 0.85,
    "record:resolved": 0.95,
    "record:label": 0.9,
    "record:agent_error": 0.8,
    "record": 0.85,
    "rule": 0.8,
    "transcript:tests_failed": 0.75,
    "transcript:tests_passed": 0.7,
    "transcript:agent_stop": 0.7,
    "transcript:interrupted": 0.6,
    "transcript:user_rejected": 0.6,
    "transcript:user_approved": 0.6,
    "transcript:exit": 0.6,
    "git:pr": 0.65,
    "git:push": 0.6,
    "git:commit": 0.6,
}


def confidence_of(source: str) -> float:
    if source in CONFIDENCE:
        return CONFIDENCE[source]
    return CONFIDENCE.get(source.split(":", 1)[0], 0.5)


TESTS_FAILED = re.compile(
    r"\b[1-9]\d* (?:failed|failing)\b|^FAILED\b|^--- FAIL\b|^FAIL\b|test result: FAILED|"
    r"FAILED \((?:failures|errors)=\d+|Tests?:\s+[1-9]\d* failed|npm ERR! Test failed|"
    r"\b[1-9]\d* errors? (?:in|during)\b",
    re.M,
)
TESTS_PASSED = re.compile(r"\b[1-9]\d* passed\b|^ok\s|^PASS\b|test result: ok|^OK(?: \(|$)|Tests?:\s+\d+ passed", re.M)
TEST_COMMAND = re.compile(
    r"\b(?:pytest|py\.test|tox|nox|go test|cargo test|npm (?:run )?test|"
    r"yarn test|pnpm test|jest|vitest|mocha|rspec|phpunit|ctest|"
    r"make (?:test|check)|unittest|just test|gradle test|mvn test)\b"
)
# (Gemini CLI's shell results always carry an "Error:" line: "Error: (none)" when there was none)
ERROR_RESULT = re.compile(
    r"(?i)\bexit(?:ed with)? (?:code|status)[:= ]+[1-9]\d*|returned non-zero exit status|"
    r"^Traceback \(most recent call last\)|command not found$|^error(?:\[E\d+\])?:(?! \(none\)$)|"
    r"<tool_use_error>",
    re.M,
)
AGENT_ERROR_STATES = re.compile(
    r"(?i)error|exit_format|exit_cost|exit_context|exit_api|"
    r"max_tokens|refusal|exit_forfeit"
)
GIT_SUCCESS = (
    ("git:pr", re.compile(r"\bgh\s+pr\s+create\b"), re.compile(r"https://\S+/pull/\d+")),
    (
        "git:push",
        re.compile(r"\bgit\s+push\b"),
        re.compile(
            r"(?m)^\s*(?:To |[0-9a-f]{7,}\.\.[0-9a-f]{7,}|"
            r"\* \[new branch\]|Everything up-to-date)"
        ),
    ),
    ("git:commit", re.compile(r"\bgit\s+commit\b"), re.compile(r"(?m)^\[[^\]\n]+ [0-9a-f]{7,}\]")),
)
# tools that change files; a shell command changes files when it writes with sed -i, tee, >, ...
EDIT_TOOLS = re.compile(
    r"(?i)^(?:Edit|MultiEdit|Write|NotebookEdit|str_replace_editor|edit|"
    r"create|insert|apply_patch|write_file|replace|str_replace_based_edit_tool)$"
)
GIT_COMMAND = re.compile(r"^\s*(?:cd\s+[^&;|]+(?:&&|;)\s*)?(?:git|gh)\s")  # commits are not changes
# a non-zero exit that says nothing about the work: nothing left to commit, a search that found
# nothing
BENIGN_FAILURE = re.compile(r"nothing to commit|no changes added to commit|Everything up-to-date")
SEARCH_COMMAND = re.compile(r"^\s*(?:cd\s+[^&;|]+(?:&&|;)\s*)?(?:grep|rg|ag|find|ls|test|\[)\b")
SHELL_EDIT = re.compile(r"\bsed\s+-i\b|\btee\b|(?<![0-9&])>\s*[\w./-]|\bapply_patch\b|\bpatch\s+-p")
REJECTION = re.compile(
    r"(?i)^\s*(?:no\b|nope\b|stop\b|wrong\b|undo\b|revert\b)|\b(?:that(?:'s| is) (?:wrong|not right|"
    r"incorrect)|(?:doesn'?t|does not|didn'?t|did not|still (?:doesn'?t|does not)) work|still (?:fails|"
    r"failing|broken)|not what I (?:asked|wanted)|you broke|please revert|roll (?:it )?back|"
    r"this is broken|it'?s broken)\b"
)
# user messages an agent's harness writes to the model itself (Claude Code's hooks and task notices,
# Gemini CLI's next-speaker prompt): the readers keep them as what the next reply answers
HARNESS_PROMPT = re.compile(r"\s*(?:Stop hook feedback:|<task-notification>|Please continue\.\s*$)")
APPROVAL = re.compile(
    r"(?i)^\s*(?:thanks?(?: you)?|thx|perfect|great|awesome|lgtm|looks good|works(?: now)?|"
    r"that works|nice|ship it)\b[^?]*$"
)


@dataclass(frozen=True)
class Verdict:
    outcome: str
    source: str
    confidence: float


def _is_shell(name: str) -> bool:
    return name.lower() in (
        "bash",
        "shell",
        "local_shell",
        "exec_command",
        "execute_bash",
        "run",
        "run_command",
        "terminal",
        "command_execution",
    )


def _command(args: dict) -> str:
    for key in ("command", "cmd", "code", "input"):
        value = args.get(key)
        if isinstance(value, list):
            return " ".join(str(v) for v in value)
        if isinstance(value, str):
            return value
    return ""


def _results(conv: Conversation) -> dict[str, Message]:
    return {m.tool_call_id: m for m in conv.messages if m.role == "tool" and m.tool_call_id}


def _failed(result: Message | None) -> bool:
    return result is not None and bool(ERROR_RESULT.search(result.content[:4000]))


def _steps(conv: Conversation) -> list[tuple[int, str, str, Message | None]]:
    """(message index, tool name, command or "", result) for every tool call, in order."""
    results = _results(conv)
    return [
        (i, c.name, _command(c.arguments), results.get(c.id)) for i, m in enumerate(conv.messages) for c in m.tool_calls
    ]


def _changes_files(name: str, command: str) -> bool:
    if _is_shell(name):
        return not GIT_COMMAND.search(command) and bool(SHELL_EDIT.search(command))
    return bool(EDIT_TOOLS.match(name))


def _harness(conv: Conversation) -> set[int]:
    """User messages the agent's harness wrote (a Stop hook's feedback, a background task's
    notice): what the model answers, not a person's verdict."""
    return {i for i, m in enumerate(conv.messages) if m.role == "user" and HARNESS_PROMPT.match(m.content)}


def _human_turns(conv: Conversation) -> list[tuple[int, Message]]:
    harness = _harness(conv)
    return [(i, m) for i, m in enumerate(conv.messages) if m.role == "user" and i not in harness]


# ---------------------------------------------------------------- the signals


def agent_stop(conv: Conversation) -> Verdict | None:
    meta = conv.metadata
    for key in ("exit_status", "agent_state", "final_agent_state", "stop_reason"):
        value = meta.get(key)
        if isinstance(value, str) and AGENT_ERROR_STATES.search(value):
            return Verdict(FAILURE, "transcript:agent_stop", confidence_of("transcript:agent_stop"))
    return None


def interrupted(conv: Conversation) -> Verdict | None:
    if conv.metadata.get("ended_by") == "interrupt" or conv.metadata.get("aborted") is True:
        return Verdict(FAILURE, "transcript:interrupted", confidence_of("transcript:interrupted"))
    return None


def user_verdict(conv: Conversation) -> Verdict | None:
    """The person's last message, when it comes after the agent worked, judges the work."""
    humans = _human_turns(conv)
    if len(humans) < 2:
        return None
    i, last = humans[-1]
    if not any(m.role == "assistant" for m in conv.messages[:i]):
        return None
    text = last.content.strip()[:500]
    if REJECTION.search(text):
        return Verdict(FAILURE, "transcript:user_rejected", confidence_of("transcript:user_rejected"))
    if len(text) <= 120 and APPROVAL.search(text):
        return Verdict(SUCCESS, "transcript:user_approved", confidence_of("transcript:user_approved"))
    return None


def tests(conv: Conversation) -> Verdict | None:
    steps = _steps(conv)
    runs = [
        (n, s)
        for n, s in enumerate(steps)
        if s[3] is not None
        and _is_shell(s[1])
        and (TEST_COMMAND.search(s[2]) or TESTS_FAILED.search(s[3].content) or TESTS_PASSED.search(s[3].content))
    ]
    if not runs:
        return None
    n, (_, _, _, result) = runs[-1]
    text = result.content  # type: ignore[union-attr]
    if TESTS_FAILED.search(text):
        return Verdict(FAILURE, "transcript:tests_failed", confidence_of("transcript:tests_failed"))
    later_change = any(_changes_files(name, cmd) for _, name, cmd, _ in steps[n + 1 :])
    if TESTS_PASSED.search(text) and not _failed(result) and not later_change:
        return Verdict(SUCCESS, "transcript:tests_passed", confidence_of("transcript:tests_passed"))
    return None


def exit_at_end(conv: Conversation) -> Verdict | None:
    """The last tool result failed and no assistant turn with a tool call came after it."""
    last_tool = max((i for i, m in enumerate(conv.messages) if m.role == "tool"), default=None)
    if last_tool is None or not _failed(conv.messages[last_tool]):
        return None
    result = conv.messages[last_tool]
    command = next(
        (_command(c.arguments) for m in conv.messages for c in m.tool_calls if c.id == result.tool_call_id), ""
    )
    if BENIGN_FAILURE.search(result.content[:4000]) or SEARCH_COMMAND.search(command):
        return None
    if any(m.role == "assistant" and m.tool_calls for m in conv.messages[last_tool + 1 :]):
        return None
    return Verdict(FAILURE, "transcript:exit", confidence_of("transcript:exit"))


def git(conv: Conversation) -> Verdict | None:
    steps = _steps(conv)
    last_change = max((n for n, (_, name, cmd, _) in enumerate(steps) if _changes_files(name, cmd)), default=-1)
    if last_change < 0:
        return None  # nothing was changed: a commit says nothing about the work
    found: str | None = None
    for _, name, cmd, result in steps[last_change + 1 :]:
        if not _is_shell(name) or result is None or _failed(result):
            continue
        for source, command, output in GIT_SUCCESS:
            if (
                command.search(cmd)
                and output.search(result.content)
                and (found is None or GIT_RANK.index(source) < GIT_RANK.index(found))
            ):
                found = source
    return Verdict(SUCCESS, found, confidence_of(found)) if found else None


GIT_RANK = ("git:pr", "git:push", "git:commit")  # strongest first

SIGNALS: dict[str, Callable[[Conversation], Verdict | None]] = {
    "agent_stop": agent_stop,
    "interrupted": interrupted,
    "user_verdict": user_verdict,
    "tests": tests,
    "exit": exit_at_end,
    "git": git,
}
DEFAULT_SIGNALS: tuple[str, ...] = tuple(SIGNALS)


def infer(conv: Conversation, signals: list[str] | tuple[str, ...] = DEFAULT_SIGNALS) -> Verdict | None:
    """The first signal (in the order given) that decides the session's outcome, or None."""
    for name in signals:
        verdict = SIGNALS[name](conv)
        if verdict is not None:
            return verdict
    return None


def turn_results(conv: Conversation) -> list[tuple[int, bool]]:
    """(index, good) per assistant turn: good when every tool result answering it succeeded and
    a following person's message does not reject it. Used by the build's unlabelled policy.
    The last message's calls may have no results: the record ends where the tools would answer
    (fine-tuning data that teaches the call, a session closed mid-call), which says nothing
    against them. A call left unanswered while the session went on is not good."""
    results = _results(conv)
    last = len(conv.messages) - 1
    harness = _harness(conv)
    out = []
    for i, m in enumerate(conv.messages):
        if m.role != "assistant":
            continue
        answers = [results.get(c.id) for c in m.tool_calls]
        good = all(
            (r is None and i == last) or (r is not None and not _failed(r) and not TESTS_FAILED.search(r.content))
            for r in answers
        )
        nxt = next(
            (
                x
                for j, x in enumerate(conv.messages[i + 1 :], i + 1)
                if x.role in ("user", "assistant") and j not in harness
            ),
            None,
        )
        if nxt is not None and nxt.role == "user" and REJECTION.search(nxt.content.strip()[:500]):
            good = False
        out.append((i, good))
    return out
