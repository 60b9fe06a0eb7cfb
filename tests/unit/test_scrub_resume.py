"""`forge scrub --out DIR` interrupted, then `--resume`: never a half copy under a file's own name,
and the copies and the report of the resumed run are those of one run. The interrupt is made by
raising KeyboardInterrupt (what Ctrl-C raises) at a chosen file; everything else is real. Real
sessions: tests/fixtures/real/SOURCES.md."""

from __future__ import annotations

import json
import os
import shutil
import tarfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import forge.scrub.files as files
from forge.cli import app
from forge.errors import InputError
from forge.scrub import Scrubber
from forge.scrub.files import scrub_path
from forge.scrub.resume import BOOKKEEPING

TOKEN = "ghp_" + "R8b2Lq0ZtXw4Kc9Vn1Hy6Md3Pa7Fs5Gj2Ue0"


def _sources(root: Path) -> Path:
    src = root / "in"
    (src / "nested").mkdir(parents=True)
    for i, f in enumerate(sorted(Path("tests/fixtures/real/claude_code").glob("*.jsonl"))):
        shutil.copy(f, src / ("nested" if i % 2 else ".") / f.name)
    (src / "planted.jsonl").write_text(json.dumps({"out": f"export GITHUB_TOKEN={TOKEN}\\ncwd /home/alice"}) + "\n")
    (src / "notes.txt").write_text(f"key {TOKEN} and mail bob@corp.example\n")
    (src / "blob.bin").write_bytes(b"\x00\x01" + TOKEN.encode())
    return src


def _copies(out: Path) -> dict[str, bytes]:
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and BOOKKEEPING not in p.relative_to(out).parts
    }


def _run(src: Path, out: Path, **kw) -> dict:
    scrubber = Scrubber()
    return scrub_path(src, out, scrubber, **kw).to_dict(scrubber.report())


def _interrupt_at(monkeypatch, nth: int, *, mid_copy: bool = False) -> list[str]:
    """Make the nth file scrubbed raise KeyboardInterrupt: before it starts, or (mid_copy) after
    its copy has been half written."""
    real, seen = files._scrub_one, []

    def scrub_one(work, target, scrubber):
        seen.append(work.rel)
        if len(seen) == nth:
            if mid_copy:
                target.write_text("half a copy")
            raise KeyboardInterrupt
        return real(work, target, scrubber)

    monkeypatch.setattr(files, "_scrub_one", scrub_one)
    return seen


@pytest.mark.parametrize("mid_copy", [False, True])
def test_an_interrupted_run_resumes_into_the_copies_and_report_of_one_run(tmp_path, monkeypatch, mid_copy):
    src = _sources(tmp_path)
    whole = _run(src, tmp_path / "whole")
    seen = _interrupt_at(monkeypatch, 4, mid_copy=mid_copy)
    with pytest.raises(KeyboardInterrupt):
        _run(src, tmp_path / "out")
    out = tmp_path / "out"
    left = _copies(out)
    journal = [json.loads(line) for line in (out / BOOKKEEPING / "journal.jsonl").read_text().splitlines()[1:]]
    # three files finished (the binary one without a copy); the fourth has no copy under its own
    # name, whole or half
    assert [e["file"] for e in journal] == seen[:3] and "blob.bin" in seen[:3]
    assert sorted(left) == sorted(e["file"] for e in journal if e["copied"]) and seen[3] not in left
    assert all(left[name] == _copies(tmp_path / "whole")[name] for name in left)
    assert not list((out / BOOKKEEPING).rglob("partial/*"))
    monkeypatch.undo()
    with pytest.raises(InputError, match="not empty") as refused:
        _run(src, out)
    assert "--resume" in (refused.value.hint or "")
    resumed = _run(src, out, resume=True)
    assert resumed.pop("resumed") == 3 and whole.pop("resumed") == 0
    assert resumed == whole
    assert _copies(out) == _copies(tmp_path / "whole")
    assert TOKEN.encode() not in b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    # once more: everything was finished, nothing is scrubbed again, the report stands
    again = _run(src, out, resume=True)
    assert again.pop("resumed") == whole["files"] and again == whole


def test_a_changed_source_or_a_removed_copy_is_scrubbed_again(tmp_path):
    src = _sources(tmp_path)
    out = tmp_path / "out"
    _run(src, out)
    notes = src / "notes.txt"
    notes.write_text(f"new key {TOKEN}\n")
    os.utime(notes, ns=(1, 1))  # a different modification time whatever the clock's resolution
    planted = out / "planted.jsonl"
    planted.unlink()
    report = _run(src, out, resume=True)
    assert report["resumed"] == report["files"] - 2  # all but the two
    assert (out / "notes.txt").read_text() == "new key <SECRET:github_token>\n" and planted.is_file()


def test_resume_refuses_a_folder_no_run_recorded_and_other_options(tmp_path):
    src = _sources(tmp_path)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "planted.jsonl").write_text(f"raw {TOKEN}\n")  # an unscrubbed file must not pass for a copy
    with pytest.raises(InputError, match="no forge scrub run recorded"):
        _run(src, foreign, resume=True)
    out = tmp_path / "out"
    _run(src, out)
    scrubber = Scrubber(allowlist=["bob@corp.example"])
    with pytest.raises(InputError, match="other options"):
        scrub_path(src, out, scrubber, resume=True)


