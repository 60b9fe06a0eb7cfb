"""`forge eval`, `forge export`, `forge infer` on a tiny random Llama (no training: these
tests check the commands' wiring, outputs and errors; scores are whatever the model does)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forge.cli import app
from forge.models.chat_format import CHAT_TEMPLATE, IM_END, SPECIAL_TOKENS

pytestmark = pytest.mark.slow
runner = CliRunner()


def flat(res):  # rich wraps long error lines at the terminal width
    return " ".join(res.output.split())


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("m") / "model"
    suite = Path(__file__).resolve().parents[2] / "examples" / "suites" / "gastown.jsonl"
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        suite.read_text().splitlines(),
        trainers.BpeTrainer(
            vocab_size=512,
            special_tokens=SPECIAL_TOKENS,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=IM_END, pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )
    torch.manual_seed(0)
    LlamaForCausalLM(
        LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=1,
            num_attention_heads=2,
            max_position_embeddings=4096,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    ).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_eval_json_and_html_report(tiny_model, forge_home, tmp_path):
    html = tmp_path / "report.html"
    res = runner.invoke(
        app,
        [
            "eval",
            str(tiny_model),
            "--base",
            str(tiny_model),
            "--suite",
            "gastown",
            "--max-prompts",
            "4",
            "--max-new-tokens",
            "4",
            "--report",
            str(html),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["suite"] == "gastown" and out["n_prompts"] == 4
    cats = {r["category"] for r in out["categories"]}
    assert "tool_call_validity" in cats and cats & {
        "bead_management",
        "git_workflow",
        "planning",
        "convention_adherence",
    }
    assert all(r["delta"] == 0.0 for r in out["categories"])  # same model on both sides
    assert "<svg" in html.read_text()


def test_eval_errors_are_one_line(forge_home, tmp_path):
    res = runner.invoke(app, ["eval", "nope-model"])
    assert res.exit_code == 1 and "no model 'nope-model'" in flat(res) and "Traceback" not in flat(res)
    res = runner.invoke(app, ["eval", str(tmp_path), "--suite", "no-such-suite"])
    assert res.exit_code == 1 and "not a model directory" in flat(res)


def test_export_gguf_then_infer_gguf_and_hf(tiny_model, forge_home):
    res = runner.invoke(
        app, ["export", str(tiny_model), "--format", "gguf", "--quant", "q8_0", "--no-parity", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["kind"] == "gguf" and set(out["files"]) == {"model-q8_0.gguf", "export.json"}
    assert len(out["files"]["model-q8_0.gguf"]) == 64  # its SHA-256 is in the manifest
    res = runner.invoke(app, ["infer", str(tiny_model), "--prompt", "List files.", "--max-new-tokens", "6", "--json"])
    assert res.exit_code == 0, res.output
    hf = json.loads(res.stdout)
    assert hf["mode"] == "hf" and isinstance(hf["tool_calls"], list)
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return
    res = runner.invoke(
        app, ["infer", out["path"], "--mode", "gguf", "--prompt", "List files.", "--max-new-tokens", "6", "--json"]
    )
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["mode"] == "gguf"


def test_export_rejects_bad_options(tiny_model, forge_home):
    res = runner.invoke(app, ["export", str(tiny_model), "--format", "onnx"])
    assert res.exit_code == 1 and "--format must be one of merged, gguf, ollama" in flat(res)
    res = runner.invoke(app, ["export", str(tiny_model), "--format", "merged"])
    assert res.exit_code == 1 and "already merged" in flat(res)
    res = runner.invoke(app, ["infer", str(tiny_model), "--prompt", "x", "--mode", "ollama"])
    assert res.exit_code == 1 and "cannot reach Ollama" in flat(res)


def test_forge_export_ollama_subprocess(tiny_model, forge_home):
    forge = Path(sys.executable).parent / "forge"
    proc = subprocess.run(
        [str(forge), "export", str(tiny_model), "--format", "ollama", "--no-parity", "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "FORGE_HOME": str(forge_home)},
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["kind"] == "ollama" and "Modelfile" in out["files"] and "model-f16.gguf" in out["files"]
    if out["ollama"]["created"] is False:
        assert "no `ollama` binary on PATH" in out["ollama"]["skipped"]
