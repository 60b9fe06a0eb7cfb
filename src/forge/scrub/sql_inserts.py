"""A secret given to a database by position: `INSERT INTO users (email, password) VALUES ('a@b.c',
'...')`. The column list names what each value is, so the value under a password, secret, token or
key column is the secret, however plain it looks (a seed script, an agent's `psql -c`, a SQLite
shell). A regex cannot pair the n-th name with the n-th value, so this is a small function over the
text: the column list and each row of values are split at their top-level commas (quotes and
parentheses respected), and a quoted literal in a secret column is one finding.

The statement may be shown inside a JSON string (its double quotes escaped, its line breaks `\\n`).
A password column takes any literal (validators.quoted_password); a token, secret or key column a
random one (validators.looks_random), so `('ci', 'read-only')` under `key` stays.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector

_INSERT = re.compile(r"(?i)\b(?:insert|replace)(?:[ \t]+(?:or[ \t]+\w+|ignore))?[ \t]+into\b")
_TABLE_THEN_COLUMNS = re.compile(r"""[ \t]+[\w."`\[\]\\]{1,128}[ \t]*\(""")
_VALUES = re.compile(r"(?i)[ \t]*(?:\r?\n|\\n|[ \t])*values[ \t]*(?:\r?\n|\\n|[ \t])*\(")
_ROW_GAP = re.compile(r"[ \t]*(?:\r?\n|\\n|[ \t])*,[ \t]*(?:\r?\n|\\n|[ \t])*\(")
_PASSWORD_COLUMN = re.compile(r"(?i)(?:\w*_)?(?:password|passwd|passphrase|pwd)|\w+_pass")  # (not pass alone: a flag)
_SECRET_COLUMN = re.compile(
    r"(?i)(?:\w*_)?(?:secret|token|api_?key|access_?key|secret_?key|private_?key|client_?secret|auth_?key)"
    r"|key"
)
_LITERAL = re.compile(r"""(?:[EeNn]|_utf8mb4)?'((?:[^'\\\n]|'')*)'""")
_MAX_STATEMENT = 20_000  # characters of one statement read from its INSERT
_MAX_ROWS = 500


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
        elif ch == "'":
            quote = "'"
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


def _secret_values(text: str, column: re.Pattern[str], check: Callable[[str], bool]) -> Iterator[tuple[int, int]]:
    for insert in _INSERT.finditer(text):
        limit = min(len(text), insert.end() + _MAX_STATEMENT)
        head = _TABLE_THEN_COLUMNS.match(text, insert.end())
        if head is None:
            continue  # VALUES without a column list: nothing names the values
        columns = _split(text, head.end(), limit)
        if columns is None:
            continue
        names, pos = columns
        wanted = [i for i, (s, e) in enumerate(names) if column.fullmatch(_column_name(text[s:e]))]
        if not wanted:
            continue
        opener = _VALUES.match(text, pos)
        for _ in range(_MAX_ROWS):
            if opener is None:
                break
            row = _split(text, opener.end(), limit)
            if row is None:
                break
            values, pos = row
            for i in wanted:
                if i >= len(values):
                    continue
                s, e = values[i]
                literal = _LITERAL.fullmatch(text[s:e].strip(" \t"))
                if literal is None:
                    continue
                lead = len(text[s:e]) - len(text[s:e].lstrip(" \t"))
                value_start = s + lead + literal.start(1)
                value = literal.group(1)
                if value and check(value.replace("''", "'")):
                    yield value_start, value_start + len(value)
            opener = _ROW_GAP.match(text, pos)


def sql_password_values(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each literal under a password column of an INSERT with a column list."""
    return _secret_values(text, _PASSWORD_COLUMN, v.quoted_password)


def sql_secret_values(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each random literal under a secret, token or key column of an INSERT."""
    return _secret_values(text, _SECRET_COLUMN, v.looks_random)


_ANCHOR = r"(?i)(?:insert|replace)[ \t]+(?:(?:or[ \t]+\w+|ignore)[ \t]+)?into[ \t]"
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
            priority=62,
            prefilter=("nsert", "NSERT", "eplace", "EPLACE"),
            anchor=re.compile(_ANCHOR),
            window=(0, 0),
            description=f"INSERT INTO t (..., {_what} column, ...) VALUES (..., '...', ...): the value under it",
        )
    )
