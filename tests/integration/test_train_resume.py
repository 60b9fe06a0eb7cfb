"""Resume and cancel: a run stopped at step N and resumed from its last checkpoint has the
loss curve of an uninterrupted run; a cancelled run stops within the step and leaves nothing."""

import json
import random
import tempfile

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL, ensure_base_model
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.sft import run_train
from helpers import FAST_BASE

pytestmark = pytest.mark.slow
CONFIG = TrainConfig(
    max_steps=8,
    batch_size=4,
    logging_steps=1,
    save_steps=3,
    learning_rate=3e-3,
    lora_r=8,
    lora_alpha=16,
    lr_scheduler_type="linear",
    warmup_steps=2,
    max_seq_length=256,
    eval_at_end=False,
)


class Stop(Exception):
    """Stands for a crash, or for the job runner's cancellation."""


class StoppingProgress:
    """Raises from advance() once `stop_at` steps of task "train" have been reported."""

    def __init__(self, stop_at):
        self.stop_at, self.steps = stop_at, 0

    def task(self, name, total=None):
        outer = self

        class T:
            def advance(self, n=1, **metrics):
                if name == "train":
                    outer.steps += n
                    if outer.steps >= outer.stop_at:
                        raise Stop(f"stopped at step {outer.steps}")

            def done(self, **metrics):
                pass

        return T()

    def log(self, message):
        pass


def rows(n):
    rng = random.Random(1)
    out = []
    for i in range(n):
        a, b = rng.randrange(100), rng.randrange(100)
        user = f"Add {a} and {b}." + " Please." * rng.randrange(12)  # varied lengths
        out.append(
            {
                "id": f"r{i}",
                "messages": [
                    {"role": "system", "content": "You add numbers."},
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": f"{a} + {b} = {a + b}."},
                ],
            }
        )
    return out


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("base")).ensure()
    return ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)


def new_store(tmp_path, name):
    store = ArtifactStore(Settings(home=tmp_path / name).ensure().artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows(40)))
    return store, store.commit(staging, kind="dataset", aid=artifact_id("dataset", {}, []), config={}, inputs=[])


def losses(adapter):
    return {e["step"]: e["loss"] for e in json.loads(adapter.file("train_log.json").read_text())["log"]}


def test_resumed_run_matches_an_uninterrupted_one(base, tmp_path):
    from safetensors.torch import load_file

    store_a, data_a = new_store(tmp_path, "a")
    straight = run_train(store_a, data_a, base, CONFIG)

    store_b, data_b = new_store(tmp_path, "b")
    ckpt = tmp_path / "ckpt"
    with pytest.raises(Stop):
        run_train(store_b, data_b, base, CONFIG, StoppingProgress(5), checkpoint_dir=ckpt)
    assert sorted(p.name for p in ckpt.glob("checkpoint-*")) == ["checkpoint-3"]
    assert not list((store_b.root / ".staging").iterdir())
    assert not list(store_b.root.glob("adapter/*"))

    resumed = run_train(store_b, data_b, base, CONFIG, checkpoint_dir=ckpt)
    a, b = losses(straight), losses(resumed)
    assert sorted(a) == sorted(b) == list(range(1, 9))
    for step in range(4, 9):  # after the resume point
        assert abs(a[step] - b[step]) < 1e-4, (step, a[step], b[step])
    assert len({a[s] for s in a}) > 1  # a real curve, not a constant
    wa, wb = (load_file(str(x.file("adapter_model.safetensors"))) for x in (straight, resumed))
    assert wa.keys() == wb.keys()
    assert all((wa[k] - wb[k]).abs().max() < 1e-5 for k in wa)
    log_a, log_b = (json.loads(x.file("train_log.json").read_text()) for x in (straight, resumed))
    assert log_b["steps"] == 8 and log_b["resumed_from_step"] == 3
    assert log_b["tokens_seen"] == log_a["tokens_seen"]  # same data position after the resume


def test_cancel_stops_within_the_step_and_leaves_no_artifact(base, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    store, data = new_store(tmp_path, "c")
    progress = StoppingProgress(2)
    with pytest.raises(Stop, match="stopped at step 2"):
        run_train(store, data, base, CONFIG, progress)
    assert progress.steps == 2
    assert not list((store.root / ".staging").iterdir())
    assert not list(store.root.glob("adapter/*"))
    assert not list((tmp_path / "tmp").iterdir())  # the trainer's scratch dir is gone too
