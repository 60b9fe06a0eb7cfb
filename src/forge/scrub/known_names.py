"""A user's login name, once a home path gives it away, wherever else it stands in the same
conversation.

A home path (/home/NAME, /Users/NAME, C:\\Users\\NAME, Claude Code's -Users-NAME- folders) or an
`ls -l` owner column tells the scrubber the name, and tool output shows it again where neither
does: a tree of folders, Xcode's NAME.xcuserdatad, a git author, `whoami`. Names of five
characters or more are replaced as whole words; shorter ones (dev, max, chip) are too often
words of code and prose to chase outside a path or listing. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from forge.scrub.detectors import Finding

# the detectors whose findings are a login name, and how short a name may be and still be
# replaced elsewhere
NAME_DETECTORS = frozenset(
    {"home_user", "windows_user", "claude_project_user", "ls_owner", "ls_group"}
    | {"prompt_user", "id_output_user", "whoami_user", "login_variable_user", "tilde_user", "wsl_home_user"}
)
MIN_CHARS = 5
DETECTOR = "known_user"  # what the report counts these replacements under


def names_of(text: str, findings: Iterable[Finding]) -> tuple[str, ...]:
    """The login names among a text's findings, long enough to replace elsewhere (the scrubber
    collects them while it scrubs: no second pass over the text)."""
    names: list[str] = []
    for f in findings:  # (a loop, not a generator: this runs for every string with a finding)
        if f.end - f.start >= MIN_CHARS and f.detector in NAME_DETECTORS:
            names.append(text[f.start : f.end])  # (a tuple grown name by name costs n² on a long listing)
    return tuple(names)


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
