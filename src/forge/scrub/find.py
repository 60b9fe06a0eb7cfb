"""Finding secrets in strings and replacing them: pure functions over the detectors and the engine.

`find_secrets_many` scans many strings at once: they are joined into one buffer for the rule engine
(which scans it in pieces of whole strings, see engine.py), whose provider findings become
candidates, and whose anchor hits tell each of Forge's own detectors where to try its regex. Without
the engine, each detector finds its anchors itself. Candidates then go through the detectors'
validators and overlaps are resolved: higher priority first, then the longer span, then the earlier
one, then detector order (so the result is deterministic). Spans that overlap an existing
placeholder or an allowlisted string are dropped. Together with the Scrubber's re-scan of unsettled
output (see `find_secrets_resolved`) this makes scrubbing idempotent. A text holding terminal
colour codes, or a line a terminal cut at its width, is also scanned as a terminal shows it
(terminal.py): a token they split is whole there.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container, Iterable, Iterator, Sequence

from forge.scrub import engine as eng
from forge.scrub import terminal
from forge.scrub.detectors import Detector, Finding, select_detectors
from forge.scrub.validators import is_reference_or_mask, jwt_header, placeholder_credential_uri

PLACEHOLDER = re.compile(r"<SECRET:[a-z0-9_]+>")
PLACEHOLDER_PREFIX = "<SECRET:"
ENGINE_DETECTOR_PREFIX = eng.ENGINE_NAME + ":"

Candidate = tuple[int, int, int, int, str, str]  # (-priority, -length, start, order, kind, detector)


def _engine_jwt(span: str) -> bool:
    """A JWT's header decodes to JSON naming its algorithm: text that only starts like one
    (eyJhbasdGci...) is no token. The header is read from its 'eyJ' on, whatever a rule's match
    holds before it; a match without one is kept."""
    at = span.find("eyJ")
    return at < 0 or jwt_header(span[at:])


# Kinds whose format can be checked, whichever engine rule matched them
_ENGINE_FORMAT_CHECKS = {"jwt": _engine_jwt}
# Kinds whose tokens start with a fixed prefix at a word's start (ghp_, ghu_ ...): the catalogue's
# rules do not look before the prefix
_PREFIX_AT_WORD_START = frozenset({"github_token"})


def _inside_word(text: str, start: int) -> bool:
    """Whether text[start] continues an ASCII word (a JSON-escaped line break's n is no word; the
    tests glue a token to a non-ASCII letter to check offsets)."""
    before = text[start - 1] if start > 0 else ""
    if not (before.isascii() and before.isalnum()) or (start >= 2 and text[start - 2] == "\\"):
        return False
    return not (start >= 6 and text[start - 6 : start - 4] == "\\u")  # (nor is an escaped letter's \u00e9)


_BASE64_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_BASE64_AROUND = 200  # characters of one base64 run around a match: no token's text, a blob's


def _inside_base64(text: str, start: int, end: int) -> bool:
    """Whether a match lies inside a long base64 run (an image or a file in a transcript line):
    a rule's word boundary holds at each '+' and '/' of it, so a provider's prefix turns up in
    random data (BSA... about once in 13 MB), where a placeholder would break the blob. A token
    in text stands apart; one in a URL's path has at most a few dozen such characters around it."""
    if not (start and text[start - 1] in _BASE64_CHARS) and not (end < len(text) and text[end] in _BASE64_CHARS):
        return False
    lo, hi = start, end
    while lo > 0 and start - lo < _BASE64_AROUND and text[lo - 1] in _BASE64_CHARS:
        lo -= 1
    while hi < len(text) and (start - lo) + (hi - end) < _BASE64_AROUND and text[hi] in _BASE64_CHARS:
        hi += 1
    return (start - lo) + (hi - end) >= _BASE64_AROUND


def placeholder(kind: str) -> str:
    return f"<SECRET:{kind}>"


