"""Compressed transcripts (`session.jsonl.gz`, `.bz2`, `.xz`): what users keep when they archive
old sessions (Claude Code deletes its own after 30 days by default). Each is expanded into a
temporary folder that lives as long as the ingest (never under FORGE_HOME: the expansion is not
scrubbed yet), at the same relative place, and read from there as the file it holds; warnings
and the manifest still name the compressed file.

Expansion stops at MAX_EXPANDED_BYTES: a small archive that expands without end (a
decompression bomb) costs that file, with a warning, not the disk.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
MAX_EXPANDED_BYTES = 4 * 1024**3
CHUNK = 1024 * 1024


def is_compressed(path: Path, suffixes: set[str]) -> bool:
    """Whether `path` is a compressed copy of a file some reader reads (`x.jsonl.gz`)."""
    return path.suffix in OPENERS and Path(path.stem).suffix in suffixes


def expand(path: Path, dest: Path, limit: int = MAX_EXPANDED_BYTES) -> str | None:
    """Write `path`'s contents, decompressed, to `dest`; on failure, the problem (and no `dest`)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    try:
        with OPENERS[path.suffix](path, "rb") as src, open(dest, "wb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    raise _TooLarge
                out.write(chunk)
    except _TooLarge:
        problem = f"expands past {limit:,} bytes; decompress it yourself if that is meant"
    except EOFError:
        problem = "is cut off (the compressed stream ends early)"
    except (OSError, lzma.LZMAError, zlib.error) as exc:  # its message may quote the file's bytes
        problem = f"does not decompress ({type(exc).__name__})"
    else:
        return None
    dest.unlink(missing_ok=True)
    return f"compressed file {problem}"


class _TooLarge(Exception):
    pass


def expanded_name(path: Path) -> str:
    return path.stem  # session.jsonl.gz -> session.jsonl
