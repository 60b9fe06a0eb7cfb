"""A secret a rule found is replaced wherever else it stands: in the same text, in the other
messages of the conversation, in the other lines of the file, and base64- or percent-encoded.
Each case leaked before (the rule's context is only where the value was first written).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

from forge.records import Conversation, Message, SourceRef, ToolCall
from forge.scrub import Scrubber
from forge.scrub.files import scrub_file

TOKEN = "q8X7kT9zLm2pR4vW6yB1nC3d"  # made up, random-looking
PASSWORD = "marmalade-42"  # made up, a person's kind of password


def test_the_same_secret_later_in_the_text_is_replaced():
    scrubber = Scrubber()
    out = scrubber.scrub_text(f"DB_PASSWORD={PASSWORD}\nNow psql asks for it: type {PASSWORD} and press enter.")
    assert PASSWORD not in out
    assert scrubber.report()["by_detector"]["repeated_secret"] == 1


def test_its_base64_and_percent_encoded_spellings_are_replaced():
    value = TOKEN + "/x"  # (a '/', so that its percent-encoding differs)
    b64 = base64.b64encode(value.encode()).decode()
    text = f"export API_TOKEN={value}\n$ echo -n {value} | base64\n{b64}\nGET /hook?cb={quote(value, safe='')}\n"
    out = Scrubber().scrub_text(text)
    assert TOKEN not in out and b64 not in out and quote(value, safe="") not in out


def _conversation(*messages: Message) -> Conversation:
    return Conversation(id="c1", messages=list(messages), source=SourceRef("s.jsonl", 1))


def test_a_reply_that_repeats_a_key_from_a_tool_result_is_replaced():
    conv = _conversation(
        Message(role="user", content="set up the deploy key"),
        Message(role="assistant", tool_calls=[ToolCall(id="t1", name="Bash", arguments={"command": "cat .env"})]),
        Message(role="tool", tool_call_id="t1", content=f"DEPLOY_TOKEN={TOKEN}\n"),
        Message(role="assistant", content=f"The deploy token is {TOKEN}; I added it to the CI settings."),
    )
    clean = Scrubber().scrub_conversation(conv)
    assert all(TOKEN not in m.content for m in clean.messages)


def test_the_other_lines_of_a_transcript_file(tmp_path: Path):
    lines = [
        {"type": "user", "message": {"content": [{"type": "tool_result", "content": f"API_TOKEN={TOKEN}"}]}},
        {"type": "assistant", "message": {"content": [{"type": "text", "text": f"Using {TOKEN} for the call."}]}},
    ]
    src = tmp_path / "s.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in lines))
    scrubber = Scrubber()
    scrub_file(src, tmp_path / "out.jsonl", scrubber)
    out = (tmp_path / "out.jsonl").read_text()
    assert TOKEN not in out and all(json.loads(line) for line in out.splitlines())
    assert scrubber.report()["by_detector"]["repeated_secret"] == 1


def test_what_a_rule_left_of_a_value_found_whole_elsewhere_is_dropped():
    # a sentence's rule reads the password up to its '&'; the JSON field has it whole
    conv = _conversation(
        Message(role="tool", tool_call_id="t1", content='{"password": "a9B7$#fG3&Z1"}'),
        Message(role="assistant", content="Here is your new password: a9B7$#fG3&Z1. Keep it safe."),
    )
    clean = Scrubber().scrub_conversation(conv)
    assert all("Z1" not in m.content and "fG3" not in m.content for m in clean.messages)


def test_words_and_personal_data_are_not_chased():
    # a plain-word password is replaced where a rule found it only; an e-mail has its own rule
    out = Scrubber().scrub_text("DB_PASSWORD=tangerine\nThe tangerine tree; mail me at dev@example.org")
    assert "The tangerine tree" in out