def _glued(text: str, start: int, end: int) -> bool:
    """Whether the finding touches a word on either side (or a /home/ path after it), where
    its placeholder's '<' and '>' would make a boundary that was not there."""
    # a word character: alphanumeric or _-. (inline: this runs for every finding)
    if start:
        ch = text[start - 1]
        if (ch.isalnum() or ch in "_-.") and not (start >= 2 and text[start - 2] == "\\"):
            return True  # (the n of a JSON \n escape is a boundary already)
    if end < len(text):
        ch = text[end]
        # ('$': a password hash starts with one, and counts only when no word char is before it)
        return ch.isalnum() or ch in "_-.$" or text.startswith(("/home/", "/Users/"), end)
    return False


def _secret_span(match: re.Match[str], group: int | str | tuple[str, ...]) -> tuple[int, int] | None:
    if isinstance(group, tuple):
        for name in group:
            if match.group(name) is not None:
                return match.span(name)
        return None
    return match.span(group) if match.group(group) is not None else None


class _Lowered:
    """A text lower-cased once, however many detectors' prefilters ask for it (a rule file can
    hold hundreds of rules, each with case-insensitive keywords)."""

    __slots__ = ("_low", "text")

    def __init__(self, text: str):
        self.text = text
        self._low: str | None = None

    def lower(self) -> str:
        if self._low is None:
            self._low = self.text.lower()
        return self._low


def _prefilter_passes(det: Detector, text: str, lowered: _Lowered | None = None) -> bool:
    if not det.prefilter:
        return True
    if det.prefilter_ignore_case:
        haystack = lowered.lower() if lowered is not None else text.lower()
    else:
        haystack = text
    return any(p in haystack for p in det.prefilter)


_TRY_EACH = 24  # start positions up to which trying each is cheaper than a search of the window


def _leftmost(pattern: re.Pattern[str], text: str, lo: int, latest: int, hi: int) -> re.Match[str] | None:
    """The leftmost match in text[lo:hi], or None, where only one that starts by `latest` counts:
    a search would try every start up to hi (a window of 2,000 characters after a key, at each
    key of a long JSON document), so when few starts count each is tried instead."""
    if latest - lo >= _TRY_EACH:
        return pattern.search(text, lo, hi)
    match = pattern.match
    for at in range(lo, min(latest, hi - 1) + 1):
        m = match(text, at, hi)
        if m is not None:
            return m
    return None


