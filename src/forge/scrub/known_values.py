"""A secret, once found, wherever else it stands in the same conversation or file.

A rule finds a secret where its context says what it is (DB_PASSWORD=..., --token ...). The
same value shows again where nothing does: the agent's reply that repeats the new key, a command
that echoes it into a file, `echo -n VALUE | base64` and what that prints, a URL that carries it
percent-encoded. Each value a finding replaced is replaced in those places too, in each of
those spellings, as a whole token. Only values that cannot be ordinary words are chased: eight
characters or more, with a digit or a sign in them (a plain-word password, `postgres`, is
replaced only where a rule found it); personal data has its own rules (and login names
known_names.py). Pure: no I/O.
"""

from __future__ import annotations

import base64
import bisect
import functools
import re
from collections.abc import Iterable
from urllib.parse import quote

from forge.scrub.builtin import _trie
from forge.scrub.detectors import Finding

DETECTOR = "repeated_secret"  # what the report counts these replacements under
MIN_CHARS = 8
# at most this many values chased at once (the latest found; a repeat mostly stands near its
# first): the search for them runs at about 1 GB/s for one value, 300 MB/s for five, 70 for 16 and
# 24 for 64 (Known.holding over a 5 MB transcript), where scrubbing itself runs at 20-50
MAX_CHASED = 16
_PERSONAL = frozenset({"email", "ipv4", "ipv6", "phone", "user", "ssn", "name"})


_STRUCTURE = frozenset('"\\{}[]<>')  # (a finding holding these ran past its value into a line's JSON)


def _chased(value: str, kind: str) -> bool:
    return (
        len(value) >= MIN_CHARS
        and kind not in _PERSONAL
        and not value.isalpha()
        and not any(c.isspace() or c in _STRUCTURE for c in value)
    )


def values_of(text: str, findings: Iterable[Finding]) -> tuple[tuple[str, str], ...]:
    """(value, kind) of the findings worth replacing elsewhere (the scrubber collects them while
    it scrubs: no second pass over the text)."""
    out: list[tuple[str, str]] = []  # (not a tuple grown value by value: n² on a text full of them)
    for f in findings:
        if f.end - f.start >= MIN_CHARS and _chased(text[f.start : f.end], f.kind):
            out.append((text[f.start : f.end], f.kind))
    return tuple(out)


@functools.lru_cache(maxsize=8192)
def spellings(value: str) -> frozenset[str]:
    """The value, its base64 (standard and URL-safe, with and without padding) and its
    percent-encoding."""
    raw = value.encode("utf-8", "surrogatepass")
    encoded = base64.b64encode(raw).decode("ascii")
    forms = {value, encoded, encoded.rstrip("="), base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}
    forms.add(quote(value, safe=""))
    return frozenset(f for f in forms if len(f) >= MIN_CHARS)


_TOKEN_CHAR = re.compile(r"[A-Za-z0-9+/_\-]")
_HEAD = 8  # a spelling's first characters, what the prefilter looks for (MIN_CHARS: every spelling has them)


class Known:
    """The spellings of some secret values, and where they stand in a text as whole tokens (not
    inside a longer one; right after a JSON-escaped line break counts as a token's start).

    The regex engine looks for the spellings' first characters only (factored into a trie:
    hundreds of values cost about what one does), and each place it stops is checked against
    the spellings that start so, the longest first."""

    def __init__(self, values: dict[str, str]):
        self.kinds: dict[str, str] = {}
        for value, kind in values.items():
            for form in spellings(value):
                self.kinds.setdefault(form, kind)
        self._by_head: dict[str, list[str]] = {}
        for form in sorted(self.kinds, key=lambda f: (-len(f), f)):
            self._by_head.setdefault(form[:_HEAD], []).append(form)
        heads = sorted(self._by_head)
        self._heads = re.compile(_trie(heads)) if heads else None
        self._leftovers = leftovers(values)

    def holding(self, texts: list[str]) -> list[int]:
        """The indexes of the texts a spelling's first characters stand in (the others hold
        none), found over the texts joined: a substring search per first characters for a few
        values (about 300 MB/s for five), the trie for more (about as fast as the searches at
        ten, faster beyond)."""
        if self._heads is None or not texts:
            return []
        joined = "\x00".join(texts)
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + 1
        at: set[int] = set()
        if len(self._by_head) <= 10:
            for head in self._by_head:
                i = joined.find(head)
                while i >= 0:
                    at.add(bisect.bisect_right(starts, i) - 1)
                    i = joined.find(head, i + 1)
        else:
            at.update(bisect.bisect_right(starts, m.start()) - 1 for m in self._heads.finditer(joined))
        return sorted(at)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, kind) of each spelling standing in text, in order, none overlapping."""
        out: list[tuple[int, int, str]] = []
        if self._heads is None:
            return out
        pos = 0
        for m in self._heads.finditer(text):
            s = m.start()
            if s < pos:
                continue
            if s and _TOKEN_CHAR.match(text, s - 1) and not (s >= 2 and text[s - 2] == "\\" and text[s - 1] in "nrt"):
                continue  # inside a longer token
            for form in self._by_head[m.group(0)]:
                e = s + len(form)
                if text.startswith(form, s) and not (e < len(text) and _TOKEN_CHAR.match(text, e)):
                    out.append((s, e, self.kinds[form]))
                    pos = e
                    break
        return out

    def replace(self, text: str) -> tuple[str, list[str]]:
        """text with each spelling replaced by its kind's placeholder, and what it stood for."""
        spans = self.spans(text)
        if spans:
            parts, pos = [], 0
            for s, e, kind in spans:
                parts += [text[pos:s], f"<SECRET:{kind}>"]
                pos = e
            text = "".join(parts) + text[pos:]
        return text, [kind for _, _, kind in spans]

    def drop_leftovers(self, texts: list[str]) -> list[str]:
        """What a rule left of a value beside its placeholder, dropped (see leftovers)."""
        if self._leftovers is None:
            return texts
        return [drop_leftovers(t, self._leftovers) if "<SECRET:" in t else t for t in texts]


def leftovers(values: dict[str, str]) -> re.Pattern[str] | None:
    """Where one rule replaced only part of a value that another found whole (a sentence's
    `password: a9B7$#fG3&Z1` read up to a sign, the same value whole in a JSON field): the rest of
    it beside that placeholder. Both values are known, one the other's start (or end)."""
    tails, heads = set(), set()
    for short in values:
        for long in values:
            if len(long) > len(short):
                if long.startswith(short):
                    tails.add(long[len(short) :])
                if long.endswith(short):
                    heads.add(long[: -len(short)])
    if not tails and not heads:
        return None
    never = r"(?!x)x"  # (an alternative that matches nothing, where there is no tail or no head)
    tail = "|".join(map(re.escape, sorted(tails, key=lambda t: (-len(t), t)))) or never
    head = "|".join(map(re.escape, sorted(heads, key=lambda t: (-len(t), t)))) or never
    # the placeholder is kept (group p or q), the leftover dropped
    return re.compile(
        r"(?P<p><SECRET:[a-z0-9_]{1,40}>)(?:" + tail + r")(?![A-Za-z0-9+/_\-])"
        r"|(?<![A-Za-z0-9+/_\-])(?:" + head + r")(?P<q><SECRET:[a-z0-9_]{1,40}>)"
    )


def drop_leftovers(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda m: m.group("p") or m.group("q"), text)
