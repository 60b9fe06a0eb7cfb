"""`forge scrub` on agents' SQLite session databases: the real OpenCode database with its
write-ahead log (fixtures/real/opencode_go, SOURCES.md), and what cannot be scrubbed."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from forge.cli import app
from forge.ingest.crush import read
from forge.scrub import Scrubber
from forge.scrub.databases import scrub_database

OPENCODE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "opencode_go" / ".opencode"


def _rows(db: Path, query: str) -> list:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_a_real_database_and_its_log_become_one_scrubbed_database(tmp_path):
    src = tmp_path / "project" / ".opencode"
    shutil.copytree(OPENCODE, src)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    out = tmp_path / "clean"
    r = CliRunner().invoke(app, ["scrub", str(src.parent), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    assert after == before  # the original and its log untouched (no -shm made beside them)
    report = json.loads(r.stdout)
    files = {f["path"]: f for f in report["per_file"]}
    assert files[".opencode/opencode.db"]["status"] == "scrubbed"
    assert files[".opencode/opencode.db-wal"]["reason"] == (
        "opencode.db's SQLite log: its rows are scrubbed into that database's copy"
    )
    assert report["by_detector"]["home_user"] > 200 and report["by_detector"]["known_user"] > 0
    copy = out / ".opencode" / "opencode.db"
    assert sorted(p.name for p in copy.parent.iterdir()) == ["opencode.db"]  # one file, the log folded in
    assert b"cschmatzler" not in copy.read_bytes()  # compacted: no freed page keeps the old text
    # the agent's tables as they were, but for the values replaced: every row, every timestamp
    query = "SELECT id, session_id, role, created_at, updated_at FROM messages ORDER BY rowid"
    assert _rows(copy, query) == _rows(src / "opencode.db", query) and len(_rows(copy, query)) == 98
    assert _rows(copy, "SELECT id, updated_at FROM sessions") == _rows(
        src / "opencode.db", "SELECT id, updated_at FROM sessions"
    )
    assert [len(c.messages) for c in read(copy, lambda *a: None)] == [
        len(c.messages) for c in read(src / "opencode.db", lambda *a: None)
    ]


def test_what_cannot_be_scrubbed_is_not_copied(tmp_path):
    fts = tmp_path / "notes.db"
    con = sqlite3.connect(fts)
    con.execute("CREATE VIRTUAL TABLE notes USING fts5(body)")
    con.execute("INSERT INTO notes VALUES ('cd /home/alicejones/app')")
    con.commit()
    con.close()
    s = Scrubber()
    assert scrub_database(fts, tmp_path / "out.db", s) == "database with full-text or other virtual tables: not copied"
    assert not (tmp_path / "out.db").exists()
    broken = tmp_path / "broken.db"
    broken.write_bytes((OPENCODE / "opencode.db").read_bytes()[:100] + b"\xff" * 8000)
    assert scrub_database(broken, tmp_path / "out.db", s) == "database could not be read (DatabaseError): not copied"
    assert not (tmp_path / "out.db").exists()


def test_a_report_without_a_copy_counts_the_findings(tmp_path):
    shutil.copytree(OPENCODE, tmp_path / "db")
    s = Scrubber()
    found = scrub_database(tmp_path / "db" / "opencode.db", None, s)
    assert isinstance(found, int) and found == s.total > 200
