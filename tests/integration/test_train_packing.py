"""Padding-free packing is exact: a packed batch gives the same loss, logits and gradients
as its rows run one by one (a small random Llama with grouped-query attention)."""

import pytest
import torch

from forge.train.packing import PackedCollator, register_packed_attention

pytestmark = pytest.mark.slow
LENGTHS = (7, 41, 1, 23, 64)


@pytest.fixture(scope="module")
def model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=320,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
    )
    m = LlamaForCausalLM(cfg)
    m.set_attn_implementation(register_packed_attention())
    return m.eval()


@pytest.fixture(scope="module")
def rows():
    g = torch.Generator().manual_seed(1)
    out = []
    for n in LENGTHS:
        ids = torch.randint(0, 320, (n,), generator=g).tolist()
        mask = (torch.rand(n, generator=g) > 0.4).long().tolist()
        out.append({"input_ids": ids, "assistant_masks": mask})
    return out


def one_by_one(model, rows):
    """Per-row logits, and the loss as Σ token losses / Σ learned tokens over all rows."""
    collate = PackedCollator(pad_token_id=0)
    logits, total, count = [], 0.0, 0
    for r in rows:
        b = collate([r])
        out = model(**b)
        n = int((b["labels"][0, 1:] != -100).sum())
        logits.append(out.logits[0])
        if n:
            total = total + out.loss * n
            count += n
    return logits, total / count


def test_packed_loss_and_logits_equal_rows_run_alone(model, rows):
    with torch.no_grad():
        packed = model(**PackedCollator(pad_token_id=0)(rows))
        alone, loss = one_by_one(model, rows)
    assert abs(packed.loss.item() - loss.item()) < 1e-5
    at = 0
    for n, logits in zip(LENGTHS, alone):
        assert torch.allclose(packed.logits[0, at : at + n], logits, atol=1e-5)
        at += n


def test_packed_gradients_equal_rows_run_alone(model, rows):
    model.zero_grad()
    model(**PackedCollator(pad_token_id=0)(rows)).loss.backward()
    packed = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()
    one_by_one(model, rows)[1].backward()
    for k, p in model.named_parameters():
        assert torch.allclose(packed[k], p.grad, atol=1e-6), k
    model.zero_grad()


def test_padded_batch_gives_the_same_loss(model, rows):
    with torch.no_grad():
        packed = model(**PackedCollator(pad_token_id=0)(rows)).loss
        padded = model(**PackedCollator(pad_token_id=0, padding_free=False)(rows)).loss
    assert abs(packed.item() - padded.item()) < 1e-5


def test_without_restarting_positions_rows_would_see_each_other(model, rows):
    """The control: the same concatenation run as one plain sequence differs, so the tests
    above would catch rows attending across their boundary."""
    batch = PackedCollator(pad_token_id=0)(rows)
    plain = {**batch, "position_ids": torch.arange(batch["input_ids"].shape[1])[None]}
    with torch.no_grad():
        packed, leaked = model(**batch).logits, model(**plain).logits
    first = LENGTHS[0]
    assert torch.allclose(packed[0, :first], leaked[0, :first], atol=1e-5)
    assert not torch.allclose(packed[0, first:], leaked[0, first:], atol=1e-3)


def test_logits_only_where_learned_give_the_same_loss_and_gradients(model, rows):
    """The trainer's collator skips the LM head on tokens that are not learned."""
    full = PackedCollator(pad_token_id=0)(rows)
    slim = PackedCollator(pad_token_id=0, learned_logits_only=True)(rows)
    model.zero_grad()
    a = model(**full).loss
    a.backward()
    grads = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()
    out = model(**slim)
    out.loss.backward()
    assert out.logits.shape[1] == int((full["labels"][0, 1:] != -100).sum()) < full["input_ids"].shape[1]
    assert abs(a.item() - out.loss.item()) < 1e-5
    for k, p in model.named_parameters():
        assert torch.allclose(grads[k], p.grad, atol=1e-6), k
    model.zero_grad()


def test_stock_sdpa_isolates_packed_rows_only_without_a_cache(model, rows):
    """transformers 5.23's own SDPA turns restarting position_ids into a block-diagonal mask
    (O((Σ len)²) work) — but only when no KV cache exists: with use_cache=True (the config
    default, in train mode too) it skips the detection and rows attend to each other.
    forge_packed reads the positions itself, cache or not."""
    batch = PackedCollator(pad_token_id=0)(rows)
    with torch.no_grad():
        ours = model(**batch).logits
        assert torch.allclose(ours, model(**batch, use_cache=False).logits, atol=1e-5)
        model.set_attn_implementation("sdpa")
        try:
            stock = model(**batch, use_cache=False).logits
            cached = model(**batch, use_cache=True).logits
        finally:
            model.set_attn_implementation(register_packed_attention())
    assert torch.allclose(ours, stock, atol=1e-5)
    first = LENGTHS[0]
    assert not torch.allclose(ours[0, first:], cached[0, first:], atol=1e-3)
