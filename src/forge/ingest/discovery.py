"""The standard local places agent sessions live, found on this machine, for `forge corpus ingest`
with no path. Reads directory listings, and Crush's small project registry; no session is opened here.

  claude_code  $CLAUDE_CONFIG_DIR/projects, else ~/.claude/projects   (*.jsonl, subagents too)
  codex        $CODEX_HOME/sessions and archived_sessions, else ~/.codex/...   (rollout-*.jsonl)
  gemini_cli   $GEMINI_CLI_HOME/.gemini/tmp, else ~/.gemini/tmp: each project's chats/ folder
               (session-*.json before Gemini CLI 0.39, session-*.jsonl after; subagents inside)
  gastown      a Gas Town town ($GT_ROOT, else ~/gt): its .beads, and each rig's .beads
               (a town is a folder holding mayor/ or .beads/ with rigs beside it)
  crush        each project in Crush's registry ($CRUSH_GLOBAL_DATA, else $XDG_DATA_HOME/crush,
               else ~/.local/share/crush: projects.json, the one file read here) whose data
               folder holds its crush.db
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Found:
    format: str  # claude_code, codex, beads
    path: Path  # the folder to ingest
    files: int  # session (or beads) files inside it
    note: str = ""


@dataclass
class Discovery:
    home: Path
    found: list[Found] = field(default_factory=list)

    def paths(self) -> list[Path]:
        return [f.path for f in self.found if f.files]

    def by_format(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.found:
            out[f.format] = out.get(f.format, 0) + f.files
        return out

    def summary(self) -> str:
        """What was found, per format, ready to print before reading."""
        if not any(f.files for f in self.found):
            return (
                f"no agent sessions found in the standard places under {self.home} "
                "(~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, Crush's projects, a Gas Town town at ~/gt); "
                "pass a path to ingest"
            )
        lines = ["found agent sessions in the standard places:"]
        for fmt, n in self.by_format().items():
            lines.append(f"  {fmt}: {n} file{'s' if n != 1 else ''}")
            for f in self.found:
                if f.format == fmt and f.files:
                    shown = _tilde(f.path, self.home)
                    lines.append(f"    {shown}  ({f.files}{'; ' + f.note if f.note else ''})")
        return "\n".join(lines)


def _tilde(path: Path, home: Path) -> str:
    try:
        return "~/" + path.relative_to(home).as_posix()
    except ValueError:
        return str(path)


def _count(root: Path, pattern: str) -> int:
    return sum(1 for p in root.rglob(pattern) if p.is_file())


def _crush_projects(home: Path, env: Mapping[str, str]) -> list[tuple[Path, Path]]:
    """(data folder, project) of each project Crush lists that has a session database. Crush
    keeps its databases in the projects (`.crush/` by default) and their list in projects.json:
    {"projects": [{"path", "data_dir", "last_accessed"}]}."""
    if env.get("CRUSH_GLOBAL_DATA"):
        root = Path(env["CRUSH_GLOBAL_DATA"]).expanduser()
    elif env.get("XDG_DATA_HOME"):
        root = Path(env["XDG_DATA_HOME"]).expanduser() / "crush"
    else:
        root = home / ".local" / "share" / "crush"
    try:
        listed = json.loads((root / "projects.json").read_text(encoding="utf-8")).get("projects")
    except (OSError, ValueError, AttributeError):
        return []  # no registry, or one this Forge cannot read: nothing to offer
    out = []
    for entry in listed if isinstance(listed, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        project = Path(entry["path"])
        data_dir = project / str(entry.get("data_dir") or ".crush")  # (an absolute data_dir stays)
        if (data_dir / "crush.db").is_file():
            out.append((data_dir, project))
    return out


def _town(home: Path, env: Mapping[str, str]) -> Path | None:
    root = Path(env["GT_ROOT"]).expanduser() if env.get("GT_ROOT") else home / "gt"
    if root.is_dir() and ((root / "mayor").is_dir() or (root / ".beads").is_dir()):
        return root
    return None


def discover_local(home: Path | None = None, env: Mapping[str, str] | None = None) -> Discovery:
    """Every standard session folder that exists for `home` (default: the user's home)."""
    env = os.environ if env is None else env
    home = Path(home) if home is not None else Path(env.get("HOME") or Path.home())
    out = Discovery(home)
    claude = Path(env["CLAUDE_CONFIG_DIR"]).expanduser() if env.get("CLAUDE_CONFIG_DIR") else home / ".claude"
    projects = claude / "projects"
    if projects.is_dir():
        n = _count(projects, "*.jsonl")
        agents = _count(projects, "agent-*.jsonl")
        out.found.append(
            Found("claude_code", projects, n, f"{agents} subagent file{'s' if agents != 1 else ''}" if agents else "")
        )
    codex = Path(env["CODEX_HOME"]).expanduser() if env.get("CODEX_HOME") else home / ".codex"
    for sub in ("sessions", "archived_sessions"):
        folder = codex / sub
        if folder.is_dir():
            out.found.append(Found("codex", folder, _count(folder, "*.jsonl")))
    gemini_home = Path(env["GEMINI_CLI_HOME"]).expanduser() if env.get("GEMINI_CLI_HOME") else home
    gemini = gemini_home / ".gemini" / "tmp"
    if gemini.is_dir():  # only the chats folders: beside them lie logs and shell history
        for chats in sorted(p / "chats" for p in gemini.iterdir() if (p / "chats").is_dir()):
            n = _count(chats, "*.json") + _count(chats, "*.jsonl")
            out.found.append(Found("gemini_cli", chats, n, f"project {chats.parent.name}"))
    for data_dir, project in _crush_projects(home, env):
        out.found.append(Found("crush", data_dir, 1, f"project {_tilde(project, home)}"))
    town = _town(home, env)
    if town is not None:
        beads = [town / ".beads"] if (town / ".beads").is_dir() else []
        beads += sorted(
            p / ".beads"
            for p in town.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / ".beads").is_dir()
        )
        for folder in beads:
            n = _count(folder, "*.jsonl")
            rig = folder.parent.name if folder.parent != town else "town"
            out.found.append(Found("beads", folder, n, f"Gas Town {rig}"))
    return out
