"""A user's login name, once a home path gives it away, wherever else it stands in the same
conversation.

A home path (/home/NAME, /Users/NAME, C:\\Users\\NAME, Claude Code's -Users-NAME- folders) tells
the scrubber the name, and tool output shows it again where no path does: `ls -l`'s owner
column, a tree of folders, Xcode's NAME.xcuserdatad, `whoami`. Names of five characters or more
are replaced as whole words; shorter ones (dev, max, chip) are too often words of code and prose
to chase outside a path. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from forge.scrub.detectors import Detector

# the detectors whose findings are a login name, with the text each needs to find one (most
# strings hold none of them: a substring test skips them for the price of a pattern's pass)
NAME_DETECTORS = {
    "home_user": ("/home/", "/Users/"),
    "windows_user": ("\\Users\\",),
    "claude_project_user": ("-home-", "-Users-"),
}
MIN_CHARS = 5
DETECTOR = "known_user"  # what the report counts these replacements under


def names_in(texts: Iterable[str], detectors: Sequence[Detector], allowlist: Iterable[str] = ()) -> set[str]:
    """The login names the name detectors among `detectors` find in texts (as they validate
    them), long enough to replace elsewhere and not allowlisted."""
    dets = [d for d in detectors if d.name in NAME_DETECTORS]
    if not dets:
        return set()
    allowed = set(allowlist)
    names: set[str] = set()
    for text in texts:
        if "home" not in text and "Users" not in text:  # (in every literal below)
            continue
        for det in dets:
            lits = NAME_DETECTORS[det.name]
            if lits[0] not in text and (len(lits) == 1 or lits[1] not in text):
                continue
            for m in det.pattern.finditer(text):
                name = m.group("s")
                if len(name) >= MIN_CHARS and name not in allowed and (det.validator is None or det.validator(name)):
                    names.add(name)
    return names


def pattern_for(names: Iterable[str]) -> re.Pattern[str] | None:
    """Whole-word occurrences of the names: not inside a longer name or word (dev-alice,
    alice_2), but beside a dot or a slash (alice.xcuserdatad, /alice/)."""
    ordered = sorted(set(names), key=lambda n: (-len(n), n))  # the longer first, where one holds another
    if not ordered:
        return None
    # (also right after a JSON-escaped line break, as in a transcript line: ...\\nalice staff)
    return re.compile(
        r"(?:(?<![A-Za-z0-9_\-])|(?<=\\[nrt]))(?:" + "|".join(map(re.escape, ordered)) + r")(?![A-Za-z0-9_\-])"
    )


def replace(text: str, pattern: re.Pattern[str], placeholder: str) -> tuple[str, int]:
    return pattern.subn(placeholder, text)
