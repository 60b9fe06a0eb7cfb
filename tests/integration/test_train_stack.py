"""Stackable task adapters (seed 004): a task adapter trained on top of a role model loads on
that role model — given as the merged role model or as base + role adapter. Real tiny model."""

import json

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.settings import Settings
from forge.train.config import TrainConfig
from forge.train.methods import train_task_adapter
from forge.train.sft import run_train
from helpers import FAST_BASE

pytestmark = pytest.mark.slow


def dataset(store, name, text):
    staging = store.staging("dataset")
    rows = [
        {
            "id": f"{name}{i}",
            "messages": [
                {"role": "user", "content": f"{name} request {i}"},
                {"role": "assistant", "content": text.format(i=i)},
            ],
        }
        for i in range(12)
    ]
    (staging / "sft_train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return store.commit(staging, kind="dataset", aid=artifact_id("dataset", {"name": name}, []), config={}, inputs=[])


def test_task_adapter_stacks_on_the_role_adapter(tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from forge.models.tiny_base import ensure_base_model

    settings = Settings(home=tmp_path / "home").ensure()
    base = ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST_BASE)
    store = ArtifactStore(settings.artifacts)
    cfg = TrainConfig(
        lora_r=8,
        lora_alpha=16,
        max_steps=4,
        batch_size=4,
        logging_steps=2,
        learning_rate=1e-2,
        max_seq_length=128,
        eval_at_end=False,
        check_resources=False,
    )
    role = run_train(store, dataset(store, "role", "As a witness I report {i}."), base, cfg, settings=settings)
    role_model, task = train_task_adapter(
        store, dataset(store, "task", "bd create --title t{i}"), base, role, cfg, settings=settings
    )
    assert role_model.kind == "merged_model" and role.id in [i["id"] for i in role_model.manifest["inputs"]]
    assert role_model.id in [i["id"] for i in task.manifest["inputs"]]  # lineage: task on role

    ids = torch.tensor([[1, 5, 9, 13, 17, 21]])
    with torch.no_grad():
        on_merged = (
            PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(role_model.path)), str(task.path))
            .eval()(ids)
            .logits
        )
        stacked = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(str(base)), str(role.path))
        stacked = PeftModel.from_pretrained(stacked.merge_and_unload(), str(task.path)).eval()
        on_adapter = stacked(ids).logits
        role_only = AutoModelForCausalLM.from_pretrained(str(role_model.path)).eval()(ids).logits
    assert torch.allclose(on_merged, on_adapter, atol=1e-4)  # same model either way
    assert not torch.allclose(on_merged, role_only, atol=1e-4)  # the task adapter does something
