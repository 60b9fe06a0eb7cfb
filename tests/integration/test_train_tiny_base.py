"""The tiny base models: the shipped default verified on load; other recipes built once from
the committed text, cached, reloaded identically by AutoTokenizer."""

import json
import shutil

import pytest

from forge.models.chat_format import CHAT_TEMPLATE, IM_END
from forge.models.tiny_base import DEFAULT_BASE_MODEL, TinyBaseConfig, ensure_base_model
from forge.settings import Settings

pytestmark = pytest.mark.slow
FAST = TinyBaseConfig(vocab_size=700, corpus_chars=80_000, pretrain_steps=12, pretrain_batch=2, pretrain_seq_len=64)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = Settings(home=tmp_path_factory.mktemp("home")).ensure()
    return settings, ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST)


def test_tiny_base_is_cached_and_reused(built):
    settings, path = built
    assert path.parent == settings.models_cache and path.name.startswith("tiny-llama-")
    mtime = (path / "model.safetensors").stat().st_mtime_ns
    assert ensure_base_model(DEFAULT_BASE_MODEL, settings, config=FAST) == path
    assert (path / "model.safetensors").stat().st_mtime_ns == mtime
    assert not [p for p in settings.models_cache.iterdir() if p.name.startswith(".")]


def test_other_refs_pass_through_unchanged(built):
    settings, path = built
    assert ensure_base_model("Qwen/Qwen2.5-0.5B", settings) == "Qwen/Qwen2.5-0.5B"
    assert ensure_base_model(path, settings) == path


def test_tokenizer_round_trips_through_autotokenizer(built):
    from transformers import AutoTokenizer

    from forge.models.tiny_base import train_tokenizer
    from forge.models.tiny_corpus import pretraining_documents

    _, path = built
    fresh = train_tokenizer(pretraining_documents(FAST.corpus_chars, FAST.chat_fraction, FAST.seed), FAST.vocab_size)
    loaded = AutoTokenizer.from_pretrained(path)
    text = (
        '<|im_start|>user\n  Tabs\tand café ünïcode {"a": [1, 2]}<|im_end|>\n'
        '<tool_call>\n{"name": "x"}\n</tool_call><|endoftext|>'
    )
    assert loaded(text).input_ids == fresh(text).input_ids
    assert loaded.decode(loaded(text).input_ids) == text
    assert loaded.chat_template == CHAT_TEMPLATE
    assert loaded.eos_token == IM_END and loaded.pad_token == "<|endoftext|>"
    # tool-call tags survive skip_special_tokens (parsing replies needs them)
    assert "<tool_call>" in loaded.decode(loaded(text).input_ids, skip_special_tokens=True)


def test_saved_model_is_a_llama_with_chat_stop_tokens(built):
    from transformers import AutoConfig, GenerationConfig

    _, path = built
    cfg = AutoConfig.from_pretrained(path)
    gen = GenerationConfig.from_pretrained(path)
    assert cfg.model_type == "llama" and cfg.num_hidden_layers == FAST.num_layers
    assert cfg.vocab_size == FAST.vocab_size
    log = json.loads((path / "pretrain_log.json").read_text())
    assert log["steps"] == FAST.pretrain_steps and log["losses"][-1] < log["losses"][0]
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(path)
    assert tok.convert_tokens_to_ids(IM_END) in gen.eos_token_id


def test_default_ref_is_the_shipped_base_verified_by_sha256(tmp_path, monkeypatch):
    from transformers import AutoConfig

    from forge.errors import ForgeError
    from forge.models.tiny_base import RECORD, SHIPPED_DIR, verify_shipped

    monkeypatch.delenv("FORGE_TINY_PRETRAIN_STEPS", raising=False)
    settings = Settings(home=tmp_path / "home").ensure()
    assert ensure_base_model(DEFAULT_BASE_MODEL, settings) == SHIPPED_DIR
    assert not list(settings.models_cache.iterdir())  # nothing built on first use
    record = verify_shipped()
    config = AutoConfig.from_pretrained(SHIPPED_DIR)
    assert config.model_type == "llama"
    shape = (config.hidden_size, config.num_hidden_layers, config.num_attention_heads, config.intermediate_size)
    model = record["model"]
    assert shape == (model["hidden_size"], model["num_layers"], model["num_heads"], model["intermediate_size"])
    assert config.vocab_size == record["tokenizer"]["vocab_size"] == TinyBaseConfig().vocab_size

    # A copy with one byte changed is refused, naming the file; a missing file likewise.
    copy = tmp_path / "copy"
    shutil.copytree(SHIPPED_DIR, copy)
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(ForgeError, match="model.safetensors does not match its recorded SHA-256"):
        verify_shipped(copy)
    weights.unlink()
    with pytest.raises(ForgeError, match="incomplete: .*model.safetensors is missing"):
        verify_shipped(copy)
    (copy / RECORD).unlink()
    with pytest.raises(ForgeError, match="missing: no forge_base.json"):
        verify_shipped(copy)


def test_shipped_base_was_built_from_the_committed_text(tmp_path):
    from forge.models.tiny_base import SHIPPED_DIR, sha256_of, train_tokenizer, verify_shipped
    from forge.models.tiny_copy_text import fingerprint
    from forge.models.tiny_corpus import TEXT_DIR, pretraining_documents

    record = verify_shipped()
    assert record["text"] == {p.name: sha256_of(p) for p in sorted(TEXT_DIR.glob("*.jsonl.gz"))}
    generated = record["generated_text"]
    assert generated["first_1000_sha256"] == fingerprint(generated["seed"])  # the generator is unchanged
    log = json.loads((SHIPPED_DIR / "pretrain_log.json").read_text())
    assert log["steps"] == record["pretraining"]["steps"]
    assert sum(log["losses"][-20:]) < sum(log["losses"][:20]) / 2  # it did learn the text
    assert log["evals"][-1]["real"] < log["evals"][0]["real"]  # and held-out text too

    # The tokenizer is rebuilt from its recipe byte for byte (tools/tiny_base/build.py does so).
    recipe = record["tokenizer"]
    docs = pretraining_documents(recipe["corpus_chars"], recipe["chat_fraction"], recipe["seed"])
    train_tokenizer(docs, recipe["vocab_size"]).save_pretrained(tmp_path)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        assert sha256_of(tmp_path / name) == record["files"][name], name