def _windowed(det: Detector, text: str, hits: Iterable[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """The detector's matches near its anchor hits (sorted). A match that reaches its window's
    end may go on past it: the window grows until the match ends inside it."""
    before, after = det.window
    n, pos = len(text), 0
    for hs, he in hits:
        if hs < pos:
            continue
        while True:
            lo, hi = max(pos, hs - before), min(n, he + after)
            m = _leftmost(det.pattern, text, lo, he, hi)
            while m is not None and m.end() >= hi < n:
                hi = min(n, hi + 2 * max(after, 1024))
                m = _leftmost(det.pattern, text, lo, he, hi)
            if m is None or m.start() > he:
                break  # a later match belongs to a later hit
            yield m
            pos = max(m.end(), lo + 1)
            if pos > hs:
                break


def _detector_spans(
    det: Detector, text: str, hits: list[tuple[int, int]] | None, lowered: _Lowered | None = None
) -> Iterator[tuple[int, int]]:
    """Candidate secret spans of one detector. hits: its anchor hits from the engine, or None
    when the engine did not run this detector's anchor (then Python finds them)."""
    if det.finder is not None:
        if _prefilter_passes(det, text, lowered):
            yield from det.finder(text, hits) if det.finder_takes_hits else det.finder(text)  # type: ignore[call-arg]
        return
    if det.anchor is None:
        if _prefilter_passes(det, text, lowered):
            for m in det.pattern.finditer(text):
                span = _secret_span(m, det.group)
                if span is not None:
                    yield span
        return
    if hits is None:
        if not _prefilter_passes(det, text, lowered):
            return
        hits = [m.span() for m in det.anchor.finditer(text)]
    if not hits:
        return
    for m in _windowed(det, text, hits):
        span = _secret_span(m, det.group)
        if span is not None:
            yield span


# (detector order, detector, its anchor hits from the engine, or None: Python finds them)
_Todo = tuple[int, Detector, list[tuple[int, int]] | None]


class _Plan:
    """The detectors, split by where their anchors are found (built once per detector set)."""

    def __init__(self, dets: Sequence[Detector]):
        self.all = [(order, d) for order, d in enumerate(dets) if d.name != eng.ENGINE_NAME]
        # with the engine: detectors whose anchors it runs (looked up by its hits) and the rest
        self.by_anchor = {d.name: (order, d) for order, d in self.all if d.anchor is not None and d.engine_anchor}
        self.python = [(order, d) for order, d in self.all if d.name not in self.by_anchor]
        self.all_todo: list[_Todo] = [(order, d, None) for order, d in self.all]
        self.python_todo: list[_Todo] = [(order, d, None) for order, d in self.python]


def _forge_candidates(
    text: str, plan: _Plan, anchor_hits: dict[str, list[tuple[int, int]]] | None, out: list[Candidate]
) -> None:
    todo: list[_Todo]
    if anchor_hits is None:
        todo = plan.all_todo
    elif not anchor_hits:  # most texts: no anchor hit, only the detectors Python runs itself
        todo = plan.python_todo
    else:
        todo = list(plan.python_todo)
        for name, hit_spans in anchor_hits.items():
            entry = plan.by_anchor.get(name)
            if entry is not None:
                todo.append((entry[0], entry[1], hit_spans))
    lowered = _Lowered(text)
    for order, det, hits in todo:
        found: Iterable[tuple[int, int]]
        if det.finder is not None:  # (inline: a finder runs on nearly every text of a transcript)
            if det.prefilter and not _prefilter_passes(det, text, lowered):
                continue
            found = det.finder(text, hits) if det.finder_takes_hits else det.finder(text)  # type: ignore[call-arg]
        else:
            found = _detector_spans(det, text, hits, lowered)
        validator, context_check = det.validator, det.context_check
        for start, end in found:
            if start == end:
                continue
            if validator is not None and not validator(text[start:end]):
                continue
            if context_check is not None and not context_check(text, start, end):
                continue
            out.append((-det.priority, start - end, start, order, det.kind, det.name))


def _protected_spans(text: str, allowlist: Iterable[str]) -> list[tuple[int, int]]:
    """Existing placeholders and allowlisted strings: no finding may touch them."""
    spans: list[tuple[int, int]] = []
    if PLACEHOLDER_PREFIX in text:
        spans.extend(m.span() for m in PLACEHOLDER.finditer(text))
    for allowed in allowlist:
        if allowed and allowed in text:
            spans.extend(m.span() for m in re.finditer(re.escape(allowed), text))
    return spans


class _Spans:
    """Disjoint spans kept in order, so that checking a candidate against thousands of them (a
    long text full of findings, or of placeholders when it is scanned again) costs a bisection,
    not a pass over all of them."""

    def __init__(self, spans: Iterable[tuple[int, int]] = ()):
        self.starts: list[int] = []
        self.ends: list[int] = []
        for s, e in sorted(spans):  # merged: protected spans may overlap one another
            if self.ends and s < self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], e)
            else:
                self.starts.append(s)
                self.ends.append(e)

    def overlapping(self, start: int, end: int) -> list[tuple[int, int]]:
        """The spans that overlap [start, end), in order."""
        i = bisect.bisect_right(self.starts, start) - 1  # the last span starting at or before start
        if i < 0 or self.ends[i] <= start:
            i += 1
        out = []
        while i < len(self.starts) and self.starts[i] < end:
            out.append((self.starts[i], self.ends[i]))
            i += 1
        return out

    def add(self, start: int, end: int) -> None:
        """Add a span that overlaps none of them."""
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _resolve(text: str, candidates: list[Candidate], allowlist: Iterable[str]) -> tuple[list[Finding], bool]:
    if not candidates:
        return [], False
    protected = _protected_spans(text, allowlist) if (allowlist or PLACEHOLDER_PREFIX in text) else []
    if not protected:
        fast = _disjoint(text, candidates)
        if fast is not None:
            return fast
    guarded = _Spans(protected)
    chosen = _Spans()
    findings: list[Finding] = []
    conflicts = False
    # ties (two engine rules on one span) go to the first rule id: the same answer every run
    for _, neg_len, start, _, kind, name in sorted(candidates, key=lambda c: (c[0], c[1], c[2], c[3], c[5])):
        end = start - neg_len
        if guarded.overlapping(start, end):
            continue
        winners = chosen.overlapping(start, end)
        if winners:
            # a loser inside one winner vanishes with it; one that sticks out may leave a secret
            conflicts = conflicts or not any(s <= start and end <= e for s, e in winners)
            continue
        chosen.add(start, end)
        findings.append(Finding(kind, start, end, name))
        # glued to its neighbours (AKIA...EXAMPLEcurl, TOKEN/Users/bob): the placeholder's '<' and
        # '>' make boundaries that were not there, so another scan may find more
        if _glued(text, start, end):
            conflicts = True
    findings.sort(key=lambda f: f.start)
    return findings, conflicts


