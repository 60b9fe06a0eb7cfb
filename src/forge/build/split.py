"""Train/eval split by a stable hash of the work item.

Each key's split depends only on the key and the salt — never on the other rows — so every
attempt at the same bead lands in the same split, and adding sessions never moves old ones.
"""

from __future__ import annotations

import hashlib

from forge.records import Conversation

TRAIN, EVAL = "train", "eval"


def split_key(conv: Conversation) -> str:
    """The bead when known (all attempts at it stay together), else the session itself."""
    return f"item:{conv.work_item}" if conv.work_item else f"conv:{conv.id}"


def split_of(key: str, eval_fraction: float, salt: str) -> str:
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return EVAL if position < eval_fraction else TRAIN
