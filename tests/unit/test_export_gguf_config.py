"""GGUF export: config validation and the messages when llama.cpp is missing (simulated by
hiding the llama_cpp module: it is installed here)."""
import sys

import pytest

from forge.artifacts import ArtifactStore
from forge.errors import ForgeError, InputError
from forge.export.gguf import GGUFConfig, run_gguf_export
from forge.export.gguf_writer import ModelFacts, inference_template, permute_rope
from forge.export.parity import parity_level


def test_config_problems():
    assert GGUFConfig().problems() == []
    assert "'quant': must be one of f16, bf16, q8_0, q4_k_m, got 'q3'" in GGUFConfig(quant="q3").problems()
    assert GGUFConfig(parity_prompts=0).problems()
    assert [parity_level(q) for q in ("f16", "bf16", "q8_0", "q4_k_m")] == ["tokens", "tool_calls",
                                                                            "tool_calls", "report"]


def test_missing_llama_cpp_is_a_clear_error(tmp_path, monkeypatch):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "llama"}')
    monkeypatch.setitem(sys.modules, "llama_cpp", None)     # import llama_cpp → ImportError
    store = ArtifactStore(tmp_path / "store")
    with pytest.raises(ForgeError, match="llama-cpp-python is not installed") as e:
        run_gguf_export(store, model, GGUFConfig(quant="f16"))
    assert "make llama-cpp" in e.value.hint and "--no-parity" in e.value.hint


def test_unsupported_architecture_is_named(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "gpt_neox"}')
    with pytest.raises(InputError, match="supports llama, qwen2 models, not 'gpt_neox'"):
        ModelFacts.read(tmp_path)


def test_rope_permutation_interleaves_each_heads_halves():
    import numpy as np
    w = np.arange(8).reshape(8, 1)          # 2 heads x 4 rows: [0 1 | 2 3], [4 5 | 6 7]
    assert permute_rope(w, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_inference_template_drops_generation_markers_only():
    t = "{% for m in messages %}{% generation %}{{ m.content }}{%- endgeneration -%}{% endfor %}"
    assert inference_template(t) == "{% for m in messages %}{{ m.content }}{% endfor %}"