def _disjoint(text: str, candidates: list[Candidate]) -> tuple[list[Finding], bool] | None:
    """The common case, in one sorted pass: no two candidates overlap, so all of them stand."""
    if len(candidates) == 1:  # (most texts with a finding: a home path's user name)
        _, neg_len, start, _, kind, name = candidates[0]
        return [Finding(kind, start, start - neg_len, name)], _glued(text, start, start - neg_len)
    by_start = sorted(candidates, key=lambda c: (c[2], c[5]))
    end = -1
    for c in by_start:
        if c[2] < end:
            return None
        end = c[2] - c[1]
    findings = [Finding(c[4], c[2], c[2] - c[1], c[5]) for c in by_start]
    return findings, any(_glued(text, f.start, f.end) for f in findings)


# --- the engine's view: many strings in one buffer -------------------------------------------


def _char_offsets(text: str, data: bytes, offsets: list[int]) -> dict[int, int]:
    """Byte offsets into data (text encoded) -> character offsets into text, for sorted offsets.
    An offset inside a multi-byte character moves to that character's start."""
    out: dict[int, int] = {}
    prev_b = prev_c = 0
    for off in sorted(set(offsets)):
        b = min(off, len(data))
        while 0 < b < len(data) and data[b] & 0xC0 == 0x80:
            b -= 1
        prev_c += len(data[prev_b:b].decode("utf-8", "surrogatepass"))
        prev_b = b
        out[off] = prev_c
    return out


# A line gutter's arrow or edge as a JSON writer escapes what is not ASCII (Claude Code's Read,
# `     3\u2192ghp_...`): the escape's last digit would glue to the token after it, and the
# engine's rules want a word boundary there. It reads as spaces of its length (offsets stay).
# (Replaced in the joined buffer, by one regex pass: on JSON text, thick with backslashes, a
# bytes search or replace per mark costs two to three times as much, measured.)
_ESCAPED_MARKS = re.compile(rb"\\u2(?:192|502)")


# A tab in a transcript line's JSON text is the escape \t: it reads as a tab and a blank (the
# same length: offsets stay), so `api_key\t= "..."` (Go's and a Makefile's tabs, a TSV's columns)
# is read as the text it stands for. An escaped backslash before a t (code's own "\t") is left.
# Only JSON text is read so: in a string, \t may be a Windows path's (C:\Users\trent).
_ESCAPED_TAB = re.compile(r"(?<!\\)((?:\\\\)*)\\t")


def tabs_as_blanks(text: str) -> str:
    """The text with each JSON tab escape read as a tab and a blank (see _ESCAPED_TAB)."""
    if "\\t" not in text:
        return text
    if "\\\\" not in text:  # no escaped backslash: every \t is a tab (a replace is fast)
        return text.replace("\\t", "\t ")
    return _ESCAPED_TAB.sub(lambda m: m.group(1) + "\t ", text)


