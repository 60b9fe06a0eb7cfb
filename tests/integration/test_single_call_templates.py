"""A template that takes one tool call per message (Llama 3.1 raises "This model only supports
single tool-calls at once!") still learns every turn of a real session with parallel calls: the
calls are written one per message, each followed by its result. Real templates and tokenizers
(tests/real_models.py); the session is a real Claude Code subagent file (fixtures/real, SOURCES.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from forge.ingest.readers import detect_reader, read_head
from forge.models.loading import render_prompts
from forge.models.masks import Renderer
from forge.models.windows import row_windows
from forge.train.pairs import pair_ids
from real_models import real_tokenizer

PARALLEL = (
    Path(__file__).resolve().parents[1]
    / "fixtures/real/claude_code_parallel/e9fb405b-169f-40eb-9396-7e75076f045d/subagents/agent-a485154.jsonl"
)


def session() -> list[dict]:
    reader = detect_reader(PARALLEL, read_head(PARALLEL))
    (conv,) = reader.read(PARALLEL, lambda line, reason: None)
    messages = [m.to_openai() for m in conv.messages]
    assert len(messages[1]["tool_calls"]) == 4  # one reply, four calls, results in another order
    return messages + [{"role": "assistant", "content": "The CLI registers its commands in src/cli/index.ts."}]


def learned_text(tok, got) -> list[str]:
    return [tok.decode([t for t, m in zip(w.ids, w.mask) if m]) for w in got.windows]


def test_llama3_learns_each_parallel_call_after_the_results_before_it():
    tok = real_tokenizer("llama3")
    assert Renderer(tok).single_call_only
    messages = session()
    got = row_windows(tok, messages, None, 16384)
    assert got.dropped == {} and got.learned == got.turns == 5  # four calls, then the reply
    (window,) = got.windows
    text = tok.decode(window.ids)
    calls = messages[1]["tool_calls"]
    where = [text.index(json.dumps(json.loads(c["function"]["arguments"]))) for c in calls]
    assert where == sorted(where)  # the calls in the order the agent made them
    # a plain run of each result (Llama 3.1 writes results as JSON strings: escapes differ)
    results = {m["tool_call_id"]: max(re.findall(r"[\w /#!.-]+", m["content"][:80]), key=len) for m in messages[2:6]}
    for n, c in enumerate(calls):  # each call's result follows it, before the next call
        at = text.index(results[c["id"]], where[n])
        assert n == len(calls) - 1 or at < where[n + 1]
    learned = "".join(learned_text(tok, got))
    assert "The CLI registers" in learned and learned.count('"name": "Read"') + learned.count('"name": "Glob"') == 4


def test_llama3_renders_parallel_calls_in_prompts_and_preference_pairs():
    tok = real_tokenizer("llama3")
    messages = session()
    (prompt,) = render_prompts(tok, [messages[:6]], [[]])
    assert prompt.count("<|start_header_id|>assistant<|end_header_id|>") == 5  # 4 calls + the reply to come
    pair = {"prompt": messages[:1], "chosen": messages[1:6], "rejected": [{"role": "assistant", "content": "no"}]}
    p, chosen, rejected = pair_ids(tok, pair, single_call=True)
    assert p and len(chosen) > len(rejected) > 0


def test_a_template_that_takes_parallel_calls_keeps_them_in_one_turn():
    tok = real_tokenizer("qwen2")
    assert not Renderer(tok).single_call_only
    got = row_windows(tok, session(), None, 4096)
    assert got.dropped == {} and got.learned == got.turns == 2


def test_the_dataset_check_reads_parallel_calls_back_from_llama3_as_training_writes_them():
    from forge.models.fidelity import TEMPLATE_ERROR, check_rows

    tok = real_tokenizer("llama3")
    report = check_rows([{"id": "s", "messages": session()}], tok.chat_template, bos="<|begin_of_text|>")
    (row,) = report.rows
    assert row.checked >= 5 and not [loss for loss in row.losses if loss.kind == TEMPLATE_ERROR], row.losses


def test_eval_asks_a_llama3_model_for_each_parallel_call_as_it_was_trained(tmp_path):
    """Held-out rows become one prompt per call under a one-call template, so a model that
    learned calls one per message is not failed for "expected 4 tool calls, got 1"; other
    templates keep the reply's calls together. A tiny random model on the real tokenizers."""
    from forge.artifacts import ArtifactStore
    from forge.evaluate import EvalConfig, load_report, run_evaluate
    from forge.evaluate.suite import prompts_from_row
    from real_models import BaseShape, family_base

    row = {"id": "s", "messages": session(), "tools": [], "task": "explore", "agent_role": "crew"}
    together, apart = prompts_from_row(row), prompts_from_row(row, single_call=True)
    assert [len(p.expected) for p in together] == [4]
    assert [len(p.expected) for p in apart] == [1, 1, 1, 1]
    assert [p.expected[0] for p in apart] == together[0].expected  # the same calls, in order
    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("dataset")
    (staging / "sft_eval.jsonl").write_text(json.dumps(row) + "\n")
    dataset = store.commit(staging, kind="dataset", aid="dataset-parallel", config={}, inputs=[])
    config = EvalConfig(max_new_tokens=4, context_length=8192)
    for family, n in (("llama3", 4), ("qwen2", 1)):
        base = family_base(family, BaseShape(context=8192))
        report = load_report(run_evaluate(store, base, dataset, config))
        assert report["n_prompts"] == n, family
