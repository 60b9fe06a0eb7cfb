"""Compressed transcripts (`session.jsonl.gz`, `.bz2`, `.xz`) and archives of them (`.tar`,
`.tar.gz`, `.tgz`, `.tar.bz2`, `.tar.xz`, `.zip`): what users keep when they archive old sessions
(Claude Code deletes its own after 30 days by default). An archive's regular files are unpacked
at their own relative paths (never outside the folder: `..`, absolute paths and links are not
written), and read as files of a folder named after the archive. Each is expanded into a
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
# not compressed, but binary and read all the same: agents that keep sessions in SQLite (Crush)
SQLITE_MAGIC = b"SQLite format 3\x00"
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


# ---- archives of many files: a backed-up sessions folder -------------------------------------

ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
MAX_MEMBERS = 100_000


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVES)


def _member_parts(name: str) -> tuple[str, ...] | None:
    """A member's path inside the archive, or None where it would land outside the folder it is
    unpacked into (an absolute path, `..`, a drive letter)."""
    parts = tuple(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
    if not parts or name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        return None
    return parts


def unpack(path: Path, dest: Path, limit: int = MAX_EXPANDED_BYTES) -> tuple[list[str], list[str], str | None]:
    """The archive's regular files, written under `dest` at their own relative paths: (member
    paths written, member names skipped as pointing outside, the problem that stopped it or None).
    Links, devices and folders are not written; the whole archive may expand to `limit` bytes."""
    import tarfile
    import zipfile

    written: list[str] = []
    outside: list[str] = []
    total = 0

    def put(name: str, stream: Any) -> None:
        nonlocal total
        parts = _member_parts(name)
        if parts is None:
            outside.append(name)
            return
        target = dest.joinpath(*parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            while chunk := stream.read(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _TooLarge
                out.write(chunk)
        written.append("/".join(parts))

    try:
        if path.name.lower().endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in [i for i in zf.infolist() if not i.is_dir()][:MAX_MEMBERS]:
                    with zf.open(info) as member:
                        put(info.filename, member)
        else:
            with tarfile.open(path, "r:*") as tf:
                for n, entry in enumerate(tf):
                    if n >= MAX_MEMBERS:
                        break
                    extracted = tf.extractfile(entry) if entry.isfile() else None
                    if extracted is not None:
                        put(entry.name, extracted)
    except _TooLarge:
        return written, outside, f"archive expands past {limit:,} bytes; unpack it yourself if that is meant"
    except EOFError:
        return written, outside, "archive is cut off (it ends early)"
    except (OSError, lzma.LZMAError, zlib.error, tarfile.TarError, zipfile.BadZipFile) as exc:
        return written, outside, f"archive does not unpack ({type(exc).__name__})"
    return written, outside, None


def pack(folder: Path, names: list[str], dest: Path) -> None:
    """`names` (paths under `folder`) into a new archive at `dest`, of the kind its name says."""
    import tarfile
    import zipfile

    lower = dest.name.lower()
    if lower.endswith(".zip"):
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in names:
                zf.write(folder / name, name)
        return
    mode: Any = next((m for ends, m in _TAR_MODES if lower.endswith(ends)), "w")
    with tarfile.open(dest, mode) as tf:
        for name in names:
            tf.add(folder / name, arcname=name, recursive=False)


_TAR_MODES = ((".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.bz2", "w:bz2"), (".tar.xz", "w:xz"))
