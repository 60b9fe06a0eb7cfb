"""The tokenizer half of a GGUF file: a HF `tokenizer.json` as llama.cpp's vocabulary.

Two tokenizer kinds, the two llama.cpp implements for the families Forge exports:

- byte-level BPE (`tokenizer.ggml.model = "gpt2"`: Qwen2, Llama 3, GPT-2 style). Tokens are
  written as HF spells them, with the merges; `tokenizer.ggml.pre` names the pre-tokenizer
  regex, which llama.cpp cannot read from the file and must know by name.
- SentencePiece-style BPE with byte fallback (`"llama"`: Phi-3, Llama 2, Mistral v1). llama.cpp
  merges the adjacent pair whose joined token scores highest; HF merges the pair ranked first
  in its merge list. Scores are written as minus the rank of the first merge that makes each
  token, so both pick the same pair at every step. Byte tokens (<0x41>) are BYTE, <unk> is
  UNKNOWN, and the space prefix follows the HF normalizer.

Every token keeps its HF id; added tokens keep HF's distinction (special → CONTROL, others such
as <tool_call> → USER_DEFINED, so llama.cpp shows them in text as HF's decode does). Embedding
rows past the tokenizer (padding to a round vocab size) are UNUSED. Pure apart from reading the
file; the `gguf` library is imported inside the functions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.errors import InputError

# Known pre-tokenizer regexes → llama.cpp's `tokenizer.ggml.pre` name. A plain ByteLevel
# pre-tokenizer with use_regex uses GPT-2's own regex ("gpt-2").
_QWEN2_REGEX_START = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}|"
_LLAMA3_REGEX_START = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}|"
_BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
SPM_SPACE = "\u2581"


@dataclass
class Vocab:
    model: str  # tokenizer.ggml.model: "gpt2" | "llama"
    pre: str | None  # tokenizer.ggml.pre (byte-level BPE only)
    tokens: list[str]
    types: list[int]  # gguf.TokenType values
    scores: list[float] | None  # SentencePiece only
    add_space_prefix: bool | None  # SentencePiece only


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
    raise InputError(
        "unrecognised BPE pre-tokenizer: llama.cpp would split text differently than HF",
        path=where,
        hint="Forge's GGUF writer knows GPT-2 byte-level, Qwen2 and Llama-3 regexes",
    )


def _kind(tj: dict[str, Any]) -> str:
    model = tj.get("model") or {}
    decoder = tj.get("decoder") or {}
    decoders = decoder.get("decoders", [decoder]) if decoder.get("type") == "Sequence" else [decoder]
    if model.get("type") != "BPE":
        return "unsupported"
    if not model.get("byte_fallback") and decoder.get("type") == "ByteLevel":
        return "gpt2"
    if model.get("byte_fallback") and any(d.get("type") == "ByteFallback" for d in decoders):
        return "llama"
    return "unsupported"


def _space_prefix(tj: dict[str, Any]) -> bool:
    """Whether the tokenizer puts ▁ before the text, as llama.cpp's add_space_prefix does."""
    steps: list[dict[str, Any]] = []
    for part in (tj.get("normalizer"), tj.get("pre_tokenizer")):
        part = part or {}
        steps += part.get("normalizers") or part.get("pretokenizers") or [part]
    for step in steps:
        if step.get("type") == "Prepend" and step.get("prepend") == SPM_SPACE:
            return True
        if step.get("type") == "Metaspace":
            return step.get("prepend_scheme", "always") != "never" and step.get("add_prefix_space", True)
    return False


def _merge_scores(tj: dict[str, Any], n_vocab: int, vocab: dict[str, int]) -> list[float]:
    """Minus the rank of the first merge that makes each token; tokens no merge makes score 0."""
    scores = [0.0] * n_vocab
    seen: set[int] = set()
    for rank, merge in enumerate(tj["model"].get("merges") or []):
        left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
        token_id = vocab.get(left + right)
        if token_id is not None and token_id not in seen and token_id < n_vocab:
            seen.add(token_id)
            scores[token_id] = -float(rank + 1)
    return scores


def read_vocab(model_dir: Path, n_vocab: int) -> Vocab:
    """The model's tokenizer.json as llama.cpp's vocabulary, padded to the model's vocab size."""
    import gguf

    path = model_dir / "tokenizer.json"
    if not path.is_file():
        raise InputError("no tokenizer.json (a fast BPE tokenizer is required)", path=str(model_dir))
    tj = json.loads(path.read_text(encoding="utf-8"))
    kind = _kind(tj)
    if kind == "unsupported":
        raise InputError(
            "GGUF export needs a byte-level BPE tokenizer (GPT-2 style) or a "
            "SentencePiece-style BPE with byte fallback",
            path=str(path),
        )
    vocab: dict[str, int] = tj["model"]["vocab"]
    tokens: dict[int, str] = {i: t for t, i in vocab.items()}
    types: dict[int, int] = dict.fromkeys(tokens, gguf.TokenType.NORMAL)
    if kind == "llama":
        for i, t in tokens.items():
            if _BYTE_TOKEN.match(t):
                types[i] = gguf.TokenType.BYTE
        unk = tj["model"].get("unk_token")
        if unk in vocab:
            types[vocab[unk]] = gguf.TokenType.UNKNOWN
    for added in tj.get("added_tokens") or []:
        tokens[added["id"]] = added["content"]
        if types.get(added["id"]) != gguf.TokenType.UNKNOWN:
            types[added["id"]] = gguf.TokenType.CONTROL if added.get("special") else gguf.TokenType.USER_DEFINED
    if max(tokens) >= n_vocab:
        raise InputError(
            f"tokenizer has token id {max(tokens)} but the model's vocab_size is {n_vocab}", path=str(path)
        )
    out_tokens = [tokens.get(i, f"[PAD{i}]") for i in range(n_vocab)]
    out_types = [int(types.get(i, gguf.TokenType.UNUSED)) for i in range(n_vocab)]
    if kind == "gpt2":
        return Vocab("gpt2", pre_tokenizer_name(tj, str(path)), out_tokens, out_types, None, None)
    return Vocab("llama", None, out_tokens, out_types, _merge_scores(tj, n_vocab, vocab), _space_prefix(tj))


def add_vocab(writer: Any, model_dir: Path, vocab: Vocab, n_vocab: int, template_filter: Any) -> None:
    """Tokenizer keys: tokens, types, scores or merges, special token ids, chat template."""
    import gguf

    writer.add_tokenizer_model(vocab.model)
    if vocab.pre:
        writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    writer.add_token_types(vocab.types)
    if vocab.scores is not None:
        writer.add_token_scores(vocab.scores)
    if vocab.add_space_prefix is not None:
        writer.add_add_space_prefix(vocab.add_space_prefix)
    special = gguf.SpecialVocab(model_dir, load_merges=vocab.model == "gpt2", n_vocab=n_vocab)
    if vocab.model == "gpt2" and not special.merges:
        raise InputError("tokenizer.json has no BPE merges", path=str(model_dir / "tokenizer.json"))
    if "bos" not in special.special_token_ids and "eos" in special.special_token_ids:
        # No BOS in the HF tokenizer: name one (llama.cpp otherwise picks a GPT-2 default id)
        # and never add it, as HF never does.
        special.special_token_ids["bos"] = special.special_token_ids.get("pad", special.special_token_ids["eos"])
        special.add_special_token["bos"] = False
    special.add_special_token.setdefault("bos", False)
    if isinstance(special.chat_template, str):
        special.chat_template = template_filter(special.chat_template)
    special.add_to_gguf(writer, quiet=True)
