"""Long inputs: the engine scans many texts in pieces, and overlap resolution stays exact when a
text holds thousands of findings (a long session, a log full of tokens). Behaviour only; the
speed these buy is measured in benchmarks/scrub_independent.py."""

from __future__ import annotations

import random

from forge.scrub import Scrubber, detectors
from forge.scrub.detectors import Finding
from forge.scrub.engine import SCAN_PIECE, SEPARATOR, anchors_of, get_engine, pieces
from forge.scrub.find import _glued, _protected_spans, _resolve, find_secrets_many

TOKEN = "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
EMAIL = "alice.smith@corp-mail.example"


def test_pieces_cut_only_between_texts():
    rng = random.Random(3)
    for _ in range(500):
        # texts may hold the separator's bytes themselves: only the given starts are cuts
        texts = [b"".join(rng.choice([b"a", b"\n", SEPARATOR]) for _ in range(rng.randint(0, 20))) for _ in range(9)]
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + len(SEPARATOR)
        data, size = SEPARATOR.join(texts), rng.randint(1, 80)
        cut = pieces(data, starts, size)
        assert SEPARATOR.join(p for _, p in cut) == data
        assert all(data[off : off + len(p)] == p for off, p in cut)
        # each piece is a run of whole texts: it starts where a text starts, ends where one ends
        offsets = [off for off, _ in cut]
        assert offsets[0] == 0 and set(offsets) <= set(starts)
        lengths = dict(zip(starts, map(len, texts)))
        for off, p in cut:
            run = [s for s in starts if off <= s < off + len(p) + 1]
            assert len(p) == sum(lengths[s] for s in run) + len(SEPARATOR) * (len(run) - 1)
            assert len(p) <= size or len(run) == 1


def test_many_texts_in_pieces_find_what_each_text_alone_finds():
    assert get_engine(anchors_of(detectors().values())) is not None
    filler = '{"type":"assistant","uuid":"3a29aefb-5518-4614-9156-0488511034fd","text":"%s"}'
    texts = []
    for i in range(900):  # about 4 pieces of texts, secrets near every cut
        body = "nothing here " * (i % 9) + (f"token {TOKEN} mail {EMAIL}" if i % 3 == 0 else "plain")
        texts.append(filler % body)
    texts.append("x" * (SCAN_PIECE + 100) + " " + TOKEN)  # one text longer than a piece
    assert len(SEPARATOR.join(t.encode() for t in texts)) > 3 * SCAN_PIECE
    together = find_secrets_many(texts)
    assert together == [find_secrets_many([t])[0] for t in texts]
    assert sum(len(f) for f, _ in together) == 2 * 300 + 1


def _plain_resolve(text: str, candidates: list, allowlist: tuple) -> tuple[list[Finding], bool]:
    """The rule _resolve follows, read literally: each candidate in rank order stands unless it
    touches a protected span or a candidate that already stood."""
    protected = _protected_spans(text, allowlist)
    chosen: list[tuple[int, int]] = []
    findings, conflicts = [], False
    for _, neg_len, start, _, kind, name in sorted(candidates, key=lambda c: (c[0], c[1], c[2], c[3], c[5])):
        end = start - neg_len
        if any(start < e and s < end for s, e in protected):
            continue
        if any(start < e and s < end for s, e in chosen):
            conflicts = conflicts or not any(s <= start and end <= e for s, e in chosen)
            continue
        chosen.append((start, end))
        findings.append(Finding(kind, start, end, name))
        conflicts = conflicts or _glued(text, start, end)
    return sorted(findings, key=lambda f: f.start), conflicts


def test_resolve_agrees_with_the_plain_reading():
    rng = random.Random(11)
    for _ in range(2000):
        n = rng.randint(20, 300)
        text = "".join(rng.choice(["ab", " ", "<SECRET:x>", "\n", "_", "cd"]) for _ in range(n // 2))
        cands = []
        for _ in range(rng.randint(1, 40)):
            s = rng.randrange(len(text))
            e = rng.randint(s + 1, min(len(text), s + 30))
            cands.append((-rng.choice([30, 40, 60]), s - e, s, rng.randint(0, 5), "k", rng.choice("xyz")))
        allow = rng.choice([(), ("ab",), ("b c", "cd")])
        assert _resolve(text, cands, allow) == _plain_resolve(text, cands, allow)


def test_a_text_with_thousands_of_overlapping_findings():
    # each line's token is also inside a longer key=value finding: the slow path of overlap
    # resolution, 4,000 times in one text
    text = "".join(f"line {i} SERVICE_TOKEN={TOKEN} {EMAIL}\n" for i in range(4000))
    out = Scrubber().scrub_text(text)
    assert TOKEN not in out and EMAIL not in out
    assert out.count("<SECRET:") == 8000


def test_trying_each_start_finds_what_a_search_of_the_window_finds():
    """find._leftmost tries each start up to the hit where few can count: for every windowed
    detector, on random texts made of the pieces their rules read, it returns the search's match
    where that starts by the hit's end, and nothing where it starts later."""
    from forge.scrub.find import _leftmost

    pieces_ = ["password", "PASSWORD", "token", "secret", "key", "api_key", "=", ": ", " ", '"', "'", "\\n", "\n"]
    pieces_ += ['\\"', "-p ", "--password ", "@", "/home/", "Zq8vK3mW9pR2tY7uLx4N", "hunter2x", "AKIA", "ghp_", "x"]
    rng = random.Random(11)
    windowed = [d for d in detectors().values() if d.finder is None and d.anchor is not None]
    checked = 0
    for _ in range(60):
        text = "".join(rng.choice(pieces_) for _ in range(rng.randint(20, 120)))
        for det in windowed:
            for hit in det.anchor.finditer(text):  # type: ignore[union-attr]
                lo, latest = max(0, hit.start() - det.window[0]), hit.end()
                hi = min(len(text), hit.end() + rng.randint(0, det.window[1]))  # (cut short too)
                ref = det.pattern.search(text, lo, hi)
                want = ref.span() if ref is not None and ref.start() <= latest else None
                got = _leftmost(det.pattern, text, lo, latest, hi)  # (a later start: the caller's to drop)
                assert (got.span() if got is not None and got.start() <= latest else None) == want, (det.name, text)
                checked += 1
    assert checked > 1_000


def test_a_long_listing_and_a_contact_list_in_one_string_are_scrubbed_whole(tmp_path):
    """One tool result of thousands of lines (find under a home folder, a CSV of contacts), as
    `forge scrub` reads a session file: each path's user and each address goes, and the user's
    name on the next line too."""
    import json

    from forge.scrub.files import scrub_file

    listing = "\n".join(f"/home/alice/proj/src/m{i}/f{i}.py" for i in range(5_000))
    contacts = "\n".join(f"{i},Name{i},person{i}@mail{i % 9}.com" for i in range(5_000))
    lines = [{"type": "user", "message": {"content": text}} for text in (listing, contacts, "owner: alice")]
    src, out = tmp_path / "s.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    scrub_file(src, out, Scrubber())
    clean = [json.loads(line)["message"]["content"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert "alice" not in "".join(clean) and clean[0].count("/home/<SECRET:user>/") == 5_000
    assert "@mail" not in clean[1] and clean[1].count("<SECRET:email>") == 5_000
