"""Finding secrets in a string and replacing them: pure functions, no state.

`find_secrets` runs each detector whose prefilter passes, keeps candidates their validator
accepts, then resolves overlaps: higher priority first, then the longer span, then the earlier
one, then registration order (so the result is deterministic). Spans that overlap an existing
placeholder or an allowlisted string are dropped. Together with the Scrubber's re-scan of
unsettled output (see `find_secrets_resolved`) this makes scrubbing idempotent.
"""
from __future__ import annotations

import re
from typing import Iterable, Iterator, Sequence

from forge.scrub.detectors import Detector, Finding, select_detectors

PLACEHOLDER = re.compile(r"<SECRET:[a-z0-9_]+>")
PLACEHOLDER_PREFIX = "<SECRET:"


def placeholder(kind: str) -> str:
    return f"<SECRET:{kind}>"


def _wordish(ch: str) -> bool:
    return ch.isalnum() or ch in "_-."


def _glued(text: str, start: int, end: int) -> bool:
    """Whether the finding touches a word on either side (or a /home/ path after it), where
    its placeholder's '<' and '>' would make a boundary that was not there."""
    if start and _wordish(text[start - 1]) and not (start >= 2 and text[start - 2] == "\\"):
        return True  # (the n of a JSON \n escape is a boundary already)
    return end < len(text) and (_wordish(text[end]) or text.startswith(("/home/", "/Users/"), end))


def _secret_span(match: re.Match[str], group: int | str | tuple[str, ...]) -> tuple[int, int] | None:
    if isinstance(group, tuple):
        for name in group:
            if match.group(name) is not None:
                return match.span(name)
        return None
    return match.span(group) if match.group(group) is not None else None


def _prefilter_passes(det: Detector, text: str, lowered: str | None) -> bool:
    if not det.prefilter:
        return True
    haystack = lowered if det.prefilter_ignore_case else text
    return any(p in haystack for p in det.prefilter)  # type: ignore[operator]


def _matches(det: Detector, text: str) -> Iterator[re.Match[str]]:
    """The detector's matches: a plain scan, or windowed searches around each anchor hit."""
    if det.anchor is None:
        yield from det.pattern.finditer(text)
        return
    before, after = det.window
    search, n, pos = det.pattern.search, len(text), 0
    for hit in det.anchor.finditer(text):
        if hit.start() < pos:
            continue
        m = search(text, max(pos, hit.start() - before), min(n, hit.end() + after))
        if m is not None and m.start() <= hit.start():  # a later match belongs to a later hit
            yield m
            pos = m.end()


def _candidates(text: str, dets: Sequence[Detector]) -> list[tuple[int, int, int, int, Detector]]:
    """(−priority, −length, start, order, detector) per validated candidate; sorts best first."""
    lowered = text.lower() if any(d.prefilter_ignore_case for d in dets) else None
    out = []
    for order, det in enumerate(dets):
        if not _prefilter_passes(det, text, lowered):
            continue
        for m in _matches(det, text):
            span = _secret_span(m, det.group)
            if span is None or span[0] == span[1]:
                continue
            start, end = span
            if det.validator is not None and not det.validator(text[start:end]):
                continue
            out.append((-det.priority, start - end, start, order, det))
    return out


def _protected_spans(text: str, allowlist: Iterable[str]) -> list[tuple[int, int]]:
    """Existing placeholders and allowlisted strings: no finding may touch them."""
    spans = []
    if PLACEHOLDER_PREFIX in text:
        spans.extend(m.span() for m in PLACEHOLDER.finditer(text))
    for allowed in allowlist:
        if allowed and allowed in text:
            spans.extend(m.span() for m in re.finditer(re.escape(allowed), text))
    return spans


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in spans)


def find_secrets(text: str, detectors: Sequence[Detector] | None = None,
                 allowlist: Iterable[str] = ()) -> list[Finding]:
    """Non-overlapping findings in text order. `detectors` defaults to every registered one."""
    return find_secrets_resolved(text, detectors, allowlist)[0]


def find_secrets_resolved(text: str, detectors: Sequence[Detector] | None = None,
                          allowlist: Iterable[str] = ()) -> tuple[list[Finding], bool]:
    """Findings, and whether they may be unsettled: a candidate lost to an overlapping one, or a
    finding touches a word. Then more may show once they are replaced, so the Scrubber scans its
    output again."""
    if not text:
        return [], False
    dets = select_detectors() if detectors is None else detectors
    candidates = _candidates(text, dets)
    if not candidates:
        return [], False
    protected = _protected_spans(text, allowlist)
    chosen: list[tuple[int, int]] = []
    findings: list[Finding] = []
    conflicts = False
    for _, neg_len, start, _, det in sorted(candidates, key=lambda c: c[:4]):
        end = start - neg_len
        if _overlaps(start, end, protected):
            continue
        if _overlaps(start, end, chosen):
            # a loser inside one winner vanishes with it; one that sticks out may leave a secret
            conflicts = conflicts or not any(s <= start and end <= e for s, e in chosen)
            continue
        chosen.append((start, end))
        findings.append(Finding(det.kind, start, end, det.name))
        # glued to its neighbours (AKIA...EXAMPLEcurl, TOKEN/Users/bob): the placeholder's '<' and
        # '>' make boundaries that were not there, so another scan may find more
        if _glued(text, start, end):
            conflicts = True
    findings.sort(key=lambda f: f.start)
    return findings, conflicts


def redact(text: str, findings: Sequence[Finding]) -> str:
    """Replace each finding (non-overlapping, in text order) with its typed placeholder."""
    if not findings:
        return text
    parts, pos = [], 0
    for f in findings:
        parts.append(text[pos:f.start])
        parts.append(placeholder(f.kind))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
