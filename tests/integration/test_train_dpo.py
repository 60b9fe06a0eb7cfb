"""DPO on a real tiny Llama (nothing mocked): from the base, and on top of an SFT adapter."""

import json
import math

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.dpo import run_dpo
from forge.train.sft import run_train
from helpers import FAST_BASE

pytestmark = pytest.mark.slow
TOOL = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a shell command.",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]},
    },
}
ISSUES = ["Fix login", "Add cache", "Speed up search", "Write docs", "Remove dead code", "Bump deps"]


def call(command):
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {
                "id": "c1",
                "type": "function",
                "function": {"name": "Bash", "arguments": json.dumps({"command": command})},
            }
        ],
    }


def pair(i):
    title = ISSUES[i % len(ISSUES)]
    prompt = [
        {"role": "system", "content": "You are a polecat."},
        {"role": "user", "content": f"Stop the stuck worker for '{title}'."},
    ]
    return {
        "id": f"p{i}",
        "prompt": prompt,
        "tools": [TOOL],
        "chosen": [
            call(f"gt worker stop --bead gt-{i}"),
            {"role": "tool", "tool_call_id": "c1", "content": "ok"},
            {"role": "assistant", "content": "Stopped."},
        ],
        "rejected": [call("pkill -f worker")],
    }


def sft_row(i):
    p = pair(i)
    return {"id": f"s{i}", "tools": p["tools"], "messages": p["prompt"] + p["chosen"]}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path_factory.mktemp("home")).ensure()
    base_path = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "dpo_train.jsonl").write_text("".join(json.dumps(pair(i)) + "\n" for i in range(12)))
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(sft_row(i)) + "\n" for i in range(12)))
    dataset = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"dpo": 12}, []), config={}, inputs=[])
    return settings, store, dataset, base_path


def lora_tensors(adapter):
    from safetensors.torch import load_file

    return load_file(str(adapter.path / "adapter_model.safetensors"))


CONFIG = TrainConfig(
    lora_r=8,
    lora_alpha=16,
    max_steps=4,
    batch_size=4,
    logging_steps=1,
    max_seq_length=256,
    learning_rate=5e-3,
    eval_at_end=False,
    dpo={"max_steps": 4, "batch_size": 2, "logging_steps": 1, "learning_rate": 5e-3, "max_length": 256},
)


def test_dpo_from_base_trains_a_fresh_adapter_against_the_base(setup):
    settings, store, dataset, base_path = setup
    adapter = run_dpo(store, dataset, base_path, CONFIG, settings=settings)
    log = json.loads(adapter.file("train_log.json").read_text())
    assert log["steps"] == 4 and log["reference"] == "base"
    assert log["log"] and all(math.isfinite(e["loss"]) for e in log["log"])
    assert log["rewards"] and "rewards/margins" in log["rewards"][-1]
    assert log["log"][0]["loss"] == pytest.approx(math.log(2), abs=1e-3)  # fresh LoRA == base
    # the policy read chosen and rejected rows: 4 steps of 2 pairs, each row at least 2 tokens
    assert log["tokens_seen"] >= 4 * 2 * 2 * 2 and log["tokens_per_second"] > 0
    # LoRA B starts at zero: any non-zero B means DPO moved the weights
    tensors = lora_tensors(adapter)
    b = [t for k, t in tensors.items() if "lora_B" in k]
    assert b and any(t.abs().sum() > 0 for t in b)
    assert adapter.manifest["method"] == "dpo" and adapter.kind == "adapter"
    adapter.verify()
    # same inputs and config: the stage returns the existing artifact
    assert run_dpo(store, dataset, base_path, CONFIG, settings=settings).id == adapter.id


def test_sft_then_dpo_continues_the_sft_adapter_with_it_as_reference(setup):
    settings, store, dataset, base_path = setup
    sft = run_train(store, dataset, base_path, CONFIG, settings=settings)
    dpo = run_dpo(store, dataset, base_path, CONFIG, settings=settings, start_adapter=sft)
    log = json.loads(dpo.file("train_log.json").read_text())
    assert log["reference"] == "sft_adapter" and log["method"] == "sft+dpo"
    assert all(math.isfinite(e["loss"]) for e in log["log"])
    before, after = lora_tensors(sft), lora_tensors(dpo)
    assert set(before) == set(after)  # one adapter saved, same shape (no "ref" copy)
    assert not (dpo.path / "ref").exists()
    assert any(not before[k].equal(after[k]) for k in before)
    assert sft.id in [i["id"] for i in dpo.manifest["inputs"]]
    # the reference is the SFT adapter, not the base: at step 1 policy == reference, so the
    # DPO loss is exactly -log(sigmoid(0)) = log 2 (against the base it would not be)
    assert log["log"][0]["step"] == 1
    assert log["log"][0]["loss"] == pytest.approx(math.log(2), abs=1e-3)


class StopAt:
    """A Progress that raises when the trainer reports step `n` (a crash or a cancel mid-run)."""

    def __init__(self, n):
        self.n, self.seen = n, 0

    def task(self, name, total=None):
        owner = self

        class T:
            def advance(self, k=1, **metrics):
                owner.seen += k
                if owner.seen >= owner.n:
                    raise KeyboardInterrupt("stop")

            def done(self, **metrics):
                pass

        return T()

    def log(self, message):
        pass


