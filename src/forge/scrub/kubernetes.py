"""The values of a Kubernetes Secret manifest: everything under `data:` and `stringData:`.

Base64 values under arbitrary key names (`password: aHVudGVyMg==`, `tls.key: LS0t...`) look like
nothing to a rule engine; the manifest's `kind: Secret` is what makes them secrets. A regex
cannot say "every value of this block, in a document that is a Secret" (`kubectl get -o yaml`
writes `data:` before `kind:`), so this is a small function over the text.

Manifests appear as YAML (real newlines, or JSON-escaped `\\n` inside tool output) and as JSON
(`kubectl get secret -o json`, also escaped). Keys are kept; each value is one finding.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from forge.scrub.gutters import gutter_style

_KIND = re.compile(r"""kind\\?["']?\s*:\s*\\?["']?Secret(?![A-Za-z0-9])""")
_DOC_SEP = re.compile(r"(?:\n|\\n)---(?:[ \t]|\n|\\n|$)")
_NEWLINE = re.compile(r"\r?\n|(?:\\r)?\\n")
_BLOCK = re.compile(r"([ \t]*)(?:data|stringData):[ \t]*\Z")
_ENTRY = re.compile(r"""([ \t]+)(?:[\w.\-]+|"[^"\\]*"|'[^']*'):[ \t]*(.*?)[ \t]*\Z""")
_JSON_BLOCK = re.compile(r"""\\?"(?:data|stringData)\\?"\s*:\s*\{([^{}]{0,200000})\}""")
_JSON_VALUE = re.compile(r"""\\?"[^"\\]{1,253}\\?"\s*:\s*\\?"([^"\\]*)\\?\"""")
REACH = 20_000  # how far from `kind: Secret` its manifest may extend (either way)


def kubernetes_secret_values(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every data/stringData value of each Secret manifest in text."""
    # each `kind: Secret`'s document, read once however many name it: a line that repeats a
    # manifest, or one pasted into every field, holds thousands (windows that overlap are read
    # as one, with the state of the lines before)
    separators = [(m.start(), m.end()) for m in _DOC_SEP.finditer(text)] if "---" in text else []
    windows: dict[re.Pattern[str] | None, list[tuple[int, int]]] = {}
    for kind in _KIND.finditer(text):
        # a manifest shown with a gutter (numbered by a Read tool or cat -n, quoted, in a diff)
        # has it on every line: the line of `kind:` says which, and YAML is read past it
        escaped = text.rfind("\\n", 0, kind.start())
        line_start = max(text.rfind("\n", 0, kind.start()) + 1, escaped + 2 if escaped >= 0 else 0)
        gutter = gutter_style(text[line_start : kind.start()])
        windows.setdefault(gutter, []).append(_document(text, kind.start(), kind.end(), separators))
    seen: set[tuple[int, int]] = set()
    for gutter, spans in windows.items():
        for lo, hi in _merged(spans):
            for span in (*_yaml_values(text, lo, hi, gutter), *_json_values(text, lo, hi)):
                if span not in seen and span[1] > span[0]:
                    seen.add(span)
                    yield span


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _document(text: str, start: int, end: int, separators: list[tuple[int, int]]) -> tuple[int, int]:
    """The YAML document around a match: between '---' separators, at most REACH away."""
    lo, hi = max(0, start - REACH), min(len(text), end + REACH)
    i = bisect.bisect_left(separators, (start,))  # the first separator at or after start
    if i > 0 and separators[i - 1][1] <= start:
        lo = max(lo, separators[i - 1][1])
    j = bisect.bisect_left(separators, (end,))
    if j < len(separators) and separators[j][0] < hi:
        hi = separators[j][0]
    return lo, hi


def _lines(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    pos = lo
    for m in _NEWLINE.finditer(text, lo, hi):
        yield pos, m.start()
        pos = m.end()
    yield pos, hi


def _yaml_values(text: str, lo: int, hi: int, gutter: re.Pattern[str] | None = None) -> Iterator[tuple[int, int]]:
    block_indent: int | None = None  # inside data:/stringData: whose key sits at this indent
    scalar_indent: int | None = None  # inside a `key: |` block scalar deeper than this
    for s, e in _lines(text, lo, hi):
        if gutter is not None and (g := gutter.match(text, s, e)) is not None:
            s = g.end()
        line = text[s:e]
        stripped = line.strip()
        indent = len(line) - len(line.lstrip(" \t"))
        if scalar_indent is not None:
            if stripped and indent > scalar_indent:
                yield s + indent, s + len(line.rstrip())
                continue
            scalar_indent = None if stripped else scalar_indent
            if not stripped:
                continue
        if block_indent is not None:
            if not stripped or stripped.startswith("#"):
                continue
            m = _ENTRY.match(line)
            if m and len(m.group(1)) > block_indent:
                value = m.group(2)
                if value in ("|", ">", "|-", ">-", "|+", ">+"):
                    scalar_indent = len(m.group(1))
                elif value:
                    vs = s + m.start(2)
                    ve = s + m.end(2)
                    if value[0] in "\"'" and len(value) > 1 and value[-1] == value[0]:
                        vs, ve = vs + 1, ve - 1
                    yield vs, ve
                continue
            block_indent = None
        m = _BLOCK.match(line)
        if m:
            block_indent = len(m.group(1))


def _json_values(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    for block in _JSON_BLOCK.finditer(text, lo, hi):
        for m in _JSON_VALUE.finditer(text, block.start(1), block.end(1)):
            yield m.span(1)
