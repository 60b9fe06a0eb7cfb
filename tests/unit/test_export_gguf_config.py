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
    assert "'quant': must be one of f16, f32, bf16, q8_0, q4_k_m, got 'q3'" in GGUFConfig(quant="q3").problems()
    assert GGUFConfig(parity_prompts=0).problems()
    assert [parity_level(q) for q in ("f16", "bf16", "q8_0", "q4_k_m")] == [
        "tokens",
        "tool_calls",
        "tool_calls",
        "report",
    ]


def test_missing_llama_cpp_is_a_clear_error(tmp_path, monkeypatch):
    model = tmp_path / "m"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "llama"}')
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import llama_cpp → ImportError
    store = ArtifactStore(tmp_path / "store")
    with pytest.raises(ForgeError, match="llama-cpp-python is not installed") as e:
        run_gguf_export(store, model, GGUFConfig(quant="f16"))
    assert "make llama-cpp" in e.value.hint and "--no-parity" in e.value.hint


def test_unsupported_architecture_is_named(tmp_path):
    (tmp_path / "config.json").write_text('{"model_type": "gpt_neox"}')
    with pytest.raises(InputError, match="supports llama, qwen2, phi3 models, not 'gpt_neox'"):
        ModelFacts.read(tmp_path)


def test_unsupported_rope_scaling_and_sliding_window_are_named(tmp_path):
    import json

    base = {
        "model_type": "phi3",
        "num_attention_heads": 4,
        "hidden_size": 64,
        "num_hidden_layers": 2,
        "intermediate_size": 128,
        "vocab_size": 100,
        "max_position_embeddings": 4096,
    }
    (tmp_path / "config.json").write_text(json.dumps({**base, "rope_scaling": {"type": "longrope"}}))
    with pytest.raises(InputError, match="RoPE scaling 'longrope' is not supported"):
        ModelFacts.read(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({**base, "sliding_window": 2047}))
    with pytest.raises(InputError, match=r"sliding-window attention \(2047 tokens\)"):
        ModelFacts.read(tmp_path)


def test_llama3_rope_factors_give_transformers_frequencies():
    """llama.cpp divides each default rotary frequency by its factor; the result must be the
    inverse frequencies transformers computes for Llama 3.1's scaling."""
    import numpy as np
    from transformers import LlamaConfig
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    from forge.export.gguf_writer import RopeScaling

    params = {
        "rope_type": "llama3",
        "rope_theta": 5e5,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    for head_dim in (16, 128):
        config = LlamaConfig(
            hidden_size=head_dim * 4, num_attention_heads=4, rope_parameters=params, max_position_embeddings=131072
        )
        inv_freq, _ = ROPE_INIT_FUNCTIONS["llama3"](config, "cpu")
        default = 1.0 / 5e5 ** (np.arange(0, head_dim, 2) / head_dim)
        factors = RopeScaling(8.0, 1.0, 4.0, 8192).freq_factors(head_dim, 5e5)
        assert len(set(factors)) > 2  # kept, divided and blended dimensions
        assert np.allclose(default / np.array(factors), inv_freq.numpy(), rtol=1e-5)


def test_rope_permutation_interleaves_each_heads_halves():
    import numpy as np

    w = np.arange(8).reshape(8, 1)  # 2 heads x 4 rows: [0 1 | 2 3], [4 5 | 6 7]
    assert permute_rope(w, 2).ravel().tolist() == [0, 2, 1, 3, 4, 6, 5, 7]


def test_inference_template_drops_generation_markers_only():
    t = "{% for m in messages %}{% generation %}{{ m.content }}{%- endgeneration -%}{% endfor %}"
    assert inference_template(t) == "{% for m in messages %}{{ m.content }}{% endfor %}"
