"""Assistant-token masks of real sessions: Forge's per-turn spans (models/masks.py) against the
one-pass masks transformers computes from a template's `{% generation %}` markers, in the same
run, on the real Claude Code transcripts the readers are tested on.

    .venv/bin/python benchmarks/masks.py [--max-length 32768] [--rounds 3]

Hub templates carry no generation markers, so Forge finds each turn by rendering the
conversation prefix by prefix; transformers' `return_assistant_tokens_mask` renders once, but
only on a template written with the markers. To compare the two on the same text, both use
Qwen2.5's real tokenizer (llama.cpp's vocabulary file, `make llama-models`) with Forge's own
ChatML template, which has the markers. Also timed: Forge's method with the boundary check it
had before (each boundary checked by encoding the whole prefix before it). The masks of the
two methods are compared token for token (they must agree on every learned token). Medians of
`--rounds` passes, process CPU time. The last line is `ratio=<transformers s / Forge s>`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = [ROOT / "tests/fixtures/real" / d for d in ("claude_code", "claude_code_1.0", "claude_code_agents_2.0")]


def real_rows() -> list[dict]:
    from forge.artifacts import ArtifactStore
    from forge.ingest.stage import IngestConfig, run_ingest

    with tempfile.TemporaryDirectory() as tmp:
        art = run_ingest(ArtifactStore(Path(tmp)), SESSIONS, IngestConfig())
        return [json.loads(line) for line in art.file("conversations.jsonl").open()]


def cpu(fn, rounds: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(rounds):
        t0 = time.process_time()
        value = fn()
        times.append(time.process_time() - t0)
    return statistics.median(times), value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-length", type=int, default=32768)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from forge.models import masks
    from forge.models.chat_format import CHAT_TEMPLATE
    from forge.models.turns import template_messages
    from real_models import real_tokenizer

    tok = real_tokenizer("qwen2")
    tok.chat_template = CHAT_TEMPLATE
    rows = [r for r in real_rows() if any(m.get("role") == "assistant" for m in r["messages"])]
    convs = [(template_messages(r["messages"]), r.get("tools") or None) for r in rows]

    def forge() -> list[list[int]]:
        return [masks.render_turns(tok, m, t, prepared=True).mask() for m, t in convs]

    def transformers_once() -> list[list[int]]:
        out = []
        for m, t in convs:
            enc = tok.apply_chat_template(
                m, tools=t, tokenize=True, return_dict=True, return_assistant_tokens_mask=True
            )
            out.append(list(enc["assistant_masks"]))
        return out

    class WholePrefix(masks._Boundaries):
        def splits(self) -> tuple[list[int], list[int]]:
            return [], []

    def forge_whole_prefix() -> list[list[int]]:
        saved = masks._Boundaries
        masks._Boundaries = WholePrefix  # type: ignore[misc]
        try:
            return forge()
        finally:
            masks._Boundaries = saved  # type: ignore[misc]

    forge_s, ours = cpu(forge, args.rounds)
    base_s, theirs = cpu(transformers_once, args.rounds)
    old_s, before = cpu(forge_whole_prefix, args.rounds)
    assert before == ours, "the boundary shortcut changed a mask"
    tokens = sum(map(len, ours))
    agree = sum(a == b for x, y in zip(ours, theirs, strict=True) for a, b in zip(x, y, strict=True))
    print(f"{len(convs)} real sessions, {tokens} tokens with Qwen2.5's tokenizer and Forge's template")
    print(
        f"learned: Forge {sum(map(sum, ours))}, transformers {sum(map(sum, theirs))}; masks agree on {agree}/{tokens}"
    )
    print(f"Forge per-turn spans: {forge_s:.3f} s ({tokens / forge_s / 1e3:.0f}k tokens/s)")
    print(f"  with whole-prefix boundary checks (before): {old_s:.3f} s")
    print(f"transformers, one pass with generation markers: {base_s:.3f} s ({tokens / base_s / 1e3:.0f}k tokens/s)")
    print(f"ratio={base_s / forge_s:.2f}")


if __name__ == "__main__":
    main()
