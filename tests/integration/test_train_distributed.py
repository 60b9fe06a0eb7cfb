"""`nproc = 2`: two real processes under torchrun (gloo on CPU) train one adapter together;
rank 0 alone commits it and its progress reaches the caller. Nothing mocked."""

import json
import math

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.methods import train_adapter
from helpers import FAST_BASE

pytestmark = pytest.mark.slow


class Recording:
    def __init__(self):
        self.events = []

    def task(self, name, total=None):
        events = self.events
        events.append(("task", name, total))

        class T:
            def advance(self, n=1, **metrics):
                events.append(("advance", name, n))

            def done(self, **metrics):
                events.append(("done", name, None))

        return T()

    def log(self, message):
        self.events.append(("log", message, None))


def row(i):
    return {
        "id": f"r{i}",
        "messages": [
            {"role": "system", "content": "You are a polecat."},
            {"role": "user", "content": f"Say the number {i}."},
            {"role": "assistant", "content": f"The number is {i}."},
        ],
    }


def test_two_processes_train_one_adapter_committed_once(tmp_path):
    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path / "home").ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(row(i)) + "\n" for i in range(16)))
    dataset = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"n": 16}, []), config={}, inputs=[])
    config = TrainConfig(
        lora_r=8,
        lora_alpha=16,
        max_steps=4,
        batch_size=2,
        logging_steps=1,
        max_seq_length=128,
        eval_at_end=False,
        nproc=2,
        check_resources=False,
    )
    progress = Recording()
    adapter = train_adapter(store, dataset, base, config, progress, settings=settings)

    logs = [e[1] for e in progress.events if e[0] == "log"]
    assert any("process group of 2 (backend gloo)" in m for m in logs), logs
    assert ("done", "train", None) in progress.events  # rank 0's progress relayed
    assert sum(e[2] for e in progress.events if e[:2] == ("advance", "train")) == 4
    log = json.loads(adapter.file("train_log.json").read_text())
    assert log["steps"] == 4 and all(math.isfinite(e["loss"]) for e in log["log"])
    adapter.verify()
    assert [a.id for a in store.all() if a.kind == "adapter"] == [adapter.id]  # committed once
    assert not list((settings.home / "distributed").glob("*.json"))  # spec cleaned up


class CancelAtFirstStep(Recording):
    def task(self, name, total=None):
        class T:
            def advance(self, n=1, **metrics):
                raise KeyboardInterrupt("cancelled")  # what a job's cancel check raises from

            def done(self, **metrics):
                pass

        return T()


def test_cancel_stops_every_rank_and_leaves_nothing(tmp_path):
    import time

    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path / "home").ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(row(i)) + "\n" for i in range(16)))
    dataset = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"n": 16}, []), config={}, inputs=[])
    config = TrainConfig(
        lora_r=8,
        lora_alpha=16,
        max_steps=50,
        batch_size=2,
        logging_steps=1,
        max_seq_length=128,
        eval_at_end=False,
        nproc=2,
        check_resources=False,
    )
    with pytest.raises(KeyboardInterrupt):
        train_adapter(store, dataset, base, config, CancelAtFirstStep(), settings=settings)
    deadline = time.monotonic() + 20
    while list((store.root / ".staging").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.5)  # the ranks unwind after torchrun itself has gone
    assert not list((store.root / ".staging").iterdir())
    assert not [a for a in store.all() if a.kind == "adapter"]


def test_two_processes_run_sft_then_dpo(tmp_path):
    """Both trainers of sft+dpo in one process group; rank 0 commits both artifacts."""
    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path / "home").ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(row(i)) + "\n" for i in range(8)))
    pairs = [
        {
            "prompt": row(i)["messages"][:2],
            "chosen": row(i)["messages"][2:],
            "rejected": [{"role": "assistant", "content": "No."}],
        }
        for i in range(8)
    ]
    (staging / "dpo_train.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    dataset = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"n": 8}, []), config={}, inputs=[])
    config = TrainConfig(
        lora_r=8,
        lora_alpha=16,
        max_steps=2,
        batch_size=2,
        logging_steps=1,
        max_seq_length=128,
        eval_at_end=False,
        nproc=2,
        check_resources=False,
        method="sft+dpo",
        dpo={"max_steps": 2, "batch_size": 2, "logging_steps": 1, "max_length": 128},
    )
    progress = Recording()
    dpo = train_adapter(store, dataset, base, config, progress, settings=settings)
    log = json.loads(dpo.file("train_log.json").read_text())
    assert dpo.manifest["method"] == "sft+dpo" and log["steps"] == 2
    assert all(math.isfinite(e["loss"]) for e in log["log"])
    assert {e[1] for e in progress.events if e[0] == "task"} >= {"train", "dpo"}
    adapters = {a.id for a in store.all() if a.kind == "adapter"}
    assert adapters == {dpo.id, dpo.manifest["config"]["start_adapter"]}  # each committed once
