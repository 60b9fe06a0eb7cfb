"""Secrets in a table's column: a CSV, TSV or Markdown table whose header names the column.

`cat users.csv` or a query's output shows `id,username,password` and then rows: each value under
`password` is one, though nothing beside it says so. The header is found first (a cell that is a
password, secret, token or key word, between separators), then the rows under it with as many
cells. A password column's value counts unless it is a plain word, a reference or a mask
(bare_password: a word list is not a table of passwords); a token, secret or key column's when it
looks random (looks_random). Lines may be real or JSON-escaped (`\\n`, `\\t`), as in
tool output inside a transcript line. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from forge.scrub import validators as v

_WORD = (
    # (pass only with a prefix, db_pass: a test report's "pass" column counts passes)
    r"(?:[A-Za-z0-9]+[_\-]pass|(?:[A-Za-z0-9]+[_\- ])*(?:password|passwd|pwd|passphrase|secret|token"
    r"|api[_\- ]?key|apikey|access[_\- ]?key|secret[_\- ]?key|private[_\- ]?key|client[_\- ]?secret|auth[_\- ]?token"
    r"|access[_\- ]?token))"
)
_PASSWORD_COLUMN = re.compile(r"(?i)[a-z0-9]+[_\-]pass|(?:[a-z0-9]+[_\- ])*(?:password|passwd|pwd|passphrase)")
# a secret word anywhere (cheap to search): each is then checked for being a header cell
_WORD_HIT = re.compile(
    r"(?i)passw(?:or)?d|pwd|passphrase|pass\b|secret|token|api[_\- ]?key|apikey|access[_\- ]?key|private[_\- ]?key"
)
_CODE_MARKS = re.compile(r"[()`]")
_NEWLINE = re.compile(r"\r?\n|(?:\\r)?\\n")
# A line between rows: Markdown's |---|:---:|, psql's ----+----, MySQL's +----+----+, and the
# box-drawing borders of psql's unicode style, rich and tabulate (├──┼──┤, ┡━━╇━━┩), as they are or
# JSON-escaped (\u2500)
_RULE_ROW = re.compile(r"(?:[ \t|:\-+=\u2500-\u257f]|\\u25[0-7][0-9a-fA-F])+")
# The pipe family: a cell's border is |, or a box-drawing vertical (│ ┃ ║; a rich table's header
# row has ┃ where its rows have │), as it is or JSON-escaped
PIPE = "|"
_PIPES = re.compile(r"[|\u2502\u2503\u2551]|\\u25(?:0[23]|51)")
MAX_ROWS = 500
MAX_LINE = 4_000
MAX_HEADER_WORDS = 5


def table_secret_values(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each value under a secret-named column of a table in text. hits: where a
    header cell may be (the rule engine's anchor hits); None: every secret word in text."""
    spans = hits if hits is not None else [m.span() for m in _WORD_HIT.finditer(text)]
    done: set[int] = set()  # header lines already read
    for hit_start, hit_end in spans:
        start = _line_start(text, hit_start)
        if start in done:
            continue
        nl = _NEWLINE.search(text, hit_end)
        if nl is not None and text.startswith("\\", nl.start()):  # JSON-escaped lines: a table
            start = max(start, _string_start(text, start, hit_start))  # starts with its string
        end = _line_end(text, start)
        done.add(start)
        if end - start > MAX_LINE:
            continue
        sep = _separator(text[start:end])
        if sep is None:
            continue
        header = _cells(text, start, end, sep)
        # a column's name is a few words (AWS Secret Access Key); a cell of a sentence makes the
        # line prose with commas in it ("... set using the env var, OPENAI_WEBHOOK_SECRET, ...")
        if any(len(text[s:e].split()) > MAX_HEADER_WORDS for s, e in header):
            continue
        columns = [
            (i, bool(_PASSWORD_COLUMN.fullmatch(_bare(text[s:e]))))
            for i, (s, e) in enumerate(header)
            if re.fullmatch(_WORD, _bare(text[s:e]), re.IGNORECASE)
        ]
        if sum(1 for s, e in header if e > s) < 2 or not columns:  # a table has two columns or more
            continue
        if sep == PIPE and not _PIPES.match(text[start:end].strip()) and not _ruled(text, end):
            continue  # pipes inside a line (code's "<|token|>") make no table without psql's ----+---- below
        yield from _rows(text, end, sep, len(header), columns)


