"""Reader for plain convention files: CLAUDE.md, AGENTS.md and friends, Gas Town `*.formula.toml`.

They are not sessions but the house rules sessions follow, so each is kept as a context document:
a Conversation holding one system message (the file's text), metadata kind="context_document",
outcome unknown. It has no assistant turn, so the dataset build sets it aside as
`no_assistant_turn` instead of training on it; it stays in the corpus for whatever wants the
conventions (system prompts, eval checkers). A formula must parse as TOML; its name, type
(workflow, convoy, expansion, aspect), version and step ids go to metadata: a convoy's legs and
an expansion's template entries are its steps. The role comes from the folder the file lies in.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.readers import Reader, Warn, register
from forge.jsonl import read_capped
from forge.records import Conversation, Message, SourceRef

CONVENTION_FILES = {
    "CLAUDE.md": "claude_md",
    "CLAUDE.local.md": "claude_md",
    "AGENTS.md": "agents_md",
    "AGENT.md": "agents_md",
    "GEMINI.md": "gemini_md",
    "CONVENTIONS.md": "conventions_md",
}
FORMULA_SUFFIX = ".formula.toml"


def doc_type(path: Path) -> str | None:
    if path.name.endswith(FORMULA_SUFFIX):
        return "formula"
    return CONVENTION_FILES.get(path.name)


def detect(path: Path, head: bytes) -> bool:
    return doc_type(path) is not None


def _formula_meta(text: str, warn: Warn) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # the message names a line and column, never the text: "Invalid value (at line 3, column 8)"
        at = re.search(r"at line (\d+)", str(exc))
        warn(int(at.group(1)) if at else None, f"invalid TOML: {str(exc).split(' (at')[0]}")
        return None
    name, kind = data.get("formula"), data.get("type")
    if isinstance(name, dict):  # the [formula] table shape: name, type
        kind = name.get("type", kind)
        name = name.get("name")
    # a workflow has steps; a convoy formula runs legs, an expansion formula stamps out a template
    steps = next((data[k] for k in ("steps", "legs", "template") if k in data), None)
    ids = (
        [s.get("id") for s in steps if isinstance(s, dict)]
        if isinstance(steps, list)
        else list(steps)
        if isinstance(steps, dict)
        else []
    )
    return {
        "formula": name if isinstance(name, str) else None,
        "formula_type": kind if isinstance(kind, str) else None,
        "formula_version": data.get("version"),
        "steps": [i for i in ids if isinstance(i, str)],
    }


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    kind = doc_type(path)
    raw = read_capped(path, warn)
    if raw is None:
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warn(raw.count(b"\n", 0, exc.start) + 1, f"invalid UTF-8 at byte {exc.start}")
        return
    if not text.strip():
        warn(1, "empty document")
        return
    metadata: dict[str, Any] = {
        "format": "context_files",
        "kind": "context_document",
        "doc_type": kind,
        "file_name": path.name,
    }
    if kind == "formula":
        formula = _formula_meta(text, warn)
        if formula is None:
            return
        metadata.update(formula)
    try:
        folder = str(path.resolve().parent)
    except OSError:
        folder = None
    role, where = role_from_cwd(folder)
    metadata.update(where)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    yield Conversation(
        id=f"context-{path.name}-{digest}",
        messages=[Message("system", text)],
        source=SourceRef(str(path), 1),
        agent_role=role,
        outcome="unknown",
        metadata=metadata,
    )


READER = register(
    Reader(
        "context_files",
        (".md", ".toml"),
        detect,
        read,
        "convention files (CLAUDE.md, AGENTS.md, *.formula.toml) as context documents",
    )
)