def test_dpo_resumes_from_its_checkpoint_with_the_same_losses(setup, tmp_path):
    import dataclasses

    settings, store, dataset, base_path = setup
    cfg = dataclasses.replace(CONFIG, save_steps=2, dpo={**CONFIG.dpo, "seed": 3})
    sft = run_train(store, dataset, base_path, cfg, settings=settings)
    # uninterrupted, in another store so the resumed run cannot return it early
    other = ArtifactStore(tmp_path / "other")
    whole = run_dpo(
        other, dataset, base_path, cfg, settings=settings, start_adapter=sft, checkpoint_dir=tmp_path / "ck-whole"
    )
    ck = tmp_path / "ck"
    with pytest.raises(KeyboardInterrupt):
        run_dpo(store, dataset, base_path, cfg, StopAt(3), settings=settings, start_adapter=sft, checkpoint_dir=ck)
    assert (ck / "checkpoint-2").is_dir()
    assert not [
        a for a in store.all() if a.manifest.get("method") == "sft+dpo" and a.manifest["config"]["dpo"]["seed"] == 3
    ]  # nothing partial committed
    resumed = run_dpo(store, dataset, base_path, cfg, settings=settings, start_adapter=sft, checkpoint_dir=ck)
    a = {e["step"]: e["loss"] for e in json.loads(whole.file("train_log.json").read_text())["log"]}
    b = {e["step"]: e["loss"] for e in json.loads(resumed.file("train_log.json").read_text())["log"]}
    assert set(a) == set(b) == {1, 2, 3, 4}  # the resumed log holds the whole curve
    assert all(b[s] == pytest.approx(a[s], abs=1e-5) for s in a)
    assert resumed.id == whole.id


def long_pair(i):
    """A pair whose prompt (a long session history) alone is longer than max_length."""
    p = pair(i)
    history = []
    for k in range(30):
        history += [
            call(f"ls src/module_{k} && cat src/module_{k}/README.md"),
            {"role": "tool", "tool_call_id": "c1", "content": f"README of module {k}: " + "text " * 20},
        ]
    return {**p, "prompt": p["prompt"] + history + [{"role": "user", "content": "Now stop the worker."}]}


def test_long_prompts_lose_their_oldest_tokens_and_dpo_still_learns(setup, tmp_path):
    """Prompts past max_length keep their end and the completions stay whole: the reward
    margin moves off 0 and LoRA B off its zero start (cut at the end, nothing would be learned)."""
    from transformers import AutoTokenizer

    from forge.train.pairs import tokenize_pairs

    settings, _, _, base_path = setup
    tokenizer = AutoTokenizer.from_pretrained(str(base_path))
    pairs = [long_pair(i) for i in range(8)]
    cut = tokenize_pairs(tokenizer, pairs, 256)
    assert cut.pairs == 8 and len(cut.items) == 8 and cut.prompts_cut == 8 and not cut.dropped
    for item in cut.items:
        assert len(item["prompt_ids"]) + max(len(item["chosen_ids"]), len(item["rejected_ids"])) <= 256
        assert "Now stop the worker." in tokenizer.decode(item["prompt_ids"])  # the prompt's end
        assert "gt worker stop" in tokenizer.decode(item["chosen_ids"])  # whole completions
        assert "pkill -f worker" in tokenizer.decode(item["rejected_ids"])
    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("dataset")
    (staging / "dpo_train.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pairs))
    dataset = store.commit(
        staging, kind="dataset", aid=artifact_id("dataset", {"dpo-long": 8}, []), config={}, inputs=[]
    )
    adapter = run_dpo(store, dataset, base_path, CONFIG, settings=settings)
    log = json.loads(adapter.file("train_log.json").read_text())
    assert log["pairs"]["prompts_cut"] == 8 and log["train_rows"] == 8
    margins = [r["rewards/margins"] for r in log["rewards"]]
    assert margins[0] == pytest.approx(0.0, abs=1e-4) and abs(margins[-1]) > 1e-3
    b = [t for k, t in lora_tensors(adapter).items() if "lora_B" in k]
    assert b and any(t.abs().sum() > 0 for t in b)


def test_pairs_that_teach_nothing_are_dropped_and_none_left_is_refused(setup, tmp_path):
    from transformers import AutoTokenizer

    from forge.errors import InputError
    from forge.train.pairs import EMPTY, IDENTICAL, IDENTICAL_AFTER_CUT, tokenize_pairs

    settings, _, _, base_path = setup
    tokenizer = AutoTokenizer.from_pretrained(str(base_path))
    same = {**pair(0), "rejected": pair(0)["chosen"]}
    # completions that part only after their first 200 tokens
    shared = "x " * 400
    late = {
        **pair(1),
        "chosen": [{"role": "assistant", "content": shared + "chosen"}],
        "rejected": [{"role": "assistant", "content": shared + "rejected"}],
    }
    got = tokenize_pairs(tokenizer, [same, late, pair(2)], 64)
    assert len(got.items) == 1 and got.dropped == {IDENTICAL: 1, IDENTICAL_AFTER_CUT: 1}
    assert EMPTY not in got.dropped
    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("dataset")
    (staging / "dpo_train.jsonl").write_text(json.dumps(same) + "\n" + json.dumps(late) + "\n")
    dataset = store.commit(
        staging, kind="dataset", aid=artifact_id("dataset", {"dpo-none": 2}, []), config={}, inputs=[]
    )
    with pytest.raises(InputError) as e:
        run_dpo(store, dataset, base_path, CONFIG, settings=settings)
    assert "no DPO pair left to learn from" in str(e.value) and "0 of 2 pairs kept" in str(e.value)
