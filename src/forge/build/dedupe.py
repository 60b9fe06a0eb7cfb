"""Exact and near-duplicate removal: keep the first session, count the rest.

Near duplicates are found with MinHash signatures of word shingles and locality-sensitive
hashing (bands of signature rows): only sessions that share a band are compared, and a pair
counts as a duplicate when its estimated Jaccard similarity reaches the threshold.

Sessions are only compared with others of the same outcome: a failed attempt that differs
from a successful one by a single `--force` is the most useful DPO pair there is, not a
duplicate.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forge.build.canonical import content_words, exact_key
from forge.records import Conversation

_SHINGLE_CHUNK = 4096  # shingles hashed per numpy block: bounds memory on very long sessions


def shingles(words: list[str], k: int) -> set[str]:
    if not words:
        return set()
    if len(words) <= k:
        return {" ".join(words)}
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


class MinHasher:
    """MinHash: multiply-add-shift hashes of CRC32 shingle hashes (deterministic across runs)."""

    def __init__(self, permutations: int = 128, seed: int = 1):
        rng = np.random.default_rng(seed)
        self.a = rng.integers(1, 2**63, size=permutations, dtype=np.uint64) | np.uint64(1)
        self.b = rng.integers(0, 2**63, size=permutations, dtype=np.uint64)
        self.permutations = permutations

    def signature(self, shingle_set: set[str]) -> np.ndarray:
        sig = np.full(self.permutations, np.iinfo(np.uint64).max, dtype=np.uint64)
        items = sorted(shingle_set)
        for start in range(0, len(items), _SHINGLE_CHUNK):
            chunk = items[start : start + _SHINGLE_CHUNK]
            block = np.fromiter((zlib.crc32(s.encode()) for s in chunk), dtype=np.uint64)
            # uint64 arithmetic wraps mod 2**64, which is what multiply-add-shift hashing wants
            hashed = (np.outer(block, self.a) + self.b) >> np.uint64(32)
            np.minimum(sig, hashed.min(axis=0), out=sig)
        return sig

    def signature_of_hashes(self, shingle_hashes: np.ndarray) -> np.ndarray:
        """The signature of a set of 64-bit shingle hashes (see ShingleHasher)."""
        sig = np.full(self.permutations, np.iinfo(np.uint64).max, dtype=np.uint64)
        for start in range(0, len(shingle_hashes), _SHINGLE_CHUNK):
            block = shingle_hashes[start : start + _SHINGLE_CHUNK]
            hashed = (np.outer(block, self.a) + self.b) >> np.uint64(32)
            np.minimum(sig, hashed.min(axis=0), out=sig)
        return sig


class ShingleHasher:
    """The set of k-word shingles of a word list as 64-bit hashes, computed with numpy: each word
    is CRC32-hashed once per build (a vocabulary cache), and a shingle's hash is a polynomial over
    its words' hashes. Same words in, same hashes out, in any process."""

    MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)

    def __init__(self, k: int):
        self.k = k
        self.vocab: dict[str, int] = {}

    def __call__(self, words: list[str]) -> np.ndarray:
        if not words:
            return np.empty(0, dtype=np.uint64)
        vocab = self.vocab
        for w in set(words).difference(vocab):
            vocab[w] = zlib.crc32(w.encode())
        h = np.fromiter(map(vocab.__getitem__, words), dtype=np.uint64, count=len(words))
        k = min(self.k, len(h))  # a session shorter than a shingle is one shingle
        n = len(h) - k + 1
        out = h[:n].copy()
        for j in range(1, k):  # uint64 arithmetic wraps mod 2**64, as a polynomial hash wants
            out = out * self.MULTIPLIER + h[j : j + n]
        return np.unique(out)


