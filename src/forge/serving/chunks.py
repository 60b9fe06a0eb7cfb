"""Streaming in OpenAI's shape: `chat.completion.chunk` objects sent as server-sent events.

    role delta → content deltas → tool-call deltas (index, id, type, name; then arguments)
    → a chunk with finish_reason → (stream_options.include_usage: a chunk with usage and no
    choices) → `data: [DONE]`

Content streams as the model writes it until a tool call opens (the format's own opening:
`<tool_call>`, `[TOOL_CALLS]`, Llama's bare `{` ...). The call is then read whole, with the
same parser as a non-streaming reply, and sent as tool-call deltas: a streamed reply and a
non-streamed one carry the same content and the same calls. Pure.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from forge.serving.protocol import call_id

PYTHON_TAG = "<|python_tag|>"


def sse(obj: dict[str, Any] | str) -> bytes:
    data = obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


DONE = sse("[DONE]")


@dataclass
class ChunkMaker:
    """Chunks of one streamed completion (one id, one created time)."""

    model: str
    include_usage: bool = False
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex[:24]}")
    created: int = field(default_factory=lambda: int(time.time()))

    def _chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        if self.include_usage:
            out["usage"] = None
        return out

    def role(self) -> dict[str, Any]:
        return self._chunk({"role": "assistant", "content": ""})

    def content(self, text: str) -> dict[str, Any]:
        return self._chunk({"content": text})

    def tool_calls(self, calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Two deltas per call, as OpenAI streams them: the header, then the arguments."""
        out = []
        for i, c in enumerate(calls):
            head = {"index": i, "id": call_id(), "type": "function", "function": {"name": c["name"], "arguments": ""}}
            args = json.dumps(c["arguments"], ensure_ascii=False)
            out.append(self._chunk({"tool_calls": [head]}))
            out.append(self._chunk({"tool_calls": [{"index": i, "function": {"arguments": args}}]}))
        return out

    def finish(self, reason: str) -> dict[str, Any]:
        return self._chunk({}, reason)

    def usage(self, counts: dict[str, int]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": counts,
        }


class ContentSplitter:
    """Decides which generated text is safe to stream as content: everything before a tool
    call opens, less a tail that could still become an opening or an end-of-turn marker."""

    def __init__(self, call_start: str, ends: tuple[str, ...], fmt: str):
        self.bare_json = fmt == "llama3"  # Llama 3.1 writes a call as a bare JSON reply
        self.starts = (PYTHON_TAG,) if self.bare_json else (call_start,)
        self.markers = self.starts + ends
        self.text = ""
        self.sent = ""
        self.in_call = False

    def feed(self, piece: str) -> str:
        self.text += piece
        if self.in_call:
            return ""
        if self.bare_json:
            head = self.text.lstrip()
            if not head:
                return ""
            if head.startswith("{"):
                self.in_call = True
                return ""
        limit = len(self.text)
        for marker in self.markers:
            at = self.text.find(marker)
            if at >= 0 and at < limit:
                limit = at
                self.in_call = marker in self.starts or self.in_call
        if limit == len(self.text):
            limit -= self._held_tail()
        return self._emit(self.text[:limit].rstrip())

    def _held_tail(self) -> int:
        """Length of the longest tail that is the start of a marker."""
        best = 0
        for marker in self.markers:
            for n in range(min(len(marker) - 1, len(self.text)), best, -1):
                if self.text.endswith(marker[:n]):
                    best = n
                    break
        return best

    def _emit(self, upto: str) -> str:
        upto = upto.lstrip()  # a reply's content is read stripped
        if len(upto) <= len(self.sent) or not upto.startswith(self.sent):
            return ""
        new, self.sent = upto[len(self.sent) :], upto
        return new

    def finish(self, content: str) -> str:
        """What is left to send once the whole reply is parsed (`content`: its final content)."""
        return self._emit(content) if content.startswith(self.sent) else ""