# A line break in JSON text (a transcript line) is the escape \n: the catalogue's rules want a
# boundary before a token at a line's start (a key pasted alone on a line), and the escape's n
# glues to it. The engine reads it as a blank and a line break (offsets stay); an escaped
# backslash before an n (C:\\Users\\nick) is left. Only JSON text: in a string, \n may be a path's.
def json_breaks_as_breaks(data: bytes) -> bytes:
    """A JSON text's \n and \r escapes as a blank and a line break, for the engine."""
    if data[:1] not in (b"{", b"[") or b"\\" not in data:
        return data
    if b"\\\\" not in data:  # no escaped backslash: every \n and \r is a break (a replace is fast)
        return _breaks(data)
    # (between escaped backslashes, split off left to right as JSON reads them, the same holds)
    return b"\\\\".join(_breaks(part) for part in data.split(b"\\\\"))


def _breaks(data: bytes) -> bytes:
    data = data.replace(b"\\n", b" \n")
    return data.replace(b"\\r", b" \n") if b"\\r" in data else data


# A quote escaped in the text a JSON string holds (a shell's "{\"password\":\"...\"}", code's
# "key=\"...\"") is \\\" in the JSON text: such a text is also read with each as the quote the
# rules know there (\"), in a view whose findings map back to the text.
_TWICE_ESCAPED_QUOTE = re.compile(r'(?<!\\)\\\\\\"')


def _quotes_view(text: str) -> terminal.View | None:
    """The JSON text with each quote escaped twice (\\\") read as one escaped once (\")."""
    edits = [(m.start(), m.end(), '\\"') for m in _TWICE_ESCAPED_QUOTE.finditer(text)]
    return terminal.View(text, edits) if edits else None


def rule_view(buffer: bytes) -> bytes:
    """The joined texts as the rule engine reads them, as long as the buffer (offsets stay): a
    line gutter's escaped mark as spaces (above), and an escaped quote (\\") as ' "'. The
    catalogue's rules were written for source text, where a quote or a blank stands next to a
    value ([\\s'"] around postmark: "<token>"), and a transcript line escapes every quote of
    the text it holds; our anchors take the blank where they allow a backslash
    (engine.view_pattern)."""
    return _ESCAPED_MARKS.sub(b"      ", buffer).replace(b'\\"', b' "')


def _engine_candidates(
    texts: Sequence[str], engine: eng.Engine, dets: Sequence[Detector]
) -> tuple[list[list[Candidate]], list[dict[str, list[tuple[int, int]]]]]:
    """One engine pass over all texts: provider candidates and anchor hits, per text, in chars."""
    encoded = [t.encode("utf-8", "surrogatepass") for t in texts]
    starts, pos = [], 0
    for data in encoded:
        starts.append(pos)
        pos += len(data) + len(eng.SEPARATOR)
    viewed = eng.SEPARATOR.join([json_breaks_as_breaks(data) for data in encoded])
    found, anchors = engine.scan(rule_view(viewed), starts)
    order = len(dets)  # engine candidates rank after Forge's detectors of equal priority
    raw: list[list[tuple[str, int, int]]] = [[] for _ in texts]  # (rule or anchor, byte start, end)
    for hit in found:
        _place(raw, starts, encoded, "\x00" + hit.rule_id, hit.start, hit.end)
    for name, spans in anchors.items():
        for s, e in spans:
            _place(raw, starts, encoded, name, s, e)
    cands: list[list[Candidate]] = [[] for _ in texts]
    hits: list[dict[str, list[tuple[int, int]]]] = [{} for _ in texts]
    for i, items in enumerate(raw):
        if not items:
            continue
        text, data = texts[i], encoded[i]
        if len(data) == len(text):
            conv = None
        else:
            conv = _char_offsets(text, data, [x for _, s, e in items for x in (s, e)])
        for what, s, e in items:
            cs, ce = (s, e) if conv is None else (conv[s], conv[e])
            if what.startswith("\x00"):
                rule = what[1:]
                rk = eng.rule_kind(rule)
                # a generic rule has no format to check: a reference, mask or docs word
                # (user:password@, api_key = "${KEY}") is not a secret, as for Forge's own; nor is
                # a connection string whose password is one (mongodb://root:<password>@host)
                span = text[cs:ce]
                check = _ENGINE_FORMAT_CHECKS.get(rk.kind)
                if rk.kind in _PREFIX_AT_WORD_START and _inside_word(text, cs):
                    continue  # (So-ghu_ICANVASRENDERING...: the prefix is a word's middle)
                if _inside_base64(text, cs, ce):
                    continue
                if ce > cs and not (
                    (rk.priority == eng.GENERIC_PRIORITY and is_reference_or_mask(span))
                    or ("://" in span and placeholder_credential_uri(span))
                    or (check is not None and not check(span))
                ):
                    cands[i].append((-rk.priority, cs - ce, cs, order, rk.kind, ENGINE_DETECTOR_PREFIX + rule))
            else:
                hits[i].setdefault(what, []).append((cs, ce))
    for h in hits:
        for spans in h.values():
            spans.sort()
    return cands, hits


