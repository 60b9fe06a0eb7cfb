"""JSON Lines reading shared by every stage.

`iter_jsonl` is tolerant (transcripts from the wild): every bad line becomes one warning naming
its line, never its text. `read_jsonl` is strict (files Forge wrote itself, such as dataset
rows): the first bad line raises InputError naming file and line.
Lines are read as bytes and decoded one at a time, so one bad byte spoils one line, not the file.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterator

from forge.errors import InputError

Warn = Callable[[int, str], None]  # (line number, reason) — never the line's text


def iter_jsonl(path: Path, warn: Warn) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based line number, object) for every line that holds a JSON object."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            ends_file = not raw.endswith(b"\n")
            raw = raw.rstrip(b"\r\n")
            if not raw.strip():
                continue
            if b"\x00" in raw:
                warn(lineno, "binary data (NUL byte) in line")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                warn(lineno, f"invalid UTF-8 at byte {exc.start}")
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                # the last line of a file cut off mid-write: an object that never closes
                truncated = ends_file and text.lstrip().startswith("{")
                why = "truncated line (file ends mid-record)" if truncated else \
                    f"invalid JSON: {exc.msg} at column {exc.colno}"
                warn(lineno, why)
                continue
            if not isinstance(obj, dict):
                warn(lineno, f"wrong schema: expected a JSON object, got {type(obj).__name__}")
                continue
            yield lineno, obj



def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Like iter_jsonl, but the first bad line raises InputError naming the file and line."""
    def fail(lineno: int, why: str) -> None:
        raise InputError(why, path=str(path), line=lineno)
    yield from iter_jsonl(path, fail)
