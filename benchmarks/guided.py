"""What guided tool calls cost per token: the same replies decoded free and guided.

    .venv/bin/python benchmarks/guided.py              # ~1 min on 2 cores
    .venv/bin/python benchmarks/guided.py --model DIR  # another HF model (a hermes-format one)

Model: the shipped tiny base (`forge/tiny-llama`, 4.3M parameters) unless --model is given. On
so small a model a forward pass is cheap, so the grammar's share is as large as it gets; on a
real base it is smaller. Replies: every Gas Town suite prompt (its own tools, 4 to 9 of them) with
its reference reply (the expected calls in the model's format), teacher-forced token by token
through the KV cache as greedy decoding runs them, so both runs decode exactly the same tokens:

    free      one forward pass per token (the baseline: decoding as it is without guidance)
    guided    the same, plus llguidance's mask for the next token, the masking of the logits and
              telling the matcher the token (models/guided_decoding.py), per token

Grammar compilation is timed apart: on first use, and reused (a compiled grammar is kept per
tokenizer and each reply copies it). It prints tokens/s of each, the
compile time per prompt, and last `ratio=<guided tokens/s ÷ free tokens/s>`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def reference_reply(calls: list[dict]) -> str:
    """The expected calls as a hermes reply (the template's own spelling)."""
    return "\n".join(
        f"<tool_call>\n{json.dumps({'name': c['name'], 'arguments': c.get('arguments') or {}})}\n</tool_call>"
        for c in calls
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None, help="an HF model directory (default: the shipped tiny base)")
    ap.add_argument("--repeats", type=int, default=3, help="passes over the suite; the median is reported")
    args = ap.parse_args(argv)

    import torch

    from forge.evaluate.bundled_suites import resolve_suite
    from forge.models.guided_decoding import guided_processor
    from forge.models.loading import load_model, render_prompts, stop_token_ids
    from forge.models.tiny_base import SHIPPED_DIR
    from forge.models.tool_calls import parser_for

    torch.set_num_threads(1)
    model, tok = load_model(args.model or str(SHIPPED_DIR))
    fmt = parser_for(tok)
    rows = [json.loads(line) for line in resolve_suite("gastown").read_text().splitlines() if line.strip()]
    stops = stop_token_ids(tok, model)
    n_vocab = int(model.get_output_embeddings().weight.shape[0])
    cases = []
    for row in rows:
        prompt = render_prompts(tok, [row["messages"]], [row["tools"]])[0]
        p_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        r_ids = tok(reference_reply(row["expected"]), add_special_tokens=False)["input_ids"] + [stops[0]]
        cases.append((row["tools"], p_ids, r_ids))
    n_tokens = sum(len(r) for _, _, r in cases)

    def decode(guided: bool) -> tuple[float, float]:
        """(seconds decoding all replies, seconds compiling grammars)."""
        spent = compiled = 0.0
        for tools, p_ids, r_ids in cases:
            proc = None
            if guided:
                t0 = time.perf_counter()
                proc = guided_processor(tok, [tools], fmt, stops, len(p_ids), n_vocab)
                compiled += time.perf_counter() - t0
            with torch.no_grad():
                out = model(torch.tensor([p_ids]), use_cache=True)  # the prompt: the same in both runs
                past, logits = out.past_key_values, out.logits[:, -1, :]
                seq = list(p_ids)
                t0 = time.perf_counter()
                for tok_id in r_ids:
                    if proc is not None:
                        logits = proc(torch.tensor([seq]), logits)
                        assert logits[0, tok_id] > float("-inf"), "the reference reply left the grammar"
                    seq.append(tok_id)
                    if tok_id == r_ids[-1]:
                        break
                    out = model(torch.tensor([[tok_id]]), past_key_values=past, use_cache=True)
                    past, logits = out.past_key_values, out.logits[:, -1, :]
                spent += time.perf_counter() - t0
        return spent, compiled

    guided_processor(tok, [[]], fmt, stops, 1, n_vocab)  # the vocabulary view: built once per tokenizer
    first_compile_s = decode(True)[1]  # warm-up; each distinct grammar compiles once, then is reused
    free_s = statistics.median(decode(False)[0] for _ in range(args.repeats))
    runs = [decode(True) for _ in range(args.repeats)]
    guided_s = statistics.median(r[0] for r in runs)
    compile_s = statistics.median(r[1] for r in runs)
    name = args.model or "forge/tiny-llama (shipped)"
    print(f"model: {name}, {len(cases)} Gas Town prompts, {n_tokens} reply tokens")
    print(f"free:   {n_tokens / free_s:8.0f} tokens/s")
    first, reused = (1000 * t / len(cases) for t in (first_compile_s, compile_s))
    print(
        f"guided: {n_tokens / guided_s:8.0f} tokens/s (grammar {first:.1f} ms/prompt compiled on first use, "
        f"{reused:.2f} ms/prompt reused)"
    )
    print(f"ratio={(n_tokens / guided_s) / (n_tokens / free_s):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