def test_resume_with_worker_processes(tmp_path, monkeypatch):
    src = _sources(tmp_path)
    whole = _run(src, tmp_path / "whole")
    out = tmp_path / "out"
    _run(src, out)
    journal = out / BOOKKEEPING / "journal.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text("\n".join(lines[:4]) + "\n" + lines[4][:10])  # three files, and a line torn mid-write
    for name in [json.loads(line)["file"] for line in lines[4:]]:
        (out / name).unlink(missing_ok=True)
    resumed = _run(src, out, resume=True, workers=2, parallel_min_bytes=0)
    assert resumed.pop("workers") == 2 and whole.pop("workers") == 1
    assert resumed.pop("resumed") == 3 and whole.pop("resumed") == 0 and resumed == whole
    assert _copies(out) == _copies(tmp_path / "whole")
    assert all(json.loads(line) for line in journal.read_text().splitlines())  # the torn line was ended


def test_cli_resume_prints_what_the_earlier_run_finished(tmp_path, monkeypatch):
    src = _sources(tmp_path)
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["scrub", str(src), "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    refused = runner.invoke(app, ["scrub", str(src), "--out", str(out)])
    assert refused.exit_code == 1 and "--resume" in refused.output
    again = runner.invoke(app, ["scrub", str(src), "--out", str(out), "--resume"])
    assert again.exit_code == 0 and "finished by the earlier run" in again.output
    seen = _interrupt_at(monkeypatch, 2)
    stopped = runner.invoke(app, ["scrub", str(src), "--out", str(tmp_path / "out2"), "--workers", "1"])
    assert stopped.exit_code == 130 and "--resume" in stopped.output and len(seen) == 2
    alone = runner.invoke(app, ["scrub", str(src), "--resume"])
    assert alone.exit_code == 1 and "--out" in alone.output and "Traceback" not in alone.output
    assert TOKEN not in first.output + refused.output + again.output


def test_an_output_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    src = _sources(tmp_path)
    (tmp_path / "a-file").write_text("not a folder")
    r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(tmp_path / "a-file" / "out")])
    assert r.exit_code == 1 and "could not write to the output folder" in r.output and "Traceback" not in r.output


def test_a_full_disk_stops_the_run_and_resume_goes_on(tmp_path, monkeypatch):
    """A full disk (ENOSPC, raised where the copy is written: a disk cannot be filled here)
    stops the run with one clear error instead of skipping every later file as unreadable."""
    import errno

    src = _sources(tmp_path)
    whole = _run(src, tmp_path / "whole")
    real, calls = files.scrub_file, []

    def full_after_two(s, target, scrubber, **kw):
        calls.append(s)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(s, target, scrubber, **kw)

    monkeypatch.setattr(files, "scrub_file", full_after_two)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(out), "--workers", "1"])
    assert r.exit_code == 1 and "No space left on device" in r.output and "--resume" in r.output
    assert len(calls) == 3 and "Traceback" not in r.output
    monkeypatch.undo()
    resumed = _run(src, out, resume=True)
    assert resumed.pop("resumed") == 2 and whole.pop("resumed") == 0 and resumed == whole
    assert _copies(out) == _copies(tmp_path / "whole")


def test_names_in_paths_are_scrubbed_in_the_copies_report_and_journal(tmp_path):
    """Two users' Claude Code project folders (-Users-NAME-code-app, real sessions) whose sessions
    share a file name, and a token in a file's name: no name or token in any output path, the
    report or the journal; the two sessions stay two files; --keep-names keeps the paths."""
    real = sorted(Path("tests/fixtures/real/claude_code").glob("*.jsonl"))
    src = tmp_path / "projects"
    for user in ("dorotheaquist", "bartholomewk"):
        (src / f"-Users-{user}-code-app").mkdir(parents=True)
        shutil.copy(real[0], src / f"-Users-{user}-code-app" / "session.jsonl")
    (src / f"key-{TOKEN}.txt").write_text("nothing secret inside\n")
    with tarfile.open(tmp_path / "backup.tar.gz", "w:gz") as tar:  # a backup of the projects folder
        tar.add(src / "-Users-dorotheaquist-code-app", arcname="-Users-dorotheaquist-code-app")
    shutil.move(tmp_path / "backup.tar.gz", src / "backup.tar.gz")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    copies = [
        "-Users-<SECRET:user>-code-app/session-2.jsonl",
        "-Users-<SECRET:user>-code-app/session.jsonl",
        "backup.tar.gz",
        "key-<SECRET:github_token>.txt",
    ]
    assert written == sorted([*copies, ".forge-scrub/journal.jsonl"])
    member = "-Users-<SECRET:user>-code-app/session.jsonl"
    assert sorted(f["path"] for f in report["per_file"]) == sorted([*copies[:2], f"backup.tar.gz/{member}", copies[3]])
    with tarfile.open(out / "backup.tar.gz") as tar:
        assert tar.getnames() == [member]
    everything = r.output + "".join(written) + (out / ".forge-scrub" / "journal.jsonl").read_text()
    assert not any(s in everything for s in ("dorotheaquist", "bartholomewk", TOKEN))
    assert report["findings"] == sum(f["findings"] for f in report["per_file"])  # names not counted
    again = CliRunner().invoke(app, ["scrub", str(src), "--out", str(out), "--resume", "--json"])
    assert again.exit_code == 0 and json.loads(again.stdout)["resumed"] == 4
    kept = tmp_path / "kept"
    r = CliRunner().invoke(app, ["scrub", str(src), "--out", str(kept), "--keep-names", "--json"])
    assert r.exit_code == 0 and (kept / "-Users-dorotheaquist-code-app" / "session.jsonl").is_file()
    assert (kept / f"key-{TOKEN}.txt").is_file()
