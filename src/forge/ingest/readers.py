"""The reader table: format name → Reader.

Built-in readers register themselves exactly as a plugin would, through `register`. Third-party
packages add readers under the entry-point group `forge.readers` (each entry point names a
`Reader` object); they are loaded on first lookup.

A reader has `detect(path, head) -> bool`, called with the file's first bytes, and
`read(path, warn)` that yields records (`Conversation`, `WorkItem`, `SessionOutcome`). It calls
`warn(line, reason)` once per record it cannot use, and keeps going. A reason says what is
wrong, never what the line holds (it may hold a secret).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

HEAD_BYTES = 64 * 1024
ENTRY_POINT_GROUP = "forge.readers"


class Warn(Protocol):
    def __call__(self, line: int | None, reason: str) -> None: ...


@dataclass(frozen=True)
class Reader:
    name: str
    suffixes: tuple[str, ...]  # files a folder walk considers
    detect: Callable[[Path, bytes], bool]
    read: Callable[[Path, Warn], Iterator[Any]]
    description: str = ""
    provides: str = "conversations"  # or "work_items": those files are read first, to link outcomes


_READERS: dict[str, Reader] = {}
_plugins_loaded = False


def register(reader: Reader) -> Reader:
    """Add (or replace) a reader under its name. Returns it, so modules can keep a handle."""
    _READERS[reader.name] = reader
    return reader


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from forge.plugins import entry_point_objects

    for reader in entry_point_objects(ENTRY_POINT_GROUP, Reader):
        register(reader)


def readers() -> dict[str, Reader]:
    """Every registered reader, built-ins first, in registration order."""
    from forge.ingest import (  # noqa: F401
        adp,
        aider,
        beads,
        beads_backup,
        claude_code,
        codex,
        codex_exec,
        context_files,
        crush,  # importing registers them, in this order
        gemini_cli,
        goose,
        openai_chat,
        openhands,
        sharegpt,
        swe_agent,
    )

    _load_plugins()
    return dict(_READERS)


def get_reader(name: str) -> Reader:
    table = readers()
    if name not in table:
        from forge.errors import InputError

        raise InputError(f"unknown reader {name!r}; known: {', '.join(sorted(table))}")
    return table[name]


def detect_reader(path: Path, head: bytes, only: list[str] | None = None) -> Reader | None:
    """The first reader (of `only`, when given) that recognises the file."""
    for name, reader in readers().items():
        if only and name not in only:
            continue
        if reader.detect(path, head):
            return reader
    return None


def candidate_suffixes(only: list[str] | None = None) -> set[str]:
    return {s for name, r in readers().items() if not only or name in only for s in r.suffixes}


def read_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    with open(path, "rb") as f:
        return f.read(n)
