"""`forge mcp`: serve Forge's tools to MCP clients (stdio by default, or streamable HTTP)."""

from __future__ import annotations

import typer

from forge.cli.common import command, err_console
from forge.errors import ForgeError


def register(app: typer.Typer) -> None:
    command(app, "mcp")(mcp)


def mcp(
    http: str | None = typer.Option(
        None, "--http", metavar="HOST:PORT", help="Serve streamable HTTP at http://HOST:PORT/mcp instead of stdio."
    ),
    in_process: bool = typer.Option(
        False, "--in-process", help="Run jobs in threads of this server instead of a `forge worker`."
    ),
) -> None:
    """Run the MCP server: the pipeline's job tools plus corpus, dataset, eval and registry tools."""
    if http is not None:
        host, sep, port = http.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ForgeError(f"--http {http!r}: expected HOST:PORT, e.g. 127.0.0.1:8765")
        if host not in ("127.0.0.1", "localhost", "::1", "[::1]"):
            err_console.print(
                f"serving on {host}: every request needs `Authorization: Bearer TOKEN` "
                "(`forge token create --name NAME --scope write`)",
                highlight=False,
            )
    from forge.mcp_server import serve

    serve(http, in_process=in_process)
