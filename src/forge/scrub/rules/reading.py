"""Reading rule files: the file's text and the checks every format shares, each problem
appended to a list that names its file and rule (all problems are reported at once)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forge.scrub.rules.dialect import RegexDialectError, compile_go, compile_rule

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024


def read_rule_file(path: Path, problems: list[str]) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE_BYTES:
            problems.append(f"{path}: {size} bytes, more than a rule file holds (at most {MAX_RULE_FILE_BYTES})")
            return None
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: no such file")
    except IsADirectoryError:
        problems.append(f"{path}: is a folder, not a rule file")
    except UnicodeDecodeError:
        problems.append(f"{path}: not UTF-8 text")
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})")
    return None


def compile_regex(pattern: Any, where: str, what: str, problems: list[str], *, go: bool, secret: bool = True) -> Any:
    """A compiled rule regex (re's API): Go syntax with RE2 (gitleaks), Rust's translated for re.
    secret: it finds secrets, so one that matches the empty string is a mistake (it would match
    at every character and replace nothing)."""
    if not isinstance(pattern, str) or not pattern:
        problems.append(f"{where}: {what} must be a non-empty string")
        return None
    try:
        compiled = compile_go(pattern) if go else compile_rule(pattern, ascii_classes=False)
    except (RegexDialectError, re.error) as exc:
        problems.append(f"{where}: {what} cannot be used: {exc}")
        return None
    if secret and compiled.search("") is not None:
        problems.append(f"{where}: {what} matches the empty string, so it would match everywhere")
        return None
    return compiled


def strings(value: Any, where: str, what: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: {what} must be a list of strings")
        return []
    return value
