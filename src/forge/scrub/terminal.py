"""Text as a terminal showed it: colour codes take no room.

`grep --color AKIA` prints `AKIA\\x1b[m\\x1b[KUQ2A...`: on screen one token, in the text two words.
The finder scans such a text twice, as it is (codes as spaces, so a code right before a token is
a boundary) and as shown (codes gone), and keeps what either finds; `View` maps a span of the
shown text back to the text, from its first character to its last (codes inside it go with it,
codes around it stay). Pure: no I/O.
"""

from __future__ import annotations

import bisect
import re

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

    __slots__ = ("_at", "_ends", "_src", "text")

    def __init__(self, source: str, edits: list[tuple[int, int, str]]):
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
        from to the end of where its last one did."""
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


def shown(text: str) -> View | None:
    """The text as a terminal shows it, or None where that is the text itself (most texts)."""
    if not has_codes(text):
        return None
    edits = _code_edits(text)
    # (codes that all read as spaces show nothing the text read as it is does not)
    return View(text, edits) if any(not new for _, _, new in edits) else None
