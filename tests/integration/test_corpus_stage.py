"""The corpus stage end to end on the shipped example corpus: read, link, scrub, write.

The key property: no planted fake secret reaches any file of the artifact.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from forge.artifacts import ArtifactStore
from forge.errors import ConfigError, InputError
from forge.ingest.stage import IngestConfig, run_ingest
from forge.records import Conversation

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "claude_code"


def planted_secrets() -> dict[str, list[str]]:
    name = "forge_example_generate_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, EXAMPLES / "generate_corpus.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name].PLANTED_SECRETS


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return ArtifactStore(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def corpus(store):
    return run_ingest(store, [EXAMPLES / "sessions", EXAMPLES / "beads"], IngestConfig())


def test_no_planted_secret_in_any_artifact_file(corpus):
    texts = {p.name: p.read_text(encoding="utf-8") for p in corpus.path.rglob("*") if p.is_file()}
    assert {"conversations.jsonl", "work_items.jsonl", "report.json", "manifest.json"} <= set(texts)
    checked = 0
    for kind, values in planted_secrets().items():
        for value in values:
            # a PEM block is checked line by line: JSON escapes its newlines
            for piece in [ln for ln in value.split("\n") if not ln.startswith("-----")]:
                checked += 1
                for name, text in texts.items():
                    assert piece not in text, f"planted {kind} found in {name}"
    assert checked > 100


def test_counts_links_and_report(corpus):
    report = json.loads(corpus.file("report.json").read_text())
    ingest = report["ingest"]
    assert ingest["conversations"] >= 72 and ingest["work_items"] >= 36
    assert ingest["files_by_reader"] == {"beads": 1, "claude_code": ingest["conversations"]}
    assert ingest["skipped_records"] == 0 and ingest["warnings"] == []
    assert ingest["linked"] == {"attempt": ingest["conversations"]}
    assert set(ingest["outcomes"]) == {"success", "failure"}
    assert {"polecat", "witness", "mayor"} <= set(ingest["by_role"])
    assert set(ingest["by_task"]) == {"bead-creation", "git-workflow", "planning"}
    assert ingest["dropped"]["thinking"] > 0
    scrub = report["scrub"]
    assert scrub and json.dumps(scrub).count("AKIA") == 0
    convs = [
        Conversation.from_dict(json.loads(line)) for line in corpus.file("conversations.jsonl").read_text().splitlines()
    ]
    assert len(convs) == ingest["conversations"]
    assert all(c.outcome in ("success", "failure") and c.work_item for c in convs)
    # the project folders name their user (-home-op-gt-...): recorded scrubbed
    assert all(c.source.path.startswith("sessions/-home-<SECRET:user>-gt-") for c in convs)
    items = [json.loads(line) for line in corpus.file("work_items.jsonl").read_text().splitlines()]
    assert {
        "id",
        "title",
        "status",
        "outcome",
        "sessions",
        "agent_role",
        "task",
        "outcome_source",
        "close_reason",
        "labels",
        "depends_on",
        "comments",
        "reopened",
        "assignee",
    } == set(items[0])
    # the example corpus's outcomes all come from its beads' attempts, each with its source
    assert ingest["outcome_sources"] == {"beads:attempt": ingest["conversations"]}
    assert ingest["outcome_coverage"] == {
        "sessions": ingest["conversations"],
        "labelled": ingest["conversations"],
        "unknown": 0,
        "by_evidence": {"beads": ingest["conversations"]},
    }
    assert all(c.outcome_source == "beads:attempt" and c.outcome_confidence == 0.95 for c in convs)


def test_manifest_lists_sources_and_rerun_is_free(store, corpus):
    sources = corpus.manifest["sources"]
    assert len(sources) == json.loads(corpus.file("report.json").read_text())["ingest"]["files"]
    assert all(len(s["sha256"]) == 64 and s["reader"] for s in sources)
    corpus.verify()
    again = run_ingest(store, [EXAMPLES / "sessions", EXAMPLES / "beads"], IngestConfig())
    assert again.id == corpus.id and again.path == corpus.path


def test_id_follows_inputs_and_config(store, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(FIXTURES / "session_basic.jsonl", src / "a.jsonl")
    first = run_ingest(store, [src], IngestConfig())
    assert run_ingest(store, [src], IngestConfig(min_messages=3)).id != first.id
    (src / "a.jsonl").write_text((src / "a.jsonl").read_text().replace("Fix mail router", "Fix mail relay"))
    assert run_ingest(store, [src], IngestConfig()).id != first.id


def test_bad_files_become_warnings_not_failures(store, tmp_path):
    src = tmp_path / "mixed"
    src.mkdir()
    shutil.copy(FIXTURES / "session_bad_records.jsonl", src / "bad.jsonl")
    shutil.copy(FIXTURES / "issues.jsonl", src / "issues.jsonl")
    (src / "empty.jsonl").write_bytes(b"")
    (src / "blob.jsonl").write_bytes(b"\x00\x01AKIAFAKEFAKEFAKE1234\x00")
    art = run_ingest(store, [src], IngestConfig())
    report = json.loads(art.file("report.json").read_text())["ingest"]
    where = {(w["path"], w["line"]) for w in report["warnings"]}
    assert {
        ("mixed/bad.jsonl", 2),
        ("mixed/bad.jsonl", 10),
        ("mixed/empty.jsonl", None),
        ("mixed/blob.jsonl", None),
        ("mixed/issues.jsonl", 4),
    } <= where
    assert report["skipped_records"] == len(report["warnings"]) == 8
    assert report["conversations"] == 1
    for path in art.path.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "AKIAFAKE" not in text and "ghp_FAKE" not in text


def test_input_and_config_errors(store, tmp_path):
    with pytest.raises(InputError):
        run_ingest(store, [tmp_path / "missing"], IngestConfig())
    with pytest.raises(InputError):
        run_ingest(store, [tmp_path], IngestConfig())  # a folder with nothing to read
    with pytest.raises(ConfigError, match="'readers'"):
        IngestConfig.from_dict({"readers": ["nope"]})
    with pytest.raises(ConfigError, match="min_mesages"):
        IngestConfig.from_dict({"min_mesages": 2})
    assert not list((store.root / ".staging").glob("*"))  # failed runs leave nothing behind
