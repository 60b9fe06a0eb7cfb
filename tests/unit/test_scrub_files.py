"""Scrubbing files as they are (forge scrub) and the Scrubber's memo of short strings."""

from __future__ import annotations

import json

from forge.scrub import Scrubber
from forge.scrub.files import scrub_path

TOKEN = "ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4"


def test_memoised_strings_are_counted_every_time():
    s = Scrubber()
    text = f"token {TOKEN}"
    assert s.scrub_text(text) == s.scrub_text(text) == "token <SECRET:github_token>"
    assert s.report()["by_kind"] == {"github_token": 2}


def test_tallies_count_only_what_is_added():
    from forge.records import Conversation, Message, SourceRef

    s = Scrubber()
    conv = Conversation("c", [Message("user", f"use {TOKEN}")], SourceRef("x", 1))
    clean, tally = s.scrub_conversation_tallied(conv)
    assert TOKEN not in clean.messages[0].content and s.report()["total"] == 0
    s.add_tally(tally)
    assert s.report()["by_kind"] == {"github_token": 1} and s.report()["conversations_with_findings"] == 1


def test_json_lines_stay_valid_and_bytes_that_are_not_utf8_survive(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    lines = [json.dumps({"out": f"export GITHUB_TOKEN={TOKEN}\\nnext"}), json.dumps({"n": 1})]
    (src / "a.jsonl").write_text("\n".join(lines) + "\n")
    (src / "latin1.txt").write_bytes(b"caf\xe9 " + TOKEN.encode() + b"\n")
    report = scrub_path(src, tmp_path / "out", Scrubber())
    assert {f.path: f.findings for f in report.files} == {"a.jsonl": 1, "latin1.txt": 1}
    out_lines = (tmp_path / "out" / "a.jsonl").read_text().splitlines()
    assert [json.loads(x) for x in out_lines][1] == {"n": 1}
    assert "<SECRET:github_token>" in json.loads(out_lines[0])["out"]
    assert (tmp_path / "out" / "latin1.txt").read_bytes() == b"caf\xe9 <SECRET:github_token>\n"


def test_output_folder_inside_the_input_keeps_nested_paths_and_skips_itself(tmp_path):
    src = tmp_path / "sessions"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "one.jsonl").write_text(json.dumps({"text": f"use {TOKEN}"}) + "\n")
    (src / "a" / "two.txt").write_text(f"token {TOKEN}\n")
    (src / "clean").mkdir()
    (src / "clean" / "stale.txt").write_text(
        f"copied earlier {TOKEN}\n"
    )  # an earlier run's output: input like any other
    out = src / "clean" / "run2"
    report = scrub_path(src, out, Scrubber())
    rels = sorted(f.path for f in report.files)
    assert rels == ["a/b/one.jsonl", "a/two.txt", "clean/stale.txt"]  # listed before run2 existed
    assert json.loads((out / "a" / "b" / "one.jsonl").read_text())["text"] == "use <SECRET:github_token>"
    assert (out / "a" / "two.txt").read_text() == "token <SECRET:github_token>\n"
    assert not (out / "clean" / "run2").exists()


def test_a_span_is_vouched_for_only_where_it_lies_inside_a_json_string():
    from forge.scrub.files import in_json_string

    line = '{"cwd": "/home/alice/x", "n": 4111111111111111, "e": "caf\\u00e9abc", "q": "a\\nb"}'

    def span(sub: str) -> tuple[str, int, int]:
        start = line.index(sub)
        return line, start, start + len(sub)

    assert in_json_string(*span("alice"))
    assert in_json_string(*span("/home/alice/x"))
    assert not in_json_string(*span("4111111111111111"))  # a number: outside every string
    assert not in_json_string(*span("abc"))  # just after a \u escape: it could cut one
    after_newline = line.rindex("b")  # the b of "a\nb": an escape is just before it
    assert not in_json_string(line, after_newline, after_newline + 1)
    assert in_json_string(line, line.index("cwd"), line.index("cwd") + 3)  # a key is a string too
    assert not in_json_string(*span('x", "n'))  # crosses a string's end


def test_json_lines_stay_valid_when_a_finding_is_not_inside_a_string(tmp_path):
    """Findings in numbers, beside escapes and across a string's end are checked by parsing; the
    rest are vouched for by where they lie. Every line comes out as JSON either way."""
    card = "4111 1111 1111 1111"
    rows = [
        {"cwd": "/home/alice/project", "text": f"token {TOKEN}"},
        {"text": f"caf\u00e9{TOKEN}", "n": 1},
        {"note": f"line one\nGITHUB_TOKEN={TOKEN}\n"},
        {"card": card},
    ]
    src = tmp_path / "s.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n" + '{"pan": 4111111111111111}\n')
    out = tmp_path / "o.jsonl"
    from forge.scrub.files import scrub_file

    scrub_file(src, out, Scrubber())
    parsed = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(parsed) == 5 and TOKEN not in out.read_text()
    assert parsed[0]["cwd"] != "/home/alice/project" and "alice" not in out.read_text()


