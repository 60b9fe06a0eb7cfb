"""The standard local places agent sessions live, found on this machine, for `forge corpus ingest`
with no path. Reads directory listings only; nothing is opened or parsed here.

  claude_code  $CLAUDE_CONFIG_DIR/projects, else ~/.claude/projects   (*.jsonl, subagents too)
  codex        $CODEX_HOME/sessions and archived_sessions, else ~/.codex/...   (rollout-*.jsonl)
  gemini_cli   $GEMINI_CLI_HOME/.gemini/tmp, else ~/.gemini/tmp: each project's chats/ folder
               (session-*.json before Gemini CLI 0.39, session-*.jsonl after; subagents inside)
  gastown      a Gas Town town ($GT_ROOT, else ~/gt): its .beads, and each rig's .beads
               (a town is a folder holding mayor/ or .beads/ with rigs beside it)
"""

from __future__ import annotations

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
                "(~/.claude/projects, ~/.codex/sessions, ~/.gemini/tmp, a Gas Town town at ~/gt); "
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
