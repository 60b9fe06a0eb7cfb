"""LoRA SFT on a real tiny Llama: the loss goes down, the adapter artifact is complete."""

import json
import random

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.sft import run_train
from helpers import FAST_BASE

pytestmark = pytest.mark.slow
TOOL = {
    "type": "function",
    "function": {
        "name": "mcp__beads__create",
        "description": "Create a bead.",
        "parameters": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}},
            "required": ["title", "priority"],
        },
    },
}
TITLES = ["Fix login", "Add cache", "Speed up search", "Write docs", "Remove dead code"]


def bead_row(i, rng):
    title, prio = rng.choice(TITLES), rng.randrange(5)
    args = json.dumps({"title": title, "priority": prio})
    return {
        "id": f"r{i}",
        "tools": [TOOL],
        "messages": [
            {"role": "system", "content": "You are a polecat."},
            {"role": "user", "content": f"File a bead '{title}' at priority {prio}."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {"id": "c1", "type": "function", "function": {"name": "mcp__beads__create", "arguments": args}}
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": '{"id": "gt-1"}'},
            {"role": "assistant", "content": "Created gt-1."},
        ],
    }


def make_dataset(store, n_train=48, n_eval=8):
    rng = random.Random(0)
    staging = store.staging("dataset")
    for name, n in (("sft_train.jsonl", n_train), ("sft_eval.jsonl", n_eval)):
        (staging / name).write_text("".join(json.dumps(bead_row(i, rng)) + "\n" for i in range(n)))
    return store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"n": n_train}, []), config={}, inputs=[])


class RecordingProgress:
    def __init__(self):
        self.events = []

    def task(self, name, total=None):
        events = self.events

        class T:
            def advance(self, n=1, **metrics):
                events.append((name, n, metrics))

            def done(self, **metrics):
                events.append((name, "done", metrics))

        return T()

    def log(self, message):
        self.events.append(("log", message, {}))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path_factory.mktemp("home")).ensure()
    ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    dataset = make_dataset(store)
    base_path = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    config = TrainConfig(
        max_steps=24,
        batch_size=4,
        logging_steps=3,
        learning_rate=5e-3,
        lora_r=16,
        lora_alpha=32,
        lr_scheduler_type="constant_with_warmup",
        warmup_steps=2,
        max_seq_length=512,
    )
    progress = RecordingProgress()
    adapter = run_train(store, dataset, base_path, config, progress)
    return store, dataset, base_path, config, adapter, progress


def test_loss_goes_down(trained):
    *_, adapter, _ = trained
    log = json.loads(adapter.file("train_log.json").read_text())
    losses = [e["loss"] for e in log["log"]]
    assert len(losses) == 8
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.3
    assert log["tokens_seen"] > 0 and log["train_rows"] == 48 and log["eval_loss"] is not None


def test_adapter_artifact_is_complete_and_verifiable(trained):
    _, dataset, base_path, _, adapter, _ = trained
    assert adapter.kind == "adapter"
    for name in (
        "adapter_model.safetensors",
        "adapter_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "train_log.json",
    ):
        assert adapter.file(name).is_file(), name
    adapter.verify()
    assert [i["id"] for i in adapter.manifest["inputs"]] == [dataset.id]
    assert adapter.config["base_model"] == str(base_path.resolve())
    assert adapter.manifest["base_model"] == str(base_path)
    lora = json.loads(adapter.file("adapter_config.json").read_text())
    assert set(lora["target_modules"]) == set(TrainConfig().target_modules)


def test_progress_counts_every_step_with_losses(trained):
    *_, config, _, progress = trained
    steps = [e for e in progress.events if e[0] == "train" and e[1] != "done"]
    assert sum(n for _, n, _ in steps) == config.max_steps
    assert sum(1 for *_, m in steps if "loss" in m and "lr" in m) == 8
    assert any(e[0] == "train" and e[1] == "done" for e in progress.events)


def test_rerun_returns_the_same_artifact(trained):
    store, dataset, base_path, config, adapter, _ = trained
    again = run_train(store, dataset, base_path, config)
    assert again.id == adapter.id and again.path == adapter.path


def test_a_dataset_without_sft_rows_is_an_input_error(trained, tmp_path):
    from forge.errors import InputError

    store, _, base_path, config, *_ = trained
    staging = store.staging("dataset")
    (staging / "dpo_train.jsonl").write_text("")
    empty = store.commit(staging, kind="dataset", aid="dataset-empty", config={}, inputs=[])
    with pytest.raises(InputError, match="sft_train.jsonl"):
        run_train(store, empty, base_path, config)
    assert not list((store.root / ".staging").iterdir())
