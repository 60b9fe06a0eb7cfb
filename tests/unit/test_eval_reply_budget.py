"""By default the evaluation gives each prompt room for its expected reply: a plan of five bead
creates runs past 160 tokens in every real chat format, and cut there it could never pass. An
explicit max_new_tokens is a limit for every prompt."""

from __future__ import annotations

from pathlib import Path

import pytest

from forge.evaluate.stage import reply_budgets
from forge.evaluate.suite import load_suite_file
from real_models import real_tokenizer

SUITE = Path(__file__).resolve().parents[2] / "src" / "forge" / "examples" / "suites" / "gastown.jsonl"


def _prompt(prompt_id):
    return next(p for p in load_suite_file(SUITE) if p.id == prompt_id)


def _reply_tokens(tok, prompt):
    """Tokens of the expected reply as the model's own chat template writes it (with the turn's
    header: Gemma's generation prompt adds an empty thought block the finished turn lacks)."""
    calls = [
        {"id": f"call{i:05d}", "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
        for i, c in enumerate(prompt.expected)
    ]
    done = [*prompt.messages, {"role": "assistant", "content": "", "tool_calls": calls}]
    full = tok.apply_chat_template(done, tools=prompt.tools, tokenize=False)
    head = tok.apply_chat_template(prompt.messages, tools=prompt.tools, tokenize=False)
    assert full.startswith(head)
    return len(tok(full[len(head) :], add_special_tokens=False)["input_ids"])


# Llama 3.1's template takes one call per turn, so it has no five-call reply to measure.
@pytest.mark.parametrize("family", ["qwen2", "gemma4"])
def test_budget_holds_a_five_call_plan_in_real_formats(family):
    tok = real_tokenizer(family)
    plan = _prompt("gt-plan-merge-queue")
    need = _reply_tokens(tok, plan)
    (budget,) = reply_budgets(tok, [plan], None)
    assert need > 160  # the default alone would cut it
    assert budget >= need


@pytest.mark.parametrize("family", ["qwen2", "llama3", "gemma4"])
def test_short_replies_keep_the_floor(family):
    tok = real_tokenizer(family)
    claim = _prompt("gt-bm-claim")
    assert _reply_tokens(tok, claim) < 160
    assert reply_budgets(tok, [claim], None) == [160]
    assert reply_budgets(tok, [claim, _prompt("gt-plan-merge-queue")], 12) == [12, 12]  # a number is a limit
