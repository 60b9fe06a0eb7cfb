"""`forge dataset check` on real Hub chat templates, with the example corpus built as a dataset.

Qwen2.5's template carries every row (tools in the system turn, `<tool_call>` JSON read back
with the Hermes parser, results in `<tool_response>`). Llama 3.1's carries the tools, every
call (read back with the Llama 3 parser) and every result, but writes only the call for an
assistant message that has both text and a call: the check names exactly those turns. The
Qwen2 vocab file's own template (plain ChatML) drops the tools and every call.
"""

import json

import pytest
from typer.testing import CliRunner

from forge.bundled import example_sources
from forge.cli import app
from forge.models import fidelity as f
from forge.service import Forge
from real_models import tokenizer_dir


@pytest.fixture(scope="module")
def example_dataset(tmp_path_factory):
    home = tmp_path_factory.mktemp("forge-home")
    mp = pytest.MonkeyPatch()
    mp.setenv("FORGE_HOME", str(home))
    forge = Forge()
    corpus = forge.ingest([*map(str, example_sources())])
    dataset = forge.build_dataset(corpus)
    rows = [
        json.loads(line)
        for name in ("sft_train.jsonl", "sft_eval.jsonl")
        for line in (dataset.path / name).read_text().splitlines()
    ]
    yield forge, dataset, rows
    mp.undo()


def test_qwen25_template_round_trips_every_row(example_dataset):
    forge, dataset, rows = example_dataset
    report = forge.check_dataset(dataset.id, str(tokenizer_dir("qwen2")))
    assert report["format"] == "hermes" and report["renders_tool_calls"]
    assert report["rows"] == len(rows) > 0
    assert report["fidelity_percent"] == 100.0 and report["losses_by_kind"] == {}
    # every tool schema, assistant turn and tool result was compared
    items = sum(
        len(r.get("tools") or []) + sum(m["role"] in ("assistant", "tool") for m in r["messages"]) for r in rows
    )
    assert sum(r["checked"] for r in report["per_row"]) == items


def test_llama31_template_carries_calls_and_results_but_drops_text_beside_a_call(example_dataset):
    forge, dataset, rows = example_dataset
    report = forge.check_dataset(dataset.id, str(tokenizer_dir("llama3")))
    assert report["format"] == "llama3" and report["renders_tool_calls"]
    assert set(report["losses_by_kind"]) == {f.CONTENT_DROPPED}
    by_id = {r["id"]: r for r in report["per_row"]}
    for row in rows:
        text_and_call = [
            i
            for i, m in enumerate(row["messages"])
            if m["role"] == "assistant" and m.get("tool_calls") and (m.get("content") or "").strip()
        ]
        got = by_id[row["id"]]
        assert [x["message"] for x in got["losses"]] == text_and_call
        assert got["exact"] == (not text_and_call)
    assert report["exact_rows"] == sum(r["exact"] for r in report["per_row"]) < len(rows)


def test_cli_json_names_what_the_tool_less_template_loses(example_dataset, tmp_path):
    _, dataset, rows = example_dataset
    result = CliRunner().invoke(
        app, ["dataset", "check", str(dataset.path), "--base", str(tokenizer_dir("qwen2-gguf-template")), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["renders_tool_calls"] is False and report["fidelity_percent"] == 0.0
    with_calls = sum(any(m.get("tool_calls") for m in r["messages"]) for r in rows)
    with_tools = sum(bool(r.get("tools")) for r in rows)
    assert report["losses_by_kind"] == {f.TOOLS_DROPPED: with_tools, f.CALLS_DROPPED: with_calls}
    assert any("--template" in line for line in report["next"])
    # an explicit template (here Qwen2.5's, from its tokenizer directory) replaces the base's own
    qwen25 = tokenizer_dir("qwen2") / "chat_template.jinja"
    result = CliRunner().invoke(
        app,
        [
            "dataset",
            "check",
            str(dataset.path),
            "--base",
            str(tokenizer_dir("qwen2-gguf-template")),
            "--template",
            str(qwen25),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "round-trip fidelity: 100.0%" in result.output


def test_cli_missing_template_file_is_a_clear_error(example_dataset, tmp_path):
    _, dataset, _ = example_dataset
    result = CliRunner().invoke(
        app,
        [
            "dataset",
            "check",
            str(dataset.path),
            "--base",
            str(tokenizer_dir("qwen2")),
            "--template",
            str(tmp_path / "x.jinja"),
        ],
    )
    assert result.exit_code != 0 and "chat template file not found" in result.output
    assert "Traceback" not in result.output
