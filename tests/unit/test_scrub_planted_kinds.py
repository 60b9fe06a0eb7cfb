"""Every kind of secret users' sessions carry, planted in a real Claude Code session where a user's
would be (prompt, command, command output, written file), is gone from what `forge scrub --out`
writes and from what `forge corpus ingest` and `forge dataset build` write, and from what they
print. The sessions and values: tests/planted_kinds.py."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.ingest.claude_code import read
from planted_kinds import needles, write_planted_sessions


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    src = tmp_path_factory.mktemp("planted")
    plants = write_planted_sessions(src)
    return src, plants, needles(plants)


def _leaked(data: bytes, found: list[tuple[str, bytes]]) -> list[str]:
    return sorted({kind for kind, needle in found if needle in data})


def _every_file(folder) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_the_plants_are_in_the_sessions_before_scrubbing(planted):
    src, plants, found = planted
    assert len(plants) == 28 and len({p.carrier for p in plants}) == 4
    assert _leaked(_every_file(src), found) == sorted({p.kind for p in plants})


def test_forge_scrub_out_removes_every_kind_and_keeps_the_sessions_readable(planted, tmp_path):
    src, plants, found = planted
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    assert _leaked(_every_file(out), found) == []
    assert _leaked(r.output.encode(), found) == []
    report = json.loads(r.stdout)
    assert report["by_status"] == {"scrubbed": len(plants)}
    # findings by kind and by engine (the "reports findings by kind and by engine")
    assert {"forge", "kingfisher"} <= set(report["by_engine"]) and report["engine"].startswith("kingfisher")
    assert sum(report["by_engine"].values()) == sum(report["by_kind"].values()) == report["findings"]
    for path in sorted(src.rglob("*.jsonl")):
        clean = out / path.relative_to(src)
        lines = clean.read_text().splitlines()
        assert all(json.loads(line) for line in lines)  # every line is still one JSON record
        before = [len(c.messages) for c in read(path, lambda *a, **k: None)]
        assert [len(c.messages) for c in read(clean, lambda *a, **k: None)] == before


def test_ingest_and_build_write_no_planted_kind(planted, forge_home, tmp_path):
    src, _, found = planted
    corpus, dataset = tmp_path / "corpus", tmp_path / "dataset"
    runner = CliRunner()
    r = runner.invoke(app, ["corpus", "ingest", str(src), "--out", str(corpus), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["conversations"] == 28
    r2 = runner.invoke(app, ["dataset", "build", str(corpus), "--out", str(dataset), "--json"])
    assert r2.exit_code == 0, r2.output
    assert json.loads(r2.stdout)["stats"]["sft"]["train"] > 0
    written = _every_file(corpus) + _every_file(dataset) + _every_file(forge_home)
    assert _leaked(written + r.output.encode() + r2.output.encode(), found) == []


def test_forge_scrub_with_worker_processes_writes_what_one_process_writes(planted, tmp_path, monkeypatch):
    """--workers 2 from the CLI (its progress bar runs a thread, so the workers start from a clean
    interpreter, not a fork): no planted kind survives, and the copies equal a one-process run."""
    import forge.scrub.files as files

    src, _, found = planted
    monkeypatch.setattr(files, "PARALLEL_MIN_BYTES", 0)  # the sessions are small: spread them anyway
    outputs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(out), "--workers", workers, "--json"])
        assert r.exit_code == 0, r.output
        assert _leaked(_every_file(out) + r.output.encode(), found) == []
        outputs[workers] = (_every_file(out), json.loads(r.stdout)["by_kind"])
    assert outputs["1"] == outputs["2"]


def test_a_crush_database_with_every_kind_planted_leaves_none_in_forge_home_or_a_scrubbed_copy(forge_home, tmp_path):
    """The same values planted in a real Crush database (fixtures/real/crush): the prompt, a
    shell command, what it printed, a written file and the session's title; ingested and built,
    and copied by `forge scrub`."""
    import shutil
    import sqlite3
    from pathlib import Path

    from planted_kinds import plants

    planted = plants()
    found = needles(planted)
    project = tmp_path / "project"
    (project / ".crush").mkdir(parents=True)
    db = project / ".crush" / "crush.db"
    shutil.copyfile(Path(__file__).resolve().parents[1] / "fixtures/real/crush/.crush/crush.db", db)
    by = {c: "\n".join(p.text for p in planted if p.carrier == c) for c in ("prompt", "command", "output", "file")}
    con = sqlite3.connect(db)

    def edit(rowid: int, change) -> None:
        (parts,) = con.execute("SELECT parts FROM messages WHERE rowid = ?", (rowid,)).fetchone()
        parts = json.loads(parts)
        change(parts)
        con.execute("UPDATE messages SET parts = ? WHERE rowid = ?", (json.dumps(parts), rowid))

    def call_input(key: str, text: str):
        def change(parts):
            call = next(p["data"] for p in parts if p["type"] == "tool_call")
            args = json.loads(call["input"])
            args[key] = text + "\n" + args.get(key, "")
            call["input"] = json.dumps(args)

        return change

    edit(65, lambda parts: parts[0]["data"].update(text=parts[0]["data"]["text"] + "\n" + by["prompt"]))
    edit(66, call_input("command", by["command"]))  # the `go test` bash call, and what it printed
    edit(67, lambda parts: parts[0]["data"].update(content=by["output"] + parts[0]["data"]["content"]))
    edit(28, call_input("content", by["file"]))  # a write call
    con.execute("UPDATE sessions SET title = ? WHERE rowid = 1", (by["prompt"][:200],))
    con.commit()
    con.close()  # (the values land in the database file, not only its log)
    assert _leaked(db.read_bytes(), found) == sorted({p.kind for p in planted})
    corpus, dataset = tmp_path / "corpus", tmp_path / "dataset"
    runner = CliRunner()
    r = runner.invoke(app, ["corpus", "ingest", str(project), "--out", str(corpus), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["files_by_reader"] == {"crush": 1}
    r2 = runner.invoke(app, ["dataset", "build", str(corpus), "--out", str(dataset), "--json"])
    assert r2.exit_code == 0, r2.output
    written = _every_file(corpus) + _every_file(dataset) + _every_file(forge_home)
    assert _leaked(written + r.output.encode() + r2.output.encode(), found) == []
    # and `forge scrub` writes the database's copy without them
    copy = tmp_path / "scrubbed"
    r3 = runner.invoke(app, ["scrub", str(project), "--out", str(copy), "--json"])
    assert r3.exit_code == 0, r3.output
    assert json.loads(r3.stdout)["by_status"] == {"scrubbed": 1}
    assert _leaked(_every_file(copy) + r3.output.encode(), found) == []
