"""A person's name beside their e-mail address, and the name git is told to sign with.

`git log` shows `Author: Jane Doe <jane@corp.io>` in every commit an agent reads, as do
Signed-off-by and Co-authored-by trailers, a mail's From: line, package.json's author and a
Debian changelog. The address is personal data and is replaced (builtin.py: email); the name
beside it names the same person, so it goes too: `Author: <SECRET:name> <<SECRET:email>>`. A name
is taken only where its address is a person's (the e-mail rule's own test): `Claude
<noreply@anthropic.com>` and a bot's `dependabot[bot] <...@users.noreply.github.com>` stay. And
`git config user.name "Jane Doe"` (or GIT_AUTHOR_NAME=...) says outright that a value is the
user's name.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from forge.scrub import validators as v
from forge.scrub.builtin import _WORD_START, _add
from forge.scrub.detectors import Detector, register_detector

KIND = "name"
# A display name before the address's <: one to five capitalised words (letters in any script,
# . ' - inside: Jane Doe, J. R. R. Tolkien, Zoë O'Neil-Smith), or one word of any case (a handle),
# so the words of a sentence before a name (please write to Jane Doe <...>) are not taken
# (a letter may come JSON-escaped, as \u00eb)
_INNER = r"(?:[\w.'\-]|\\u[0-9a-fA-F]{4}){0,30}"
_CAPITALISED = r"(?:[^\W_a-z]|\\u[0-9a-fA-F]{4})" + _INNER
_WORD = r"(?:[^\W_]|\\u[0-9a-fA-F]{4})" + _INNER
# (or any display name in quotes, as a mail's From: line has it: "Zoë O'Neil" <...>)
_QUOTED_NAME = re.compile(r"\\?\"(?P<quoted>(?:[^\"\\<>@\r\n]|\\u[0-9a-fA-F]{4}){1,80})\\?\"\Z")
_NAME = re.compile(_CAPITALISED + r"(?:[ \t]" + _CAPITALISED + r"){1,4}|" + _WORD)
_ADDRESS = re.compile(r"[ \t]+<(?P<address>[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}\.[A-Za-z]{2,24})>")
_BEFORE_NAME = frozenset(" \t\n\r\f\v:\"'(,")  # what may stand before a name (or nothing)
_NAME_CHARS = frozenset("_.'-\\")  # besides letters and digits (\\: a JSON escape's)
# what stands before a bot's or a tool's address, not a person's
_NOT_A_PERSON = frozenset(
    (
        "claude",
        "github",
        "gitlab",
        "copilot",
        "dependabot",
        "renovate",
        "actions",
        "bot",
        "ci",
        "jenkins",
        "root",
        "admin",
        "administrator",
        "system",
        "unknown",
        "author",
        "name",
        "your",
        "user",
        "example",
        "test",
    )
)
# (the blank before the <, not the name's last letter: the engine's \w knows only ASCII letters)
_ANCHOR = re.compile(r"[ \t]<[A-Za-z0-9._%+\-]{1,64}@")


def _a_person(name: str) -> bool:
    words = [w.lower().strip(".'-") for w in name.split()]
    return (
        not any(w in _NOT_A_PERSON or w.endswith("[bot]") for w in words)
        and not name.lower().endswith("bot")
        and not any(c.isdigit() for c in name.replace(" ", "")[:1])
    )


def _name_before(text: str, end: int) -> tuple[int, int] | None:
    """The display name that ends at `end`: quoted, or the longest run of up to five words that
    starts after a blank, a quote, a colon or a bracket and reads as a name. Read backwards from
    the address, word by word (a regex searched forwards tried every character before it)."""
    if text.endswith('"', 0, end):
        m = _QUOTED_NAME.search(text, max(0, end - 100), end)
        return m.span("quoted") if m is not None else None
    starts, pos = [], end
    for _ in range(5):
        start = pos
        while start > 0 and (text[start - 1].isalnum() or text[start - 1] in _NAME_CHARS):
            start -= 1
        if start == pos:
            break
        starts.append(start)
        if start < 2 or text[start - 1] not in " \t" or text[start - 2] in " \t":
            break  # (words of a name are one blank apart)
        pos = start - 1
    for start in reversed(starts):  # the longest first, as a regex's leftmost match would be
        if (start == 0 or text[start - 1] in _BEFORE_NAME) and _NAME.fullmatch(text, start, end):
            return start, end
    return None


def names_before_addresses(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each display name before a person's <address> (hits: where the blank
    before an address's < is, the rule engine's anchor hits; None: searched here)."""
    for hit_start, _ in hits if hits is not None else [m.span() for m in _ANCHOR.finditer(text)]:
        address = _ADDRESS.match(text, hit_start)
        if address is None or not v.email(address.group("address")):
            continue
        end = hit_start
        while end > 0 and text[end - 1] in " \t":
            end -= 1
        span = _name_before(text, end)
        if span is not None and _a_person(text[span[0] : span[1]]):
            yield span


register_detector(
    Detector(
        name="name_before_address",
        kind=KIND,
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=names_before_addresses,
        finder_takes_hits=True,
        priority=45,
        prefilter=("<",),
        anchor=_ANCHOR,
        window=(0, 0),
        description="a person's name before their e-mail address: Author: Jane Doe <jane@...>, Signed-off-by, From:",
    )
)

_add(
    "git_user_name",
    KIND,
    # git config [--global] user.name "Jane Doe", git config --list's user.name=Jane Doe,
    # GIT_AUTHOR_NAME="Jane Doe" / GIT_COMMITTER_NAME=...
    # (git config --list prints user.name=Jane Doe: the rest of the line)
    # (not SQL's user.name: a git command's, or a config listing's line)
    r"(?:" + _WORD_START + r"git[ \t]+config\b[^\n|;&]{0,60}?[ \t]user\.name[ \t]+"
    r"|(?:^|(?<=\n)|(?<=\\n)|(?<=\"))user\.name=|" + _WORD_START + r"GIT_(?:AUTHOR|COMMITTER)_NAME=)"
    r"(?:\\?\"(?P<dq>[^\"\\\r\n]{1,80})\\?\"|'(?P<sq>[^'\r\n]{1,80})'"
    r"|(?<=\.name=)(?P<line>[^\s\"'`;&|<>()\\][^\"'`;&|<>()\\\r\n]{0,79}?)(?=[ \t]*(?:$|\r?\n|\\[nr]|\"))"
    r"|(?P<bare>[^\s\"'`;&|<>()\\]{1,80}))",
    group=("dq", "sq", "line", "bare"),
    priority=45,
    prefilter=("user.name", "_NAME="),
    validator=lambda value: not v.is_reference_or_mask(value) and _a_person(value),
    anchor=r"user\.name[ \t=]|GIT_(?:AUTHOR|COMMITTER)_NAME=",
    window=(80, 120),
    description='git config user.name "Jane Doe", GIT_AUTHOR_NAME=...',
)
