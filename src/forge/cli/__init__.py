"""The `forge` command line: thin over forge.service. Every command takes --json.

Each module registers its commands on the root app; heavy libraries are imported only inside
the facade's methods, so `forge --help` is instant.
"""

from __future__ import annotations

import typer

from forge.cli import data, jobs, mcp, models, pipeline, registry, web

app = typer.Typer(
    help="Forge: fine-tune self-hosted agent models on your agents' own sessions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

for module in (pipeline, jobs, data, models, registry, mcp, web):
    module.register(app)

__all__ = ["app"]
