"""Passwords listed under a key that names them in the plural: `"passwords": ["...", "..."]`
(JSON, Python, a YAML flow list), a YAML sequence under `db_passwords:` (one `- value` a line),
a test's `invalid_passwords = ("...", ...)`. Each item is a password, however plain a word (a list
of literals holds literals), as under `password:` itself; references and masks are not.

The list may be shown as an agent shows it: past a gutter (Claude Code's Read, cat -n) and inside
a JSON string (its quotes and line breaks escaped).

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector
from forge.scrub.gutters import GUTTER, LINE_BREAK

_MAX_ITEMS = 256
# the key: a name ending in passwords (db_passwords, oldPasswords, 02_hardcoded_passwords)
_KEY = re.compile(
    r"[A-Za-z0-9_.\-]{0,60}?(?:[Pp]ass(?:words|wds|phrases)|PASS(?:WORDS|WDS|PHRASES))\\?[\"']?"
    r"(?:[ \t]|\\t)*(?::|=>?|:=)(?:[ \t]|\\t)*"
)
_OPEN = re.compile(r"[\[(]")
_BLANKS = r"(?:\s|\\[nrt])*"
_QUOTE = r"(?P<q>\\?[\"'])"
# an item of a flow list, then the comma or the list's end after it
_FLOW_ITEM = re.compile(_BLANKS + _QUOTE + r"(?P<v>[^\"'\\\r\n]{1,256})(?P=q)" + _BLANKS + r"(?P<end>,|[\])])")
# an item of a YAML sequence: the next line, past a gutter, `- value` (quoted or not)
_BLOCK_ITEM = re.compile(
    LINE_BREAK
    + r"(?:"
    + GUTTER
    + r")?(?:[ \t]|\\t)*-[ \t]+(?P<q>\\?[\"']?)(?P<v>[^\s\"'\\#,\[\]{}]{1,256}|(?<=[\"'])[^\"'\\\r\n]{1,256})(?P=q)"
    r"[ \t]*(?=\r?\n|\\[nr]|\\?\"|$)"
)


def _items(text: str, at: int) -> Iterator[tuple[int, int]]:
    """The spans of the values listed from `at`, just past the key's separator."""
    if _OPEN.match(text, at):
        pos = at + 1
        for _ in range(_MAX_ITEMS):
            m = _FLOW_ITEM.match(text, pos)
            if m is None:
                return
            yield m.span("v")
            if m.group("end") != ",":
                return
            pos = m.end()
        return
    pos = at
    for _ in range(_MAX_ITEMS):
        m = _BLOCK_ITEM.match(text, pos)
        if m is None:
            return
        yield m.span("v")
        pos = m.end()


def listed_passwords(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each password listed under a *passwords key. hits: where such a key may
    end (the rule engine's anchor hits); None: searched here."""
    spans = hits if hits is not None else [m.span() for m in _ANCHOR.finditer(text)]
    done = -1
    for hit_start, _ in spans:
        if hit_start < done:
            continue  # (a key inside the list just read)
        # the key's name starts up to 60 characters before the hit (its last word)
        key = _KEY.search(text, max(0, hit_start - 61), min(len(text), hit_start + 80))
        if key is None or not key.start() <= hit_start < key.end():
            continue
        for s, e in _items(text, key.end()):
            done = e
            if v.quoted_password(text[s:e]):
                yield s, e


_ANCHOR = re.compile(r"(?i)pass(?:words|wds|phrases)\\?[\"']?[ \t]*[:=]")

register_detector(
    Detector(
        name="listed_passwords",
        kind="password",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=listed_passwords,
        finder_takes_hits=True,
        priority=60,
        prefilter=("words", "WORDS", "wds", "WDS", "phrases", "PHRASES"),
        anchor=_ANCHOR,
        window=(0, 0),
        description='passwords listed under a *passwords key: "passwords": ["...", "..."], - value lines in YAML',
    )
)
