import json

import pytest

from forge.config import parse_config
from forge.errors import ConfigError, InputError
from forge.models.tiny_base import TinyBaseConfig, tiny_config_from_env
from forge.train.config import TrainConfig
from forge.train.rows import read_rows, row_problem, template_messages


def row(**kw):
    base = {
        "id": "r1",
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        "tools": [],
    }
    return {**base, **kw}


def test_row_problem_accepts_a_good_row():
    assert row_problem(row()) is None


@pytest.mark.parametrize(
    "bad, why",
    [
        ([], "not a JSON object"),
        (row(messages=[]), "no 'messages'"),
        (row(messages=[{"role": "robot", "content": "x"}]), "valid 'role'"),
        (row(messages=[{"role": "user", "content": "x"}]), "no assistant"),
        (row(tools={"a": 1}), "'tools'"),
    ],
)
def test_row_problem_names_the_problem(bad, why):
    assert why in row_problem(bad)


def test_read_rows_reports_file_and_line(tmp_path):
    p = tmp_path / "sft_train.jsonl"
    p.write_text(json.dumps(row()) + "\n\n{not json\n")
    with pytest.raises(InputError) as e:
        read_rows(p)
    assert f"{p}:3" in str(e.value)


def test_template_messages_fills_content_and_gives_arguments_as_a_mapping():
    msgs = template_messages(
        [
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"a": "é"}'}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": None, "weight": 0},
        ]
    )
    assert msgs[0]["content"] == "" and msgs[1]["content"] == ""
    call = msgs[0]["tool_calls"][0]
    assert call["type"] == "function" and call["function"] == {"name": "f", "arguments": {"a": "é"}}
    # ids become 9 alphanumerics (Mistral's rule), the result keeps pointing at its call
    assert len(call["id"]) == 9 and call["id"].isalnum() and msgs[1]["tool_call_id"] == call["id"]
    assert "weight" not in msgs[1]


def test_template_messages_keeps_arguments_that_are_not_a_json_object_as_text():
    msgs = template_messages(
        [{"role": "assistant", "content": "", "tool_calls": [{"function": {"name": "f", "arguments": "not json"}}]}]
    )
    assert msgs[0]["tool_calls"][0]["function"]["arguments"] == "not json"


def test_template_messages_links_a_result_without_an_id_to_its_call():
    msgs = template_messages(
        [
            {"role": "assistant", "content": "", "tool_calls": [{"id": "abcdefghi", "function": {"name": "f"}}]},
            {"role": "tool", "content": "ok"},
        ]
    )
    assert msgs[0]["tool_calls"][0]["id"] == "abcdefghi" and msgs[1]["tool_call_id"] == "abcdefghi"


def test_train_config_rejects_bad_values_naming_keys():
    with pytest.raises(ConfigError) as e:
        parse_config(TrainConfig, {"lora_r": 0, "lr_scheduler_type": "wavy", "learning_rat": 1.0})
    text = str(e.value)
    assert "'learning_rat'" in text and "did you mean 'learning_rate'" in text
    with pytest.raises(ConfigError) as e:
        parse_config(TrainConfig, {"lora_r": 0, "lr_scheduler_type": "wavy"})
    assert "'lora_r'" in str(e.value) and "'lr_scheduler_type'" in str(e.value)


def test_tiny_config_digest_changes_with_recipe_and_env(monkeypatch):
    monkeypatch.delenv("FORGE_TINY_PRETRAIN_STEPS", raising=False)
    a = tiny_config_from_env(TinyBaseConfig())
    monkeypatch.setenv("FORGE_TINY_PRETRAIN_STEPS", "7")
    b = tiny_config_from_env(TinyBaseConfig())
    assert b.pretrain_steps == 7
    assert a.digest() != b.digest()
    assert a.digest() == TinyBaseConfig().digest()
