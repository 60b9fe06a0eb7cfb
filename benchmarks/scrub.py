"""Scrubber benchmark: recall, precision and throughput, against detect-secrets on the same input.

    .venv/bin/python benchmarks/scrub.py            # ~5 MB seeded corpus; needs detect-secrets
    .venv/bin/python benchmarks/scrub.py --show 20  # also print missed secrets and false positives

The corpus (benchmarks/scrub_cases.py) is seeded, labelled and generated, never copied: secrets in
the shapes secret scanners' rule tests use, hard negatives that look like them, embedded in shell
sessions, .env, YAML, JSON, code, logs, prose and JSON-escaped tool output.

Scoring (Forge): a labelled secret counts as caught when findings cover all of its characters;
a finding is a true positive when it overlaps a labelled secret, otherwise a false positive
(charged to the hard negative it hit, or to the surrounding context).

Timing, single process, same documents for both:
- Forge: `Scrubber().scrub_text(doc)` for every document — find *and* replace — median of 5 passes.
- detect-secrets: the per-line scan that `detect-secrets scan` runs on each file
  (`core.scan._process_line_based_plugins`, default plugins and filters, under `default_settings()`),
  fed each document's lines from memory: no file I/O, and none of the INI/YAML re-parsing that
  `scan_file` adds, so this is the fastest honest path through it. One pass (it takes long enough to
  be stable). Not `scan_line`: it clears its filter cache on every call and runs an eager search,
  which made it about twice as slow again. Its secrets are matched to labels by line and value.
The last line printed is `ratio=<forge MB/s / detect-secrets MB/s>`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scrub_cases import PII_KINDS, Document, Span, build_corpus

from forge.scrub import Scrubber, find_secrets

DETECT_SECRETS_PIN = "detect-secrets==1.5.0"


@dataclass
class Score:
    caught: Counter = field(default_factory=Counter)  # label kind -> secrets caught
    total: Counter = field(default_factory=Counter)  # label kind -> secrets
    tp: Counter = field(default_factory=Counter)  # finding kind -> findings on a secret
    found: Counter = field(default_factory=Counter)  # finding kind -> findings
    fp_on: Counter = field(default_factory=Counter)  # what a false positive hit
    misses: list = field(default_factory=list)  # (doc index, span)
    false_positives: list = field(default_factory=list)  # (doc index, start, end, kind)

    def recall(self, kinds=None) -> float:
        keys = [k for k in self.total if kinds is None or k in kinds]
        total = sum(self.total[k] for k in keys)
        return sum(self.caught[k] for k in keys) / total if total else 1.0

    def precision(self) -> float:
        n = sum(self.found.values())
        return sum(self.tp.values()) / n if n else 1.0


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def score_forge(docs: list[Document], findings: list[list]) -> Score:
    sc = Score()
    for i, (doc, found) in enumerate(zip(docs, findings)):
        positives = [s for s in doc.spans if s.positive]
        for s in positives:
            sc.total[s.kind] += 1
            covered = sum(_overlap(s.start, s.end, f.start, f.end) for f in found)
            if covered >= s.end - s.start:
                sc.caught[s.kind] += 1
            else:
                sc.misses.append((i, s))
        for f in found:
            sc.found[f.kind] += 1
            if any(_overlap(s.start, s.end, f.start, f.end) for s in positives):
                sc.tp[f.kind] += 1
                continue
            hit = [s.kind for s in doc.spans if not s.positive and _overlap(s.start, s.end, f.start, f.end)]
            sc.fp_on["negative:" + hit[0] if hit else "context"] += 1
            sc.false_positives.append((i, f.start, f.end, f.kind))
    return sc


def score_detect_secrets(docs: list[Document], found: list[list[tuple[int, str, str]]]) -> Score:
    """detect-secrets reports (line, value, type), not spans: a label is caught by a secret on one
    of its lines whose value contains it or lies inside it."""
    sc = Score()
    for i, (doc, secrets) in enumerate(zip(docs, found)):
        positives = [s for s in doc.spans if s.positive]

        def lines_of(s: Span, doc: Document = doc) -> range:
            return range(doc.text.count("\n", 0, s.start) + 1, doc.text.count("\n", 0, s.end) + 2)

        def matches(s: Span, line: int, value: str, doc: Document = doc) -> bool:
            label = doc.text[s.start : s.end]
            return line in lines_of(s) and bool(value) and (value in label or label in value)

        for s in positives:
            sc.total[s.kind] += 1
            if any(matches(s, line, value) for line, value, _ in secrets):
                sc.caught[s.kind] += 1
            else:
                sc.misses.append((i, s))
        for line, value, kind in secrets:
            sc.found[kind] += 1
            if any(matches(s, line, value) for s in positives):
                sc.tp[kind] += 1
            else:
                hit = [s.kind for s in doc.spans if not s.positive and matches(s, line, value)]
                sc.fp_on["negative:" + hit[0] if hit else "context"] += 1
    return sc


def time_forge(docs: list[Document], passes: int = 5) -> tuple[float, list[str]]:
    texts = [d.text for d in docs]
    Scrubber().scrub_text(texts[0])  # warm-up: registers detectors, loads the rule engine
    times, outputs = [], []
    for _ in range(passes):
        scrubber = Scrubber()  # fresh each pass: no memo carried over from the last one
        t0 = time.perf_counter()
        outputs = [scrubber.scrub_text(t) for t in texts]
        times.append(time.perf_counter() - t0)
    return statistics.median(times), outputs


def require_detect_secrets() -> None:
    try:
        import detect_secrets.core.scan  # noqa: F401
    except ImportError:
        sys.exit(
            f"benchmarks/scrub.py compares against detect-secrets, which is not installed.\n"
            f"Install it with:  .venv/bin/pip install '{DETECT_SECRETS_PIN}'   (or: make bench)"
        )


def time_detect_secrets(docs: list[Document]) -> tuple[float, list[list[tuple[int, str, str]]], str]:
    from importlib.metadata import version

    from detect_secrets.core.scan import _process_line_based_plugins
    from detect_secrets.settings import default_settings

    ds_version = version("detect-secrets")
    results = []
    with default_settings():
        for doc in docs[:20]:  # warm-up: plugin and filter discovery happens on first use
            list(_process_line_based_plugins(list(enumerate(doc.text.split("\n"), 1)), "transcript.txt"))
        t0 = time.perf_counter()
        for doc in docs:
            secrets = _process_line_based_plugins(list(enumerate(doc.text.split("\n"), 1)), "transcript.txt")
            results.append([(s.line_number, s.secret_value or "", s.type) for s in secrets])
        elapsed = time.perf_counter() - t0
    return elapsed, results, ds_version


def _context(doc: Document, start: int, end: int, width: int = 40) -> str:
    return repr(
        doc.text[max(0, start - width) : start] + "[[" + doc.text[start:end] + "]]" + doc.text[end : end + width]
    )


def print_forge(sc: Score, docs: list[Document], show: int) -> None:
    print(f"forge recall    {sc.recall():.4f}  ({sum(sc.caught.values())}/{sum(sc.total.values())} secrets)")
    print(f"forge precision {sc.precision():.4f}  ({sum(sc.tp.values())}/{sum(sc.found.values())} findings)")
    print("  recall by labelled kind:")
    for kind in sorted(sc.total):
        print(f"    {kind:<16} {sc.caught[kind] / sc.total[kind]:.4f}  ({sc.caught[kind]}/{sc.total[kind]})")
    print("  precision by placeholder kind:")
    for kind in sorted(sc.found):
        print(f"    {kind:<16} {sc.tp[kind] / sc.found[kind]:.4f}  ({sc.tp[kind]}/{sc.found[kind]})")
    if sc.fp_on:
        print("  false positives hit: " + ", ".join(f"{k} {n}" for k, n in sc.fp_on.most_common()))
    for i, s in sc.misses[:show]:
        print(f"  MISSED {s.kind}: {_context(docs[i], s.start, s.end)}")
    for i, start, end, kind in sc.false_positives[:show]:
        print(f"  FALSE  {kind}: {_context(docs[i], start, end)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--mb", type=float, default=5.0, help="corpus size in MB (default 5)")
    ap.add_argument("--show", type=int, default=0, help="print up to N missed secrets and false positives")
    args = ap.parse_args(argv)
    require_detect_secrets()  # fail before the long part, not after it

    docs = build_corpus(seed=args.seed, min_bytes=int(args.mb * 1_000_000))
    mb = sum(len(d.text.encode()) for d in docs) / 1e6
    n_pos = sum(s.positive for d in docs for s in d.spans)
    n_neg = sum(not s.positive for d in docs for s in d.spans)
    print(
        f"corpus: {mb:.2f} MB, {len(docs)} documents, {n_pos} labelled secrets, {n_neg} hard negatives "
        f"(seed {args.seed})"
    )

    forge_s, outputs = time_forge(docs)
    forge_score = score_forge(docs, [find_secrets(d.text) for d in docs])
    leaks = sum(
        1
        for d, out in zip(docs, outputs)
        for s in d.spans
        if s.positive and s.end - s.start >= 8 and d.text[s.start : s.end] in out
    )
    print_forge(forge_score, docs, args.show)
    forge_mbs = mb / forge_s
    print(
        f"forge scrub_text: {forge_mbs:.2f} MB/s ({forge_s:.2f} s, median of 5); "
        f"labelled secrets still in the scrubbed output: {leaks}"
    )

    ds_s, ds_found, ds_version = time_detect_secrets(docs)
    ds = score_detect_secrets(docs, ds_found)
    ds_mbs = mb / ds_s
    secret_kinds = {k for k in ds.total if k not in PII_KINDS}
    print(
        f"detect-secrets {ds_version}: {ds_mbs:.3f} MB/s ({ds_s:.2f} s); for information: recall "
        f"{ds.recall():.4f} (credentials only, no e-mail/IP/user: {ds.recall(secret_kinds):.4f}), "
        f"precision {ds.precision():.4f} ({sum(ds.tp.values())}/{sum(ds.found.values())})"
    )
    print(f"ratio={forge_mbs / ds_mbs:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
