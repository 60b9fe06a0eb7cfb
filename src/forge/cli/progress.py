"""Rich progress bars behind the `Progress` protocol (the CLI's view of long work)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RichProgress:
    def __init__(self, console: Console):
        self.console = console
        self.bars = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            transient=False,
        )

    def __enter__(self) -> RichProgress:
        self.bars.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.bars.stop()

    def task(self, name: str, total: int | None = None) -> _RichTask:
        return _RichTask(self.bars, self.bars.add_task(name, total=total, metrics=""))

    def log(self, message: str) -> None:
        self.bars.console.print(message)


def _fmt(metrics: dict[str, Any]) -> str:
    parts = []
    for k, v in metrics.items():
        parts.append(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}")
    return " ".join(parts)


class _RichTask:
    def __init__(self, bars: Progress, task_id: Any):
        self.bars, self.task_id = bars, task_id

    def advance(self, n: int = 1, **metrics: Any) -> None:
        if metrics:
            self.bars.update(self.task_id, advance=n, metrics=_fmt(metrics))
        else:
            self.bars.update(self.task_id, advance=n)

    def done(self, **metrics: Any) -> None:
        task = self.bars.tasks[[t.id for t in self.bars.tasks].index(self.task_id)]
        total = task.total if task.total is not None else task.completed or 1
        if metrics:
            self.bars.update(self.task_id, total=total, completed=total, metrics=_fmt(metrics))
        else:
            self.bars.update(self.task_id, total=total, completed=total)
