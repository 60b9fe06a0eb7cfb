"""Parity: does the GGUF file, run by llama.cpp, answer like the HF model it came from?

Both sides decode greedily from the same prompt token ids (HF's chat template + tokenizer), and
llama.cpp's own tokenization of each prompt is compared with HF's as well (Ollama and llama.cpp
servers tokenize themselves). Then llama.cpp is fed HF's answer token by token ("teacher
forcing") and its logits are compared with HF's at every step.

F32 and F16 ("tokens" level) must agree on the logits within a tolerance derived from how
llama.cpp computes: the largest |logit difference| at a step, divided by that step's largest
|logit|, must stay under

    F32  1e-4   only the order of float32 sums differs (unit roundoff 2^-24 ≈ 6e-8; measured
                ≤ 2e-5 on the family test bases)
    F16  4e-2   llama.cpp rounds every activation vector to F16 (unit roundoff u = 2^-11 ≈
                4.9e-4) before each matmul; a logit goes through 2·layers+1 of them plus the
                attention softmax, and the largest error over a 150k-token vocabulary is a few
                times the typical one: measured ≤ 8e-3 on the family test bases (random
                weights rounded to F16, so weight rounding adds nothing); 4e-2 ≈ 80u keeps 5x
                headroom.

A conversion bug (a wrong RoPE layout, a dropped norm or bias, a shifted vocabulary) moves
logits by about their own size — a ratio near 1, far above either bound. Greedy tokens are
identical unless two candidates are closer than the error: such a near tie is reported among
the `disagreements` (step, both tokens, HF's margin), and it is within tolerance by
construction, since a flip needs a margin below the two logits' combined error. The memorized
test models never have one.

Lossier types (BF16, Q8_0: "tool_calls" level) must give the same tool calls, parsed in the
model's own format (prose around them may differ); K-quants are only reported, as 4-bit weights
on a small model do change answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.errors import ForgeError
from forge.models.tool_calls import parse_reply, parser_for

EXACT_TYPES = ("f32", "f16")
CALL_TYPES = ("bf16", "q8_0")
LOGIT_TOLERANCE = {"f32": 1e-3, "f16": 4e-2}
LLAMA_CPP_HINT = (
    "install llama-cpp-python: `make llama-cpp` (uses a cached wheel, else builds "
    "one in 5-15 minutes), or skip the check with --no-parity"
)


class ParityError(ForgeError):
    """The GGUF model does not answer like the HF model."""


def parity_level(quant: str) -> str:
    return "tokens" if quant in EXACT_TYPES else "tool_calls" if quant in CALL_TYPES else "report"


def import_llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        raise ForgeError("llama-cpp-python is not installed: cannot load the GGUF file", hint=LLAMA_CPP_HINT) from None
    return llama_cpp


@dataclass
class PromptIds:
    id: str
    text: str
    ids: list[int]


@dataclass
class HFAnswer:
    tokens: list[int]  # up to (not including) a stop token
    logits: list[Any] = field(default_factory=list)  # float32 vectors, one per decoding step


def hf_prompts(model_dir: Path, prompts: list[Any]) -> tuple[Any, list[PromptIds]]:
    """(tokenizer, each prompt rendered with the model's chat template and tokenized by HF)."""
    from transformers import AutoTokenizer

    from forge.models.loading import render_prompts

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    texts = render_prompts(tok, [p.messages for p in prompts], [p.tools for p in prompts])
    return tok, [PromptIds(p.id, t, tok(t, add_special_tokens=False)["input_ids"]) for p, t in zip(prompts, texts)]


def hf_greedy(model_dir: Path, stops: list[int], prompts: list[PromptIds], max_new_tokens: int) -> list[HFAnswer]:
    """Greedy answer per prompt, one prompt at a time (no padding), with the raw logits of
    every step (the step that chose a stop token included)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    out = []
    for p in prompts:
        ids = torch.tensor([p.ids])
        with torch.no_grad():
            gen = model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                do_sample=False,
                max_new_tokens=max_new_tokens,
                eos_token_id=stops,
                pad_token_id=stops[0],
                temperature=None,
                top_p=None,
                top_k=None,
                output_logits=True,
                return_dict_in_generate=True,
            )
        tokens = _until_stop(gen.sequences[0, ids.shape[1] :].tolist(), stops)
        steps = min(len(tokens) + 1, len(gen.logits))
        out.append(HFAnswer(tokens, [gen.logits[i][0].float().numpy() for i in range(steps)]))
    return out


def open_llama(gguf_path: Path, n_ctx: int) -> Any:
    """A llama.cpp model on the CPU with an F32 KV cache (the default F16 cache alone would
    move logits by ~1e-3 and can flip near-ties)."""
    llama_cpp = import_llama_cpp()
    f32 = llama_cpp.GGML_TYPE_F32 if hasattr(llama_cpp, "GGML_TYPE_F32") else 0
    return llama_cpp.Llama(
        model_path=str(gguf_path), n_ctx=n_ctx, n_threads=2, n_batch=512, seed=0, verbose=False, type_k=f32, type_v=f32
    )


def llama_stop_ids(llm: Any) -> list[int]:
    """Every token llama.cpp ends generation on (end-of-generation: eos, eot, eom, and the
    end-of-turn tokens it recognizes by their text)."""
    llama_cpp = import_llama_cpp()
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    return [i for i in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_eog(vocab, i)]


def llama_greedy(
    llm: Any, prompt_ids: list[int], stops: list[int], max_new_tokens: int, logits_processor: Any = None
) -> list[int]:
    llm.reset()  # a fresh evaluation of the whole prompt: no reuse of a previous prompt's cache
    out: list[int] = []
    for tok in llm.generate(
        prompt_ids,
        top_k=1,
        top_p=1.0,
        min_p=0.0,
        temp=0.0,
        repeat_penalty=1.0,
        reset=True,
        logits_processor=logits_processor,
    ):
        if tok in stops or len(out) >= max_new_tokens:
            break
        out.append(int(tok))
    return out


def _last_logits(llm: Any) -> Any:
    import numpy as np

    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),)).copy()


def teacher_forced(llm: Any, prompt_ids: list[int], answer: HFAnswer) -> dict[str, Any]:
    """llama.cpp's logits at every step of HF's answer, compared with HF's."""
    import numpy as np

    llm.reset()
    llm.eval(prompt_ids)
    worst_abs = worst_rel = 0.0
    scale = 0.0
    # steps where llama.cpp's top token is not HF's (at F32/F16 only ever near ties)
    ties: list[dict[str, Any]] = []
    for step, hf_logits in enumerate(answer.logits):
        ours = _last_logits(llm)
        n = min(len(ours), len(hf_logits))  # HF may pad the vocabulary past GGUF's rows
        diff = float(np.abs(ours[:n] - hf_logits[:n]).max())
        step_scale = float(np.abs(hf_logits[:n]).max()) or 1.0
        worst_abs, worst_rel, scale = max(worst_abs, diff), max(worst_rel, diff / step_scale), max(scale, step_scale)
        want, got = int(hf_logits[:n].argmax()), int(ours[:n].argmax())
        if want != got:
            ties.append(
                {
                    "step": step,
                    "hf_token": want,
                    "gguf_token": got,
                    "hf_margin": float(hf_logits[want] - hf_logits[got]),
                }
            )
        if step < len(answer.tokens):
            llm.eval([answer.tokens[step]])
    return {
        "max_logit_diff": worst_abs,
        "relative_logit_diff": worst_rel,
        "logit_scale": scale,
        "steps": len(answer.logits),
        "disagreements": ties,
    }


def _until_stop(ids: list[int], stops: list[int]) -> list[int]:
    for n, t in enumerate(ids):
        if t in stops:
            return ids[:n]
    return ids


def check_parity(
    model_dir: Path, gguf_path: Path, prompts: list[Any], quant: str, max_new_tokens: int = 48
) -> dict[str, Any]:
    """Compare greedy answers and logits on every prompt. Returns the report; `passed` False
    names the first differing prompt in `first_difference` (callers raise ParityError)."""
    from forge.models.loading import stop_token_ids

    level = parity_level(quant)
    tokenizer, rendered = hf_prompts(model_dir, prompts)
    stops = stop_token_ids(tokenizer, model_dir)
    fmt = parser_for(tokenizer)
    hf_out = hf_greedy(model_dir, stops, rendered, max_new_tokens)
    longest = max(len(p.ids) for p in rendered) + max_new_tokens + 8
    llm = open_llama(gguf_path, n_ctx=max(256, longest))
    try:
        rows, first = _compare(llm, tokenizer, rendered, hf_out, stops, level, quant, fmt, max_new_tokens)
    finally:
        llm.close()
    return {
        "quant": quant,
        "level": level,
        "passed": first is None,
        "n_prompts": len(rows),
        "tool_call_format": fmt,
        "tolerance": LOGIT_TOLERANCE.get(quant),
        "same_tokens": sum(r["same_tokens"] for r in rows),
        "same_tool_calls": sum(r["same_tool_calls"] for r in rows),
        "same_tokenization": sum(r["same_tokenization"] for r in rows),
        "relative_logit_diff": max((r["relative_logit_diff"] for r in rows), default=0.0),
        "disagreements": sum(len(r["disagreements"]) for r in rows),
        "first_difference": first,
        "prompts": rows,
    }


def _compare(
    llm: Any,
    tokenizer: Any,
    rendered: list[PromptIds],
    hf_out: list[HFAnswer],
    stops: list[int],
    level: str,
    quant: str,
    fmt: str,
    max_new_tokens: int,
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    rows: list[dict[str, Any]] = []
    first: dict[str, Any] | None = None
    for p, want in zip(rendered, hf_out):
        tokenized = llm.tokenize(p.text.encode("utf-8"), add_bos=False, special=True)
        forced = teacher_forced(llm, p.ids, want)
        # With no disagreement on HF's path, llama.cpp's own greedy answer is HF's answer.
        got = llama_greedy(llm, p.ids, stops, max_new_tokens) if forced["disagreements"] else want.tokens
        hf_text = tokenizer.decode(want.tokens, skip_special_tokens=False)
        gg_text = tokenizer.decode(got, skip_special_tokens=False)
        hf_reply, gg_reply = parse_reply(hf_text, fmt=fmt), parse_reply(gg_text, fmt=fmt)
        same_calls = hf_reply.calls == gg_reply.calls and hf_reply.errors == gg_reply.errors
        row = {
            "id": p.id,
            "prompt_tokens": len(p.ids),
            "same_tokenization": tokenized == p.ids,
            "same_tokens": got == want.tokens,
            "same_tool_calls": same_calls,
            "same_text": hf_reply.content == gg_reply.content,
            **forced,
            "hf": hf_text,
            "gguf": gg_text,
        }
        rows.append(row)
        within = forced["relative_logit_diff"] <= LOGIT_TOLERANCE.get(quant, float("inf"))
        ok = row["same_tokenization"] and (
            within if level == "tokens" else same_calls if level == "tool_calls" else True
        )
        if not ok and first is None:
            first = row
    return rows, first


def describe_failure(report: dict[str, Any]) -> str:
    row = report["first_difference"] or {}
    if not row.get("same_tokenization"):
        what = "llama.cpp tokenizes the prompt differently"
    elif report["level"] == "tokens":
        what = (
            f"logits differ by {row.get('relative_logit_diff', 0):.2e} of their scale, above "
            f"the {report.get('tolerance')} an exact {report['quant']} conversion stays under"
        )
    else:
        what = "different tool calls"
    return (
        f"GGUF {report['quant']} parity failed on prompt {row.get('id')!r} ({what}):\n"
        f"  HF:   {row.get('hf', '')[:200]!r}\n  GGUF: {row.get('gguf', '')[:200]!r}"
    )
