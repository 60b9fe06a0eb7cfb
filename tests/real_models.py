"""Real tokenizers and chat templates for tests, offline.

`make llama-models` unpacks, from the llama-cpp-python sdist on PyPI, llama.cpp's vocabulary-
only GGUF files (the real tokenizers of Qwen2, Llama 3, Phi-3, ...) and the chat templates of
Hub models (`models/templates/*.jinja`, copied by llama.cpp from each model's repository;
llama.cpp is MIT, each template keeps its model's licence). Converting a 150k-token GGUF
vocabulary takes ~30 s, so each converted tokenizer is saved once as a plain HF tokenizer
directory, keyed by the SHA-256 of its inputs, and loaded from there in well under a second.

Which template goes with which vocabulary is fixed here; a test names a family.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

LLAMA_CPP_VERSION = "0.3.36"
MODELS_DIR = Path(os.environ.get("FORGE_LLAMA_MODELS_DIR")
                  or Path.home() / ".cache" / "forge" / f"llama-cpp-{LLAMA_CPP_VERSION}-models")
CACHE_DIR = Path(os.environ.get("FORGE_TEST_TOKENIZER_CACHE")
                 or Path.home() / ".cache" / "forge" / "test-tokenizers")


@dataclass(frozen=True)
class Family:
    vocab: str       # ggml-vocab-*.gguf in MODELS_DIR
    template: str    # templates/*.jinja in MODELS_DIR ("" = the GGUF's own template, if any)
    description: str


FAMILIES = {
    "qwen2": Family("ggml-vocab-qwen2.gguf", "Qwen-Qwen2.5-7B-Instruct.jinja",
                    "Qwen2.5: ChatML, tools in the system turn, <tool_call> JSON, <tool_response> in a user turn"),
    "llama3": Family("ggml-vocab-llama-bpe.gguf", "meta-llama-Llama-3.1-8B-Instruct.jinja",
                     "Llama 3.1: header tokens, tools in the first user turn, bare JSON calls, ipython role"),
    "phi3": Family("ggml-vocab-phi-3.gguf", "microsoft-Phi-3.5-mini-instruct.jinja",
                   "Phi-3.5: <|user|> / <|assistant|> / <|end|>, no tool support"),
    "qwen2-gguf-template": Family("ggml-vocab-qwen2.gguf", "",
                                  "the Qwen2 vocab file's own template: plain ChatML, no tools"),
}


def llama_models_dir() -> Path:
    """The unpacked files, or a skip (a failure when FORGE_REQUIRE_LLAMA_CPP is set, as in CI)."""
    if not (MODELS_DIR / ".stamp").is_file():
        msg = f"no real tokenizers at {MODELS_DIR}: run `make llama-models`"
        if os.environ.get("FORGE_REQUIRE_LLAMA_CPP"):
            pytest.fail(msg)
        pytest.skip(msg)
    return MODELS_DIR


def template_text(family: str) -> str:
    fam = FAMILIES[family]
    root = llama_models_dir()
    if fam.template:
        return (root / "templates" / fam.template).read_text(encoding="utf-8")
    import gguf
    field = gguf.GGUFReader(root / fam.vocab).fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def tokenizer_dir(family: str) -> Path:
    """A saved HF tokenizer directory for `family` (converted from the GGUF on first use)."""
    fam = FAMILIES[family]
    root = llama_models_dir()
    digest = hashlib.sha256((root / fam.vocab).read_bytes())
    digest.update(fam.template.encode("utf-8"))
    if fam.template:
        digest.update((root / "templates" / fam.template).read_bytes())
    target = CACHE_DIR / f"{family}-{digest.hexdigest()[:16]}"
    if (target / "tokenizer_config.json").is_file():
        return target
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(root), gguf_file=fam.vocab)
    tok.chat_template = template_text(family)
    staging = CACHE_DIR / f".{target.name}.{uuid.uuid4().hex[:8]}"
    try:
        tok.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another test process saved the same tokenizer first
            if not (target / "tokenizer_config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def real_tokenizer(family: str) -> Any:
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(tokenizer_dir(family)))
