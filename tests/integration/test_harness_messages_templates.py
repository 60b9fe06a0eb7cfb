"""A real Claude Code session in which a Stop hook sent the model its feedback and the model
went on (fixtures/real/claude_code, SOURCES.md): read with the feedback as the user message the
model answered, it renders under Mistral's template, which requires user and assistant to
alternate, and every turn is learned (before, the feedback was dropped, two assistant messages
met, the template refused the window and its turns were lost)."""

from __future__ import annotations

import itertools
from pathlib import Path

from test_masks_real_templates import tokenizer_for

from forge.ingest.readers import detect_reader, read_head
from forge.models.windows import row_windows

SESSION = Path(__file__).resolve().parents[1] / "fixtures/real/claude_code/coverage-test-fix.jsonl"


def test_a_stop_hooks_feedback_keeps_a_real_session_learnable_under_mistral():
    reader = detect_reader(SESSION, read_head(SESSION))
    (conv,) = reader.read(SESSION, lambda line, reason: None)
    messages = [m.to_openai() for m in conv.messages]
    roles = [m["role"] for m in messages]
    assert ("assistant", "assistant") not in set(itertools.pairwise(roles))  # no reply right after a reply
    feedback = [m["content"] for m in messages if m["content"].startswith("Stop hook feedback:")]
    assert len(feedback) == 2 and "Uncommitted Changes Detected" in feedback[0]
    got = row_windows(tokenizer_for("mistral"), messages, None, 16384)
    assert got.dropped == {} and got.learned == got.turns == roles.count("assistant")