def _place(
    raw: list[list[tuple[str, int, int]]], starts: list[int], encoded: list[bytes], what: str, s: int, e: int
) -> None:
    """File a buffer span under the text(s) it lies in; one that crosses a separator is split."""
    i = bisect.bisect_right(starts, s) - 1
    while i < len(starts) and starts[i] < e:
        lo, hi = max(s, starts[i]) - starts[i], min(e, starts[i] + len(encoded[i])) - starts[i]
        if hi > lo:
            raw[i].append((what, lo, hi))
        i += 1


_ENGINES: dict[tuple[int, ...], eng.Engine | None] = {}
_PLANS: dict[tuple[int, ...], _Plan] = {}


def _key(dets: Sequence[Detector]) -> tuple[int, ...]:
    return tuple(map(id, dets))  # detectors are immutable and registered for the process's life


def engine_for(dets: Sequence[Detector]) -> eng.Engine | None:
    """The engine running these detectors' anchors (cached per detector set)."""
    if eng.engine_disabled():
        return None
    key = _key(dets)
    if key not in _ENGINES:
        _ENGINES[key] = eng.get_engine(eng.anchors_of(dets))
    return _ENGINES[key]


def _plan(dets: Sequence[Detector]) -> _Plan:
    key = _key(dets)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _Plan(dets)
    return plan


def find_secrets_many(
    texts: Sequence[str],
    detectors: Sequence[Detector] | None = None,
    allowlist: Iterable[str] = (),
    *,
    use_engine: bool = True,
    watch: Sequence[str] = (),
    watched: set[int] | None = None,
) -> list[tuple[list[Finding], bool]]:
    """(findings, unsettled) for each text; see find_secrets_resolved. `watched`, when given,
    gets the index of each text in which the anchor of a detector named in `watch` hit (with the
    engine, from its one pass: a command that printed a secret, see secret_commands.py)."""
    dets = select_detectors() if detectors is None else detectors
    allowlist = tuple(allowlist)
    use_engine = use_engine and any(d.name == eng.ENGINE_NAME for d in dets)
    engine = engine_for(dets) if use_engine else None
    plan = _plan(dets)
    # terminal codes read as spaces: one right before a token (grep --color) is a boundary
    # (the test inline: it runs for every text, and most hold no code)
    read = list(texts)
    coded = set()
    for i, t in enumerate(texts):
        if "\x1b" in t or "\\u001" in t:
            read[i] = terminal.as_spaces(t)
            if read[i] is not t:
                coded.add(i)
        if "\\t" in t and t[0] in "{[":  # JSON text (a transcript line): not C:\temp in a string
            read[i] = tabs_as_blanks(read[i])
    cands, points = _candidates(read, plan, engine, dets, coded, watch if watched is not None else (), watched)
    # a text shown otherwise than it reads (a colour code inside a token, a line a terminal cut
    # at its width) is scanned as shown too, and what that finds counts in the text
    # (without the engine there are no anchor hits: every line is looked at)
    todo = (
        [i for i, t in enumerate(texts) if t]
        if engine is None
        else sorted(coded.union(i for i, p in enumerate(points) if p))  # most texts: neither
    )
    views: list[tuple[int, terminal.View]] = []
    for i in todo:
        shown = terminal.shown(texts[i], points[i], codes=i in coded, anywhere=engine is None)
        views += [(i, view) for view in shown]
    for i, t in enumerate(read):  # JSON text holding quotes escaped twice (rare: a test per text)
        if '\\\\\\"' in t and t[0] in "{[" and (quoted := _quotes_view(t)) is not None:
            views.append((i, quoted))
    if views:
        found, _ = _candidates([view.text for _, view in views], plan, engine, dets)
        for (i, view), view_cands in zip(views, found):
            cands[i].extend(_mapped(view_cands, view, allowlist, cands[i]))
    return [_resolve(text, found, allowlist) for text, found in zip(read, cands)]


