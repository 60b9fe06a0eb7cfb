"""The generated copy documents the shipped base was pre-trained on: the same for a seed, every
value random, a later part repeating an earlier one, and no tool call the base could learn."""

import json
import re

from forge.models.tiny_copy_text import SHAPES, copy_documents, edit_request, fingerprint, json_records, shell_session


def test_same_documents_for_a_seed_and_others_for_another():
    assert copy_documents(50, 3) == copy_documents(50, 3)
    assert copy_documents(50, 3) != copy_documents(50, 4)
    assert fingerprint(0) == fingerprint(0) != fingerprint(1)


def test_every_shape_appears_and_none_is_a_tool_call():
    docs = copy_documents(2000, 0)
    marks = {
        "shell_session": "$ cat TICKET\n",
        "json_records": "\nNext: ",
        "key_values": " = ",
        "edit_request": "\nReplace `",
        "chat": "<|im_start|>system\nReply with the action",
    }
    assert set(marks) == {shape.__name__ for shape in SHAPES}
    for name, mark in marks.items():
        assert 200 < sum(mark in d for d in docs) < 600, name  # about a fifth each
    text = "\n".join(docs)
    assert "<tool_call>" not in text and "</tool_call>" not in text and "<tool_response>" not in text
    # No Gas Town tool or command: the base must not know the task before it is tuned.
    assert not re.search(r"mcp__|\bbd (create|update|close)\b|\bgt (peek|sling|hook)\b", text)


def test_later_parts_copy_earlier_values():
    import random

    from forge.models.tiny_copy_text import _Draw

    d = _Draw(random.Random(5))
    for _ in range(50):
        lines = json_records(d).splitlines()
        records = [json.loads(x) for x in lines if x.startswith("{") and "title" in x]
        updates = [json.loads(x) for x in lines if x.startswith("{") and "title" not in x]
        key = next(iter(records[0]))
        assert updates and all(u[key] in {r[key] for r in records} for u in updates)

        session = shell_session(d)
        issue = session.splitlines()[1].split(":")[0]
        assert session.count(issue) >= 2  # the ticket's id comes back in a branch, commit or PR

        edit = edit_request(d).splitlines()
        action = json.loads(edit[-1])
        assert action["old_string"] in edit[2:5] and action["new_string"] in edit[-2]
