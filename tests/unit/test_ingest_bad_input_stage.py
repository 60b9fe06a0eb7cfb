"""Bad input through the whole corpus stage: one warning per bad record (file:line and why), the
rest processed, counts in the report. Includes a real ~100 MB line."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from forge.artifacts import ArtifactStore
from forge.ingest.stage import IngestConfig, run_ingest
from forge.jsonl import iter_jsonl, read_capped

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "claude_code"


def entry(uuid: str, parent: str | None, kind: str, content) -> bytes:
    e = {
        "parentUuid": parent,
        "isSidechain": False,
        "type": kind,
        "uuid": uuid,
        "sessionId": "s-good",
        "cwd": "/home/op/gt/gastown/polecats/nux",
        "message": {"role": kind, "content": content},
    }
    if kind == "assistant":
        e["message"]["id"] = f"msg-{uuid}"
    return json.dumps(e).encode() + b"\n"


def write_session(path: Path, huge_line_bytes: int = 0) -> None:
    """A good session with bad lines between its entries: line 2 wrong schema, line 3 invalid
    UTF-8, line 4 a huge line (when asked), line 6 truncated at the end of the file."""
    with open(path, "wb") as f:
        f.write(entry("a", None, "user", "Fix the flaky test"))  # 1
        f.write(b"[1, 2, 3]\n")  # 2 wrong schema
        f.write(b'{"type": "user", "text": "caf\xe9"}\n')  # 3 invalid UTF-8
        if huge_line_bytes:
            f.write(b'{"type": "user", "pad": "')  # 4 huge line
            block = b"x" * (1 << 20)
            for _ in range(huge_line_bytes >> 20):
                f.write(block)
            f.write(b'"}\n')
        else:
            f.write(b"\n")
        f.write(entry("b", "a", "assistant", [{"type": "text", "text": "Done, tests pass."}]))  # 5
        f.write(b'{"parentUuid": "b", "type": "user", "message": {"ro')  # 6 truncated


def ingest(tmp_path: Path, *paths: Path):
    art = run_ingest(ArtifactStore(tmp_path / "store"), list(paths), IngestConfig(workers=1))
    report = json.loads(art.file("report.json").read_text())["ingest"]
    return art, report


def test_every_kind_of_bad_input_is_one_warning_and_the_rest_is_read(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    write_session(src / "s-good.jsonl", huge_line_bytes=100 << 20)  # a real 100 MB line
    (src / "empty.jsonl").write_bytes(b"")
    (src / "blank.jsonl").write_bytes(b"\n\n")
    (src / "blob.jsonl").write_bytes(bytes(range(256)) * 64)
    (src / "schema.jsonl").write_text('{"sessionId": "s2", "type": "user", "message": "not a dict"}\n')
    art, report = ingest(tmp_path, src)
    reasons = {(w["path"], w["line"]): w["reason"] for w in report["warnings"]}
    assert reasons[("in/s-good.jsonl", 2)] == "wrong schema: expected a JSON object, got list"
    assert reasons[("in/s-good.jsonl", 3)].startswith("invalid UTF-8 at byte")
    assert reasons[("in/s-good.jsonl", 4)].startswith("line too long (104,857,")
    assert reasons[("in/s-good.jsonl", 6)] == "truncated line (file ends mid-record)"
    assert reasons[("in/empty.jsonl", None)] == "empty file"
    assert reasons[("in/blob.jsonl", None)].startswith("binary file")
    assert ("in/schema.jsonl", 1) in reasons
    assert report["skipped_records"] == len(report["warnings"]) == len(reasons)
    # the good entries on both sides of the bad ones still make the conversation
    (conv,) = [json.loads(line) for line in art.file("conversations.jsonl").read_text().splitlines()]
    assert [m["role"] for m in conv["messages"]] == ["user", "assistant"]
    assert conv["source"] == {"path": "in/s-good.jsonl", "line": 1}
    # warnings never echo what the record held
    assert "caf" not in json.dumps(report["warnings"]) and "xxxx" not in json.dumps(report["warnings"])


def test_an_over_long_line_is_skipped_holding_no_more_than_the_cap(tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as f:
        f.write(b'{"n": 1}\n{"pad": "' + b"y" * (20 << 20) + b'"}\n{"n": 3}\n{"pad": "' + b"z" * (3 << 20))
    warnings: list = []
    tracemalloc.start()
    got = list(iter_jsonl(path, lambda line, why: warnings.append((line, why)), max_line_bytes=1 << 20))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(n, o) for n, o in got] == [(1, {"n": 1}), (3, {"n": 3})]
    assert [line for line, _ in warnings] == [2, 4]
    assert "20,971,5" in warnings[0][1] and "limit is 1,048,576" in warnings[0][1]
    assert peak < 4 << 20, f"peak {peak:,} bytes while skipping 20 MB"


def test_whole_file_formats_over_the_cap_are_set_aside(tmp_path):
    path = tmp_path / "run.traj"
    path.write_bytes(b"{" + b" " * 5000 + b"}")
    warnings: list = []
    assert read_capped(path, lambda line, why: warnings.append((line, why)), max_bytes=1000) is None
    assert warnings == [(None, "file too large (5,002 bytes; the limit for whole-file formats is 1,000), skipped")]
    assert read_capped(path, lambda *a: None, max_bytes=10_000) == path.read_bytes()


def test_only_bad_input_gives_an_empty_corpus_and_counts(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "empty.jsonl").write_bytes(b"")
    (src / "cut.jsonl").write_bytes(b'{"sessionId": "s", "type": "user", "mess')
    _, report = ingest(tmp_path, src)
    assert report["conversations"] == 0 and report["skipped_records"] == 2