def _candidates(
    texts: Sequence[str],
    plan: _Plan,
    engine: eng.Engine | None,
    dets: Sequence[Detector],
    follow_all: Container[int] = (),
    watch: Sequence[str] = (),
    watched: set[int] | None = None,
) -> tuple[list[list[Candidate]], list[list[int]]]:
    """Each text's candidates, and where a secret may go on past its line: where anchor hits
    start (with the engine: those whose run reaches a line break, or every one in the texts
    `follow_all` names, whose codes read as spaces may part a run) and where candidates that
    end at a line break end."""
    out: list[list[Candidate]] = [[] for _ in texts]
    points: list[list[int]] = [[] for _ in texts]
    nonempty = [i for i, t in enumerate(texts) if t]
    if engine is None:
        anchors = [d.anchor for d in dets if d.name in watch and d.anchor is not None]
        for i in nonempty:
            _forge_candidates(texts[i], plan, None, out[i])
            points[i] = _ends_at_breaks(texts[i], out[i])
            if watched is not None and any(a.search(texts[i]) for a in anchors):
                watched.add(i)
        return out, points
    engine_cands, hits = _engine_candidates([texts[i] for i in nonempty], engine, dets)
    for j, i in enumerate(nonempty):
        out[i] = engine_cands[j]
        if watch and watched is not None and any(n in hits[j] for n in watch):
            watched.add(i)
        _forge_candidates(texts[i], plan, hits[j], out[i])
        if not (hits[j] or out[i]):
            continue
        if i in follow_all:
            starts = [s for spans in hits[j].values() for s, _ in spans]
        elif _has_break(texts[i]):
            starts = _hits_to_breaks(texts[i], hits[j])
        else:
            continue  # one line: no terminal cut it
        points[i] = _outside_found(starts + _ends_at_breaks(texts[i], out[i]), out[i])
    return out, points


def _has_break(text: str) -> bool:
    return "\n" in text or "\\n" in text or "\r" in text or "\\r" in text


def _outside_found(points: list[int], cands: list[Candidate]) -> list[int]:
    """The points not inside a candidate found by its format (a PEM key whose base64 lines
    are all as wide, a provider's token): what it covers is found whole already."""
    if not points:
        return points
    strong = _Spans((c[2], c[2] - c[1]) for c in cands if c[0] <= _FOLLOWED_BELOW)
    if not strong.starts:
        return points
    # (by bisection: a text dense with tokens has thousands of both)
    return [p for p in points if not (inside := strong.overlapping(p, p + 1)) or inside[0][0] == p]


