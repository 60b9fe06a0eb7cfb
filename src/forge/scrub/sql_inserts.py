"""A secret given to a database by position: `INSERT INTO users (email, password) VALUES ('a@b.c',
'...')`. The column list names what each value is, so the value under a password, secret, token or
key column is the secret, however plain it looks (a seed script, an agent's `psql -c`, a SQLite
shell). A regex cannot pair the n-th name with the n-th value, so this is a small function over the
text: the column list and each row of values are split at their top-level commas (quotes and
parentheses respected), and a quoted literal in a secret column is one finding.

The statement may be shown inside a JSON string (its double quotes escaped, its line breaks `\\n`).
A password column takes any literal (validators.quoted_password); a token, secret or key column a
random one (validators.looks_random), so `('ci', 'read-only')` under `key` stays.

A settings table holds a secret in a row, not a column: `INSERT INTO settings (key, value) VALUES
('stripe_api_key', '...')`, `UPDATE config SET value = '...' WHERE name = 'smtp_password'`. There the
name column's literal says what the value column's literal is, with the same two checks. SQLite and
MySQL take a string in double quotes too, so a literal may be in either.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector
from forge.scrub.gutters import GUTTER

_INSERT = re.compile(
    r"(?i)(?:\b|(?<=\\[nrt])|(?<=\\u2192)|(?<=\\u2502))(?:insert|replace)(?:[ \t]+(?:or[ \t]+\w+|ignore))?[ \t]+into\b"
)
_TABLE_THEN_COLUMNS = re.compile(r"""[ \t]+[\w."`\[\]\\]{1,128}[ \t]*\(""")
# (between a statement's lines: also a gutter, a file shown numbered or as a diff)
_GAP = r"(?:(?:\r?\n|\\n)(?:" + GUTTER + r")?|[ \t])*"
_VALUES = re.compile(r"(?i)[ \t]*" + _GAP + r"values[ \t]*" + _GAP + r"\(")
_ROW_GAP = re.compile(r"[ \t]*" + _GAP + r",[ \t]*" + _GAP + r"\(")
_PASSWORD_COLUMN = re.compile(r"(?i)(?:\w*_)?(?:password|passwd|passphrase|pwd)|\w+_pass")  # (not pass alone: a flag)
_SECRET_COLUMN = re.compile(
    r"(?i)(?:\w*_)?(?:secret|token|api_?key|access_?key|secret_?key|private_?key|client_?secret|auth_?key)"
    r"|key"
)
_LITERAL = re.compile(r"""(?:[EeNn]|_utf8mb4)?(?:'((?:[^'\\\n]|'')*)'|"([^"\\\n]*)"|\\"([^"\\\n]*)\\")""")
# a settings table's columns: the one that names a row's setting, the one that holds its value
_NAME_COLUMN = re.compile(r"(?i)(?:\w+_)?(?:key|name)|setting|param(?:eter)?|k")
_VALUE_COLUMN = re.compile(r"(?i)(?:\w+_)?value|val|v")
_PASSWORD_NAME = re.compile(r"(?i).{0,60}?(?:passw(?:or)?d|passwd|passphrase|pwd|(?<![a-z])pass)")
_SECRET_NAME = re.compile(r"(?i).{0,60}?(?:token|secret|key)")
_LIT = r"""(?:[EeNn]|_utf8mb4)?(?:'(?:[^'\\\n]|'')*'|"[^"\\\n]*"|\\"[^"\\\n]*\\")"""
_UPDATE = re.compile(
    r"(?i)(?:\b|(?<=\\[nrt])|(?<=\\u2192)|(?<=\\u2502))update[ \t]+[\w.\"`\[\]\\]{1,128}[ \t]+set[ \t]+"
    r"(?P<vcol>[\w\"`\[\]\\]{1,64})[ \t]*=[ \t]*(?P<v>"
    + _LIT
    + r")[^;\n]{0,200}?[ \t]where[ \t]+(?P<ncol>[\w\"`\[\]\\]{1,64})[ \t]*=[ \t]*(?P<n>"
    + _LIT
    + ")"
)
_MAX_STATEMENT = 20_000  # characters of one statement read from its INSERT
_MAX_ROWS = 500
Hits = list[tuple[int, int]] | None
Row = tuple[tuple[str, ...], tuple[tuple[int, int], ...]]  # column names, each item's span


def _split(text: str, start: int, limit: int) -> tuple[list[tuple[int, int]], int] | None:
    """The top-level items of a parenthesised list opened just before `start`, as spans, and the
    index after its closing parenthesis; None when it does not close within `limit`."""
    items: list[tuple[int, int]] = []
    depth, quote, i, item_start = 0, "", start, start
    while i < limit:
        ch = text[i]
        if quote:
            if ch == quote:
                if text.startswith(quote, i + 1):  # a doubled quote stays inside ('it''s')
                    i += 2
                    continue
                quote = ""
            elif ch == "\n":
                return None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                items.append((item_start, i))
                return items, i + 1
            depth -= 1
        elif ch == "," and depth == 0:
            items.append((item_start, i))
            item_start = i + 1
        i += 1
    return None


def _column_name(text: str) -> str:
    return text.strip().replace("\\", "").strip('"`[] \t')


def _literal(text: str, s: int, e: int) -> tuple[int, str] | None:
    """The start and text (as written: '' for a quote) of the string literal that item text[s:e]
    is, or None."""
    lead = len(text[s:e]) - len(text[s:e].lstrip(" \t"))
    literal = _LITERAL.fullmatch(text[s:e].strip(" \t"))
    if literal is None:
        return None
    group = next(g for g in (1, 2, 3) if literal.group(g) is not None)
    return s + lead + literal.start(group), literal.group(group)


