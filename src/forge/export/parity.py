"""Parity: does the GGUF file, run by llama.cpp, answer like the HF model it came from?

Both sides decode greedily from the same prompt token ids (HF's chat template + tokenizer).
F16/F32 must give identical tokens; lossier types (BF16, Q8_0) must give the same tool calls
(name and arguments, parsed; prose around them may differ); K-quants are only reported, as
4-bit weights on a small model do change answers. llama.cpp's own tokenization of each prompt
is compared with HF's as well: Ollama and llama.cpp servers tokenize themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.models.tool_calls import parse_reply
from forge.errors import ForgeError

EXACT_TYPES = ("f32", "f16")
CALL_TYPES = ("bf16", "q8_0")
LLAMA_CPP_HINT = ("install llama-cpp-python: `make llama-cpp` (uses a cached wheel, else builds "
                  "one in 5-15 minutes), or skip the check with --no-parity")


class ParityError(ForgeError):
    """The GGUF model does not answer like the HF model."""


def parity_level(quant: str) -> str:
    return "tokens" if quant in EXACT_TYPES else "tool_calls" if quant in CALL_TYPES else "report"


def import_llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        raise ForgeError("llama-cpp-python is not installed: cannot load the GGUF file",
                         hint=LLAMA_CPP_HINT) from None
    return llama_cpp


@dataclass
class PromptIds:
    id: str
    text: str
    ids: list[int]


def hf_prompts(model_dir: Path, prompts: list[Any]) -> tuple[Any, list[PromptIds]]:
    """(tokenizer, each prompt rendered with the model's chat template and tokenized by HF)."""
    from transformers import AutoTokenizer

    from forge.models.loading import render_prompts

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    texts = render_prompts(tok, [p.messages for p in prompts], [p.tools for p in prompts])
    return tok, [PromptIds(p.id, t, tok(t, add_special_tokens=False)["input_ids"])
                 for p, t in zip(prompts, texts)]


def hf_greedy(model_dir: Path, tokenizer: Any, prompts: list[PromptIds], max_new_tokens: int) -> list[list[int]]:
    """Greedy new token ids per prompt, one prompt at a time (no padding), up to a stop token."""
    import torch
    from transformers import AutoModelForCausalLM

    from forge.models.loading import stop_token_ids

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    stops = stop_token_ids(tokenizer)
    out = []
    for p in prompts:
        ids = torch.tensor([p.ids])
        with torch.no_grad():
            gen = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                 max_new_tokens=max_new_tokens, eos_token_id=stops,
                                 pad_token_id=stops[0], temperature=None, top_p=None, top_k=None)
        out.append(_until_stop(gen[0, ids.shape[1]:].tolist(), stops))
    return out


def open_llama(gguf_path: Path, n_ctx: int) -> Any:
    """A llama.cpp model on the CPU with an F32 KV cache (the default F16 cache alone would
    move logits by ~1e-3 and can flip near-ties)."""
    llama_cpp = import_llama_cpp()
    f32 = llama_cpp.GGML_TYPE_F32 if hasattr(llama_cpp, "GGML_TYPE_F32") else 0
    return llama_cpp.Llama(model_path=str(gguf_path), n_ctx=n_ctx, n_threads=2, n_batch=512,
                           seed=0, verbose=False, type_k=f32, type_v=f32)


def llama_greedy(llm: Any, prompt_ids: list[int], stops: list[int], max_new_tokens: int) -> list[int]:
    llm.reset()  # a fresh evaluation of the whole prompt: no reuse of a previous prompt's cache
    out: list[int] = []
    for tok in llm.generate(prompt_ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0,
                            repeat_penalty=1.0, reset=True):
        if tok in stops or len(out) >= max_new_tokens:
            break
        out.append(int(tok))
    return out


def _until_stop(ids: list[int], stops: list[int]) -> list[int]:
    for n, t in enumerate(ids):
        if t in stops:
            return ids[:n]
    return ids


def check_parity(model_dir: Path, gguf_path: Path, prompts: list[Any], quant: str,
                 max_new_tokens: int = 48) -> dict[str, Any]:
    """Compare greedy answers on every prompt. Returns the report; `passed` False names the
    first differing prompt in `first_difference` (callers raise ParityError)."""
    from forge.models.loading import stop_token_ids

    level = parity_level(quant)
    tokenizer, rendered = hf_prompts(model_dir, prompts)
    stops = stop_token_ids(tokenizer)
    hf_out = hf_greedy(model_dir, tokenizer, rendered, max_new_tokens)
    longest = max(len(p.ids) for p in rendered) + max_new_tokens + 8
    llm = open_llama(gguf_path, n_ctx=max(256, longest))
    try:
        rows, first = _compare(llm, tokenizer, rendered, hf_out, stops, level, max_new_tokens)
    finally:
        llm.close()
    return {"quant": quant, "level": level, "passed": first is None, "n_prompts": len(rows),
            "same_tokens": sum(r["same_tokens"] for r in rows),
            "same_tool_calls": sum(r["same_tool_calls"] for r in rows),
            "same_tokenization": sum(r["same_tokenization"] for r in rows),
            "first_difference": first, "prompts": rows}


def _compare(llm: Any, tokenizer: Any, rendered: list[PromptIds], hf_out: list[list[int]],
             stops: list[int], level: str, max_new_tokens: int) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    rows: list[dict[str, Any]] = []
    first: dict[str, Any] | None = None
    for p, want in zip(rendered, hf_out):
        tokenized = llm.tokenize(p.text.encode("utf-8"), add_bos=False, special=True)
        got = llama_greedy(llm, p.ids, stops, max_new_tokens)
        hf_text = tokenizer.decode(want, skip_special_tokens=False)
        gg_text = tokenizer.decode(got, skip_special_tokens=False)
        hf_reply, gg_reply = parse_reply(hf_text), parse_reply(gg_text)
        same_tokens = got == want
        same_calls = hf_reply.calls == gg_reply.calls and hf_reply.errors == gg_reply.errors
        row = {"id": p.id, "prompt_tokens": len(p.ids), "same_tokenization": tokenized == p.ids,
               "same_tokens": same_tokens, "same_tool_calls": same_calls,
               "same_text": hf_reply.content == gg_reply.content,
               "hf": hf_text, "gguf": gg_text}
        rows.append(row)
        ok = row["same_tokenization"] and (same_tokens if level == "tokens" else
                                           same_calls if level == "tool_calls" else True)
        if not ok and first is None:
            first = row
    return rows, first


def describe_failure(report: dict[str, Any]) -> str:
    row = report["first_difference"] or {}
    what = ("llama.cpp tokenizes the prompt differently" if not row.get("same_tokenization")
            else "different tokens" if report["level"] == "tokens" else "different tool calls")
    return (f"GGUF {report['quant']} parity failed on prompt {row.get('id')!r} ({what}):\n"
            f"  HF:   {row.get('hf', '')[:200]!r}\n  GGUF: {row.get('gguf', '')[:200]!r}")
