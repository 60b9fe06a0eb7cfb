"""Tables shared by several commands."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from forge.cli.common import console


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def print_models(models: list[Any]) -> None:
    """The registry in Gas Town's `gt model list` columns."""
    t = Table(title="model registry")
    for col in ("NAME", "ROLE", "BASE", "VER", "EVAL", "STATUS"):
        t.add_column(col, justify="right" if col in ("VER", "EVAL") else "left")
    for m in models:
        t.add_row(m.display_name, m.role or "-", m.base, str(m.version), pct(m.eval_score), m.status)
    console.print(t)


def counts_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    t = Table(title=title, show_header=False)
    t.add_column("what")
    t.add_column("count", justify="right")
    for k, v in rows:
        t.add_row(k, str(v))
    return t


def by_table(title: str, data: dict[str, int]) -> Table:
    t = Table(title=title)
    t.add_column("name")
    t.add_column("count", justify="right")
    for k, v in sorted(data.items(), key=lambda kv: (-kv[1], kv[0])):
        t.add_row(escape(k), str(v))
    return t
