"""GGUF LoRA conversion refuses what llama.cpp could not apply as trained, naming the file."""

import json

import pytest

from forge.errors import InputError
from forge.export.gguf_lora import write_gguf_lora


def _adapter(tmp_path, **config):
    d = tmp_path / "adapter"
    d.mkdir()
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8, "lora_alpha": 16, **config}))
    return d


@pytest.mark.parametrize(
    "config, problem",
    [
        ({"modules_to_save": ["lm_head"]}, "only plain LoRA"),
        ({"peft_type": "IA3"}, "only plain LoRA"),
        ({"rank_pattern": {"q_proj": 4}}, "per-module ranks"),
    ],
)
def test_unconvertible_adapters_are_named(tmp_path, config, problem):
    with pytest.raises(InputError, match=problem) as e:
        write_gguf_lora(_adapter(tmp_path, **config), tmp_path, tmp_path / "out.gguf")
    assert "adapter_config.json" in str(e.value.path)


def test_a_folder_without_adapter_config_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a PEFT adapter"):
        write_gguf_lora(tmp_path, tmp_path, tmp_path / "out.gguf")
