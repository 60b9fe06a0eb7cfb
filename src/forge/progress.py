"""Progress reporting that stages call without knowing who listens.

A stage asks its `Progress` for a task and advances it; the CLI renders Rich progress bars,
the job runner stores events on the job, tests pass nothing (`NULL_PROGRESS`).
"""

from __future__ import annotations

from typing import Any, Protocol


class Task(Protocol):
    def advance(self, n: int = 1, **metrics: Any) -> None: ...
    def done(self, **metrics: Any) -> None: ...


class Progress(Protocol):
    def task(self, name: str, total: int | None = None) -> Task: ...
    def log(self, message: str) -> None: ...


class _NullTask:
    def advance(self, n: int = 1, **metrics: Any) -> None:
        pass

    def done(self, **metrics: Any) -> None:
        pass


class NullProgress:
    def task(self, name: str, total: int | None = None) -> Task:
        return _NullTask()

    def log(self, message: str) -> None:
        pass


NULL_PROGRESS = NullProgress()