# From an anchor hit to the line's end with no space, quote or escape between: a token (or a
# key=value) that a line break may cut. (Most hits stop short of it: a word in prose, a key
# before its spaced value, whose value is followed if it ends at the break: _ends_at_breaks.)
_RUN = re.compile(r"[^\s\"'`<>\\]*")
_BREAKS = ("\n", "\r", "\\n", "\\r")


def _hits_to_breaks(text: str, hits: dict[str, list[tuple[int, int]]]) -> list[int]:
    """Where anchor hits start whose run reaches a line break, and those at a line's start (a
    token of its own starts there: see terminal.wraps)."""
    # Hits inside one run share its end: each run is read once (a base64 image in a line is one
    # run of megabytes, with thousands of hits in it)
    run_ends: dict[int, int] = {}
    run_from = run_to = -1
    for e in sorted({e for spans in hits.values() for _, e in spans}):
        if not run_from <= e <= run_to:
            run_from, run_to = e, _run_end(text, e)
        run_ends[e] = run_to
    return [
        s
        for spans in hits.values()
        for s, e in spans
        if text.startswith(_BREAKS, run_ends[e]) or text.endswith(_BREAKS, 0, s)
    ]


def _run_end(text: str, at: int) -> int:
    m = _RUN.match(text, at)
    return m.end() if m is not None else at


# A candidate found by its format (a provider's prefix, a URL's password: priority 80 and up) is
# as strong as a join across its line's end could make it: only weaker ones (a key's value) are
# followed past the break (see terminal.shown).
_FOLLOWED_BELOW = -80


def _ends_at_breaks(text: str, cands: list[Candidate]) -> list[int]:
    return [end for c in cands if c[0] > _FOLLOWED_BELOW and (end := c[2] - c[1]) < len(text) and text[end] in "\n\r\\"]


def _mapped(
    cands: list[Candidate], view: terminal.View, allowlist: tuple[str, ...], read: list[Candidate]
) -> Iterator[Candidate]:
    """A view's candidates as spans of its source, but for those on an allowlisted string (which
    codes or a line break may split in the source). From a view with conditional joins
    (View.tails), only those across one and stronger than the candidate of the text as it reads
    (`read`) that ends there."""
    guarded = _Spans(_protected_spans(view.text, allowlist)) if allowlist else None
    ended: dict[int, int] = {}  # at a conditional join: the top priority of what ends there
    tails = set(view.tails)
    for c in read if tails else ():
        if c[2] - c[1] in tails:
            ended[c[2] - c[1]] = max(ended.get(c[2] - c[1], 0), -c[0])
    joins = sorted(ended)  # (looked up by position: a long listing has thousands of joins)
    for neg_priority, neg_len, start, order, kind, name in cands:
        if guarded is not None and guarded.overlapping(start, start - neg_len):
            continue
        src_start, src_end = view.span(start, start - neg_len)
        if view.tails:
            inside = joins[bisect.bisect_right(joins, src_start) : bisect.bisect_left(joins, src_end)]
            if not any(ended[at] < -neg_priority for at in inside):
                continue
        yield neg_priority, src_start - src_end, src_start, order, kind, name


def find_secrets(
    text: str, detectors: Sequence[Detector] | None = None, allowlist: Iterable[str] = ()
) -> list[Finding]:
    """Non-overlapping findings in text order. `detectors` defaults to every registered one."""
    return find_secrets_resolved(text, detectors, allowlist)[0]


def find_secrets_resolved(
    text: str, detectors: Sequence[Detector] | None = None, allowlist: Iterable[str] = ()
) -> tuple[list[Finding], bool]:
    """Findings, and whether they may be unsettled: a candidate lost to an overlapping one, or a
    finding touches a word. Then more may show once they are replaced, so the Scrubber scans its
    output again."""
    return find_secrets_many([text], detectors, allowlist)[0]


def redact(text: str, findings: Sequence[Finding]) -> str:
    """Replace each finding (non-overlapping, in text order) with its typed placeholder."""
    if not findings:
        return text
    parts, pos = [], 0
    for f in findings:
        parts.append(text[pos : f.start])
        parts.append(placeholder(f.kind))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
