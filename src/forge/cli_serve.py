"""`forge serve`: the OpenAI-compatible endpoint that `forge model provider-config` names."""
from __future__ import annotations

from typing import Optional

import typer

from forge.cli_common import console, err_console, guard, open_forge


def serve_command(
    model: str = typer.Option(..., "--model", help="Registry name (polecat, polecat-v3), model dir or Hub id."),
    adapters: Optional[str] = typer.Option(None, "--adapters", help="Comma-separated task adapter names or dirs."),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
) -> None:
    """Serve a model over an OpenAI-compatible /v1/chat/completions (tools and tool_calls)."""
    def body() -> None:
        from forge.models.refs import resolve_model
        from forge.serve import adapter_paths, hf_generator, make_server

        forge = open_forge()
        names = [a for a in (adapters or "").split(",") if a]
        target = resolve_model(forge, model, adapter_paths(forge, names))
        if target.kind in ("gguf", "ollama"):
            raise typer.BadParameter(f"{model} is a {target.kind} export; serve the registry model instead")
        if host not in ("127.0.0.1", "localhost", "::1"):
            err_console.print(f"[yellow]warning:[/yellow] serving on {host} without authentication")
        server = make_server(target.registry_name or model, hf_generator(target.location, target.adapters),
                             host, port)
        console.print(f"serving {target.registry_name or model}"
                      + (f" + {', '.join(names)}" if names else "")
                      + f" on http://{host}:{server.server_address[1]}/v1/chat/completions", highlight=False)
        try:
            server.serve_forever()
        finally:
            server.server_close()
    guard(body)
