"""Resource estimate arithmetic and the refusal when a run does not fit."""

import pytest

from forge.train.estimate import (
    ADAM_BYTES,
    GIB,
    KEEP_CHECKPOINTS,
    OVERHEAD_BYTES,
    ModelShape,
    ResourceError,
    check_resources,
    estimate,
    free_disk,
    free_memory,
    step_tokens,
)

SHAPE = ModelShape(
    params=1_000_000,
    trainable=10_000,
    hidden=64,
    layers=2,
    heads=4,
    intermediate=128,
    vocab=500,
    lora_per_token_layer=300,
)


def test_step_tokens_takes_the_largest_step_the_data_can_make():
    lengths = [10, 300, 20, 200, 50]
    assert step_tokens(lengths, 2, padding_free=True) == (500, 0)  # flash kernel per row
    assert step_tokens(lengths, 2, padding_free=False) == (600, 2 * 300**2)
    assert step_tokens(lengths, 2, True, packing=True, max_seq_length=512) == (1024, 0)


def test_estimate_adds_up_weights_optimizer_gradients_activations():
    e = estimate(SHAPE, tokens=100, score_elems=5000, save_checkpoints=True, full_model_artifact=False)
    assert e.weights == 1_000_000 * 4 + 10_000 * 4
    assert e.gradients == 10_000 * 4
    assert e.optimizer == 10_000 * ADAM_BYTES
    per_token_layer = (10 * 64 + 4 * 128 + 300) * 4
    assert e.activations == 100 * 2 * per_token_layer + 5000 * 4 * 2 * 4 * 2 + 100 * 500 * 12
    assert e.memory == e.weights + e.gradients + e.optimizer + e.activations + OVERHEAD_BYTES
    assert e.checkpoint_disk == 10_000 * (4 + ADAM_BYTES) * KEEP_CHECKPOINTS
    assert e.artifact_disk == 10_000 * 4


def test_full_finetune_trains_and_saves_every_weight():
    full = ModelShape(**{**SHAPE.__dict__, "trainable": SHAPE.params})
    e = estimate(full, tokens=1, score_elems=1, save_checkpoints=False, full_model_artifact=True)
    assert e.weights == full.params * 4 and e.optimizer == full.params * 8
    assert e.checkpoint_disk == 0 and e.artifact_disk == full.params * 4


def test_more_tokens_need_more_memory():
    small = estimate(SHAPE, 100, 100 * 100, save_checkpoints=False, full_model_artifact=False)
    big = estimate(SHAPE, 4000, 4000 * 1000, save_checkpoints=False, full_model_artifact=False)
    assert big.activations > 20 * small.activations


def test_refuses_with_the_reason_and_a_hint_when_memory_is_short():
    e = estimate(SHAPE, 100, 10_000, save_checkpoints=True, full_model_artifact=False)
    with pytest.raises(ResourceError) as err:
        check_resources(e, memory_free=10 * 1024**2, disk_free=100 * GIB)
    text = str(err.value)
    assert "memory" in text and "disk" not in text.split("hint")[0]
    assert "batch_size" in text and "max_seq_length" in text


def test_refuses_when_disk_is_short_and_passes_when_both_fit(tmp_path):
    e = estimate(SHAPE, 100, 10_000, save_checkpoints=True, full_model_artifact=True)
    with pytest.raises(ResourceError, match="disk at"):
        check_resources(e, memory_free=100 * GIB, disk_free=1000, disk_path=tmp_path)
    check_resources(e, memory_free=100 * GIB, disk_free=100 * GIB)


def test_free_space_probes_answer_on_this_machine(tmp_path):
    assert free_memory() > 0
    assert free_disk(tmp_path / "not" / "yet") > 0
