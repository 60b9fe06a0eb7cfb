"""Normalised views of messages, used to compare sessions (dedupe) and attempts (DPO prefixes).

Tool-call ids are random per session, so they are left out: two sessions that made the same
calls with the same arguments and got the same results are the same, whatever ids they used.
"""
from __future__ import annotations

import hashlib
import json
import re

from forge.records import Conversation, Message

_SPACE = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


def message_key(m: Message) -> str:
    """A string equal for two messages that say and do the same thing."""
    calls = [[c.name, json.dumps(c.arguments, sort_keys=True, ensure_ascii=False)]
             for c in m.tool_calls]
    name = m.name if m.role == "tool" else None
    return json.dumps([m.role, normalise_text(m.content), calls, name], ensure_ascii=False)


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
        words.extend(normalise_text(m.content).split())
        for c in m.tool_calls:
            words.append(f"<call:{c.name}>")
            words.extend(normalise_text(json.dumps(c.arguments, sort_keys=True,
                                                   ensure_ascii=False)).split())
    return words
