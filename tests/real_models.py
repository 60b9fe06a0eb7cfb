"""Real tokenizers, chat templates and family test bases for tests, offline.

`make llama-models` unpacks, from the llama-cpp-python sdist on PyPI, llama.cpp's vocabulary-
only GGUF files (the real tokenizers of Qwen2, Llama 3, Phi-3, Gemma 4, ...; each with
llama.cpp's tokenizer test vectors beside it, `.inp`/`.out`) and the chat templates of Hub
models (`models/templates/*.jinja`, copied by llama.cpp from each model's repository; llama.cpp
is MIT, each template keeps its model's licence).

A family is one Instruct model's tokenizer and template, set up as that model ships them: its
end-of-turn token as eos, its generation stop tokens, and for Llama 3.1 the three special
tokens 3.1 renamed in Llama 3's vocabulary (<|finetune_right_pad_id|> 128004, <|eom_id|>
128008, <|python_tag|> 128010: the ids of meta-llama/llama-models' tokenizer, which the 3.1
template writes). Converting a 150k-token GGUF vocabulary takes seconds to half a minute, so
each tokenizer is saved once as a plain HF tokenizer directory keyed by the SHA-256 of its
inputs and loaded from there in well under a second.

`family_base(family)` adds a tiny random-weight model of the family's architecture (Qwen2,
Llama, Phi-3, Gemma 4: hidden 64, 2 layers, seeded) to that tokenizer — a real model
directory that trains, merges, exports and serves like the full-size model, cached the same
way. The vocabulary dominates its size (151,936 × 64 for Qwen2), so embeddings are tied where
the real small models tie them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

LLAMA_CPP_VERSION = "0.3.36"
MODELS_DIR = Path(
    os.environ.get("FORGE_LLAMA_MODELS_DIR")
    or Path.home() / ".cache" / "forge" / f"llama-cpp-{LLAMA_CPP_VERSION}-models"
)
CACHE_DIR = Path(os.environ.get("FORGE_TEST_TOKENIZER_CACHE") or Path.home() / ".cache" / "forge" / "test-tokenizers")
BASES_DIR = Path(os.environ.get("FORGE_TEST_BASES_CACHE") or Path.home() / ".cache" / "forge" / "test-bases")
# Bump when the way tokenizers / test bases are built changes (their cache keys hold these).
TOKENIZER_RECIPE = 3
BASE_RECIPE = 4


@dataclass(frozen=True)
class Family:
    vocab: str  # ggml-vocab-*.gguf in MODELS_DIR
    template: str  # templates/*.jinja in MODELS_DIR ("" = the GGUF's own template, if any)
    description: str
    arch: str  # the test base's HF model_type
    eos: str  # the Instruct tokenizer's eos_token
    stops: tuple[str, ...]  # generation_config.json eos_token_id, as tokens
    bos: str | None = None  # None: the tokenizer names no BOS (Qwen2.5)
    pad: str | None = None
    renames: tuple[tuple[int, str, bool], ...] = ()  # (id, token, special) as the Instruct model has it
    tied: bool = True
    # Llama 3's tokenizer.json looks a whole pre-tokenized word up before merging
    # ("ignore_merges": true); llama.cpp does the same for llama-bpe. The GGUF does not say so.
    ignore_merges: bool = False


# (id, token, special): the Instruct vocabularies' names for slots the GGUF leaves reserved.
_LLAMA31_RENAMES = (
    (128004, "<|finetune_right_pad_id|>", True),
    (128008, "<|eom_id|>", True),
    (128010, "<|python_tag|>", True),
)
# Qwen2.5's tokenizer_config.json: ids 151646-151664 (the GGUF, from Qwen2, has [PAD] there).
_QWEN25_RENAMES = tuple(
    (151646 + i, name, i < 11)
    for i, name in enumerate(
        (
            "<|object_ref_start|>",
            "<|object_ref_end|>",
            "<|box_start|>",
            "<|box_end|>",
            "<|quad_start|>",
            "<|quad_end|>",
            "<|vision_start|>",
            "<|vision_end|>",
            "<|vision_pad|>",
            "<|image_pad|>",
            "<|video_pad|>",
            "<tool_call>",
            "</tool_call>",
            "<|fim_prefix|>",
            "<|fim_middle|>",
            "<|fim_suffix|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
        )
    )
)

FAMILIES = {
    "qwen2": Family(
        "ggml-vocab-qwen2.gguf",
        "Qwen-Qwen2.5-7B-Instruct.jinja",
        "Qwen2.5: ChatML, tools in the system turn, <tool_call> JSON, <tool_response> in a user turn",
        arch="qwen2",
        eos="<|im_end|>",
        stops=("<|im_end|>", "<|endoftext|>"),
        pad="<|endoftext|>",
        renames=_QWEN25_RENAMES,
    ),
    "llama3": Family(
        "ggml-vocab-llama-bpe.gguf",
        "meta-llama-Llama-3.1-8B-Instruct.jinja",
        "Llama 3.1: header tokens, tools in the first user turn, bare JSON calls, ipython role",
        arch="llama",
        eos="<|eot_id|>",
        bos="<|begin_of_text|>",
        stops=("<|end_of_text|>", "<|eom_id|>", "<|eot_id|>"),
        renames=_LLAMA31_RENAMES,
        ignore_merges=True,
    ),
    "phi3": Family(
        "ggml-vocab-phi-3.gguf",
        "microsoft-Phi-3.5-mini-instruct.jinja",
        "Phi-3.5: <|user|> / <|assistant|> / <|end|>, no tool support",
        arch="phi3",
        eos="<|endoftext|>",
        bos="<s>",
        pad="<|endoftext|>",
        stops=("<|end|>", "<|assistant|>", "<|endoftext|>"),
        tied=False,
    ),
    # Gemma 4 -it generation_config.json: eos_token_id [1, 106, 50] (<eos>, <turn|>, <|tool_response>),
    # as quoted from two gemma-4 bundles in osaurus-ai/vmlx-swift pull request #93.
    "gemma4": Family(
        "ggml-vocab-gemma-4.gguf",
        "google-gemma-4-31B-it.jinja",
        "Gemma 4: <|turn>role ... <turn|>, tools declared in the system turn, "
        "<|tool_call>call:NAME{...}<tool_call|> calls",
        arch="gemma4",
        eos="<eos>",
        bos="<bos>",
        pad="<pad>",
        stops=("<eos>", "<turn|>", "<|tool_response>"),
    ),
    "qwen2-gguf-template": Family(
        "ggml-vocab-qwen2.gguf",
        "",
        "the Qwen2 vocab file's own template: plain ChatML, no tools",
        arch="qwen2",
        eos="<|im_end|>",
        stops=("<|im_end|>", "<|endoftext|>"),
        pad="<|endoftext|>",
        renames=_QWEN25_RENAMES,
    ),
}
# Families with a test base that GGUF export and llama.cpp parity cover.
GGUF_FAMILIES = ("qwen2", "llama3", "phi3")


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
    from forge.models.gguf_metadata import gguf_metadata

    return str(gguf_metadata(root / fam.vocab, {"tokenizer.chat_template"})["tokenizer.chat_template"])


def tokenizer_vectors(family: str) -> list[tuple[str, list[int]]]:
    """llama.cpp's tokenizer test cases for the family's vocabulary: (text, token ids)."""
    root = llama_models_dir()
    base = root / FAMILIES[family].vocab
    texts = (base.parent / (base.name + ".inp")).read_text(encoding="utf-8").split("\n__ggml_vocab_test__\n")
    ids = (base.parent / (base.name + ".out")).read_text(encoding="utf-8").split("\n")
    return [(text, [int(i) for i in line.split()]) for text, line in zip(texts, ids)]


def _cached_dir(root: Path, name: str, build: Callable[[Path], None]) -> Path:
    """`root/name`, built by `build(staging)` on first use and renamed into place atomically
    (another test process building the same thing first wins; its copy is identical)."""
    target = root / name
    if (target / ".complete").is_file():
        return target
    staging = root / f".{name}.{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        build(staging)
        (staging / ".complete").write_text("")
        try:
            staging.rename(target)
        except OSError:
            if not (target / ".complete").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _tokenizer_key(family: str) -> str:
    fam = FAMILIES[family]
    root = llama_models_dir()
    digest = hashlib.sha256((root / fam.vocab).read_bytes())
    digest.update(template_text(family).encode("utf-8"))
    digest.update(json.dumps([asdict(fam), TOKENIZER_RECIPE], sort_keys=True).encode())
    return f"{family}-{digest.hexdigest()[:16]}"


def _build_tokenizer(family: str, out: Path) -> None:
    """The GGUF's vocabulary through transformers' converter, then set up as the Instruct
    model ships it. Added tokens past the GGUF's own list (the converter's default
    <|endoftext|> on Llama 3) are dropped: they have no embedding row in the real model."""
    from tokenizers import Tokenizer
    from transformers import PreTrainedTokenizerFast

    fam = FAMILIES[family]
    root = llama_models_dir()
    converted = PreTrainedTokenizerFast.from_pretrained(str(root), gguf_file=fam.vocab)
    n_tokens = converted.backend_tokenizer.get_vocab_size(with_added_tokens=False)
    spec = json.loads(converted.backend_tokenizer.to_str())
    renames = {i: (name, special) for i, name, special in fam.renames}
    spec["added_tokens"] = [a for a in spec["added_tokens"] if a["id"] < n_tokens]
    if fam.ignore_merges:
        spec["model"]["ignore_merges"] = True
    for added in spec["added_tokens"]:
        if added["id"] in renames:
            old = added["content"]
            added["content"], added["special"] = renames[added["id"]]
            vocab = spec["model"]["vocab"]
            if isinstance(vocab, dict) and vocab.get(old) == added["id"]:
                vocab[added["content"]] = vocab.pop(old)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=Tokenizer.from_str(json.dumps(spec)),
        bos_token=fam.bos,
        eos_token=fam.eos,
        pad_token=fam.pad,
        unk_token=converted.unk_token,
        chat_template=template_text(family),
        add_bos_token=False,
        clean_up_tokenization_spaces=False,
    )
    tok.save_pretrained(out)


def tokenizer_dir(family: str) -> Path:
    """A saved HF tokenizer directory for `family` (converted from the GGUF on first use)."""
    return _cached_dir(CACHE_DIR, _tokenizer_key(family), functools.partial(_build_tokenizer, family))


def real_tokenizer(family: str) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tokenizer_dir(family)))


# ---- family test bases --------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseShape:
    hidden: int = 64
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    ffn: int = 128
    context: int = 4096
    seed: int = 0


def _model_config(family: str, tokenizer: Any, shape: BaseShape) -> Any:
    import transformers

    fam = FAMILIES[family]
    ids = {
        k: tokenizer.convert_tokens_to_ids(v) for k, v in (("bos_token_id", fam.bos), ("pad_token_id", fam.pad)) if v
    }
    common = dict(
        vocab_size=len(tokenizer),
        hidden_size=shape.hidden,
        intermediate_size=shape.ffn,
        num_hidden_layers=shape.layers,
        num_attention_heads=shape.heads,
        num_key_value_heads=shape.kv_heads,
        max_position_embeddings=shape.context,
        tie_word_embeddings=fam.tied,
        eos_token_id=tokenizer.convert_tokens_to_ids(fam.eos),
        **ids,
    )
    if fam.arch == "qwen2":
        return transformers.Qwen2Config(**common, rope_parameters={"rope_type": "default", "rope_theta": 1e6})
    if fam.arch == "llama":  # Llama 3.1's RoPE scaling and context, as its config.json has them
        common["max_position_embeddings"] = 131072
        return transformers.LlamaConfig(
            **common,
            rope_parameters={
                "rope_type": "llama3",
                "rope_theta": 5e5,
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192,
            },
        )
    if fam.arch == "phi3":
        return transformers.Phi3Config(**common)
    if fam.arch == "gemma4":
        head_dim = shape.hidden // shape.heads
        # No per-layer input embeddings (another vocab-sized table) and no MoE: the text
        # decoder of Gemma 4, one sliding-window layer and one global layer.
        return transformers.Gemma4TextConfig(
            **common,
            head_dim=head_dim,
            global_head_dim=head_dim,
            hidden_size_per_layer_input=0,
            layer_types=["sliding_attention", "full_attention"][: shape.layers],
            sliding_window=512,
        )
    raise ValueError(f"no test base for architecture {fam.arch!r}")


def _randomize(model: Any) -> None:
    """Weights that make every part of the model count. With the usual 0.02 init a tied
    model only echoes its last input token (the token's own embedding dominates the residual
    stream), so a broken attention or RoPE conversion would go unnoticed. Projections get
    N(0, 2/sqrt(fan_in)): attention and MLP outweigh the embedding and each next token depends
    on the context. Norm weights and biases move off their 1/0 defaults (N(0, 0.1)), so a
    dropped norm or bias shows too. Values are then rounded to what F16 holds exactly: the F16
    GGUF stores the very numbers the HF model computes with."""
    import torch

    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.ndim == 2 and "embed" not in name and "lm_head" not in name:
                p.normal_(0.0, 2.0 / p.shape[1] ** 0.5)
            elif p.ndim == 1:
                p.add_(torch.randn_like(p) * 0.1)
            p.copy_(p.half().float())


def _build_base(family: str, shape: BaseShape, out: Path) -> None:
    """Seeded random weights of the family's architecture (see _randomize)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig

    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir(family)))
    config = _model_config(family, tokenizer, shape)
    torch.manual_seed(shape.seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    _randomize(model)
    stops = [tokenizer.convert_tokens_to_ids(t) for t in FAMILIES[family].stops]
    model.generation_config = GenerationConfig(
        bos_token_id=config.bos_token_id, eos_token_id=stops, pad_token_id=config.pad_token_id
    )
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def _base_key(family: str, shape: BaseShape) -> str:
    import torch
    import transformers

    digest = hashlib.sha256(
        json.dumps(
            [_tokenizer_key(family), asdict(shape), BASE_RECIPE, torch.__version__, transformers.__version__],
            sort_keys=True,
        ).encode()
    )
    return f"{family}-{digest.hexdigest()[:16]}"


def family_base(family: str, shape: BaseShape | None = None) -> Path:
    """A tiny random-weight model of the family's architecture with its real tokenizer and
    chat template: a HF model directory, built on first use and cached by its inputs."""
    shape = shape or BaseShape()
    return _cached_dir(BASES_DIR, _base_key(family, shape), functools.partial(_build_base, family, shape))
