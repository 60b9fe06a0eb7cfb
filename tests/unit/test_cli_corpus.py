"""`forge corpus ingest`, `forge scrub`, `forge dataset build|show` on real files (no mocks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from forge.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [str(ROOT / "examples" / "sessions"), str(ROOT / "examples" / "beads")]
FORMATS = ROOT / "tests" / "fixtures" / "formats"
FORGE = Path(sys.executable).parent / "forge"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def flat(r) -> str:
    """The output with Rich's line wrapping undone."""
    return " ".join(r.output.split())


def test_ingest_build_show_round_trip(forge_home, tmp_path, planted_secret_pieces):
    corpus, dataset = tmp_path / "corpus", tmp_path / "dataset"
    r = invoke("corpus", "ingest", *EXAMPLES, "--out", str(corpus), "--json")
    assert r.exit_code == 0, r.output
    counts = json.loads(r.stdout)
    assert counts["conversations"] == 84 and counts["work_items"] > 0
    assert counts["messages"] > counts["conversations"] and counts["skipped_records"] == 0
    assert counts["scrub"]["total"] > 0
    assert {p.name for p in corpus.iterdir()} == {
        "conversations.jsonl",
        "work_items.jsonl",
        "report.json",
        "manifest.json",
    }
    written = (corpus / "conversations.jsonl").read_text()
    assert not [p for p in planted_secret_pieces if p in written]

    r = invoke(
        "dataset", "build", str(corpus), "--role", "polecat", "--min-success", "0.2", "--out", str(dataset), "--json"
    )
    assert r.exit_code == 0, r.output
    stats = json.loads(r.stdout)["stats"]
    assert set(stats["by_role_task"]) == {"polecat/git-workflow"}
    assert stats["sft"]["train"] + stats["sft"]["eval"] > 0
    assert stats["corpus"]["scrub"]["total"] == counts["scrub"]["total"]
    rows = "".join((dataset / f).read_text() for f in ("sft_train.jsonl", "dpo_train.jsonl"))
    assert not [p for p in planted_secret_pieces if p in rows]

    r = invoke("dataset", "show", str(dataset), "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["stats"] == stats
    r = invoke("dataset", "show", str(dataset))
    assert r.exit_code == 0, r.output
    for text in ("SFT rows train / eval", "role \\ task", "polecat", "git-workflow", "secrets replaced"):
        assert text in r.stdout, text


def test_ingest_reports_bad_records_and_exits_nonzero_only_when_nothing_is_usable(forge_home, tmp_path):
    good = tmp_path / "in" / "good.jsonl"
    good.parent.mkdir()
    good.write_bytes((ROOT / "tests" / "fixtures" / "claude_code" / "session_bad_records.jsonl").read_bytes())
    (tmp_path / "in" / "empty.jsonl").write_bytes(b"")
    r = invoke("corpus", "ingest", str(tmp_path / "in"), "--out", str(tmp_path / "c"), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["conversations"] == 1 and out["skipped_records"] == out["warning_count"] == 6
    where = {(w["path"], w["line"]) for w in out["warnings"]}
    assert ("in/empty.jsonl", None) in where and ("in/good.jsonl", 10) in where

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "junk.jsonl").write_bytes(b'{"sessionId": "x", "type": "user"\n\xff\xfe\n')
    r = invoke("corpus", "ingest", str(bad), "--out", str(tmp_path / "c2"))
    assert r.exit_code == 1
    assert "nothing usable" in flat(r) and "Traceback" not in r.output
    assert "bad/junk.jsonl:2: invalid UTF-8" in flat(r)
    assert not (tmp_path / "c2").exists()


def test_format_option_restricts_readers(forge_home, tmp_path):
    r = invoke(
        "corpus",
        "ingest",
        str(FORMATS / "sharegpt.json"),
        str(FORMATS / "openai_chat.jsonl"),
        "--format",
        "sharegpt",
        "--out",
        str(tmp_path / "c"),
        "--json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["files_by_reader"] == {"sharegpt": 1}
    assert any(w["reason"] == "no reader recognises this file" for w in out["warnings"])
    r = invoke("corpus", "ingest", str(FORMATS), "--format", "nope", "--out", str(tmp_path / "x"))
    assert r.exit_code == 1 and "unknown format 'nope'" in flat(r)


def test_ingest_set_options_are_validated(forge_home, tmp_path):
    r = invoke("corpus", "ingest", *EXAMPLES, "--out", str(tmp_path / "c"), "--set", "outcome_rules=['tests_faild']")
    assert r.exit_code == 1
    assert "'outcome_rules[0]': unknown rule 'tests_faild'" in flat(r)


def test_out_refuses_a_folder_that_holds_other_files(forge_home, tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = invoke("corpus", "ingest", *EXAMPLES, "--out", str(out))
    assert r.exit_code == 1 and "not empty" in flat(r)
    assert (out / "notes.txt").read_text() == "mine"


def test_scrub_folder_keeps_relative_paths_and_never_prints_secrets(tmp_path):
    token = "ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2zA4"
    src = tmp_path / "src"
    (src / "deep" / "er").mkdir(parents=True)
    (src / "deep" / "er" / "env.sh").write_text(f"export GITHUB_TOKEN={token}\necho ok\n")
    (src / "log.jsonl").write_text(json.dumps({"output": f"key {token}\nmail ops@corp-mail.io"}) + "\n")
    (src / "image.png").write_bytes(b"\x89PNG\x00\x00" + token.encode())
    (src / "plain.txt").write_text("nothing to see: commit 3f786850e387550fdab836ed7e6dc881de23001b\n")
    r = invoke("scrub", str(src), "--out", str(tmp_path / "out"), "--json")
    assert r.exit_code == 0, r.output
    assert token not in r.output and "ops@corp-mail.io" not in r.output
    report = json.loads(r.stdout)
    assert report["by_kind"] == {"email": 1, "github_token": 2}
    assert report["by_status"] == {"scrubbed": 2, "clean": 1, "skipped": 1}
    out = tmp_path / "out"
    assert (out / "deep" / "er" / "env.sh").read_text() == "export GITHUB_TOKEN=<SECRET:github_token>\necho ok\n"
    assert json.loads((out / "log.jsonl").read_text())["output"].startswith("key <SECRET:github_token>")
    assert (out / "plain.txt").read_text() == (src / "plain.txt").read_text()  # the SHA stays
    assert not (out / "image.png").exists()  # binary: not copied

    r = invoke("scrub", str(src / "deep" / "er" / "env.sh"))  # report only
    assert r.exit_code == 0 and token not in r.output and "github_token" in r.output
    r = invoke("scrub", str(tmp_path / "missing"))
    assert r.exit_code == 1 and "no such file or folder" in flat(r)


def test_real_subprocess_ingest_then_build(tmp_path):
    env = {**os.environ, "FORGE_HOME": str(tmp_path / "home")}
    env.pop("FORGE_DATABASE_URL", None)
    corpus = tmp_path / "corpus"
    run = subprocess.run(
        [str(FORGE), "corpus", "ingest", *EXAMPLES, "--out", str(corpus), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["conversations"] == 84
    run = subprocess.run(
        [str(FORGE), "dataset", "build", str(corpus), "--out", str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert "SFT rows train / eval" in run.stdout and (tmp_path / "ds" / "manifest.json").is_file()


def test_dataset_out_never_replaces_the_corpus(forge_home, tmp_path):
    corpus = tmp_path / "corpus"
    assert invoke("corpus", "ingest", *EXAMPLES, "--out", str(corpus)).exit_code == 0
    before = (corpus / "manifest.json").read_text()
    r = invoke("dataset", "build", str(corpus), "--out", str(corpus))
    assert r.exit_code == 1 and "holds a corpus artifact, not a dataset" in flat(r)
    assert (corpus / "manifest.json").read_text() == before
    r = invoke("dataset", "show", str(corpus))
    assert r.exit_code == 1 and "needs a dataset" in flat(r)