def _at_hits(pattern: re.Pattern[str], text: str, hits: Sequence[tuple[int, int]] | None) -> list[re.Match[str]]:
    """The statements that start at the rule engine's anchor hits; without them, searched for.
    (A search of a long text costs: an INSERT named once in a 0.7 MB JSON file read it whole.)"""
    if hits is None:
        return list(pattern.finditer(text))
    return [m for s, _ in hits if (m := pattern.match(text, s)) is not None]


@functools.lru_cache(maxsize=1)
def _rows(text: str, hits: tuple[tuple[int, int], ...] | None) -> tuple[Row, ...]:
    """Each INSERT's column names with each of its rows' item spans. (Parsed once per text: four
    rules read them.) A statement ends before the next INSERT, so text with many statements that
    do not close is read once, not up to the limit from each."""
    out: list[Row] = []
    inserts = _at_hits(_INSERT, text, hits)
    for n, insert in enumerate(inserts):
        limit = min(len(text), insert.end() + _MAX_STATEMENT)
        if n + 1 < len(inserts):
            limit = min(limit, inserts[n + 1].start())
        head = _TABLE_THEN_COLUMNS.match(text, insert.end())
        if head is None:
            continue  # VALUES without a column list: nothing names the values
        columns = _split(text, head.end(), limit)
        if columns is None:
            continue
        spans, pos = columns
        names = tuple(_column_name(text[s:e]) for s, e in spans)
        opener = _VALUES.match(text, pos)
        for _ in range(_MAX_ROWS):
            if opener is None:
                break
            row = _split(text, opener.end(), limit)
            if row is None:
                break
            values, pos = row
            out.append((names, tuple(values)))
            opener = _ROW_GAP.match(text, pos)
    return tuple(out)


def _secret_values(
    text: str, hits: Hits, column: re.Pattern[str], check: Callable[[str], bool]
) -> Iterator[tuple[int, int]]:
    for names, values in _rows(text, None if hits is None else tuple(hits)):
        for i, name in enumerate(names):
            if i < len(values) and column.fullmatch(name) and (lit := _literal(text, *values[i])):
                start, raw = lit
                if raw and check(raw.replace("''", "'")):
                    yield start, start + len(raw)


def _setting_values(
    text: str, hits: Hits, name: re.Pattern[str], check: Callable[[str], bool]
) -> Iterator[tuple[int, int]]:
    """A settings table's rows whose name literal matches `name`: their value literals."""
    for names, values in _rows(text, None if hits is None else tuple(hits)):
        slot = {
            col: i
            for col, pattern in (("name", _NAME_COLUMN), ("value", _VALUE_COLUMN))
            for i, n in enumerate(names)
            if pattern.fullmatch(n)
        }
        if len(slot) < 2 or max(slot.values()) >= len(values):
            continue
        named, held = _literal(text, *values[slot["name"]]), _literal(text, *values[slot["value"]])
        if named and held and name.fullmatch(named[1]) and held[1] and check(held[1].replace("''", "'")):
            yield held[0], held[0] + len(held[1])
    for update in _at_hits(_UPDATE, text, hits):
        if not (
            _VALUE_COLUMN.fullmatch(_column_name(update["vcol"]))
            and _NAME_COLUMN.fullmatch(_column_name(update["ncol"]))
        ):
            continue
        named, held = _literal(text, *update.span("n")), _literal(text, *update.span("v"))
        if named and held and name.fullmatch(named[1]) and held[1] and check(held[1].replace("''", "'")):
            yield held[0], held[0] + len(held[1])


def sql_password_values(text: str, hits: Hits = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each literal under a password column of an INSERT with a column list, or
    in a settings row named a password. hits: where statements start (the rule engine's anchor
    hits); None: searched here."""
    yield from _secret_values(text, hits, _PASSWORD_COLUMN, v.quoted_password)
    yield from _setting_values(text, hits, _PASSWORD_NAME, v.env_password)


def sql_secret_values(text: str, hits: Hits = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each random literal under a secret, token or key column of an INSERT, or
    in a settings row named a token, secret or key (hits: as sql_password_values)."""
    yield from _secret_values(text, hits, _SECRET_COLUMN, v.looks_random)
    yield from _setting_values(text, hits, _SECRET_NAME, v.properties_key)


_ANCHOR = (
    r"(?i)(?:insert|replace)[ \t]+(?:(?:or[ \t]+\w+|ignore)[ \t]+)?into[ \t]"
    r"|update[ \t]+[\w.\"`\[\]\\]{1,128}[ \t]+set[ \t]"
)
for _name, _kind, _finder, _what in (
    ("sql_insert_password", "password", sql_password_values, "password"),
    ("sql_insert_secret", "secret", sql_secret_values, "token, secret or key"),
):
    register_detector(
        Detector(
            name=_name,
            kind=_kind,
            pattern=re.compile(r"(?!)"),  # unused: see finder
            finder=_finder,
            finder_takes_hits=True,
            priority=62,
            prefilter=("nsert", "NSERT", "eplace", "EPLACE", "pdate", "PDATE"),
            anchor=re.compile(_ANCHOR),
            window=(0, 0),
            description=f"INSERT INTO t (..., {_what} column, ...) VALUES (..., '...', ...): the value under it;"
            f" a settings row named a {_what} (INSERT ... (key, value), UPDATE ... SET value = ... WHERE key = ...)",
        )
    )
