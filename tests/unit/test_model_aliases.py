"""Base-model aliases and Hub ids: what they resolve to, and the error when a model cannot be had.

The offline and unreachable cases run `resolve_base` in a fresh interpreter, because
huggingface_hub reads HF_HUB_OFFLINE and HF_ENDPOINT once, at import. No test reaches the
network: HF_HUB_OFFLINE=1, or an endpoint on a closed local port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forge.errors import ForgeError, InputError
from forge.models.aliases import ALIASES, lookup
from forge.models.base import resolve_base
from forge.models.tool_calls import detect_format
from forge.settings import Settings
from real_models import llama_models_dir

# The Hub template of each alias, where llama.cpp ships it (Qwen2.5-Coder uses Qwen2.5's).
ALIAS_TEMPLATES = {
    "qwen2.5-coder-7b": "Qwen-Qwen2.5-7B-Instruct",
    "qwen2.5-7b": "Qwen-Qwen2.5-7B-Instruct",
    "qwen3-8b": "Qwen-Qwen3-0.6B",
    "qwen3-coder-30b-a3b": "Qwen3-Coder",
    "llama-3.1-8b": "meta-llama-Llama-3.1-8B-Instruct",
    "llama-3.2-3b": "meta-llama-Llama-3.2-3B-Instruct",
    "deepseek-r1-distill-qwen-7b": "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B",
    "mistral-nemo-12b": "mistralai-Mistral-Nemo-Instruct-2407",
    "phi-3.5-mini": "microsoft-Phi-3.5-mini-instruct",
}


def test_aliases_name_hub_repositories():
    for name, alias in ALIASES.items():
        assert name == name.lower() and " " not in name
        for repo in filter(None, (alias.hub_id, alias.four_bit)):
            owner, _, model = repo.partition("/")
            assert owner and model and "/" not in model, repo
        assert alias.four_bit is None or "4bit" in alias.four_bit
    assert lookup(" Qwen2.5-Coder-7B ") is ALIASES["qwen2.5-coder-7b"]
    assert {"qwen2.5-coder-7b", "qwen3-8b", "llama-3.1-8b", "deepseek-r1-distill-qwen-7b"} <= set(ALIASES)


@pytest.mark.parametrize("name", sorted(ALIAS_TEMPLATES))
def test_alias_tool_format_is_what_its_real_template_writes(name):
    template = (llama_models_dir() / "templates" / f"{ALIAS_TEMPLATES[name]}.jinja").read_text(encoding="utf-8")
    assert detect_format(template).format == ALIASES[name].tool_format


def _resolve_in_fresh_python(ref: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    code = (
        "import json, sys\n"
        "from forge.errors import ForgeError\n"
        "from forge.models.base import resolve_base\n"
        "from forge.settings import Settings\n"
        "try:\n"
        f"    b = resolve_base({ref!r}, Settings(home=sys.argv[1]))\n"
        "    print(json.dumps([b.location, b.identity, b.four_bit]))\n"
        "except ForgeError as e:\n"
        "    print(json.dumps({'error': str(e), 'hint': e.hint, 'type': type(e).__name__}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, env["FORGE_HOME"]],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.fixture()
def empty_hf(tmp_path):
    return {"HF_HOME": str(tmp_path / "hf"), "FORGE_HOME": str(tmp_path / "forge")}


@pytest.mark.parametrize(
    "ref,hub_id",
    [("qwen2.5-coder-7b", "Qwen/Qwen2.5-Coder-7B-Instruct"), ("someone/their-model", "someone/their-model")],
)
def test_offline_with_an_empty_cache_is_one_clear_error(empty_hf, ref, hub_id):
    out = _resolve_in_fresh_python(ref, {**empty_hf, "HF_HUB_OFFLINE": "1"})
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert hub_id in result["error"] and "HF_HUB_OFFLINE" in result["error"]
    assert "HF_HUB_OFFLINE" in result["hint"] and "local model directory" in result["hint"]
    assert "Traceback" not in out.stdout + out.stderr


def test_unreachable_hub_is_one_clear_error(empty_hf):
    """Not offline, but the Hub does not answer (a closed port stands in for no network)."""
    out = _resolve_in_fresh_python("llama-3.1-8b", {**empty_hf, "HF_ENDPOINT": "http://127.0.0.1:9"})
    result = json.loads(out.stdout)
    assert "meta-llama/Llama-3.1-8B-Instruct (alias llama-3.1-8b)" in result["error"]
    assert "cannot be reached" in result["error"] and "HF_HUB_OFFLINE=1" in result["hint"]


def test_a_cached_model_resolves_offline_with_its_4bit_copy_named(empty_hf):
    """A model in the Hugging Face cache (its on-disk layout: refs/main → snapshots/<rev>/)
    resolves with no network; the alias carries its pre-quantized copy for 4-bit training."""
    repo = os.path.join(empty_hf["HF_HOME"], "hub", "models--Qwen--Qwen2.5-Coder-7B-Instruct")
    os.makedirs(os.path.join(repo, "refs"))
    os.makedirs(os.path.join(repo, "snapshots", "0" * 40))
    with open(os.path.join(repo, "refs", "main"), "w") as f:
        f.write("0" * 40)
    with open(os.path.join(repo, "snapshots", "0" * 40, "config.json"), "w") as f:
        f.write('{"model_type": "qwen2"}')
    out = _resolve_in_fresh_python("QWEN2.5-CODER-7B", {**empty_hf, "HF_HUB_OFFLINE": "1"})
    assert json.loads(out.stdout) == [
        "Qwen/Qwen2.5-Coder-7B-Instruct",
        "Qwen/Qwen2.5-Coder-7B-Instruct",
        "unsloth/Qwen2.5-Coder-7B-Instruct-bnb-4bit",
    ]


def test_neither_path_nor_id_lists_the_aliases(tmp_path):
    with pytest.raises(InputError) as err:
        resolve_base("qwen-coder-seven", Settings(home=tmp_path))
    assert "qwen-coder-seven" in str(err.value) and "qwen2.5-coder-7b" in err.value.hint
    with pytest.raises(ForgeError):
        resolve_base(str(tmp_path / "no-such-model"), Settings(home=tmp_path))


def test_a_local_directory_needs_no_hub(tmp_path):
    model = tmp_path / "my-model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    base = resolve_base(str(model), Settings(home=tmp_path))
    assert base.location == str(model.resolve()) and base.four_bit is None
