"""The loss mask: only assistant turns are learned (system, user, tool results are not)."""

import json

import pytest

from forge.models.tiny_base import train_tokenizer
from forge.models.tiny_corpus import pretraining_documents
from forge.train.rows import tokenize_row, tokenize_rows

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "mcp__beads__create",
            "description": "Create a bead.",
            "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
        },
    }
]
ROW = {
    "id": "r",
    "tools": TOOLS,
    "messages": [
        {"role": "system", "content": "SYSTEMTEXT"},
        {"role": "user", "content": "USERTEXT"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "mcp__beads__create", "arguments": json.dumps({"title": "Fix it"})},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "TOOLRESULT"},
        {"role": "assistant", "content": "ASSISTANTDONE"},
    ],
}


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(pretraining_documents(60_000, 0.3, 0), 600)


def masked_and_learned(tokenizer, row):
    ids, mask = tokenize_row(tokenizer, row)
    learned = tokenizer.decode([i for i, m in zip(ids, mask) if m])
    masked = tokenizer.decode([i for i, m in zip(ids, mask) if not m])
    return masked, learned


def test_only_assistant_tokens_are_learned(tokenizer):
    masked, learned = masked_and_learned(tokenizer, ROW)
    for text in (
        "SYSTEMTEXT",
        "USERTEXT",
        "TOOLRESULT",
        '{"name": "mcp__beads__create", "arguments": {"title": "string"',
    ):
        assert text in masked and text not in learned
    assert (
        '<tool_call>\n{"name": "mcp__beads__create", "arguments": {"title": "Fix it"}}\n</tool_call><|im_end|>'
        in learned
    )
    assert "ASSISTANTDONE<|im_end|>" in learned
    assert "<|im_start|>" not in learned


def test_tool_schemas_of_different_shapes_render_without_nulls(tokenizer):
    other = {
        "type": "function",
        "function": {"name": "Bash", "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}},
    }
    ids, _ = tokenize_row(tokenizer, {**ROW, "tools": TOOLS + [other]})
    assert "null" not in tokenizer.decode(ids)


def test_a_row_past_max_length_becomes_windows_that_learn_every_turn_once(tokenizer):
    from forge.models.windows import NO_ROOM

    ids, mask = tokenize_row(tokenizer, ROW)
    full = tokenize_rows(tokenizer, [ROW], max_length=len(ids))
    cut = tokenize_rows(tokenizer, [ROW], max_length=len(ids) - 3)
    tiny = tokenize_rows(tokenizer, [ROW], max_length=10)
    assert (len(full.input_ids), full.split, full.turns_learned) == (1, 0, 2)
    assert full.input_ids[0] == ids and full.assistant_tokens == sum(mask)
    # two windows, each within max_length, each learning one of the two turns
    assert len(cut.input_ids) == 2 and cut.split == 1 and cut.turns_learned == 2
    assert all(len(w) <= len(ids) - 3 for w in cut.input_ids)
    learned = [tokenizer.decode([t for t, m in zip(w, k) if m]) for w, k in zip(cut.input_ids, cut.assistant_masks)]
    assert "mcp__beads__create" in learned[0] and "ASSISTANTDONE" not in learned[0]
    assert learned[1] == "ASSISTANTDONE<|im_end|>"
    # ...the reply without the call and result it answers: counted, and the job log says so
    assert (full.without_context, cut.without_context) == (0, 1)
    assert cut.report()["turns_without_context"] == 1
    assert "1 turns learned without the messages they answer" in cut.summary()
    # every window keeps the system prompt, the tools and the task
    for w in cut.input_ids:
        text = tokenizer.decode(w)
        assert "SYSTEMTEXT" in text and "USERTEXT" in text and '"name": "mcp__beads__create"' in text
    assert cut.assistant_tokens == full.assistant_tokens  # nothing learned twice, nothing lost
    assert tiny.dropped == 1 and not tiny.input_ids and tiny.turns_dropped == {NO_ROOM: 2}


def test_packed_rows_keep_each_rows_mask_and_learn_nothing_across_the_boundary(tokenizer):
    from forge.train.packing import IGNORE, PackedCollator

    other = {
        "id": "s",
        "messages": [{"role": "user", "content": "SECONDUSER"}, {"role": "assistant", "content": "SECONDREPLY"}],
    }
    rows = tokenize_rows(tokenizer, [ROW, other], max_length=4096)
    items = [{"input_ids": i, "assistant_masks": m} for i, m in zip(rows.input_ids, rows.assistant_masks)]
    batch = PackedCollator(pad_token_id=tokenizer.pad_token_id, learned_logits_only=True)(items)
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    first = len(rows.input_ids[0])
    assert ids == rows.input_ids[0] + rows.input_ids[1]
    assert batch["position_ids"][0].tolist()[first] == 0
    assert labels[first] == IGNORE  # row 1's start is not a target of row 0's last token
    learned = tokenizer.decode([t for t in labels if t != IGNORE])
    for text in ("SYSTEMTEXT", "USERTEXT", "TOOLRESULT", "SECONDUSER"):
        assert text not in learned
    assert "ASSISTANTDONE<|im_end|>" in learned and "SECONDREPLY<|im_end|>" in learned
    # the targets the trainer computes logits for are exactly the learned tokens
    assert batch["shift_labels"][0].tolist() == [t for t in labels if t != IGNORE]
