"""HF model directory (Llama or Qwen2, byte-level BPE tokenizer) → one GGUF file.

Written with the `gguf` library (llama.cpp's gguf-py): its tensor name map, writer, special-
vocab reader and numpy quantizers. What llama.cpp's own converter would do, reduced to the two
architectures Forge trains: Llama's Q/K weights are permuted from HF's rotate-half RoPE layout
to llama.cpp's interleaved one (Qwen2 uses NEOX RoPE in llama.cpp and needs none); 1-D tensors
(norms, biases) stay F32; every token keeps its HF id and type, so llama.cpp tokenizes exactly
as HF does. K-quants are made afterwards by llama.cpp (see gguf.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from forge.errors import InputError

# HF model_type → gguf architecture name (MODEL_ARCH member name)
ARCHITECTURES = {"llama": "LLAMA", "qwen2": "QWEN2"}
# numpy-quantizable output types; K-quants come from llama.cpp
WRITE_TYPES = ("f32", "f16", "bf16", "q8_0")
# Known pre-tokenizer regexes → llama.cpp's `tokenizer.ggml.pre` name. A plain ByteLevel
# pre-tokenizer with use_regex uses GPT-2's own regex ("gpt-2").
_QWEN2_REGEX_START = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
_LLAMA3_REGEX_START = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"


@dataclass
class ModelFacts:
    """The config.json values the GGUF header needs, read once."""
    arch: str                 # "llama" | "qwen2"
    n_layers: int
    hidden: int
    ffn: int
    n_head: int
    n_head_kv: int
    head_dim: int
    context: int
    rms_eps: float
    rope_theta: float
    vocab_size: int
    tied: bool

    @classmethod
    def read(cls, model_dir: Path) -> "ModelFacts":
        path = model_dir / "config.json"
        if not path.is_file():
            raise InputError("not a model directory (no config.json)", path=str(model_dir))
        cfg = json.loads(path.read_text())
        model_type = cfg.get("model_type")
        if model_type not in ARCHITECTURES:
            raise InputError(f"GGUF export supports {', '.join(ARCHITECTURES)} models, not "
                             f"{model_type!r}", path=str(path),
                             hint="convert it with llama.cpp's convert_hf_to_gguf.py instead")
        n_head = int(cfg["num_attention_heads"])
        hidden = int(cfg["hidden_size"])
        rope = cfg.get("rope_parameters") or {}
        scaling = cfg.get("rope_scaling") or {}
        rope_type = rope.get("rope_type") or scaling.get("rope_type") or scaling.get("type") or "default"
        if rope_type != "default":
            raise InputError(f"RoPE scaling {rope_type!r} is not supported by Forge's GGUF writer",
                             path=str(path))
        return cls(arch=model_type, n_layers=int(cfg["num_hidden_layers"]), hidden=hidden,
                   ffn=int(cfg["intermediate_size"]), n_head=n_head,
                   n_head_kv=int(cfg.get("num_key_value_heads") or n_head),
                   head_dim=int(cfg.get("head_dim") or hidden // n_head),
                   context=int(cfg.get("max_position_embeddings") or 2048),
                   rms_eps=float(cfg.get("rms_norm_eps", 1e-6)),
                   rope_theta=float(rope.get("rope_theta") or cfg.get("rope_theta") or 10000.0),
                   vocab_size=int(cfg["vocab_size"]),
                   tied=bool(cfg.get("tie_word_embeddings", False)))


def permute_rope(w: Any, n_head: int) -> Any:
    """HF stores each head's rotary dims as [first half | second half]; llama.cpp's LLAMA
    RoPE rotates adjacent pairs. Reorder each head's rows so pairs sit side by side."""
    rows = w.shape[0]
    return w.reshape(n_head, 2, rows // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def hf_tensors(model_dir: Path) -> Iterator[tuple[str, Any]]:
    """(name, float32 numpy array) for every tensor in the model's safetensors shards."""
    from safetensors import safe_open

    files = sorted(model_dir.glob("*.safetensors"))
    if not files:
        raise InputError("no .safetensors weights in the model directory", path=str(model_dir),
                         hint="export a merged model (forge export --format merged) first")
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for name in f.keys():
                yield name, f.get_tensor(name).float().numpy()


# ---- tokenizer ------------------------------------------------------------------------------

def pre_tokenizer_name(tokenizer_json: dict[str, Any], where: str) -> str:
    """llama.cpp's name for the tokenizer's pre-tokenization regex."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    if len(steps) == 1 and steps[0].get("type") == "ByteLevel" and steps[0].get("use_regex", True):
        return "gpt-2"
    split = next((s for s in steps if s.get("type") == "Split"), None)
    regex = ((split or {}).get("pattern") or {}).get("Regex", "")
    if regex.startswith(_QWEN2_REGEX_START):
        return "qwen2"
    if regex.startswith(_LLAMA3_REGEX_START):
        return "llama-bpe"
    raise InputError("unrecognised BPE pre-tokenizer: llama.cpp would split text differently "
                     "than HF", path=where,
                     hint="Forge's GGUF writer knows GPT-2 byte-level, Qwen2 and Llama-3 regexes")


def vocab_entries(model_dir: Path, n_vocab: int) -> tuple[list[str], list[int], str]:
    """(tokens by id, their gguf TokenType values, pre-tokenizer name) from tokenizer.json.
    Added tokens keep HF's distinction: special → CONTROL, others (tool-call tags) →
    USER_DEFINED, so llama.cpp shows them in text as HF's decode does."""
    import gguf

    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise InputError("no tokenizer.json (a fast byte-level BPE tokenizer is required)",
                         path=str(model_dir))
    tj = json.loads(path.read_text(encoding="utf-8"))
    model = tj.get("model") or {}
    if model.get("type") != "BPE" or model.get("byte_fallback") or \
            (tj.get("decoder") or {}).get("type") != "ByteLevel":
        raise InputError("GGUF export needs a byte-level BPE tokenizer (GPT-2 style)", path=str(path))
    tokens: dict[int, str] = {i: t for t, i in model["vocab"].items()}
    types: dict[int, int] = {i: gguf.TokenType.NORMAL for i in tokens}
    for added in tj.get("added_tokens") or []:
        tokens[added["id"]] = added["content"]
        types[added["id"]] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    if max(tokens) >= n_vocab:
        raise InputError(f"tokenizer has token id {max(tokens)} but the model's vocab_size is "
                         f"{n_vocab}", path=str(path))
    out_tokens, out_types = [], []
    for i in range(n_vocab):   # embedding rows beyond the tokenizer: padding, never produced
        out_tokens.append(tokens.get(i, f"[PAD{i}]"))
        out_types.append(int(types.get(i, gguf.TokenType.UNUSED)))
    return out_tokens, out_types, pre_tokenizer_name(tj, str(path))


_GENERATION_TAG = re.compile(r"\{%-?\s*(?:end)?generation\s*-?%\}")


def inference_template(template: str) -> str:
    """The chat template without HF's `{% generation %}` training markers: they only tell
    TRL which tokens to train on, and template engines outside transformers reject them."""
    return _GENERATION_TAG.sub("", template)


# ---- writer ---------------------------------------------------------------------------------

def _store_type(name: str, data: Any, out_type: str):
    """(array to write, raw gguf type or None for plain float arrays)."""
    import numpy as np
    from gguf import GGMLQuantizationType as Q
    from gguf import quants

    if data.ndim <= 1 or out_type == "f32":
        return data.astype(np.float32), None
    if out_type == "f16":
        return data.astype(np.float16), None
    if out_type == "bf16":
        return quants.quantize(data, Q.BF16), Q.BF16
    if data.shape[-1] % 32 == 0:  # q8_0 blocks of 32 along a row
        return quants.quantize(data, Q.Q8_0), Q.Q8_0
    return data.astype(np.float16), None


FILE_TYPES = {"f32": "ALL_F32", "f16": "MOSTLY_F16", "bf16": "MOSTLY_BF16", "q8_0": "MOSTLY_Q8_0"}


def write_gguf(model_dir: Path, out_path: Path, out_type: str = "f16", *, name: str = "forge-model") -> dict[str, Any]:
    """Convert the HF model in `model_dir` to `out_path`. Returns a summary (arch, counts)."""
    import gguf

    if out_type not in WRITE_TYPES:
        raise InputError(f"unknown GGUF type {out_type!r}; choose one of {', '.join(WRITE_TYPES)}")
    model_dir = Path(model_dir)
    facts = ModelFacts.read(model_dir)
    arch = getattr(gguf.MODEL_ARCH, ARCHITECTURES[facts.arch])
    names = gguf.get_tensor_name_map(arch, facts.n_layers)
    tokens, types, pre = vocab_entries(model_dir, facts.vocab_size)

    writer = gguf.GGUFWriter(str(out_path), gguf.MODEL_ARCH_NAMES[arch])
    writer.add_name(name)
    writer.add_context_length(facts.context)
    writer.add_embedding_length(facts.hidden)
    writer.add_block_count(facts.n_layers)
    writer.add_feed_forward_length(facts.ffn)
    writer.add_head_count(facts.n_head)
    writer.add_head_count_kv(facts.n_head_kv)
    writer.add_key_length(facts.head_dim)
    writer.add_value_length(facts.head_dim)
    writer.add_rope_dimension_count(facts.head_dim)
    writer.add_rope_freq_base(facts.rope_theta)
    writer.add_layer_norm_rms_eps(facts.rms_eps)
    writer.add_vocab_size(facts.vocab_size)
    writer.add_file_type(getattr(gguf.LlamaFileType, FILE_TYPES[out_type]))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)

    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    special = gguf.SpecialVocab(model_dir, load_merges=True, n_vocab=facts.vocab_size)
    if not special.merges:
        raise InputError("tokenizer.json has no BPE merges", path=str(model_dir / "tokenizer.json"))
    if "bos" not in special.special_token_ids and "eos" in special.special_token_ids:
        # No BOS in the HF tokenizer: name one (llama.cpp otherwise picks a GPT-2 default id)
        # and never add it, as HF never does.
        special.special_token_ids["bos"] = special.special_token_ids.get("pad", special.special_token_ids["eos"])
        special.add_special_token["bos"] = False
    special.add_special_token.setdefault("bos", False)
    if isinstance(special.chat_template, str):
        special.chat_template = inference_template(special.chat_template)
    special.add_to_gguf(writer, quiet=True)

    n_tensors = 0
    seen_output = False
    for hf_name, data in hf_tensors(model_dir):
        if hf_name.endswith("rotary_emb.inv_freq"):
            continue
        gname = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if gname is None:
            raise InputError(f"tensor {hf_name!r} has no GGUF name for {facts.arch}", path=str(model_dir))
        if facts.arch == "llama" and hf_name.endswith("q_proj.weight"):
            data = permute_rope(data, facts.n_head)
        elif facts.arch == "llama" and hf_name.endswith("k_proj.weight"):
            data = permute_rope(data, facts.n_head_kv)
        seen_output |= gname == "output.weight"
        array, raw = _store_type(gname, data, out_type)
        writer.add_tensor(gname, array, raw_dtype=raw)
        n_tensors += 1
    # Tied embeddings: llama.cpp reuses token_embd.weight when output.weight is absent.
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {"arch": facts.arch, "type": out_type, "tensors": n_tensors, "vocab": facts.vocab_size,
            "pre_tokenizer": pre, "tied_output": not seen_output}
