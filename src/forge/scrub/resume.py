"""What lets `forge scrub --out DIR` be interrupted and go on (`--resume`) without a half copy.

Every run with an output folder keeps its bookkeeping in `DIR/.forge-scrub/`:
  partial/<process>/<name>
                   a copy being written; renamed to `DIR/<path>` only once it is whole, so a
                   file under its own name in DIR is always a complete copy
  journal.jsonl    a line per input file finished: its path, size and modification time, the
                   reports it gave and its findings counted by kind and detector (counts and
                   relative paths only, as the report: never a secret); first a header line
                   naming the run's options by a hash
A resumed run keeps the files its journal lists, when their source has not changed since and
their copy is still there, counts their findings from the journal (so the report is that of
one uninterrupted run) and scrubs the rest. A torn last line (the run killed while writing it)
costs that one file: it is scrubbed again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.errors import InputError

BOOKKEEPING = ".forge-scrub"  # the folder under DIR (never scrubbed as input, never a copy)
JOURNAL = "journal.jsonl"
PARTIAL = "partial"
FORMAT = 1


def options_hash(spec: Any, version: str) -> str:
    """The run's options (allowlist, detectors, rule files, --keep-names) and Forge's version,
    hashed: the allowlist stays out of the file, and an upgrade or other options rule out a
    resume."""
    raw = json.dumps([spec, version], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finished:
    """One input file an earlier run finished, as its journal line says."""

    size: int
    mtime_ns: int
    copied: bool  # whether a copy was written (a skipped file has none)
    reports: list[dict[str, Any]]
    by_kind: dict[str, int]
    by_detector: dict[str, int]


class Journal:
    """The bookkeeping folder of one output folder."""

    def __init__(self, out: Path):
        self.root = out / BOOKKEEPING
        self.path = self.root / JOURNAL
        self.partial = self.root / PARTIAL
        self._fh: Any = None

    def load(self, options: str) -> dict[str, Finished]:
        """What an earlier run finished, by input path. Raises when it ran with other options."""
        finished: dict[str, Finished] = {}
        if not self.path.is_file():
            return finished
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        header = _json(lines[0]) if lines else None
        if header is None or header.get("format") != FORMAT:
            raise InputError(
                "the output folder's scrub journal is not one this Forge can read",
                path=str(self.path),
                hint="pass a new or empty folder to --out",
            )
        if header.get("options") != options:
            raise InputError(
                "the output folder was scrubbed with other options (--allow, --rules) or another Forge version",
                path=str(self.path.parent.parent),
                hint="resume with the options of that run, or pass a new or empty folder to --out",
            )
        for line in lines[1:]:
            entry = _json(line)
            if entry is None:
                continue  # torn by an interrupt: that file is scrubbed again
            try:
                finished[entry["file"]] = Finished(
                    int(entry["size"]),
                    int(entry["mtime_ns"]),
                    bool(entry["copied"]),
                    list(entry["reports"]),
                    dict(entry["by_kind"]),
                    dict(entry["by_detector"]),
                )
            except (KeyError, TypeError, ValueError):
                continue
        return finished

    def start(self, options: str) -> None:
        """Open the journal for this run (a new one starts with its header); clear half copies."""
        shutil.rmtree(self.partial, ignore_errors=True)
        self.root.mkdir(parents=True, exist_ok=True)
        if self.path.is_file():
            with open(self.path, "r+b") as fh:  # a line torn by an interrupt: cut it off
                size = fh.seek(0, 2)
                fh.seek(max(0, size - 65536))
                tail = fh.read()
                if b"\n" not in tail:  # (an archive's line can be long)
                    fh.seek(0)
                    tail = fh.read()
                fh.truncate(size - len(tail) + tail.rfind(b"\n") + 1)
        new = not self.path.is_file() or self.path.stat().st_size == 0
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (held for the run; close() ends it)
        if new:
            self._write({"format": FORMAT, "options": options})

    def record(self, rel: str, size: int, mtime_ns: int, copied: bool, reports: list[dict], tally: Any) -> None:
        self._write(
            {
                "file": rel,
                "size": size,
                "mtime_ns": mtime_ns,
                "copied": copied,
                "reports": reports,
                "by_kind": dict(sorted(tally.by_kind.items())),  # (the same line from any process)
                "by_detector": dict(sorted(tally.by_detector.items())),
            }
        )

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        shutil.rmtree(self.partial, ignore_errors=True)

    def _write(self, obj: dict[str, Any]) -> None:
        # buffered: Ctrl-C ends the run through close(), which writes every line; a killed run
        # loses the last few, whose files are scrubbed again
        self._fh.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def _json(line: str) -> dict[str, Any] | None:
    try:
        obj = json.loads(line)
    except ValueError:
        return None
    return obj if isinstance(obj, dict) else None
