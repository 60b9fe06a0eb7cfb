"""Merging a LoRA adapter into its base gives the same logits as base + adapter."""

import json

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from forge.train.config import TrainConfig
from helpers import SMALL_BASE

pytestmark = pytest.mark.slow
ROW = {
    "id": "r",
    "tools": [],
    "messages": [{"role": "user", "content": "Say hello."}, {"role": "assistant", "content": "Hello there."}],
}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from forge.models.tiny_base import ensure_base_model
    from forge.train.sft import run_train

    settings = Settings(home=tmp_path_factory.mktemp("home")).ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=SMALL_BASE)
    store = ArtifactStore(settings.artifacts)
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text(json.dumps(ROW) + "\n")
    dataset = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {}, []), config={}, inputs=[])
    # a high learning rate so the adapter moves the logits visibly
    adapter = run_train(
        store, dataset, base, TrainConfig(max_steps=4, batch_size=1, learning_rate=0.05, warmup_steps=0)
    )
    return settings, store, base, adapter


def test_merged_logits_equal_base_plus_adapter(setup):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from forge.models.merge import run_merge

    settings, store, base, adapter = setup
    merged = run_merge(store, adapter, settings=settings)  # base taken from the adapter's manifest
    assert merged.kind == "merged_model"
    merged.verify()
    for name in ("model.safetensors", "config.json", "generation_config.json", "tokenizer.json"):
        assert merged.file(name).is_file(), name
    assert not (merged.path / "adapter_config.json").exists()

    tok = AutoTokenizer.from_pretrained(merged.path)
    ids = tok.apply_chat_template(
        [ROW["messages"][0]], add_generation_prompt=True, return_tensors="pt", return_dict=True
    )["input_ids"]
    with torch.no_grad():
        plain = AutoModelForCausalLM.from_pretrained(base).eval()
        base_logits = plain(ids).logits
        with_adapter = PeftModel.from_pretrained(plain, str(adapter.path)).eval()
        expected = with_adapter(ids).logits
        got = AutoModelForCausalLM.from_pretrained(merged.path).eval()(ids).logits
    assert (expected - base_logits).abs().max() > 1e-3  # the adapter does change the model
    assert torch.allclose(got, expected, atol=1e-4)
    assert tok.chat_template == AutoTokenizer.from_pretrained(base).chat_template


def test_merge_is_reused_and_records_lineage(setup):
    from forge.models.merge import run_merge

    _settings, store, base, adapter = setup
    first = run_merge(store, adapter, base)
    assert run_merge(store, adapter, base).path == first.path
    assert [i["id"] for i in first.manifest["inputs"]] == [adapter.id]


def test_merge_rejects_a_non_adapter(setup):
    from forge.errors import InputError
    from forge.models.merge import run_merge

    _settings, store, base, _adapter = setup
    dataset = next(a for a in store.all() if a.kind == "dataset")
    with pytest.raises(InputError, match="not a LoRA adapter"):
        run_merge(store, dataset, base)
