import json

import pytest

from forge.build import BuildConfig, build_dataset
from forge.build.config import DEFAULT_SYSTEM_PROMPTS
from forge.build.curate import prepare, truncate
from forge.build.sft import sft_row
from forge.config import parse_config
from forge.errors import ConfigError
from forge.models.tool_calls import parse_reply
from forge.records import Conversation, Message, SourceRef, ToolCall, WorkItem

BD_CREATE = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    },
}


def session(
    cid: str,
    outcome: str = "success",
    *,
    work_item: str | None = None,
    role: str | None = "polecat",
    task: str | None = "bead-creation",
    title: str = "Fix login",
    user: str | None = None,
) -> Conversation:
    return Conversation(
        id=cid,
        source=SourceRef("sessions/a.jsonl", 7),
        tools=[BD_CREATE],
        agent_role=role,
        task=task,
        outcome=outcome,
        work_item=work_item,
        messages=[
            Message("user", user or f"Create a bead titled {title!r} ({cid})"),
            Message("assistant", "Creating it.", tool_calls=[ToolCall("call_1", "bd_create", {"title": title})]),
            Message("tool", '{"id": "gt-7"}', tool_call_id="call_1", name="bd_create"),
            Message("assistant", "Created gt-7."),
        ],
    )


def test_sft_row_shape_is_openai_chat_with_tools():
    row = sft_row(prepare(session("s1", work_item="gt-7"), BuildConfig()))
    assert set(row) == {
        "id",
        "messages",
        "tools",
        "agent_role",
        "task",
        "work_item",
        "source",
        "outcome",
        "outcome_source",
    }
    assert row["source"] == "sessions/a.jsonl:7" and row["work_item"] == "gt-7"
    system, _user, call, result, _final = row["messages"]
    assert system == {"role": "system", "content": DEFAULT_SYSTEM_PROMPTS["polecat"]}
    assert call["tool_calls"] == [
        {"id": "call_1", "type": "function", "function": {"name": "bd_create", "arguments": '{"title": "Fix login"}'}}
    ]
    assert result == {"role": "tool", "content": '{"id": "gt-7"}', "tool_call_id": "call_1", "name": "bd_create"}
    assert row["tools"] == [BD_CREATE]
    json.dumps(row)  # a JSONL line


def test_sft_row_renders_with_the_chat_template():
    from transformers.utils.chat_template_utils import render_jinja_template

    from forge.models.chat_format import CHAT_TEMPLATE

    row = sft_row(prepare(session("s1"), BuildConfig()))
    (text,), (generation,) = render_jinja_template(
        [row["messages"]], tools=row["tools"], chat_template=CHAT_TEMPLATE, return_assistant_tokens_mask=True
    )
    assert text.startswith("<|im_start|>system\n" + DEFAULT_SYSTEM_PROMPTS["polecat"])
    assert '"name": "bd_create"' in text  # the tool schema is listed
    assert '<|im_start|>tool\n<tool_response>\n{"id": "gt-7"}\n</tool_response>' in text
    # two assistant turns are marked for loss; the first one's tool call parses back
    assert len(generation) == 2
    first = text[generation[0][0] : generation[0][1]]
    reply = parse_reply(first)
    assert reply.calls == [{"name": "bd_create", "arguments": {"title": "Fix login"}}]
    assert reply.content == "Creating it."


def test_existing_system_prompt_is_kept_and_can_be_left_out():
    conv = session("s1")
    conv.messages.insert(0, Message("system", "Custom rules."))
    assert prepare(conv, BuildConfig()).messages[0].content == "Custom rules."
    bare = prepare(session("s2"), BuildConfig(include_system_prompt=False))
    assert bare.messages[0].role == "user"
    custom = prepare(session("s3", role="witness"), BuildConfig(system_prompts={"witness": "You watch."}))
    assert custom.messages[0].content == "You watch."


def test_truncation_ends_on_an_assistant_turn():
    messages = session("s1").messages
    assert [m.role for m in truncate(messages, 3)] == ["user", "assistant"]
    assert truncate(messages, 10) == messages


