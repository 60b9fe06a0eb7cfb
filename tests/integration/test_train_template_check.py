"""The train stage checks the base's chat template against the rows before training.

The Qwen2 vocab file's own template (plain ChatML) cannot write tool calls: training rows
with calls on it is refused, naming the base and the ways to pass a template. With Qwen2.5's
template passed explicitly (`chat_template`), the same base trains, the round-trip figures are
in the train log, and the adapter carries the template it was trained with.
"""

import json

import pytest

from forge.artifacts import ArtifactStore
from forge.errors import InputError
from forge.progress import NULL_PROGRESS
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.sft import run_train, train_sft
from real_models import family_base, tokenizer_dir

TOOL = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead.",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    },
}


def row(i):
    return {
        "id": f"r{i}",
        "tools": [TOOL],
        "messages": [
            {"role": "system", "content": "You are the mayor."},
            {"role": "user", "content": f"File bead {i}."},
            {
                "role": "assistant",
                "content": "Filing it.",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "bd_create", "arguments": '{"title": "x"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": f'{{"id": "gt-{i}"}}'},
            {"role": "assistant", "content": f"Filed gt-{i}."},
        ],
    }


@pytest.fixture
def dataset_dir(tmp_path):
    d = tmp_path / "dataset"
    d.mkdir()
    (d / "sft_train.jsonl").write_text("".join(json.dumps(row(i)) + "\n" for i in range(4)))
    return d


def test_a_base_whose_template_drops_tool_calls_is_refused(dataset_dir, tmp_path):
    base = str(tokenizer_dir("qwen2-gguf-template"))  # refused before any weights are loaded
    with pytest.raises(InputError) as e:
        train_sft(dataset_dir, base, TrainConfig(max_steps=1), tmp_path / "out", NULL_PROGRESS)
    assert base in str(e.value) and "cannot carry tool calls" in str(e.value)
    assert "--template FILE" in e.value.hint and "train.chat_template=FILE" in e.value.hint
    assert "forge dataset check" in e.value.hint


@pytest.mark.slow
def test_an_explicit_template_trains_and_travels_with_the_adapter(dataset_dir, tmp_path):
    template = tokenizer_dir("qwen2") / "chat_template.jinja"
    store = ArtifactStore(tmp_path / "store")
    dataset = store.commit(dataset_dir, kind="dataset", aid="dataset-tmpl0001", config={}, inputs=[])
    config = TrainConfig(max_steps=2, batch_size=2, chat_template=str(template), check_resources=False)
    adapter = run_train(
        store, dataset, str(family_base("qwen2-gguf-template")), config, settings=Settings(home=tmp_path)
    )
    log = json.loads(adapter.file("train_log.json").read_text())
    assert log["chat_template"]["format"] == "hermes"
    assert log["chat_template"]["fidelity_percent"] == 100.0 and log["masks"]["turns_learned"] == 8
    saved = json.loads((adapter.path / "tokenizer_config.json").read_text()).get("chat_template")
    saved = saved or (adapter.path / "chat_template.jinja").read_text()
    assert saved == template.read_text()
    assert adapter.manifest["config"]["chat_template_sha256"]
