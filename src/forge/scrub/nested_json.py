"""Text held in a JSON string inside a JSON string, scrubbed as the text it is.

A transcript line is JSON, and many of its strings are JSON again: Codex writes a call's output
as `{"output": "...", "metadata": ...}` in a string, agents print `kubectl get -o json`, `gh api`
or a session file they read. In the line's raw text such an inner string's line breaks and quotes
are escaped twice (`\\\\n`, `\\\\\\"`), and rules that read a file across lines (a Kubernetes Secret's
`data:`, `.netrc`, a service-account JSON) do not see its lines there. Tokens are caught at any
depth; these are not. So a string whose decoded value still holds escapes is scrubbed again as
that value (one level of escaping, which the rules read), and written back encoded. Depth is
bounded: three levels of JSON in JSON is more than any agent writes.
"""

from __future__ import annotations

from json import dumps
from json.decoder import scanstring  # type: ignore[attr-defined]  # (public, not in the stubs)

from forge.scrub.scrubber import Scrubber

MAX_DEPTH = 3
_TWICE = ("\\\\n", '\\\\\\"')  # an escaped line break or quote inside an escaped string


def holds_nested(text: str) -> bool:
    """Whether text (raw JSON) has a string whose value is escaped text (cheap test: most lines
    have no escaped backslash at all, and one search says so)."""
    return "\\\\" in text and (_TWICE[0] in text or _TWICE[1] in text)


def scrub_nested(text: str, scrubber: Scrubber, depth: int = 0) -> str:
    """text (raw JSON, already scrubbed as text) with each string whose value holds escaped text
    scrubbed as that value; strings that need nothing are left byte for byte."""
    if depth >= MAX_DEPTH or not holds_nested(text):
        return text
    tokens: list[tuple[int, int, str]] = []  # (start, end) of a string token with its quotes, value
    pos = 0
    while (start := text.find('"', pos)) >= 0:
        try:
            value, end = scanstring(text, start + 1, True)
        except ValueError:  # not a string token after all (text that is not JSON): go on after it
            pos = start + 1
            continue
        # a JSON document held in the string (code with "\n" in its literals is not one: its text
        # is read where it stands)
        if value.lstrip()[:1] in ("{", "[") and ("\\n" in value or '\\"' in value):
            tokens.append((start, end, value))
        pos = end
    if not tokens:
        return text
    cleaned = scrubber.scrub_texts([value for _, _, value in tokens])
    out, last = [], 0
    for (start, end, value), clean in zip(tokens, cleaned):
        clean = scrub_nested(clean, scrubber, depth + 1)
        if clean == value:
            continue
        raw = text[start:end]
        out += [text[last:start], dumps(clean, ensure_ascii="\\u" in raw)]
        last = end
    return "".join(out) + text[last:] if out else text
