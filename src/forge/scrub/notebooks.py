"""Jupyter notebooks: a cell's source and each output's text are JSON lists of lines.

A file a cell printed (`!cat ~/.netrc`, a Secret manifest) is split into one JSON string per
line, so rules that read across lines see `\\n", "` between them, not a line break. The text
scrub runs first (every line as it stands); then each list of lines is joined, scrubbed as the
text it is, and split back into lines. The notebook is rewritten only where that found more, in
nbformat's own layout (one-space indent, characters as they are).
"""

from __future__ import annotations

import json
from typing import Any

from forge.scrub.scrubber import Scrubber

_LINE_LIST = '\\n",'  # a JSON string ending in a line break, then another element: a list of lines


def scrub_line_lists(text: str, scrubber: Scrubber) -> str:
    """text (a notebook, already scrubbed as text) with each list of lines scrubbed as one text."""
    if _LINE_LIST not in text:
        return text
    try:
        notebook = json.loads(text)
    except ValueError:
        return text
    lists = list(_line_lists(notebook))
    joined = ["".join(lines) for lines in lists]
    changed = False
    for lines, before, after in zip(lists, joined, scrubber.scrub_texts(joined)):
        if after != before:
            lines[:] = after.splitlines(keepends=True)
            changed = True
    if not changed:
        return text
    end = "\n" if text.endswith("\n") else ""
    return json.dumps(notebook, indent=_indent(text), ensure_ascii=False) + end


def _line_lists(value: Any) -> Any:
    """Every list of two or more strings in value whose strings but the last end a line."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _line_lists(v)
    elif isinstance(value, list):
        if len(value) > 1 and all(isinstance(v, str) for v in value):
            if all(v.endswith("\n") for v in value[:-1]):
                yield value
        else:
            for v in value:
                yield from _line_lists(v)


def _indent(text: str) -> int | None:
    """The file's indent (nbformat writes 1), read off its second line."""
    second = text.split("\n", 2)[1] if text.count("\n") >= 1 else ""
    spaces = len(second) - len(second.lstrip(" "))
    return spaces or None