def test_compressed_files_are_scrubbed_as_what_they_hold_and_stay_compressed(tmp_path):
    """An archived session (x.jsonl.gz, .bz2, .xz) is scrubbed inside, written back compressed the
    same way; a cut-off or foreign archive is set aside, with no partial copy."""
    import bz2
    import gzip
    import lzma
    from pathlib import Path

    real = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "claude_code" / "hello-world-script.jsonl"
    lines = real.read_text(encoding="utf-8").splitlines(keepends=True)
    planted = json.dumps({"type": "note", "text": f"export GITHUB_TOKEN={TOKEN}"}) + "\n"
    body = "".join([*lines[:2], planted, *lines[2:]]).encode()
    src = tmp_path / "in"
    src.mkdir()
    for name, opener in (("a.jsonl.gz", gzip.open), ("b.jsonl.bz2", bz2.open), ("c.log.xz", lzma.open)):
        with opener(src / name, "wb") as f:
            f.write(body)
    whole = gzip.compress(body)
    (src / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (src / "fake.jsonl.gz").write_bytes(b"plain text, not gzip " + TOKEN.encode())
    report = scrub_path(src, tmp_path / "out", Scrubber())
    by_path = {f.path: f for f in report.files}
    plain = scrub_path(real, None, Scrubber()).files[0].findings  # what the session holds itself
    for name, opener in (("a.jsonl.gz", gzip.open), ("b.jsonl.bz2", bz2.open), ("c.log.xz", lzma.open)):
        assert by_path[name].status == "scrubbed" and by_path[name].findings == plain + 1
        with opener(tmp_path / "out" / name, "rb") as f:
            text = f.read().decode()
        assert TOKEN not in text and "<SECRET:github_token>" in text
        if name.endswith(".jsonl.gz"):
            assert all(json.loads(line) for line in text.splitlines())  # still JSON lines
    assert by_path["cut.jsonl.gz"].status == "skipped" and "cut off" in by_path["cut.jsonl.gz"].reason
    assert by_path["fake.jsonl.gz"].reason == "compressed file does not decompress (BadGzipFile): not copied"
    assert not (tmp_path / "out" / "cut.jsonl.gz").exists() and not (tmp_path / "out" / "fake.jsonl.gz").exists()


def test_an_archive_is_scrubbed_member_by_member_into_an_archive_of_its_kind(tmp_path):
    """A backed-up sessions folder (tar.gz, zip) is scrubbed as the folder it holds: one report per
    member, the copy an archive of the same kind; binary members are set aside as in a folder."""
    import gzip
    import io
    import tarfile
    import zipfile

    session = json.dumps({"type": "note", "text": f"export GITHUB_TOKEN={TOKEN}"}) + "\n"
    src = tmp_path / "in"
    src.mkdir()
    with tarfile.open(src / "backup.tar.gz", "w:gz") as tf:
        for name, data in (
            ("p/a.jsonl", session.encode()),
            ("p/b.jsonl.gz", gzip.compress(session.encode())),
            ("p/blob.bin", b"\x00\x01" + TOKEN.encode()),
            ("../up.jsonl", session.encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with zipfile.ZipFile(src / "more.zip", "w") as zf:
        zf.writestr("c.log", f"token {TOKEN}\n")
    report = scrub_path(src, tmp_path / "out", Scrubber())
    by_path = {f.path: (f.status, f.findings, f.reason) for f in report.files}
    assert by_path == {
        "backup.tar.gz/../up.jsonl": ("skipped", 0, "outside the archive: not copied"),
        "backup.tar.gz/p/a.jsonl": ("scrubbed", 1, None),
        "backup.tar.gz/p/b.jsonl.gz": ("scrubbed", 1, None),
        "backup.tar.gz/p/blob.bin": ("skipped", 0, "binary file (NUL bytes): not copied"),
        "more.zip/c.log": ("scrubbed", 1, None),
    }
    with tarfile.open(tmp_path / "out" / "backup.tar.gz", "r:gz") as tf:
        names = tf.getnames()
        a = tf.extractfile("p/a.jsonl").read().decode()
        b = gzip.decompress(tf.extractfile("p/b.jsonl.gz").read()).decode()
    assert names == ["p/a.jsonl", "p/b.jsonl.gz"]
    assert TOKEN not in a + b and "<SECRET:github_token>" in a and "<SECRET:github_token>" in b
    with zipfile.ZipFile(tmp_path / "out" / "more.zip") as zf:
        assert zf.read("c.log").decode() == "token <SECRET:github_token>\n"


def _tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_worker_processes_write_the_same_copies_and_report_as_one_process(tmp_path):
    """`forge scrub --workers 2`: each worker builds its own scrubber; the copies, the per-file
    report and the findings by kind and detector equal a one-process run. Real sessions (see
    tests/fixtures/real/SOURCES.md) with secrets planted, an archive, a binary file and a link."""
    import shutil
    import tarfile
    from pathlib import Path

    from forge.progress import NullProgress

    real = sorted(Path("tests/fixtures/real/claude_code").glob("*.jsonl"))
    src = tmp_path / "in"
    (src / "nested").mkdir(parents=True)
    for i, f in enumerate(real):
        shutil.copy(f, src / ("nested" if i % 2 else ".") / f.name)
    (src / "planted.jsonl").write_text(json.dumps({"out": f"export GITHUB_TOKEN={TOKEN}\\ncwd /home/alice"}) + "\n")
    (src / "notes.txt").write_text(f"key {TOKEN} and mail bob@corp.example\n")
    (src / "blob.bin").write_bytes(b"\x00\x01" + TOKEN.encode())
    (src / "link.txt").symlink_to(src / "notes.txt")
    with tarfile.open(src / "old.tar.gz", "w:gz") as tar:
        tar.add(src / "notes.txt", arcname="inner/notes.txt")

    class Recorded(NullProgress):
        def __init__(self):
            self.steps: list[dict] = []

        def task(self, name, total=None):
            steps = self.steps if name == "scrub" else []  # (the files' task, not the engine's)

            class T:
                def advance(self, n=1, **metrics):
                    steps.append(metrics)

                def done(self, **metrics):
                    steps.append({"done": total, **metrics})

            return T()

    runs = {}
    for workers in (1, 2):
        scrubber, progress = Scrubber(), Recorded()
        report = scrub_path(
            src, tmp_path / f"out{workers}", scrubber, workers=workers, progress=progress, parallel_min_bytes=0
        )
        runs[workers] = (report.to_dict(scrubber.report()), progress.steps)
    assert runs[1][0].pop("workers") == 1 and runs[2][0].pop("workers") == 2
    assert runs[1] == runs[2]
    sizes = sum(p.stat().st_size for p in src.rglob("*") if p.is_file() and not p.is_symlink())
    assert runs[2][0]["bytes"] == sizes
    one, two = _tree(tmp_path / "out1"), _tree(tmp_path / "out2")
    assert one.keys() == two.keys() and "planted.jsonl" in one and "blob.bin" not in one
    for name in one:
        if name.endswith(".tar.gz"):  # (gzip headers hold a time): compare what the archives hold
            continue
        assert one[name] == two[name], name
    report, steps = runs[2]
    assert report["findings"] >= 4 and report["by_kind"]["github_token"] == 3
    files_scrubbed = len(real) + 4  # the sessions, planted.jsonl, notes.txt, blob.bin, old.tar.gz
    assert len(steps) == files_scrubbed + 1 and steps[-1]["done"] == files_scrubbed
    assert steps[-1]["findings"] == report["findings"]


def test_the_rule_engine_is_built_under_its_own_progress_task_before_the_files(tmp_path):
    """A machine's first run compiles the engine's catalogue (seconds): the progress shows it as
    its own task, done before the first file is scrubbed."""
    from forge.scrub import engine as eng
    from forge.scrub.find import engine_for

    events: list[tuple[str, str]] = []

    class Recording:
        def task(self, name, total=None):
            events.append(("start", name))

            class T:
                def advance(self, n=1, **metrics):
                    events.append(("advance", name))

                def done(self, **metrics):
                    events.append(("done", name))

            return T()

        def log(self, message):
            pass

    (tmp_path / "a.txt").write_text(f"token {TOKEN}\n")
    scrubber = Scrubber()
    scrub_path(tmp_path / "a.txt", None, scrubber, progress=Recording())
    assert events.index(("done", "secret rules")) < events.index(("start", "scrub"))
    assert scrubber.prepare() == eng.describe(engine_for(scrubber.detectors))
    assert Scrubber(detectors=["github_token"]).prepare() == eng.describe(None)  # no engine chosen: none built
