"""Compressed transcripts (.gz, .bz2, .xz) read as the files they hold: real sessions from
tests/fixtures/real (sources in its SOURCES.md), compressed here."""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import shutil
from pathlib import Path

from forge.artifacts import ArtifactStore
from forge.compression import expand
from forge.ingest.stage import IngestConfig, discover, run_ingest

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
SESSIONS = {
    "claude.jsonl": REAL / "claude_code/coverage-test-fix.jsonl",
    "rollout.jsonl": REAL / "codex/sample_codex_session.jsonl",
    "session-2025-10-21T20-04-0b23371a.json": REAL / "gemini_cli/gemini-cli-pomodoro-timer.json",
}


def ingest(folder: Path, store: Path) -> tuple[dict, list[dict]]:
    art = run_ingest(ArtifactStore(store), [folder], IngestConfig(workers=1))
    report = json.loads(art.file("report.json").read_text())["ingest"]
    convs = [json.loads(line) for line in art.file("conversations.jsonl").read_text().splitlines()]
    return {**report, "sources": art.manifest["sources"]}, convs


def test_compressed_sessions_read_as_the_files_they_hold(tmp_path, monkeypatch):
    import tempfile

    from forge.ingest import stage

    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    expanded_to: list[Path] = []
    real_expand = stage.expand
    monkeypatch.setattr(stage, "expand", lambda src, dest: expanded_to.append(dest) or real_expand(src, dest))
    plain, packed = tmp_path / "plain" / "s", tmp_path / "packed" / "s"
    (plain / "archive").mkdir(parents=True)
    (packed / "archive").mkdir(parents=True)
    openers = {
        "claude.jsonl": gzip.open,
        "rollout.jsonl": bz2.open,
        "session-2025-10-21T20-04-0b23371a.json": lzma.open,
    }
    suffix = {gzip.open: ".gz", bz2.open: ".bz2", lzma.open: ".xz"}
    for name, src in SESSIONS.items():
        shutil.copy(src, plain / "archive" / name)
        with openers[name](packed / "archive" / (name + suffix[openers[name]]), "wb") as f:
            f.write(src.read_bytes())
    report_plain, convs_plain = ingest(plain, tmp_path / "store1")
    report_packed, convs_packed = ingest(packed, tmp_path / "store2")
    assert (
        report_packed["files_by_reader"]
        == report_plain["files_by_reader"]
        == {
            "claude_code": 1,
            "codex": 1,
            "gemini_cli": 1,
        }
    )
    assert [c["messages"] for c in convs_packed] == [c["messages"] for c in convs_plain]
    # the manifest and every conversation name the compressed file, never the expansion folder
    assert sorted(s["path"] for s in report_packed["sources"]) == [
        "s/archive/claude.jsonl.gz",
        "s/archive/rollout.jsonl.bz2",
        "s/archive/session-2025-10-21T20-04-0b23371a.json.xz",
    ]
    assert {c["source"]["path"] for c in convs_packed} == {s["path"] for s in report_packed["sources"]}
    # the expansions (not scrubbed yet) live in the system's temporary folder for the ingest's length
    assert len(expanded_to) == 3 and all(systmp in p.parents for p in expanded_to)
    assert not any(systmp.iterdir())
    assert not [p for p in (tmp_path / "store2").rglob("*") if p.name in SESSIONS]


def test_a_bad_line_inside_a_compressed_file_is_named_by_its_line(tmp_path):
    lines = SESSIONS["claude.jsonl"].read_bytes().splitlines(keepends=True)
    folder = tmp_path / "in"
    folder.mkdir()
    with gzip.open(folder / "s.jsonl.gz", "wb") as f:
        f.write(b"".join([*lines[:3], b"not json\n", *lines[3:]]))
    report, convs = ingest(folder, tmp_path / "store")
    assert len(convs) == 1
    assert [(w["path"], w["line"]) for w in report["warnings"]] == [("in/s.jsonl.gz", 4)]


