"""Per-session fingerprints for the dedupe — exact key and MinHash signature — computed in a
process pool while the parent parses the same lines for the rest of the build.

A fingerprint depends only on the session and the build's shingle size and permutation count,
so the result is the same for any number of workers; `OrderedPool.map` keeps file order.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forge.build.canonical import content_words, exact_key, memoised_keys
from forge.build.dedupe import MinHasher, ShingleHasher
from forge.parallel import OrderedPool
from forge.records import Conversation

PARALLEL_MIN_LINES = 256  # below this a pool costs more than it saves
CHUNK_LINES = 64


@dataclass(frozen=True)
class Fingerprint:
    exact: str  # exact_key of the session
    signature: np.ndarray | None  # MinHash of its word shingles; None for a session without words


class Fingerprinter:
    def __init__(self, shingle_words: int, permutations: int):
        self.shingles = ShingleHasher(shingle_words)
        self.minhash = MinHasher(permutations)

    def __call__(self, conv: Conversation) -> Fingerprint:
        hashes = self.shingles(content_words(conv))
        return Fingerprint(exact_key(conv), self.minhash.signature_of_hashes(hashes) if len(hashes) else None)


_WORKER: Fingerprinter | None = None


def _init(shingle_words: int, permutations: int) -> None:
    global _WORKER
    _WORKER = Fingerprinter(shingle_words, permutations)


def _chunk(task: tuple[str, int, int]) -> list[Fingerprint | None]:
    """Fingerprints of the non-blank lines in bytes [start, end) of the file."""
    assert _WORKER is not None
    path, start, end = task
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    with memoised_keys():
        return [_one(line) for line in data.split(b"\n") if line.strip()]


def _one(line: bytes) -> Fingerprint | None:
    """None for a line that is not a conversation: the parent's strict reader reports it."""
    assert _WORKER is not None
    try:
        return _WORKER(Conversation.from_dict(json.loads(line)))
    except (ValueError, KeyError, TypeError):
        return None


def _ranges(path: Path, lines_per_chunk: int) -> tuple[list[tuple[str, int, int]], int]:
    """Byte ranges of about lines_per_chunk lines each, cut at line ends; and the line count."""
    ranges, pos, start, n, total = [], 0, 0, 0, 0
    with open(path, "rb") as f:
        for line in f:
            pos += len(line)
            if line.strip():
                n += 1
                total += 1
            if n == lines_per_chunk:
                ranges.append((str(path), start, pos))
                start, n = pos, 0
    if n:
        ranges.append((str(path), start, pos))
    return ranges, total


def worker_count(workers: int | None) -> int:
    return workers or os.cpu_count() or 1


def parallel_fingerprints(path: Path, shingle_words: int, permutations: int, workers: int | None) -> _Pooled | None:
    """Fingerprints of the conversations in a JSONL file, in order, from a pool; None when a pool
    is not worth starting (few lines or one worker): the dedupe then computes them itself."""
    n = worker_count(workers)
    if n <= 1:
        return None
    ranges, total = _ranges(path, CHUNK_LINES)
    if total < PARALLEL_MIN_LINES:
        return None
    return _Pooled(ranges, shingle_words, permutations, n)


class _Pooled:
    """Fingerprints from a pool that starts on them now, while the parent parses the lines."""

    def __init__(self, ranges: list[tuple[str, int, int]], shingle_words: int, permutations: int, n: int):
        self.pool = OrderedPool(n, _init, (shingle_words, permutations))
        self._it = (fp for chunk in self.pool.map(_chunk, ranges) for fp in chunk)

    def __iter__(self) -> _Pooled:
        return self

    def __next__(self) -> Fingerprint | None:
        return next(self._it)

    def close(self) -> None:
        self.pool.close()
