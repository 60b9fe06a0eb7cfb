"""Text as a terminal showed it: colour codes take no room, and a line cut at the pane's width
goes on on the next.

`grep --color AKIA` prints `AKIA\\x1b[m\\x1b[KUQ2A...`: on screen one token, in the text two words.
`tmux capture-pane -p` (without -J), a `script` log or a fixed-width panel cut a long line at the
pane's width: a token there goes on on the next line. The finder scans such a text twice, as it is
(codes as spaces, so a code right before a token is a boundary) and as shown (codes gone, wraps
joined), and keeps what either finds; `View` maps a span of the shown text back to the text, from
its first character to its last (codes and line breaks inside it go with it, those around it
stay). Pure: no I/O.
"""

from __future__ import annotations

import bisect
import re
import unicodedata

# Terminal control codes (ESC [ ... letter), raw or JSON-escaped (\u001b[...) as in a transcript line
CODE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\\u001[bB]\[[0-9;?]*[ -/]*[@-~]")
# Codes that take no room on screen: colours (m), erase to the line's end (K, as grep writes after
# each match), modes (h, l: cursor shown or hidden). The rest move the cursor (up, to a column,
# home), so what stands on either side of one need not touch on screen: they read as a space.
_NO_ROOM = frozenset("mKhl")


def has_codes(text: str) -> bool:
    return "\x1b" in text or "\\u001" in text


def as_spaces(text: str) -> str:
    """The text with each code read as spaces of its length (every offset still points into it)."""
    if not has_codes(text):
        return text
    return CODE.sub(lambda m: " " * (m.end() - m.start()), text)


class View:
    """A text with some spans cut out or replaced, and the way back: where in the text each
    character of the view came from. Built from edits (start, end, replacement), sorted and
    disjoint."""

    __slots__ = ("_at", "_ends", "_src", "tails", "text")

    def __init__(self, source: str, edits: list[tuple[int, int, str]], tails: list[int] | None = None):
        self.tails = tails or []  # line breaks joined on condition (see shown)
        parts: list[str] = []
        self._at: list[int] = []  # where each piece starts in the view ...
        self._src: list[int] = []  # ... and in the source
        self._ends: list[int] = []  # a replacement's end in the source; -1: a piece copied as it is
        pos = view = 0
        for start, end, new in [*edits, (len(source), len(source), "")]:
            if start > pos:
                self._piece(view, pos, -1)
                parts.append(source[pos:start])
                view += start - pos
            if new:
                self._piece(view, start, end)
                parts.append(new)
                view += len(new)
            pos = end
        self.text = "".join(parts)

    def _piece(self, view: int, src: int, end: int) -> None:
        self._at.append(view)
        self._src.append(src)
        self._ends.append(end)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The source span of view[start:end] (not empty): from where its first character came
        from to where its last one ends."""
        k = bisect.bisect_right(self._at, start) - 1
        src_start = self._src[k] + (start - self._at[k] if self._ends[k] < 0 else 0)
        k = bisect.bisect_right(self._at, end - 1) - 1
        src_end = self._src[k] + (end - self._at[k] if self._ends[k] < 0 else 0)
        return src_start, (src_end if self._ends[k] < 0 else self._ends[k])


def _code_edits(text: str) -> list[tuple[int, int, str]]:
    edits = []
    for m in CODE.finditer(text):
        start, end = m.span()
        if text[start] == "\\":
            # JSON-escaped: only where its backslash is not itself escaped (\\u001b is text)
            before = start
            while before and text[before - 1] == "\\":
                before -= 1
            if (start - before) % 2:
                continue
        edits.append((start, end, "" if text[end - 1] in _NO_ROOM else " "))
    return edits


# --- lines a terminal wrapped -----------------------------------------------------------------
#
# A line break is read as a wrap only where a terminal would have made it and text rarely does:
# - inside a run of token characters (letters, digits, +/=_.-) on both sides: no space, and the
#   next line does not start with / or + (paths one a line, as `find` prints them, and diff
#   lines: a token cut right before one is missed);
# - after a full-width line: as wide as a common terminal (80, 100, ... columns), or, for a pane
#   of any width, the line after it is as wide, is one token from end to end and is cut the same
#   way (a token cut twice or more; tables and listings share widths, but their rows hold
#   spaces), or as wide as another line so cut in the same text (the pane's width, now known);
# - where a secret may go on: on a line where a detector's anchor matched (a token's prefix, a
#   key's name) or where a candidate ended at the break. Looking only there keeps the cost off
#   the many texts that hold no secret (a rule-engine pass for every such break made a scrub of
#   real sessions a third slower; these checks cost about 5%).
# A line of prose or code rarely ends exactly there, so `password = hunter2\nnext line` keeps its
# next line. Joining a line that was not wrapped loses nothing: the finder keeps what either
# reading finds (the text as it is, and as shown).
TERMINAL_WIDTHS = frozenset({80, 100, 120, 132, 160, 200})
MIN_WIDTH = 40  # narrower lines are not taken for a pane's width
_MAX_LINE = 400  # characters a line of at most 200 columns takes in a text (escapes, codes)
_TOKEN = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_.-")
_NEXT = _TOKEN - {"/", "+"}
_ONE_TOKEN = re.compile(r"[A-Za-z0-9+/=_.-]+")
_SETTING = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+=[^=\s]")  # an environment variable set
_BREAK = re.compile(r"\\n|\n")  # (the \r or \\r before one: see _every_cut; a literal first: fast)
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|[^t])")


def _next_break(text: str, at: int) -> tuple[int, int] | None:
    """The first line break (real or JSON-escaped) at or after `at`, as a span, if it is near."""
    end = at + _MAX_LINE
    real = text.find("\n", at, end)
    escaped = text.find("\\n", at, real if real >= 0 else end)
    while escaped > 0 and text[escaped - 1] == "\\":  # a backslash, escaped, then an n: no break
        escaped = text.find("\\n", escaped + 1, real if real >= 0 else end)
    if escaped >= 0:
        return (escaped - 2 if escaped >= 2 and text[escaped - 2 : escaped] == "\\r" else escaped), escaped + 2
    if real >= 0:
        return (real - 1 if real and text[real - 1] == "\r" else real), real + 1
    return None


def _cut(text: str, brk: tuple[int, int]) -> bool:
    """Whether the break stands inside a run of token characters (see above), and the next line
    does not start the next setting of an .env file (TOTP_VAULT_KEY=...: a value of 64 characters
    under a 16-character name fills 80 columns)."""
    start, end = brk
    return (
        start > 0
        and end < len(text)
        and text[start - 1] in _TOKEN
        and text[end] in _NEXT
        and not (text[end].isupper() and _SETTING.match(text, end))
    )


def _after(text: str, sub: str, start: int, end: int) -> int:
    """Where the last `sub` in text[start:end] ends (an escape's, not one after an escaped
    backslash), or start when there is none."""
    at = text.rfind(sub, start, end)
    while sub[0] == "\\" and at > start and text[at - 1] == "\\":
        at = text.rfind(sub, start, at)
    return at + len(sub) if at >= 0 else start


def _line(text: str, brk: int) -> tuple[int, int]:
    """Where the line that ends at brk starts (after the last line break or carriage return; in
    a JSON string, or after its opening quote), and its width on screen (codes as nothing,
    escapes as what they stand for, tabs to the next multiple of 8, wide characters as two)."""
    lo = max(0, brk - _MAX_LINE)
    start = max(_after(text, "\n", lo, brk), _after(text, "\r", lo, brk))
    escaped = text[brk] == "\\"
    if escaped:
        start = max(_after(text, "\\n", start, brk), _after(text, "\\r", start, brk))
        quote = text.rfind('"', start, brk)
        while quote > start and text[quote - 1] == "\\":
            quote = text.rfind('"', start, quote)
        start = max(start, quote + 1)
    line = text[start:brk]
    if len(line) < MIN_WIDTH and line.isascii() and "\t" not in line and "\\t" not in line:
        return start, len(line)  # (narrower still on screen: not a pane's width; most lines)
    if "<SECRET:" in line:
        # a line scrubbed already is no longer as wide as the terminal showed it: read as a
        # pane's width, it could join what the first scrub kept apart (so scrubbing is idempotent)
        return start, -1
    if has_codes(line):
        line = CODE.sub("", line)
    if escaped and "\\" in line:  # (each escape one character; a tab's expanded below)
        line = _ESCAPE.sub("x", line).replace("\\t", "\t")
    if "\t" in line:
        line = line.expandtabs(8)
    if line.isascii() or max(line) < "\u1100":  # (no wide character before U+1100)
        return start, len(line)
    return start, sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def _one_token(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is one token from end to end (codes in it take no room)."""
    line = text[start:end]
    return _ONE_TOKEN.fullmatch(CODE.sub("", line) if has_codes(line) else line) is not None


def _near(text: str, points: list[int]) -> list[tuple[int, int]]:
    """The cuts that end the lines these points lie on, and after each, the cuts of the lines
    that follow while one token runs through them."""
    found = []
    seen = 0  # where the last line looked at ends: later points on it have nothing new
    for at in sorted(points):
        if at < seen:
            continue
        brk = _next_break(text, at)
        while brk is not None and _cut(text, brk):
            found.append(brk)
            after = _next_break(text, brk[1])
            if after is None or not _one_token(text, brk[1], after[0]):
                break
            brk = after
        seen = brk[1] if brk is not None else at + 1
    return found


def wraps(
    text: str, points: list[int], *, anywhere: bool = False
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The line breaks in text that a terminal made (see above), as spans: those on the lines
    the points lie on (anywhere: on every line; and once one is found, the text is a pane's, so
    every line is looked at too: a token's prefix cut shows no anchor). And apart, the other
    breaks inside a token where a point stands right at the break (a candidate that ends there:
    see shown)."""
    found = _every_cut(text) if anywhere else _near(text, points)
    if not found:
        return [], []
    joined = _pane_cuts(text, found)
    if not anywhere and any(joined):
        found = _every_cut(text)
        joined = _pane_cuts(text, found)
    # a line that starts where an anchor matched starts a token of its own (a full line that
    # happened to end with a whole token, then ghp_...): no cut, unless the line ends in a dot (a
    # JWT's next part starts eyJ too)
    at = set(points)
    own = {b for b in found if b[1] in at and text[b[0] - 1] != "."}
    return [b for b, ok in zip(found, joined) if ok and b not in own], [
        b for b, ok in zip(found, joined) if not ok and b[0] in at and b not in own
    ]


def _every_cut(text: str) -> list[tuple[int, int]]:
    found = []
    for m in _BREAK.finditer(text):
        start, end = m.span()
        if end - start == 1:
            start -= start > 0 and text[start - 1] == "\r"
        elif start >= 2 and text[start - 2 : start] == "\\r":
            start -= 2
        if _cut(text, (start, end)):
            found.append((start, end))
    return found


def _pane_cuts(text: str, found: list[tuple[int, int]]) -> list[bool]:
    """Which of these cuts (in order) end a full-width line (see above)."""
    lines = [_line(text, start) for start, _ in found]
    joined = [width in TERMINAL_WIDTHS for _, width in lines]
    for k in range(len(found) - 1):  # a run of lines as wide, one token through the middle ones
        start, width = lines[k + 1]
        if (
            width >= MIN_WIDTH
            and start == found[k][1]
            and lines[k][1] == width
            and _one_token(text, start, found[k + 1][0])
        ):
            joined[k] = joined[k + 1] = True
    panes = {width for (_, width), ok in zip(lines, joined) if ok}  # the widths seen cut
    return [ok or width in panes for (_, width), ok in zip(lines, joined)]


def shown(text: str, points: list[int], *, codes: bool = True, anywhere: bool = False) -> list[View]:
    """The text as a terminal shows it, where that is not the text itself (most texts: none).
    points, anywhere: where to look for lines a terminal cut (see wraps). codes: False where the
    caller knows the text holds none.

    A candidate that ends at a break inside a token, on a line of any width, may be the start of
    a token cut there (`export GITHUB_TOKEN=ghp_...` in a pane of any width): a second view
    joins those breaks too (View.tails), and what the finder finds across one counts only where
    it is stronger than the candidate that ended there (a provider's token where a key's value
    was found), so that `password = hunter2\nnext` keeps its next line. (Apart, so that such a
    join glues no whole token to the next line's in the first view.)"""
    edits = _code_edits(text) if codes and has_codes(text) else []
    glue = _glue(text, edits)
    joined, tails = wraps(text, points, anywhere=anywhere)
    edits = sorted(edits + [(start, end, "") for start, end in joined])
    views = [View(text, edits)] if joined or glue else []
    if tails:
        edits = sorted(edits + [(start, end, "") for start, end in tails])
        views.append(View(text, edits, [start for start, _ in tails]))
    return views


def _glue(text: str, edits: list[tuple[int, int, str]]) -> bool:
    """Whether a run of codes that take no room stands between two token characters: shown,
    they touch (AKIA\\x1b[m\\x1b[KUQ2A...). Codes beside a space, or that move the cursor,
    show nothing the text as it reads (codes as spaces) does not."""
    k = 0
    while k < len(edits):
        start, end, new = edits[k]
        while k + 1 < len(edits) and edits[k + 1][0] == end:  # a run of codes, one after another
            k += 1
            end, new = edits[k][1], new + edits[k][2]
        k += 1
        if new or not start or end >= len(text):
            continue
        if text[start - 1] in _TOKEN and text[end] in _TOKEN and not (start >= 2 and text[start - 2] == "\\"):
            return True  # (the n of a JSON \\n escape before it is no token character)
    return False
