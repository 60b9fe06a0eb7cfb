"""The build's policy for sessions without a known outcome, and its errors for empty builds."""

from __future__ import annotations

import pytest

from forge.build import BuildConfig, build_dataset
from forge.build.empty import no_dpo_pairs, no_sft_rows
from forge.config import parse_config
from forge.errors import ConfigError
from forge.records import Conversation, Message, SourceRef, ToolCall


def unlabelled(cid: str, *results: str, outcome: str = "unknown") -> Conversation:
    """A session whose assistant turns each run one command with the given result."""
    messages = [Message("user", f"task {cid}")]
    for n, result in enumerate(results):
        call = ToolCall(f"{cid}-{n}", "Bash", {"command": f"step {n}"})
        messages += [
            Message("assistant", f"step {n}", [call]),
            Message("tool", result, tool_call_id=call.id, name="Bash"),
        ]
    return Conversation(cid, messages, SourceRef("s.jsonl", 1), outcome=outcome, metadata={"format": "claude_code"})


SESSIONS = [
    unlabelled("a", "ok", "Exit code 1\nboom", "ok", "Traceback (most recent call last):"),
    unlabelled("b", "Exit code 2"),
    unlabelled("c", "ok", "ok"),
]


def build(**cfg):
    return build_dataset(SESSIONS, parse_config(BuildConfig, {"eval_fraction": 0.0, **cfg}))


def test_default_keeps_the_turns_up_to_the_last_good_one():
    built = build()
    rows = {r["id"]: r for r in built.sft["train"]}
    assert set(rows) == {"a", "c"} and built.stats["filtered"] == {"no_successful_turn": 1}
    a = rows["a"]["messages"]
    # system, user, then three turns: the failing tail (turn 4) is cut
    assert [m["role"] for m in a] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert [m.get("weight") for m in a if m["role"] == "assistant"] == [None, 0, None]
    assert rows["a"]["outcome"] == "unknown" and rows["a"]["unlabelled_policy"] == "successful_turns"
    assert built.stats["unlabelled"] == {
        "policy": "successful_turns",
        "sessions": 3,
        "rows": 2,
        "assistant_turns": 7,
        "turns_learned": 4,
        "turns_zero_weight": 1,
        "turns_cut": 2,
        "no_good_turn": 1,
    }
    assert built.stats["outcomes"]["by_outcome"] == {"unknown": 3}


def test_a_call_the_record_ends_on_is_learned_and_one_left_unanswered_midway_is_not():
    """Fine-tuning data (OpenAI chat, ShareGPT) often ends on the call it teaches: no result
    follows because the record stops there. A call the session went on past unanswered is
    a turn that did not work."""
    ends_on_call = Conversation(
        "d",
        [Message("user", "take off"), Message("assistant", "", [ToolCall("d-0", "takeoff", {"altitude": 100})])],
        SourceRef("d.jsonl", 1),
        metadata={"format": "openai_chat"},
    )
    midway = Conversation(
        "e",
        [
            Message("user", "deploy"),
            Message("assistant", "", [ToolCall("e-0", "Bash", {"command": "make deploy"})]),
            Message("user", "well?"),
            Message("assistant", "It is still running."),
        ],
        SourceRef("e.jsonl", 1),
        metadata={"format": "claude_code"},
    )
    built = build_dataset([ends_on_call, midway], parse_config(BuildConfig, {"eval_fraction": 0.0}))
    rows = {r["id"]: r for r in built.sft["train"]}
    assert rows["d"]["messages"][-1]["tool_calls"][0]["function"]["name"] == "takeoff"
    assert [m.get("weight") for m in rows["e"]["messages"] if m["role"] == "assistant"] == [0, None]


def test_other_policies():
    assert build(unlabelled="drop").stats["filtered"] == {"unknown_outcome": 3}
    whole = build(unlabelled="include").sft["train"]
    assert len(whole) == 3 and all("weight" not in r for r in whole)
    weighted = build(unlabelled="weighted", unlabelled_weight=0.25).sft["train"]
    assert [r["weight"] for r in weighted] == [0.25] * 3
    with pytest.raises(ConfigError, match="'unlabelled': must be one of drop, include"):
        parse_config(BuildConfig, {"unlabelled": "maybe"})


def test_labels_below_the_confidence_floor_count_as_unknown():
    weak = unlabelled("w", "ok", outcome="success")
    weak.outcome_confidence, weak.outcome_source = 0.6, "git:commit"
    built = build_dataset([weak], BuildConfig(eval_fraction=0.0, min_outcome_confidence=0.7, unlabelled="drop"))
    assert built.stats["filtered"] == {"unknown_outcome": 1}
    assert built.stats["outcomes"]["by_source"] == {"none": 1}


def test_empty_build_messages_name_the_reason_in_numbers():
    stats = build(unlabelled="drop").stats
    message, hint = no_sft_rows(stats)
    assert message == ('the build made 0 SFT rows from 3 sessions: 3 have no known outcome (build.unlabelled = "drop")')
    assert 'build.unlabelled = "successful_turns"' in hint
    failed = build_dataset(
        [unlabelled("f", "ok", outcome="failure")] * 1 + [unlabelled(f"u{i}", "ok") for i in range(21)],
        BuildConfig(eval_fraction=0.0, unlabelled="drop"),
    ).stats
    assert no_sft_rows(failed)[0] == (
        'the build made 0 SFT rows from 22 sessions: 21 have no known outcome; 1 failed (build.unlabelled = "drop")'
    )
    message, hint = no_dpo_pairs(failed)
    assert message == ("the build made 0 DPO pairs: 0 successful and 1 failed sessions; not paired: 1 no success")
    assert "method sft" in hint
    assert "no conversations" in no_sft_rows({"conversations_in": 0})[0]
