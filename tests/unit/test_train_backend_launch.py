"""Pure pieces of the training engine: backend choice from what a machine has (every branch,
availability passed in: this machine has no GPU), the torchrun command line, epochs → steps."""

import json
import sys

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.errors import ForgeError
from forge.train.backend import Available, choose_backend
from forge.train.config import TrainConfig
from forge.train.distributed import launch_command
from forge.train.methods import with_epoch_steps


@pytest.mark.parametrize(
    "available,full,name,four_bit,dtype",
    [
        (Available(cuda=False, bitsandbytes=True, unsloth=True), False, "lora", False, "float32"),
        (Available(cuda=False), True, "full", False, "float32"),
        (Available(cuda=True, bf16=True, bitsandbytes=True, unsloth=True), False, "unsloth", True, "bfloat16"),
        (Available(cuda=True, bf16=True, unsloth=True), False, "unsloth", False, "bfloat16"),
        (Available(cuda=True, bf16=False, bitsandbytes=True), False, "qlora", True, "float16"),
        (Available(cuda=True, bf16=True), False, "lora", False, "bfloat16"),
        (Available(cuda=True, bf16=True, bitsandbytes=True, unsloth=True), True, "full", False, "bfloat16"),
    ],
)
def test_backend_follows_what_is_available(available, full, name, four_bit, dtype):
    b = choose_backend(available, full_finetune=full)
    assert (b.name, b.load_in_4bit, b.dtype) == (name, four_bit, dtype) and b.reason


def test_cpu_loads_without_quantisation():
    from forge.train.backend import load_kwargs

    kw = load_kwargs(choose_backend(Available(cuda=False, bitsandbytes=True)))
    assert set(kw) == {"dtype"}


def test_single_node_launch_is_standalone(tmp_path):
    cmd = launch_command(tmp_path / "s.json", 2, {})
    assert cmd[:3] == [sys.executable, "-m", "torch.distributed.run"]
    assert "--standalone" in cmd and "--nproc-per-node=2" in cmd
    assert cmd[-3:] == ["-m", "forge.train.distributed", str(tmp_path / "s.json")]


def test_multi_node_launch_from_env(tmp_path):
    env = {"FORGE_NNODES": "2", "FORGE_NODE_RANK": "1", "FORGE_MASTER_ADDR": "10.0.0.5"}
    cmd = launch_command(tmp_path / "s.json", 8, env)
    assert {
        "--nnodes=2",
        "--node-rank=1",
        "--master-addr=10.0.0.5",
        "--master-port=29500",
        "--nproc-per-node=8",
    } <= set(cmd) and "--standalone" not in cmd
    with pytest.raises(ForgeError, match="FORGE_MASTER_ADDR"):
        launch_command(tmp_path / "s.json", 8, {"FORGE_NNODES": "2"})


def test_epochs_become_steps_once_rows_are_known(tmp_path):
    store = ArtifactStore(tmp_path / "a")
    staging = store.staging("dataset")
    (staging / "sft_train.jsonl").write_text("".join(json.dumps({"i": i}) + "\n" for i in range(50)))
    ds = store.commit(staging, kind="dataset", aid=artifact_id("dataset", {}, []), config={}, inputs=[])
    cfg = TrainConfig(epochs=2.0, batch_size=4, grad_accum=2, nproc=1, max_steps=999)
    assert with_epoch_steps(cfg, ds).max_steps == 13  # ceil(2 * 50 / 8)
    assert with_epoch_steps(TrainConfig(epochs=1.0, batch_size=4, nproc=2), ds).max_steps == 7
    assert with_epoch_steps(TrainConfig(max_steps=5), ds).max_steps == 5  # epochs 0: steps as given


def test_train_config_checks_the_recipe_fields():
    from forge.config import parse_config
    from forge.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        parse_config(TrainConfig, {"method": "ppo", "nproc": 0, "dpo": {"beta": 0, "bogus": 1}})
    msg = str(e.value)
    assert "'method': must be one of sft, dpo, sft+dpo" in msg and "'nproc'" in msg
    assert "'dpo.bogus': unknown key" in msg


def test_unsloth_trains_padded_batches_other_backends_keep_packing():
    # Unsloth swaps in its own attention kernels, which do not know our per-row packed attention
    from forge.train.config import TrainConfig
    from forge.train.sft import config_for_backend

    packed = TrainConfig(padding_free=True)
    assert config_for_backend(packed, "unsloth").padding_free is False
    for name in ("lora", "qlora", "full"):
        assert config_for_backend(packed, name).padding_free is True
    assert packed.padding_free is True  # the caller's config is not changed
