"""Rules that name a session's Gas Town role (from its working directory) and its task (from the
tools it called). Pure: no I/O.

Gas Town lays out a town as ~/gt/mayor, ~/gt/deacon, ~/gt/<rig>/witness, ~/gt/<rig>/refinery,
~/gt/<rig>/polecats/<name>, ~/gt/<rig>/crew/<name>; the first rule that matches wins.
"""

from __future__ import annotations

import re
from typing import Any

from forge.records import Message

ROLE_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("polecat", re.compile(r"/(?P<rig>[^/]+)/polecats/(?P<name>[^/]+)")),
    ("crew", re.compile(r"/(?P<rig>[^/]+)/crew/(?P<name>[^/]+)")),
    ("witness", re.compile(r"/(?P<rig>[^/]+)/witness(?:/|$)")),
    ("refinery", re.compile(r"/(?P<rig>[^/]+)/refinery(?:/|$)")),
    ("boot", re.compile(r"/deacon/dogs/boot(?:/|$)|/boot(?:/|$)")),
    ("deacon", re.compile(r"/deacon(?:/|$)")),
    ("mayor", re.compile(r"/mayor(?:/|$)")),
]

GIT_RE = re.compile(r"\bgit\s+(?:checkout\s+-b|switch\s+-c|commit|push)\b|\bgh\s+pr\s+create\b")
BD_CREATE_RE = re.compile(r"\bbd\s+create\b")


def role_from_cwd(cwd: str | None) -> tuple[str | None, dict[str, str]]:
    """(role, {"rig": ..., "agent": ...}) for a Gas Town working directory, else (None, {})."""
    if not cwd:
        return None, {}
    path = cwd.replace("\\", "/")
    for role, pattern in ROLE_RULES:
        m = pattern.search(path)
        if m:
            parts = {k: v for k, v in m.groupdict().items() if v}
            if "name" in parts:
                parts["agent"] = parts.pop("name")
            return role, parts
    return None, {}


def _creates(messages: list[Message]) -> list[dict[str, Any]]:
    return [c.arguments for m in messages for c in m.tool_calls if c.name.endswith("beads__create")]


def task_from_tools(messages: list[Message]) -> str | None:
    """planning > git-workflow > bead-creation, by what the agent actually did."""
    creates = _creates(messages)
    if any(a.get("issue_type") == "epic" for a in creates) or (
        len(creates) >= 2 and any(a.get("deps") for a in creates)
    ):
        return "planning"
    commands = [str(c.arguments.get("command", "")) for m in messages for c in m.tool_calls if c.name == "Bash"]
    if any(GIT_RE.search(cmd) for cmd in commands):
        return "git-workflow"
    if creates or any(BD_CREATE_RE.search(cmd) for cmd in commands):
        return "bead-creation"
    return None
