"""Full fine-tuning on CPU (a complete model artifact) and the resource check before training."""

import json

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL, ensure_base_model
from forge.settings import Settings
from forge.train import estimate
from forge.train.config import TrainConfig
from forge.train.sft import run_train
from helpers import FAST_BASE

pytestmark = pytest.mark.slow
ROW = {"messages": [{"role": "user", "content": "Say hi."}, {"role": "assistant", "content": "Hi there, friend."}]}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("home")).ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps({**ROW, "id": f"r{i}"}) + "\n" for i in range(16)))
    data = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {}, []), config={}, inputs=[])
    return store, data, base


def test_lora_parameter_count_matches_peft(setup):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    *_, base = setup
    config = TrainConfig(lora_r=8)
    shape = estimate.model_shape(str(base), full_finetune=False, lora_r=8, target_modules=config.target_modules)
    model = AutoModelForCausalLM.from_pretrained(base)
    assert shape.params == sum(p.numel() for p in model.parameters())
    peft = get_peft_model(model, LoraConfig(r=8, target_modules=list(config.target_modules)))
    assert shape.trainable == sum(p.numel() for p in peft.parameters() if p.requires_grad)


def test_a_run_that_does_not_fit_is_refused_before_training(setup, monkeypatch):
    store, data, base = setup
    monkeypatch.setattr(estimate, "free_memory", lambda: 50 * 1024**2)
    with pytest.raises(estimate.ResourceError, match="memory: needs about") as err:
        run_train(store, data, base, TrainConfig(max_steps=2, batch_size=2, lora_r=4))
    assert "lower batch_size or max_seq_length" in str(err.value)
    assert not list((store.root / ".staging").iterdir())


def test_full_finetune_makes_a_complete_model_that_loads_without_forge(setup):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    store, data, base = setup
    config = TrainConfig(
        full_finetune=True,
        max_steps=6,
        batch_size=4,
        logging_steps=1,
        learning_rate=1e-3,
        eval_at_end=False,
        max_seq_length=128,
    )
    art = run_train(store, data, base, config)
    assert art.kind == "full_model" and art.manifest["method"] == "full"
    assert (art.path / "model.safetensors").is_file() and not (art.path / "adapter_config.json").exists()
    cfg = json.loads((art.path / "config.json").read_text())
    assert "forge_packed" not in json.dumps(cfg) and cfg.get("use_cache", True) is True
    log = json.loads(art.file("train_log.json").read_text())
    before = AutoModelForCausalLM.from_pretrained(base)
    after = AutoModelForCausalLM.from_pretrained(art.path)
    assert log["trainable_parameters"] == sum(p.numel() for p in before.parameters())
    changed = [k for k, p in after.state_dict().items() if not torch.equal(p, before.state_dict()[k])]
    assert any("layers.0.mlp" in k for k in changed) and any("norm" in k for k in changed)
    tok = AutoTokenizer.from_pretrained(art.path)
    ids = tok.apply_chat_template(
        ROW["messages"][:1], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    with torch.no_grad():
        assert after(ids).logits.shape[-1] == before.config.vocab_size
    losses = [e["loss"] for e in log["log"]]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("mode", ["packing", "padded"])
def test_packed_and_padded_modes_train_and_count_only_real_tokens(setup, mode):
    from transformers import AutoTokenizer

    from forge.train.rows import tokenize_row

    store, data, base = setup
    n = len(tokenize_row(AutoTokenizer.from_pretrained(base), ROW)[0])
    if mode == "packing":  # 16 rows → packs of 128 // n rows; one step takes every pack
        packs = -(-16 // (128 // n))
        config = TrainConfig(
            packing=True,
            max_seq_length=128,
            batch_size=packs,
            max_steps=2,
            logging_steps=1,
            lora_r=4,
            eval_at_end=False,
        )
        expected = 2 * 16 * n
    else:
        config = TrainConfig(
            padding_free=False,
            max_seq_length=128,
            batch_size=4,
            max_steps=2,
            logging_steps=1,
            lora_r=4,
            eval_at_end=False,
        )
        expected = 2 * 4 * n
    log = json.loads(run_train(store, data, base, config).file("train_log.json").read_text())
    assert log["tokens_seen"] == expected
    assert log["steps"] == 2 and all(e["loss"] > 0 for e in log["log"])
