"""HF model directory (Llama, Qwen2 or Phi-3) → one GGUF file.

Written with the `gguf` library (llama.cpp's gguf-py): its tensor name map, writer, special-
vocab reader and numpy quantizers. What llama.cpp's own converter would do, reduced to the
architectures Forge trains: Llama's Q/K weights are permuted from HF's rotate-half RoPE layout
to llama.cpp's interleaved one (Qwen2 and Phi-3 use NEOX RoPE in llama.cpp and need none);
Llama 3.1's RoPE scaling becomes llama.cpp's per-dimension frequency factors (`rope_freqs`);
Phi-3's fused qkv and gate/up projections keep HF's layout, which is llama.cpp's; 1-D tensors
(norms, biases) stay F32. The tokenizer (byte-level BPE or SentencePiece-style), its special
tokens and the chat template come from gguf_vocab.py. K-quants are made afterwards by
llama.cpp (see gguf.py).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.export.gguf_vocab import add_vocab, read_vocab

# HF model_type → gguf architecture name (MODEL_ARCH member name)
ARCHITECTURES = {"llama": "LLAMA", "qwen2": "QWEN2", "phi3": "PHI3"}
# Architectures whose llama.cpp loader requires output.weight even when HF ties it.
NEEDS_OUTPUT = {"phi3"}
# numpy-quantizable output types; K-quants come from llama.cpp
WRITE_TYPES = ("f32", "f16", "bf16", "q8_0")


@dataclass
class RopeScaling:
    """Llama 3.1's "llama3" RoPE scaling: low frequencies divided by `factor`, high ones kept,
    a smooth blend between (transformers' _compute_llama3_parameters)."""

    factor: float
    low_freq_factor: float
    high_freq_factor: float
    original_context: int

    def freq_factors(self, head_dim: int, theta: float) -> list[float]:
        """llama.cpp divides each rotary frequency by its factor: the same frequencies HF uses."""
        out = []
        low_wavelen = self.original_context / self.low_freq_factor
        high_wavelen = self.original_context / self.high_freq_factor
        for i in range(0, head_dim, 2):
            wavelen = 2 * math.pi * theta ** (i / head_dim)
            if wavelen < high_wavelen:
                out.append(1.0)
            elif wavelen > low_wavelen:
                out.append(self.factor)
            else:
                smooth = (self.original_context / wavelen - self.low_freq_factor) / (
                    self.high_freq_factor - self.low_freq_factor
                )
                out.append(1.0 / ((1 - smooth) / self.factor + smooth))
        return out


@dataclass
class ModelFacts:
    """The config.json values the GGUF header needs, read once."""

    arch: str  # "llama" | "qwen2" | "phi3"
    n_layers: int
    hidden: int
    ffn: int
    n_head: int
    n_head_kv: int
    head_dim: int
    rope_dims: int
    context: int
    rms_eps: float
    rope_theta: float
    vocab_size: int
    tied: bool
    rope_scaling: RopeScaling | None = None

    @classmethod
    def read(cls, model_dir: Path) -> ModelFacts:
        path = model_dir / "config.json"
        if not path.is_file():
            raise InputError("not a model directory (no config.json)", path=str(model_dir))
        cfg = json.loads(path.read_text())
        model_type = cfg.get("model_type")
        if model_type not in ARCHITECTURES:
            raise InputError(
                f"GGUF export supports {', '.join(ARCHITECTURES)} models, not {model_type!r}",
                path=str(path),
                hint="convert it with llama.cpp's convert_hf_to_gguf.py instead",
            )
        n_head = int(cfg["num_attention_heads"])
        hidden = int(cfg["hidden_size"])
        head_dim = int(cfg.get("head_dim") or hidden // n_head)
        context = int(cfg.get("max_position_embeddings") or 2048)
        rope = cfg.get("rope_parameters") or {}
        scaling = {**(cfg.get("rope_scaling") or {}), **rope}
        rope_type = scaling.get("rope_type") or scaling.get("type") or "default"
        rope_scaling = None
        if rope_type == "llama3":
            rope_scaling = RopeScaling(
                float(scaling["factor"]),
                float(scaling.get("low_freq_factor", 1.0)),
                float(scaling.get("high_freq_factor", 4.0)),
                int(scaling.get("original_max_position_embeddings", 8192)),
            )
        elif rope_type != "default":
            raise InputError(
                f"RoPE scaling {rope_type!r} is not supported by Forge's GGUF writer",
                path=str(path),
                hint="it writes default RoPE and Llama 3.1's 'llama3' scaling",
            )
        window = cfg.get("sliding_window") if cfg.get("use_sliding_window", True) else None
        if isinstance(window, int) and window < context:
            raise InputError(
                f"sliding-window attention ({window} tokens) is not supported by Forge's GGUF writer", path=str(path)
            )
        partial = float(scaling.get("partial_rotary_factor") or cfg.get("partial_rotary_factor") or 1.0)
        return cls(
            arch=model_type,
            n_layers=int(cfg["num_hidden_layers"]),
            hidden=hidden,
            ffn=int(cfg["intermediate_size"]),
            n_head=n_head,
            n_head_kv=int(cfg.get("num_key_value_heads") or n_head),
            head_dim=head_dim,
            rope_dims=int(head_dim * partial),
            context=context,
            rms_eps=float(cfg.get("rms_norm_eps", 1e-6)),
            rope_theta=float(rope.get("rope_theta") or cfg.get("rope_theta") or 10000.0),
            vocab_size=int(cfg["vocab_size"]),
            tied=bool(cfg.get("tie_word_embeddings", False)),
            rope_scaling=rope_scaling,
        )


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
        raise InputError(
            "no .safetensors weights in the model directory",
            path=str(model_dir),
            hint="export a merged model (forge export --format merged) first",
        )
    for file in files:
        with safe_open(str(file), framework="pt") as f:
            for name in f.keys():  # noqa: SIM118 -- safetensors' safe_open has keys(), no __iter__
                yield name, f.get_tensor(name).float().numpy()


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


def _add_hparams(writer: Any, facts: ModelFacts, out_type: str, name: str) -> None:
    import gguf

    writer.add_name(name)
    writer.add_context_length(facts.context)
    writer.add_embedding_length(facts.hidden)
    writer.add_block_count(facts.n_layers)
    writer.add_feed_forward_length(facts.ffn)
    writer.add_head_count(facts.n_head)
    writer.add_head_count_kv(facts.n_head_kv)
    writer.add_key_length(facts.head_dim)
    writer.add_value_length(facts.head_dim)
    writer.add_rope_dimension_count(facts.rope_dims)
    writer.add_rope_freq_base(facts.rope_theta)
    writer.add_layer_norm_rms_eps(facts.rms_eps)
    writer.add_vocab_size(facts.vocab_size)
    writer.add_file_type(getattr(gguf.LlamaFileType, FILE_TYPES[out_type]))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)


def _tensors(model_dir: Path, facts: ModelFacts) -> Iterator[tuple[str, Any]]:
    """(gguf name, array) in llama.cpp's layout."""
    import gguf
    import numpy as np

    arch = getattr(gguf.MODEL_ARCH, ARCHITECTURES[facts.arch])
    names = gguf.get_tensor_name_map(arch, facts.n_layers)
    embeddings = None
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
        if gname == "token_embd.weight":
            embeddings = data
        seen_output |= gname == "output.weight"
        yield gname, data
    if not seen_output and facts.arch in NEEDS_OUTPUT and embeddings is not None:
        yield "output.weight", embeddings  # tied in HF; this loader wants its own copy
    if facts.rope_scaling is not None:
        yield (
            "rope_freqs.weight",
            np.asarray(facts.rope_scaling.freq_factors(facts.rope_dims, facts.rope_theta), dtype=np.float32),
        )


def write_gguf(model_dir: Path, out_path: Path, out_type: str = "f16", *, name: str = "forge-model") -> dict[str, Any]:
    """Convert the HF model in `model_dir` to `out_path`. Returns a summary (arch, counts)."""
    import gguf

    if out_type not in WRITE_TYPES:
        raise InputError(f"unknown GGUF type {out_type!r}; choose one of {', '.join(WRITE_TYPES)}")
    model_dir = Path(model_dir)
    facts = ModelFacts.read(model_dir)
    vocab = read_vocab(model_dir, facts.vocab_size)
    arch = getattr(gguf.MODEL_ARCH, ARCHITECTURES[facts.arch])
    writer = gguf.GGUFWriter(str(out_path), gguf.MODEL_ARCH_NAMES[arch])
    _add_hparams(writer, facts, out_type, name)
    add_vocab(writer, model_dir, vocab, facts.vocab_size, inference_template)

    n_tensors = 0
    output_written = False
    for gname, data in _tensors(model_dir, facts):
        output_written |= gname == "output.weight"
        array, raw = _store_type(gname, data, out_type)
        writer.add_tensor(gname, array, raw_dtype=raw)
        n_tensors += 1
    # Tied embeddings: llama.cpp reuses token_embd.weight when output.weight is absent.
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return {
        "arch": facts.arch,
        "type": out_type,
        "tensors": n_tensors,
        "vocab": facts.vocab_size,
        "tokenizer": vocab.model,
        "pre_tokenizer": vocab.pre,
        "tied_output": not output_written,
        "rope_scaling": facts.rope_scaling is not None,
    }
