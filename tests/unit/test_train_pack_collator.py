"""Packing arithmetic and the collator's tensors (no model)."""

import random

import pytest

from forge.train.packing import IGNORE, PackedCollator, labels_for, pack_bins, row_starts


def test_pack_bins_fits_every_row_once_within_capacity():
    rng = random.Random(0)
    lengths = [rng.randint(1, 100) for _ in range(300)]
    bins = pack_bins(lengths, 128)
    flat = sorted(i for b in bins for i in b)
    assert flat == list(range(300))
    assert all(sum(lengths[i] for i in b) <= 128 for b in bins)
    # best-fit decreasing is near the lower bound on bins
    assert len(bins) <= sum(lengths) / 128 * 1.1 + 1


def test_pack_bins_gives_an_oversized_row_its_own_bin():
    assert pack_bins([300, 10, 20], 100) == [[0], [2, 1]]


def test_labels_mask_non_assistant_tokens_and_the_first_token():
    assert labels_for([5, 6, 7, 8], [1, 0, 1, 1]) == [IGNORE, IGNORE, 7, 8]


def test_padding_free_batch_is_one_row_with_restarting_positions():
    items = [{"input_ids": [1, 2, 3], "assistant_masks": [0, 1, 1]}, {"input_ids": [4, 5], "assistant_masks": [1, 1]}]
    b = PackedCollator(pad_token_id=0)(items)
    assert b["input_ids"].tolist() == [[1, 2, 3, 4, 5]]
    assert b["position_ids"].tolist() == [[0, 1, 2, 0, 1]]
    # the second row's first token is never a target of the first row's last token
    assert b["labels"].tolist() == [[IGNORE, 2, 3, IGNORE, 5]]
    assert "attention_mask" not in b


def test_an_item_holding_several_rows_is_split_at_its_lengths():
    item = {"input_ids": [1, 2, 3, 4, 5], "assistant_masks": [1, 1, 1, 1, 1], "lengths": [2, 3]}
    b = PackedCollator(pad_token_id=0)([item])
    assert b["position_ids"].tolist() == [[0, 1, 0, 1, 2]]
    assert b["labels"].tolist() == [[IGNORE, 2, IGNORE, 4, 5]]


def test_padded_batch_pads_to_the_longest_with_a_mask():
    items = [{"input_ids": [1, 2, 3], "assistant_masks": [1, 1, 1]}, {"input_ids": [4], "assistant_masks": [1]}]
    b = PackedCollator(pad_token_id=9, padding_free=False)(items)
    assert b["input_ids"].tolist() == [[1, 2, 3], [4, 9, 9]]
    assert b["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert b["labels"].tolist() == [[IGNORE, 2, 3], [IGNORE, IGNORE, IGNORE]]


def test_row_starts_reads_boundaries_and_refuses_packed_multi_row_batches():
    import torch

    assert row_starts(torch.tensor([[0, 1, 2, 0, 1]]), 1) == [0, 3]
    assert row_starts(torch.tensor([[0, 1, 2]]), 1) is None
    assert row_starts(torch.tensor([[0, 1], [0, 1]]), 2) is None
    with pytest.raises(ValueError):
        row_starts(torch.tensor([[0, 1, 0], [0, 1, 2]]), 2)


def test_learned_logits_only_keeps_positions_whose_next_token_is_learned():
    items = [{"input_ids": [1, 2, 3], "assistant_masks": [0, 0, 1]}, {"input_ids": [4, 5], "assistant_masks": [1, 1]}]
    b = PackedCollator(pad_token_id=0, learned_logits_only=True)(items)
    # labels [-100, -100, 3, -100, 5]: position 1 predicts 3, position 3 predicts 5
    assert b["logits_to_keep"].tolist() == [1, 3]
    assert b["shift_labels"].tolist() == [[3, 5]]
