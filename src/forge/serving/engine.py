"""What the HTTP layer asks of a generation engine, and the router from served model names to
(engine, task adapters).

An engine generates one reply at a time (greedy), calling `on_text` with each new piece of
text as it is decoded, and returns the whole reply with its token counts. The router owns
the served name: `polecat` → the role model; `polecat+bead-create` → the role model with the
task adapter `bead-create` stacked on it. `swap` points the name at another engine (deploy,
rollback); a stream already running keeps the engine it started on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from forge.errors import ForgeError, NotFound
from forge.models.guided import AUTO, ToolChoice

OnText = Callable[[str], None]


@dataclass
class Completion:
    text: str  # the raw reply, up to (not including) the stop token
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop" | "length"


class Engine(Protocol):
    kind: str  # "hf" | "llama.cpp"
    tool_format: str  # the model's own tool-call format (forge.models.tool_formats)
    adapters: list[str]  # task adapter names it can stack
    lock: threading.Lock  # one generation at a time per engine

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
        adapters: list[str],
        on_text: OnText | None = None,
        tool_choice: ToolChoice = AUTO,  # other than "auto": the reply is guided to honour it
    ) -> Completion: ...

    def close(self) -> None: ...


class UnknownModel(NotFound):
    """A request names a model this server does not serve (HTTP 404)."""


@dataclass
class Route:
    engine: Engine
    adapters: list[str] = field(default_factory=list)


class Router:
    """Served name → engine; thread-safe swaps."""

    def __init__(self, name: str, engine: Engine):
        self.name = name
        self._engine = engine
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        with self._lock:
            return self._engine

    def swap(self, engine: Engine) -> Engine:
        """Point the served name at `engine`; returns the previous one. In-flight requests hold
        their own reference and finish on it; the caller closes the old one once they are done."""
        with self._lock:
            old, self._engine = self._engine, engine
        return old

    def model_ids(self) -> list[str]:
        engine = self.engine
        return [self.name] + [f"{self.name}+{a}" for a in engine.adapters]

    def route(self, model: str, adapters: list[str]) -> Route:
        """The engine and task adapters for a request's `model` and `adapters` fields. An empty
        model means the role model; `ROLE+A+B` stacks A then B; the field adds more after."""
        engine = self.engine
        names: list[str] = []
        if model and model != self.name:
            role, _, rest = model.partition("+")
            if role != self.name or not rest:
                raise UnknownModel(f"model {model!r} is not served here", hint=f"one of: {', '.join(self.model_ids())}")
            names = rest.split("+")
        names += [a for a in adapters if a not in names]
        missing = [a for a in names if a not in engine.adapters]
        if missing:
            if not engine.adapters:
                raise ForgeError(
                    f"task adapters {', '.join(missing)} requested, but {self.name} is served without any",
                    hint="start `forge serve --engine hf --adapters NAME,...`",
                )
            raise UnknownModel(
                f"no task adapter {', '.join(repr(m) for m in missing)} on {self.name}",
                hint=f"served: {', '.join(self.model_ids())}",
            )
        return Route(engine, names)
