"""A password in an INI-style file: `password = word` under a `[section]` (my.cnf, odbc.ini,
.pypirc, supervisord.conf, php.ini, setup.cfg, smb.conf, rclone.conf). An INI file holds literals,
so a plain word is the password, where the same line in code names a variable. A line counts when
a section header stands above it and every line between is INI too: blank, a comment, a header or
a `key = value` / `key: value` line (code between, a call or a brace, rules it out).

The file may be shown as an agent shows it: past a gutter (Claude Code's Read, cat -n) and inside
a JSON string (its line breaks escaped).

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector
from forge.scrub.gutters import GUTTER

_LOOK_BACK = 8_000  # characters above a password line searched for its section header
_MAX_LINES = 200
_LINE_ENDS = ("\n", "\r", "\\n", "\\r", '"')  # (a JSON string's end closes the file's text)
_BREAK = re.compile(r"\r?\n|(?:\\r)?\\n")
_LEAD = re.compile(r"(?:" + GUTTER + r")?(?:[ \t]|\\t)*")
_HEADER = re.compile(r"\[[A-Za-z0-9_ .:\-\"']{1,60}\](?:[ \t]|\\t)*")
_INI_LINE = re.compile(
    r"(?:[#;][^\n]*"  # a comment
    r"|[A-Za-z0-9_.\-]{1,80}(?:[ \t]|\\t)*[=:][^\n]*"  # key = value, key: value
    r"|)"  # blank
)
_CODE = re.compile(r"[(){};]\s*$|\b(?:def|function|class|return|import|if|for|var|let|const)\b")
_PASSWORD_LINE = re.compile(
    # the key: ending in password (SSHpassword, db.password), or in pass/pwd as a word of its own
    # (db_pass, smtpPass, PWD; not bypass or compass)
    r"(?P<key>(?:[A-Za-z0-9_.\-]{0,60}?(?i:password|passwd|passphrase)"
    r"|(?:[A-Za-z0-9_.\-]{0,60}?[_.\-])?(?:pass|pwd|PASS|PWD|Pass|Pwd)|[A-Za-z0-9]{0,60}?[a-z0-9](?:Pass|Pwd))[0-9]{0,2})"
    r"(?:[ \t]|\\t)*=(?:[ \t]|\\t)*(?P<value>[^\s\"'`#;\\]{1,256})(?:[ \t]|\\t)*"
    r"(?:(?<=[ \t])[#;](?:[^\n\\]|\\[^nr])*)?"  # a comment to the line's end (after a space:
    # password = input; is code)
)


def _lines_above(text: str, end: int) -> Iterator[str]:
    """The lines of text before `end`, nearest first (raw or JSON-escaped breaks), without lead."""
    start = max(0, end - _LOOK_BACK)
    pieces = _BREAK.split(text[start:end])
    yield from reversed(pieces[:-1])


def _bare(line: str) -> str:
    return line[_LEAD.match(line).end() :]  # type: ignore[union-attr]  # (the lead may be empty)


def _under_a_section(text: str, line_start: int) -> bool:
    for n, line in enumerate(_lines_above(text, line_start)):
        if n >= _MAX_LINES:
            return False
        body = _bare(line)
        if _HEADER.fullmatch(body) or _HEADER.fullmatch(_bare(line.rsplit('"', 1)[-1])):
            return True  # (the header may open a JSON string: {"content": "[client]\n...)
        if not _INI_LINE.fullmatch(body) or _CODE.search(body):
            return False
    return False


def ini_password_values(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each password value on a `key = value` line under a section header.
    hits: where a password key may be (the rule engine's anchor hits); None: searched here."""
    spans = hits if hits is not None else [m.span() for m in _ANCHOR.finditer(text)]
    seen: set[int] = set()
    for hit_start, _ in spans:
        breaks = [m.end() for m in _BREAK.finditer(text, max(0, hit_start - 300), hit_start)]
        if not breaks:
            continue  # the first line (nothing above it), or a line longer than a config line
        line_start = breaks[-1]
        if line_start in seen:
            continue
        seen.add(line_start)
        m = _PASSWORD_LINE.match(text, _LEAD.match(text, line_start).end())  # type: ignore[union-attr]
        if m is None or (m.end() < len(text) and not text.startswith(_LINE_ENDS, m.end())):
            continue
        if v.env_password(m.group("value")) and _under_a_section(text, line_start):
            yield m.span("value")


_ANCHOR = re.compile(r"(?i)(?:passw(?:or)?d|passphrase|pass|pwd)[0-9]{0,2}[ \t]*=")

register_detector(
    Detector(
        name="ini_password",
        kind="password",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=ini_password_values,
        finder_takes_hits=True,
        priority=59,
        prefilter=("ass", "ASS", "wd", "WD"),
        anchor=_ANCHOR,
        window=(0, 0),
        description="password = word under a [section] of an INI file (my.cnf, odbc.ini, supervisord.conf ...)",
    )
)