def test_build_dedupes_and_filters_with_counted_reasons():
    convs = [
        session("ok-1", work_item="gt-1"),
        session("bad-1", "failure", work_item="gt-1"),
        session("ok-1-again", work_item="gt-1", user="Create a bead titled 'Fix login' (ok-1)"),
        session("unknown", "unknown", title="Other"),
        session("mayor", role="mayor", task="planning", title="Plan"),
    ]
    convs[2].id = "ok-1-again"
    built = build_dataset(convs, BuildConfig(roles=["polecat"], eval_fraction=0.0, unlabelled="drop"))
    s = built.stats
    assert s["conversations_in"] == 5 and s["exact_duplicates"] == 1
    assert s["filtered"] == {"role": 1, "failure": 1, "unknown_outcome": 1}
    assert [r["id"] for r in built.sft["train"]] == ["ok-1"]
    assert s["by_role_task"] == {"polecat/bead-creation": 1}
    assert s["messages"] == 5 and s["tool_calls"] == 1
    assert s["chars"] == sum(len(m["content"]) for m in built.sft["train"][0]["messages"]) + len(
        '{"title": "Fix login"}'
    )


def test_curator_drops_beads_that_rarely_succeed():
    convs = [
        session("a-ok", work_item="gt-a"),
        session("b-ok", work_item="gt-b", title="B"),
        session("b-bad-1", "failure", work_item="gt-b", title="B1"),
        session("b-bad-2", "failure", work_item="gt-b", title="B2"),
    ]
    built = build_dataset(convs, BuildConfig(min_success=0.5, eval_fraction=0.0, dpo=False))
    assert [r["id"] for r in built.sft["train"]] == ["a-ok"]
    assert built.stats["filtered"]["low_success_rate"] == 1


def test_role_and_task_come_from_the_work_item_when_missing():
    conv = session("s", work_item="gt-9", role=None, task=None)
    items = {"gt-9": WorkItem(id="gt-9", title="t", status="closed", agent_role="crew", task="code-review")}
    built = build_dataset([conv], BuildConfig(eval_fraction=0.0), work_items=items)
    row = built.sft["train"][0]
    assert (row["agent_role"], row["task"]) == ("crew", "code-review")
    assert row["messages"][0]["content"] == DEFAULT_SYSTEM_PROMPTS["crew"]


def test_dpo_rows_in_the_build_keep_tool_calls_and_land_with_their_bead():
    good = session("good", work_item="gt-5", title="Fix login", user="Create a bead for gt-5")
    bad = session("bad", "failure", work_item="gt-5", title="fix", user="Create a bead for gt-5")
    built = build_dataset([good, bad], BuildConfig(eval_fraction=0.5, split_salt="x"))
    rows = built.dpo["train"] + built.dpo["eval"]
    assert len(rows) == 1
    row = rows[0]
    assert [m["role"] for m in row["prompt"]] == ["system", "user"]
    assert row["chosen"][0]["tool_calls"][0]["function"]["arguments"] == '{"title": "Fix login"}'
    assert row["rejected"][0]["tool_calls"][0]["function"]["arguments"] == '{"title": "fix"}'
    assert row["tools"] == [BD_CREATE] and row["work_item"] == "gt-5"
    sft_split = "train" if built.sft["train"] else "eval"
    assert row in built.dpo[sft_split]  # the pair and the SFT row of the bead share a split


def test_config_is_validated_with_named_keys():
    cfg = parse_config(BuildConfig, {"roles": ["polecat"], "eval_fraction": 0.1, "max_messages": 40})
    assert cfg.max_messages == 40
    with pytest.raises(ConfigError) as err:
        parse_config(BuildConfig, {"eval_fraction": 1.5, "near_dup": 0.8})
    text = str(err.value)
    assert "'near_dup': unknown key (did you mean 'near_dup_threshold'?)" in text
    with pytest.raises(ConfigError, match="'eval_fraction'"):
        parse_config(BuildConfig, {"eval_fraction": 1.5})


def test_dedupe_can_be_turned_off():
    twins = [session("a", user="same"), session("b", user="same")]
    on = build_dataset(twins, BuildConfig(eval_fraction=0.0))
    off = build_dataset(twins, BuildConfig(eval_fraction=0.0, dedupe=False))
    assert [r["id"] for r in on.sft["train"]] == ["a"] and on.stats["exact_duplicates"] == 1
    assert [r["id"] for r in off.sft["train"]] == ["a", "b"] and off.stats["exact_duplicates"] == 0
