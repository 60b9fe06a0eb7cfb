"""Padding-free packing: several rows in one sequence, no compute on padding, no cross-talk.

A batch of rows becomes ONE row of their concatenated tokens, with position_ids restarting
at 0 for each row. Labels are the token ids where the assistant mask is 1 and -100 elsewhere,
and -100 at each row's first token, so no row learns to predict the next row's start.

Attention: the `forge_packed` attention implementation reads the row boundaries from the
position_ids and runs causal SDPA on each row separately — cost Σ lengthᵢ², not the
(Σ lengthᵢ)² of a block-diagonal mask, and no mask tensor at all. Batches with an attention
mask (generation, padded batches) go to the stock SDPA path unchanged.

`pack_bins` (best-fit decreasing) groups rows into packs of at most `capacity` tokens, for
`TrainConfig.packing`: the sampler then deals in packs of similar total size.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PACKED_ATTENTION = "forge_packed"
IGNORE = -100


def pack_bins(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """Indices of `lengths` grouped best-fit decreasing into bins of total ≤ capacity.

    A length above capacity gets a bin of its own (callers truncate rows beforehand)."""
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    bins: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, bin index), sorted
    for i in order:
        n = lengths[i]
        at = bisect.bisect_left(free, (n, -1))  # the tightest bin that still fits
        if at < len(free):
            room, b = free.pop(at)
            bins[b].append(i)
            bisect.insort(free, (room - n, b))
        else:
            bins.append([i])
            bisect.insort(free, (capacity - n, len(bins) - 1))
    return bins


def labels_for(ids: Sequence[int], mask: Sequence[int]) -> list[int]:
    """Token id where learned, -100 elsewhere and at the row's first token."""
    out = [t if m else IGNORE for t, m in zip(ids, mask)]
    if out:
        out[0] = IGNORE
    return out


@dataclass
class PackedCollator:
    """Batches of {"input_ids", "assistant_masks"[, "lengths"]} items → model inputs.

    padding_free=True: one [1, Σ tokens] row with restarting position_ids (no attention_mask).
    padding_free=False: rows padded to the longest with an attention_mask (the classic way).
    An item may itself hold several rows back to back ("lengths"), as `pack_bins` makes them.

    learned_logits_only (padding-free): the model computes logits only where the next token
    is learned (`logits_to_keep`) and takes those targets as `shift_labels` — the same loss,
    without the vocabulary-sized matmul and softmax on prompt and tool-result tokens.
    """

    pad_token_id: int
    padding_free: bool = True
    learned_logits_only: bool = False

    def __call__(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        rows = [seg for item in items for seg in _segments(item)]
        if self.padding_free:
            ids = [t for r_ids, _ in rows for t in r_ids]
            labels = [t for r_ids, r_mask in rows for t in labels_for(r_ids, r_mask)]
            pos = [p for r_ids, _ in rows for p in range(len(r_ids))]
            batch = {
                "input_ids": torch.tensor([ids]),
                "labels": torch.tensor([labels]),
                "position_ids": torch.tensor([pos]),
            }
            if self.learned_logits_only:
                targets = labels[1:] + [IGNORE]  # what the logits at each position predict
                keep = [t for t, y in enumerate(targets) if y != IGNORE]
                batch["logits_to_keep"] = torch.tensor(keep, dtype=torch.long)
                batch["shift_labels"] = torch.tensor([[targets[t] for t in keep]], dtype=torch.long)
            return batch
        longest = max(len(r) for r, _ in rows)
        padded = [r + [self.pad_token_id] * (longest - len(r)) for r, _ in rows]
        padded_labels = [labels_for(r, m) + [IGNORE] * (longest - len(r)) for r, m in rows]
        attn = [[1] * len(r) + [0] * (longest - len(r)) for r, _ in rows]
        return {
            "input_ids": torch.tensor(padded),
            "labels": torch.tensor(padded_labels),
            "attention_mask": torch.tensor(attn),
        }


def _segments(item: dict[str, Any]) -> list[tuple[list[int], list[int]]]:
    ids, mask = list(item["input_ids"]), list(item["assistant_masks"])
    lengths = item.get("lengths") or [len(ids)]
    out, at = [], 0
    for n in lengths:
        out.append((ids[at : at + n], mask[at : at + n]))
        at += n
    return out


def row_starts(position_ids, batch: int) -> list[int] | None:
    """Where each packed row starts (position 0), or None for one plain sequence per batch row."""
    if position_ids is None:
        return None
    starts = (position_ids[0] == 0).nonzero().flatten().tolist()
    if batch > 1 or position_ids.shape[0] > 1:
        if bool((position_ids[:, 1:] == 0).any()):
            raise ValueError("packed rows (position_ids restarting at 0) need a batch of one row")
        return None
    return starts if len(starts) > 1 or (starts and starts[0] != 0) else None


def packed_attention(
    module, query, key, value, attention_mask, dropout: float = 0.0, scaling: float | None = None, **kwargs
):
    """Causal SDPA on each packed row separately; anything else goes to the stock SDPA."""
    import torch
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    q_len = query.shape[2]
    starts = (
        row_starts(kwargs.get("position_ids"), query.shape[0])
        if attention_mask is None and q_len == key.shape[2] and q_len > 1
        else None
    )
    if starts is None:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    groups = getattr(module, "num_key_value_groups", 1)
    if groups > 1:
        key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    bounds = [*starts, q_len] if starts[0] == 0 else [0, *starts, q_len]
    outs = [
        torch.nn.functional.scaled_dot_product_attention(
            query[:, :, a:b], key[:, :, a:b], value[:, :, a:b], dropout_p=dropout, scale=scaling, is_causal=True
        )
        for a, b in itertools.pairwise(bounds)
    ]
    return torch.cat(outs, dim=2).transpose(1, 2).contiguous(), None


def _packed_mask(*args, attention_mask=None, **kwargs):
    """No mask tensor for packed/plain training batches; the stock one when padding is present."""
    if attention_mask is None:
        return None
    from transformers.masking_utils import sdpa_mask

    mask: Any = sdpa_mask  # called as transformers calls it: the mask by keyword
    return mask(*args, attention_mask=attention_mask, **kwargs)


def register_packed_attention() -> str:
    """Make `attn_implementation="forge_packed"` known to transformers (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(PACKED_ATTENTION, packed_attention)
    AttentionMaskInterface.register(PACKED_ATTENTION, _packed_mask)
    return PACKED_ATTENTION