def similarity(sig_a: np.ndarray, sig_b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the fraction of equal signature rows."""
    return float(np.mean(sig_a == sig_b))


def lsh_rows_per_band(permutations: int, threshold: float) -> int:
    """The most rows per band (fewest candidates) whose LSH threshold sits well below ours,
    so near duplicates at the threshold are almost never missed."""
    best = 1
    for rows in range(1, permutations + 1):
        if permutations % rows:
            continue
        bands = permutations // rows
        if (1.0 / bands) ** (1.0 / rows) <= threshold - 0.1:
            best = rows
    return best


class NearDuplicateIndex:
    def __init__(self, threshold: float, permutations: int = 128):
        self.threshold = threshold
        self.rows = lsh_rows_per_band(permutations, threshold)
        self.buckets: dict[tuple[int, bytes], list[int]] = defaultdict(list)
        self.signatures: list[np.ndarray] = []
        self.ids: list[str] = []

    def _bands(self, sig: np.ndarray) -> Iterable[tuple[int, bytes]]:
        for i in range(0, len(sig), self.rows):
            yield i, sig[i : i + self.rows].tobytes()

    def find(self, sig: np.ndarray) -> str | None:
        """The id of an indexed session at least `threshold` similar to `sig`, if any."""
        seen: set[int] = set()
        for band in self._bands(sig):
            for idx in self.buckets.get(band, ()):
                if idx not in seen:
                    seen.add(idx)
                    if similarity(sig, self.signatures[idx]) >= self.threshold:
                        return self.ids[idx]
        return None

    def add(self, conv_id: str, sig: np.ndarray) -> None:
        idx = len(self.signatures)
        self.signatures.append(sig)
        self.ids.append(conv_id)
        for band in self._bands(sig):
            self.buckets[band].append(idx)


@dataclass
class DedupeResult:
    kept: list[Conversation]
    exact_duplicates: int = 0
    near_duplicates: int = 0
    duplicate_of: dict[str, str] = field(default_factory=dict)  # dropped id -> kept id


class Deduper:
    """The dedupe one session at a time: `keep(conv)` says whether it is the first of its kind.
    Holds only keys and signatures, never the sessions."""

    def __init__(
        self,
        near_threshold: float | None = 0.9,
        shingle_words: int = 5,
        permutations: int = 128,
        group: Callable[[Conversation], str] = lambda c: c.outcome,
    ):
        self.near_threshold, self.permutations, self.group = near_threshold, permutations, group
        self.hasher = MinHasher(permutations) if near_threshold is not None else None
        self.shingle_hashes = ShingleHasher(shingle_words)
        self.exact_seen: dict[tuple[str, str], str] = {}
        self.indices: dict[str, NearDuplicateIndex] = {}
        self.exact_duplicates = self.near_duplicates = 0
        self.duplicate_of: dict[str, str] = {}  # dropped id -> kept id

    def keep(self, conv: Conversation, fp: Any = None) -> bool:
        """fp: the session's precomputed Fingerprint (see fingerprint.py), or None to compute it."""
        g = self.group(conv)
        key = (g, fp.exact if fp is not None else exact_key(conv))
        if key in self.exact_seen:
            self.exact_duplicates += 1
            self.duplicate_of[conv.id] = self.exact_seen[key]
            return False
        if self.hasher is not None:
            if fp is not None:
                sig = fp.signature
            else:
                hashes = self.shingle_hashes(content_words(conv))
                sig = self.hasher.signature_of_hashes(hashes) if len(hashes) else None
            if sig is not None and self.near_threshold is not None:  # an empty session: compared exactly only
                index = self.indices.setdefault(g, NearDuplicateIndex(self.near_threshold, self.permutations))
                match = index.find(sig)
                if match is not None:
                    self.near_duplicates += 1
                    self.duplicate_of[conv.id] = match
                    return False
                index.add(conv.id, sig)
        self.exact_seen[key] = conv.id
        return True


def dedupe(
    conversations: Iterable[Conversation],
    *,
    near_threshold: float | None = 0.9,
    shingle_words: int = 5,
    permutations: int = 128,
    group: Callable[[Conversation], str] = lambda c: c.outcome,
    fingerprints: Iterator[Any] | None = None,
) -> DedupeResult:
    """Drop exact duplicates, then near duplicates (unless near_threshold is None), in order.
    `fingerprints`, when given, yields each conversation's precomputed Fingerprint (exact key
    and signature, see fingerprint.py) in the same order."""
    d = Deduper(near_threshold, shingle_words, permutations, group)
    kept = [conv for conv in conversations if d.keep(conv, next(fingerprints) if fingerprints is not None else None)]
    return DedupeResult(kept, d.exact_duplicates, d.near_duplicates, d.duplicate_of)
