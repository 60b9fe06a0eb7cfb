"""An engine that answers one fixed reply: for tests of the HTTP layer alone (guard, limits,
request parsing). Every test of generation itself serves a real model (serving_models.py)."""

from __future__ import annotations

import threading
from typing import Any

from forge.serving.engine import Completion


class FixedEngine:
    kind = "fixed"
    tool_format = "hermes"

    def __init__(self, reply: str, seen: list[Any] | None = None, adapters: list[str] | None = None):
        self.reply, self.seen = reply, seen if seen is not None else []
        self.adapters = adapters or []
        self.lock = threading.Lock()

    def complete(self, messages, tools, max_tokens, adapters, on_text=None, tool_choice=None) -> Completion:
        self.seen.append((messages, tools, max_tokens, adapters))
        self.tool_choice = tool_choice
        with self.lock:
            if on_text is not None:
                for i in range(0, len(self.reply), 5):
                    on_text(self.reply[i : i + 5])
        return Completion(self.reply, 3, 7, "stop")

    def close(self) -> None:
        pass
