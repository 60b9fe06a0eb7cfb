"""What every CLI module shares: consoles, the --json option, and the error guard.

Command groups live in their own modules (cli_corpus, cli_train, ...) and register on the root
app in cli.py; each imports only this module at import time so `forge --help` stays fast.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

import typer
from rich.console import Console

from forge.errors import ForgeError

console = Console()
err_console = Console(stderr=True)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON.")


def emit_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, default=str) + "\n")


def open_forge():
    from forge.service import Forge
    return Forge()


def guard(fn: Callable[[], Any]) -> Any:
    """Run a command body; expected errors print as one clear message, never a traceback."""
    try:
        return fn()
    except (typer.Exit, typer.Abort):
        raise
    except ForgeError as e:
        err_console.print(f"[red]error:[/red] {e}", highlight=False)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        err_console.print("[yellow]interrupted[/yellow]")
        raise typer.Exit(130)
    except Exception as e:  # unexpected: still no traceback unless asked for
        if os.environ.get("FORGE_DEBUG"):
            raise
        err_console.print(f"[red]internal error:[/red] {type(e).__name__}: {e}\n"
                          "  hint: re-run with FORGE_DEBUG=1 for the traceback, and report it", highlight=False)
        raise typer.Exit(2)
