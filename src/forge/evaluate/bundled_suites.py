"""Named eval suites: the data files shipped with the package (forge/examples/suites), found by name or path."""

from __future__ import annotations

from pathlib import Path

from forge.bundled import SUITES_DIR
from forge.errors import InputError

DEFAULT_SUITE = "gastown"


def available_suites() -> list[str]:
    if not SUITES_DIR.is_dir():
        return []
    return sorted(p.stem for p in SUITES_DIR.iterdir() if p.suffix in (".jsonl", ".json"))


def resolve_suite(ref: str | Path) -> Path:
    """A suite file: `ref` itself when it is a file, else examples/suites/<ref>.jsonl|.json."""
    path = Path(ref)
    if path.is_file():
        return path
    for suffix in (".jsonl", ".json"):
        candidate = SUITES_DIR / f"{ref}{suffix}"
        if candidate.is_file():
            return candidate
    known = available_suites()
    raise InputError(
        f"no suite {str(ref)!r}: not a file and not a bundled suite",
        hint=f"bundled suites: {', '.join(known)}" if known else "pass the path of a suite file (JSONL of prompts)",
    )
