"""Normalised views of messages, used to compare sessions (dedupe) and attempts (DPO prefixes).

Tool-call ids are random per session, so they are left out: two sessions that made the same
calls with the same arguments and got the same results are the same, whatever ids they used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from forge.records import Conversation, Message

# While a build runs, each Message's key is computed once (a session's messages are compared by
# the dedupe, the DPO pairing and the pair validation). Keyed by id(), holding the message so
# the id cannot be reused. Messages are not changed during a build.
_memo: dict[int, tuple[Message, str]] | None = None


@contextmanager
def memoised_keys() -> Iterator[None]:
    global _memo
    outer, _memo = _memo, {}
    try:
        yield
    finally:
        _memo = outer


@dataclass
class KeyedMessage(Message):
    """A message reduced to its role and key: the build's first pass keeps these, not the text,
    so pairing and curation run over the whole corpus without holding it."""

    key: str = ""


def skeleton(messages: list[Message]) -> list[Message]:
    return [KeyedMessage(m.role, key=message_key(m)) for m in messages]


def normalise_text(text: str) -> str:
    """Whitespace runs collapsed to one space, ends trimmed, lower case."""
    return " ".join(text.split()).lower()


def message_key(m: Message) -> str:
    """A string equal for two messages that say and do the same thing (and only then: every
    variable-length part of the hashed text is length-prefixed or self-delimiting JSON)."""
    if type(m) is KeyedMessage:
        return m.key
    if _memo is not None:
        hit = _memo.get(id(m))
        if hit is not None and hit[0] is m:
            return hit[1]
    content = normalise_text(m.content)
    calls = "".join(
        f"\x1e{len(c.name)}:{c.name}{json.dumps(c.arguments, sort_keys=True, ensure_ascii=False)}" for c in m.tool_calls
    )
    name = (m.name or "") if m.role == "tool" else ""
    raw = f"{m.role}\x1f{len(content)}:{content}{calls}\x1d{name}"
    # keys are only compared, so a 128-bit digest stands in for the text (a build holds one per
    # message; the text would double its memory)
    key = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    if _memo is not None:
        _memo[id(m)] = (m, key)
    return key


def exact_key(conv: Conversation) -> str:
    """SHA-256 of the normalised messages (system prompt included)."""
    h = hashlib.sha256()
    for m in conv.messages:
        h.update(message_key(m).encode())
        h.update(b"\n")
    return h.hexdigest()


def content_words(conv: Conversation) -> list[str]:
    """The words of a session for near-duplicate detection, system prompts left out: a prompt
    shared by every session of a role would make all of them look alike."""
    words: list[str] = []
    for m in conv.messages:
        if m.role == "system":
            continue
        words.append(f"<{m.role}>")
        words.extend(m.content.lower().split())  # == normalise_text(...).split(), one pass fewer
        for c in m.tool_calls:
            words.append(f"<call:{c.name}>")
            words.extend(json.dumps(c.arguments, sort_keys=True, ensure_ascii=False).lower().split())
    return words
