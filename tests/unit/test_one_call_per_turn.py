"""Parallel tool calls written one per message, for templates that take one call a message."""

from forge.models.turns import one_call_per_turn


def call(cid, name="Read"):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": "{}"}}


def test_each_call_is_its_own_message_followed_by_the_result_that_names_it():
    messages = [
        {"role": "user", "content": "look"},
        {"role": "assistant", "content": "Reading both.", "tool_calls": [call("a"), call("b")], "weight": 0},
        {"role": "tool", "tool_call_id": "b", "content": "B"},  # answered out of order, as recorded
        {"role": "tool", "tool_call_id": "a", "content": "A"},
        {"role": "assistant", "content": "done"},
    ]
    out = one_call_per_turn(messages)
    assert [(m["role"], m.get("content")) for m in out] == [
        ("user", "look"),
        ("assistant", "Reading both."),
        ("tool", "A"),
        ("assistant", ""),
        ("tool", "B"),
        ("assistant", "done"),
    ]
    assert [m["tool_calls"][0]["id"] for m in out if m.get("tool_calls")] == ["a", "b"]
    assert all(m["weight"] == 0 for m in out if m.get("tool_calls"))  # every part keeps its weight
    assert messages[1]["tool_calls"] == [call("a"), call("b")]  # the input is not changed


def test_results_without_ids_answer_in_order_and_unmatched_ones_follow():
    messages = [
        {"role": "assistant", "content": "", "tool_calls": [call("a"), call("b")]},
        {"role": "tool", "content": "first"},
        {"role": "tool", "tool_call_id": "zzz", "content": "stray"},
    ]
    out = one_call_per_turn(messages)
    assert [m.get("content") for m in out] == ["", "first", "", "stray"]


def test_single_calls_and_other_messages_are_kept_as_they_are():
    messages = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "", "tool_calls": [call("a")]},
        {"role": "tool", "tool_call_id": "a", "content": "A"},
    ]
    assert one_call_per_turn(messages) == messages
