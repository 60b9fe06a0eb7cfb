"""Line gutters: what tools print before each line of a file or a history they show.

An agent that reads `~/.netrc` or a Secret manifest rarely shows the bare file: Claude Code's Read
tool numbers each line (`     3→`), `cat -n` and `grep -n` too (`     3<TAB>`, `3:`), Aider's log
quotes command output (`> `), panels draw a box edge (`│ `) and a diff marks each line (`+`).
Rules that read a file line by line (.netrc, .pgpass, a Kubernetes Secret's `data:`) look past
them. Pure: no I/O.
"""

from __future__ import annotations

import re

# A gutter at a line's start, as a regex fragment (Python and the rule engine alike).
# (→ and │ also as JSON writes them when it escapes what is not ASCII: \u2192, \u2502)
GUTTER = (
    r"(?:[ \t]*[0-9]{1,7}(?:→|\\u2192|\t|\\t|:)|[ \t]*>|[ \t]*(?:│|\\u2502)|[+\-]"
    # a shell's history: `history` numbers each command (  501  ...), zsh's extended history
    # stamps it (: 1733480000:0;...); a log's timestamp (GitHub Actions, docker logs -t)
    r"|(?:[ \t]|\\t)*[0-9]{1,7}[ \t]{2}|(?:[ \t]|\\t)*: [0-9]{9,11}:[0-9]+;"
    # (and an application log's: 2024-05-01 12:00:00,123 DEBUG ...)
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.,]{8,18}Z?"
    r"(?:[ \t]+\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL)\]?:?)?[ \t]+"
    # grep -rn's file and line (src/app/.env:12:, a context line's src/app/.env-13-)
    r"|[\w./\-]{1,255}+(?::[0-9]{1,7}:|-[0-9]{1,7}-))"
)
# A line break, real or JSON-escaped (tool output inside a JSON string), and the gutter after it.
LINE_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"
# Whitespace between a file's words, across lines and their gutters.
WS_ACROSS_LINES = r"(?:[ \t\f\v]|\\t|" + LINE_BREAK + GUTTER + r"?)+"
# Any whitespace or none, across lines and their gutters: between a call's arguments, an XML
# key and its value, as a file shows them numbered by a Read tool. (Its choices never match the
# same text: a line break is only a break, so a long run of them cannot backtrack at length.)
BLANKS_ACROSS_LINES = r"(?:" + LINE_BREAK + GUTTER + r"?|[^\S\r\n]|\\t|\\r(?!\\n)|\r(?!\n))*"

# Gutter styles, to strip from every line of a block once its first line shows which one it has.
_STYLES = (
    re.compile(r"[ \t]*[0-9]{1,7}(?:→|\\u2192)"),  # Claude Code's Read
    # cat -n (its tab JSON-escaped in a transcript line, or read as a tab and a blank: find.tabs_as_blanks)
    re.compile(r"[ \t]*[0-9]{1,7}(?:\t ?|\\t)"),
    re.compile(r"[0-9]{1,7}[:\-]"),  # grep -n (a match and its context lines)
    re.compile(r"[\w./\-]{1,255}+(?::[0-9]{1,7}:|-[0-9]{1,7}-)"),  # grep -rn (and its file's name)
    re.compile(r"[ \t]*>[ \t]?"),  # a Markdown quote
    re.compile(r"[ \t]*(?:│|\\u2502)[ \t]?"),  # a panel's edge
    re.compile(r"[+\- ]"),  # a diff's marker column
)


def gutter_style(prefix: str) -> re.Pattern[str] | None:
    """The style of gutter `prefix` (what stands before a line's first character) is, or None
    when it is none (empty, or not a gutter)."""
    if not prefix:
        return None
    return next((style for style in _STYLES if style.fullmatch(prefix)), None)
