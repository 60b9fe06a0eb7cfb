"""Discovery of the standard local session folders, on a fake home."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from forge.ingest.discovery import discover_local
from forge.ingest.stage import discover

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"


def fake_home(tmp_path: Path) -> Path:
    home = tmp_path / "home" / "alice"
    project = home / ".claude/projects/-home-alice-acme"
    (project / "de3b8b19/subagents").mkdir(parents=True)
    shutil.copy(REAL / "claude_code/hello-world-script.jsonl", project / "de3b8b19.jsonl")
    shutil.copy(
        REAL / "claude_code_subagent/55550000-0000-4000-8000-000000000001/subagents/agent-showcol1.jsonl",
        project / "de3b8b19/subagents/agent-showcol1.jsonl",
    )
    sessions = home / ".codex/sessions/2025/12/28"
    sessions.mkdir(parents=True)
    shutil.copy(REAL / "codex/sample_codex_session.jsonl", sessions / "rollout-2025-12-28T12-18-30-x.jsonl")
    chats = home / ".gemini/tmp/pomodoro/chats"
    chats.mkdir(parents=True)
    shutil.copy(REAL / "gemini_cli/gemini-cli-pomodoro-timer.json", chats / "session-2025-10-21T20-04-0b23371a.json")
    (home / ".gemini/tmp/pomodoro/logs.json").write_text("[]")  # the CLI's prompt log: not a session
    town = home / "gt"
    (town / "mayor").mkdir(parents=True)
    shutil.copytree(REAL / "beads_backup/.beads", town / "gastown/.beads")
    (town / ".beads").mkdir()
    (town / ".beads/issues.jsonl").write_text((REAL / "beads_backup/.beads/backup/issues.jsonl").read_text())
    (town / "wyvern").mkdir()  # a rig without beads
    return home


def test_finds_each_standard_folder_per_format(tmp_path):
    home = fake_home(tmp_path)
    found = discover_local(home, env={})
    assert found.by_format() == {"claude_code": 2, "codex": 1, "gemini_cli": 1, "beads": 6}
    assert [(f.format, f.path.relative_to(home).as_posix(), f.files) for f in found.found] == [
        ("claude_code", ".claude/projects", 2),
        ("codex", ".codex/sessions", 1),
        ("gemini_cli", ".gemini/tmp/pomodoro/chats", 1),
        ("beads", "gt/.beads", 1),
        ("beads", "gt/gastown/.beads", 5),
    ]
    text = found.summary()
    assert "claude_code: 2 files" in text and "~/.claude/projects  (2; 1 subagent file)" in text
    assert "beads: 6 files" in text and "~/gt/gastown/.beads  (5; Gas Town gastown)" in text
    # what it found is what the corpus stage reads
    names = {s.reader.name for s in discover(found.paths()) if s.reader}
    assert names == {"claude_code", "codex", "gemini_cli", "beads", "beads_backup"}


def test_environment_overrides_and_an_empty_home(tmp_path):
    home = fake_home(tmp_path)
    elsewhere = tmp_path / "cfg"
    shutil.copytree(home / ".claude", elsewhere)
    found = discover_local(
        home,
        env={
            "CLAUDE_CONFIG_DIR": str(elsewhere),
            "CODEX_HOME": str(tmp_path / "none"),
            "GT_ROOT": str(tmp_path / "none"),
            "GEMINI_CLI_HOME": str(tmp_path / "none"),
        },
    )
    assert [(f.format, f.path) for f in found.found] == [("claude_code", elsewhere / "projects")]
    empty = discover_local(tmp_path / "nobody", env={})
    assert empty.found == [] and empty.paths() == []
    assert "no agent sessions found" in empty.summary()


def test_claude_code_project_folder_name_is_exposed_for_the_scrubber(tmp_path):
    """Claude Code names a project folder after its working directory with '/' as '-'
    (-home-alice-acme): the reader keeps it in metadata.project_dir, for parent and subagent
    alike, so the scrubber sees the user name there too."""
    from forge.ingest.readers import get_reader

    project = fake_home(tmp_path) / ".claude/projects/-home-alice-acme"
    reader = get_reader("claude_code")
    (parent,) = reader.read(project / "de3b8b19.jsonl", lambda *a: None)
    (child,) = reader.read(project / "de3b8b19/subagents/agent-showcol1.jsonl", lambda *a: None)
    assert parent.metadata["project_dir"] == "-home-alice-acme"
    assert child.metadata["project_dir"] == "-home-alice-acme"


def test_crush_projects_come_from_its_registry(tmp_path):
    """Crush keeps a database in each project and their list in projects.json (its global data
    folder); a project without a database yet is not offered."""
    home = tmp_path / "home" / "alice"
    project = tmp_path / "code" / "api"
    (project / ".crush").mkdir(parents=True)
    shutil.copy(REAL / "crush/.crush/crush.db", project / ".crush/crush.db")
    elsewhere = tmp_path / "data" / "sessions"  # an absolute data_dir
    elsewhere.mkdir(parents=True)
    shutil.copy(REAL / "crush/.crush/crush.db", elsewhere / "crush.db")
    registry = {
        "projects": [
            {"path": str(project), "data_dir": ".crush", "last_accessed": "2025-08-09T03:55:40Z"},
            {
                "path": str(tmp_path / "code" / "web"),
                "data_dir": str(elsewhere),
                "last_accessed": "2025-08-01T00:00:00Z",
            },
            {"path": str(tmp_path / "code" / "new"), "data_dir": ".crush", "last_accessed": "2025-08-01T00:00:00Z"},
        ]
    }
    (home / ".local/share/crush").mkdir(parents=True)
    (home / ".local/share/crush/projects.json").write_text(json.dumps(registry))
    found = discover_local(home, env={})
    assert [(f.format, f.path, f.files) for f in found.found] == [
        ("crush", project / ".crush", 1),
        ("crush", elsewhere, 1),
    ]
    assert "crush: 2 files" in found.summary()
    assert {s.reader.name for s in discover(found.paths()) if s.reader} == {"crush"}
    # the registry where CRUSH_GLOBAL_DATA puts it, and a broken one
    moved = tmp_path / "crushdata"
    shutil.copytree(home / ".local/share/crush", moved)
    assert len(discover_local(tmp_path / "nobody", env={"CRUSH_GLOBAL_DATA": str(moved)}).found) == 2
    (moved / "projects.json").write_text("{not json")
    assert discover_local(tmp_path / "nobody", env={"CRUSH_GLOBAL_DATA": str(moved)}).found == []