def _ruled(text: str, pos: int) -> bool:
    """Whether the line after pos is a rule row (----+----)."""
    nl = _NEWLINE.match(text, pos)
    return nl is not None and bool(_RULE_ROW.fullmatch(text, nl.end(), _line_end(text, nl.end())))


def _rows(text: str, pos: int, sep: str, width: int, columns: list[tuple[int, bool]]) -> Iterator[tuple[int, int]]:
    for _ in range(MAX_ROWS):
        nl = _NEWLINE.match(text, pos)
        if nl is None:
            return
        start = nl.end()
        end = _line_end(text, start)
        line = text[start:end]
        if not line.strip() or end - start > MAX_LINE:
            return
        pos = end
        if sep == PIPE and _RULE_ROW.fullmatch(line):
            continue
        cells = _cells(text, start, end, sep)
        if len(cells) != width or sum(1 for s, e in cells if e > s) < 2:
            return
        for i, is_password in columns:
            s, e = cells[i]
            value = text[s:e]
            # (a token has no brackets or backticks: F.embedding(ids, self.vec) is code)
            if value and (
                v.bare_password(value) if is_password else v.looks_random(value) and not _CODE_MARKS.search(value)
            ):
                yield s, e


def _line_start(text: str, pos: int) -> int:
    real = text.rfind("\n", 0, pos)
    escaped = text.rfind("\\n", 0, pos)
    return max(real + 1, escaped + 2 if escaped >= 0 else 0)


def _line_end(text: str, pos: int) -> int:
    """Where the line from pos ends: a line break, or the end of the JSON string it is in."""
    nl = _NEWLINE.search(text, pos)
    end = nl.start() if nl else len(text)
    quote = _unescaped_quote(text, pos, end)
    return quote if quote >= 0 and (nl is None or text.startswith("\\", end)) else end


def _string_start(text: str, lo: int, pos: int) -> int:
    """After the last unescaped quote in text[lo:pos] (a JSON string's start), else lo."""
    q = text.rfind('"', lo, pos)
    while q > lo and text[q - 1] == "\\":
        q = text.rfind('"', lo, q)
    return q + 1 if q >= lo and (q == 0 or text[q - 1] != "\\") else lo


def _unescaped_quote(text: str, lo: int, hi: int) -> int:
    q = text.find('"', lo, hi)
    while q > 0 and text[q - 1] == "\\":
        q = text.find('"', q + 1, hi)
    return q


def _separator(line: str) -> str | None:
    line = line.strip()
    if line.startswith("\\t"):  # a JSON-escaped indent
        line = line[2:]
    if _PIPES.match(line):
        return PIPE
    for sep in ("\t", "\\t", ";", ","):
        if sep in line:
            return sep
    if _PIPES.search(line):  # psql's aligned output: ` name | password`, no outer pipes
        return PIPE
    return None


def _cells(text: str, start: int, end: int, sep: str) -> list[tuple[int, int]]:
    """Each cell's (start, end) with spaces and quotes trimmed; a bordered row's outer pipes are
    not cells."""
    line = text[start:end]
    if sep == PIPE:
        bounds = [0, *(x for m in _PIPES.finditer(line) for x in m.span()), len(line)]
        parts = [(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]
        if parts and not line[parts[0][0] : parts[0][1]].strip():
            parts = parts[1:]
        if parts and not line[parts[-1][0] : parts[-1][1]].strip():
            parts = parts[:-1]
    else:
        parts, pos = [], 0
        for part in line.split(sep):
            parts.append((pos, pos + len(part)))
            pos += len(part) + len(sep)
    spans = []
    for s, e in parts:
        while s < e and line[s] in " \t":
            s += 1
        while e > s and line[e - 1] in " \t":
            e -= 1
        for quote in ('\\"', '"', "'"):
            if e - s >= 2 * len(quote) and line.startswith(quote, s) and line.endswith(quote, s, e):
                s, e = s + len(quote), e - len(quote)
                break
        spans.append((start + s, start + e))
    return spans


def _bare(cell: str) -> str:
    return cell.strip().strip("\"'\\")