def test_a_broken_archive_costs_that_file_only(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    whole = gzip.compress(SESSIONS["claude.jsonl"].read_bytes())
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "garbage.jsonl.gz").write_bytes(b"not gzip at all, " * 20)
    (folder / "notes.txt.gz").write_bytes(whole)  # no reader takes .txt: not picked up
    shutil.copy(SESSIONS["rollout.jsonl"], folder / "rollout.jsonl")
    found = {s.display: s for s in discover([folder], expand_into=tmp_path / "x")}
    assert found["in/cut.jsonl.gz"].problem == "compressed file is cut off (the compressed stream ends early)"
    assert found["in/garbage.jsonl.gz"].problem == "compressed file does not decompress (BadGzipFile)"
    assert "in/notes.txt.gz" not in found
    assert found["in/rollout.jsonl"].reader.name == "codex"
    report, convs = ingest(folder, tmp_path / "store")
    assert len(convs) == 1
    assert {w["path"] for w in report["warnings"]} == {"in/cut.jsonl.gz", "in/garbage.jsonl.gz"}


def test_an_archive_that_expands_without_end_stops_at_the_limit(tmp_path):
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b"{}\n" * 1_000_000))  # 3 MB from about 3 KB
    problem = expand(bomb, tmp_path / "out" / "bomb.jsonl", limit=1_000_000)
    assert problem == "compressed file expands past 1,000,000 bytes; decompress it yourself if that is meant"
    assert not (tmp_path / "out" / "bomb.jsonl").exists()
    assert expand(bomb, tmp_path / "out" / "ok.jsonl", limit=3_000_000) is None
    # an archive's members count together
    import tarfile

    from forge.compression import unpack

    with tarfile.open(tmp_path / "two.tar.gz", "w:gz") as tf:
        for name in ("a.jsonl", "b.jsonl"):
            tf.add(tmp_path / "out" / "ok.jsonl", arcname=name)
    written, outside, problem = unpack(tmp_path / "two.tar.gz", tmp_path / "two", limit=4_000_000)
    assert written == ["a.jsonl"] and outside == []
    assert problem == "archive expands past 4,000,000 bytes; unpack it yourself if that is meant"


def test_an_archived_sessions_folder_reads_as_the_folder(tmp_path):
    """A backed-up sessions folder (tar.gz, zip) reads as the folder it holds: Claude Code
    subagent files beside their session, a compressed file inside, members named through the
    archive; a member that would land outside the archive is not written and is a warning."""
    import io
    import tarfile
    import zipfile

    folder = REAL / "claude_code_agents_2.0"  # a session and its two subagent files, side by side
    _, plain = ingest(folder, tmp_path / "plain")
    packed = tmp_path / "in"
    packed.mkdir()
    with tarfile.open(packed / "backup.tar.gz", "w:gz") as tf:
        tf.add(folder, arcname="claude_code_agents_2.0")
        evil = b'{"type": "user"}\n'
        for name in ("../escaped.jsonl", "/abs.jsonl"):
            info = tarfile.TarInfo(name)
            info.size = len(evil)
            tf.addfile(info, io.BytesIO(evil))
    with zipfile.ZipFile(packed / "more.zip", "w") as zf:
        zf.write(SESSIONS["session-2025-10-21T20-04-0b23371a.json"], "gemini/session-1.json")
        zf.writestr("codex/rollout-1.jsonl.gz", gzip.compress(SESSIONS["rollout.jsonl"].read_bytes()))
    report, convs = ingest(packed, tmp_path / "packed")
    assert report["files_by_reader"] == {"claude_code": 3, "gemini_cli": 1, "codex": 1}
    from_tar = [c for c in convs if c["source"]["path"].startswith("in/backup.tar.gz/")]
    assert sorted(c["id"] for c in from_tar) == sorted(c["id"] for c in plain)
    assert {c["id"]: c["messages"] for c in from_tar} == {c["id"]: c["messages"] for c in plain}
    assert "in/more.zip/codex/rollout-1.jsonl.gz" in {c["source"]["path"] for c in convs}
    assert sorted((w["path"], w["reason"]) for w in report["warnings"]) == [
        ("in/backup.tar.gz/../escaped.jsonl", "archive member outside the archive: not read"),
        ("in/backup.tar.gz//abs.jsonl", "archive member outside the archive: not read"),
    ]
    assert not (tmp_path / "escaped.jsonl").exists() and not Path("/abs.jsonl").exists()


def test_a_broken_archive_is_a_warning(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad.zip").write_bytes(b"PK\x03\x04 not really a zip")
    shutil.copy(SESSIONS["rollout.jsonl"], folder / "rollout.jsonl")
    report, convs = ingest(folder, tmp_path / "store")
    assert len(convs) == 1
    assert [(w["path"], w["reason"]) for w in report["warnings"]] == [
        ("in/bad.zip", "archive does not unpack (BadZipFile)")
    ]
