"""JSON Lines reading shared by every stage.

`iter_jsonl` is tolerant (transcripts from the wild): every bad line becomes one warning naming
its line, never its text. `read_jsonl` is strict (files Forge wrote itself, such as dataset
rows): the first bad line raises InputError naming file and line.
Lines are read as bytes and decoded one at a time, so one bad byte spoils one line, not the file.
A line longer than MAX_LINE_BYTES is skipped with a warning while it streams past: reading it
holds at most one cap's worth of bytes, so a 100 MB line costs neither memory nor a parse.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from forge.errors import InputError

Warn = Callable[[int, str], None]  # (line number, reason) — never the line's text


def as_dict(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else {}: a field of a record from the wild may hold anything."""
    return value if isinstance(value, dict) else {}


# Real transcript lines with a pasted screenshot run to a few MB; 32 MiB leaves ample room.
MAX_LINE_BYTES = 32 * 1024 * 1024
SKIP_CHUNK = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"


def _lines(f: Any, max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, length) per line; line is None when it ran past max_bytes (then skipped unread)."""
    while True:
        raw = f.readline(max_bytes + 1)
        if not raw:
            return
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield raw, len(raw)
            continue
        size = len(raw)
        del raw
        while True:  # drain the rest of the over-long line a chunk at a time
            rest = f.readline(SKIP_CHUNK)
            size += len(rest)
            if not rest or rest.endswith(b"\n"):
                break
        yield None, size


def iter_jsonl(path: Path, warn: Warn, max_line_bytes: int | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based line number, object) for every line that holds a JSON object."""
    cap = max_line_bytes or MAX_LINE_BYTES
    with open(path, "rb") as f:
        for lineno, (raw, size) in enumerate(_lines(f, cap), 1):
            if raw is None:
                warn(lineno, f"line too long ({size:,} bytes; the limit is {cap:,}), skipped")
                continue
            ends_file = not raw.endswith(b"\n")
            raw = raw.rstrip(b"\r\n")
            if lineno == 1 and raw.startswith(UTF8_BOM):  # written by a Windows editor or PowerShell
                raw = raw[len(UTF8_BOM) :]
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
                why = (
                    "truncated line (file ends mid-record)"
                    if truncated
                    else f"invalid JSON: {exc.msg} at column {exc.colno}"
                )
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


# Whole-file formats (a SWE-agent .traj, an OpenHands trajectory, a CLAUDE.md) are parsed in one
# piece; past this size the file is set aside with a warning rather than read into memory.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024


def read_capped(path: Path, warn: Callable[[int | None, str], None], max_bytes: int | None = None) -> bytes | None:
    """The file's bytes, or None after one warning when it is larger than the cap."""
    cap = max_bytes or MAX_DOCUMENT_BYTES
    size = path.stat().st_size
    if size > cap:
        warn(None, f"file too large ({size:,} bytes; the limit for whole-file formats is {cap:,}), skipped")
        return None
    return path.read_bytes()


def iter_text_lines(path: Path, warn: Warn, max_line_bytes: int | None = None) -> Iterator[tuple[int, str]]:
    """(line number, text without its newline) per line of a text file; over-long lines and
    lines that are not UTF-8 are warned about and skipped."""
    cap = max_line_bytes or MAX_LINE_BYTES
    with open(path, "rb") as f:
        for lineno, (raw, size) in enumerate(_lines(f, cap), 1):
            if raw is None:
                warn(lineno, f"line too long ({size:,} bytes; the limit is {cap:,}), skipped")
                continue
            try:
                yield lineno, raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                warn(lineno, f"invalid UTF-8 at byte {exc.start}")
