"""What every command module shares: consoles, the --json option, the `command` decorator that
turns expected errors into one clear message (never a traceback), and opening the Forge."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console

from forge.errors import ForgeError

console = Console()
# Messages are not folded at the terminal's width: a path or an id in an error stays whole
# (copyable, greppable in a log); the terminal wraps long lines itself.
err_console = Console(stderr=True, soft_wrap=True)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON.")
F = TypeVar("F", bound=Callable[..., Any])


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def open_forge() -> Any:
    from forge.service import Forge

    return Forge()


def guard(fn: Callable[[], Any]) -> Any:
    """Run a command body; expected errors print as one clear message, never a traceback."""
    try:
        return fn()
    except (typer.Exit, typer.Abort):
        raise
    except ForgeError as e:
        from forge.service import scrub_text

        err_console.print(f"[red]error:[/red] {scrub_text(str(e))}", highlight=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]")
        raise typer.Exit(130) from None
    except Exception as e:  # unexpected: still no traceback unless asked for
        if os.environ.get("FORGE_DEBUG"):
            raise
        from forge.service import scrub_text

        err_console.print(
            f"[red]internal error:[/red] {type(e).__name__}: {scrub_text(str(e))}\n"
            "  hint: re-run with FORGE_DEBUG=1 for the traceback, and report it",
            highlight=False,
        )
        raise typer.Exit(2) from None


def command(group: typer.Typer, name: str | None = None, **options: Any) -> Callable[[F], F]:
    """Register `fn` as a command of `group`, run under `guard`."""

    def register(fn: F) -> F:
        @functools.wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return guard(lambda: fn(*args, **kwargs))

        group.command(name, **options)(guarded)
        return fn

    return register


def say_on(as_json: bool) -> Callable[[str], None]:
    """Where notes go: stderr when stdout carries JSON."""
    out = err_console if as_json else console
    return lambda message: out.print(message, highlight=False, soft_wrap=True)


def progress_bars(as_json: bool = True) -> Any:
    """Rich progress bars; on stderr when stdout must stay clean JSON."""
    from forge.cli.progress import RichProgress

    return RichProgress(err_console if as_json else console)


def split_csv(csv: str | None) -> list[str]:
    return [p.strip() for p in (csv or "").split(",") if p.strip()]
