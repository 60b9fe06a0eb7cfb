"""`forge ui` (the REST API and the web UI), `forge token create|list|revoke`, `forge job report`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from forge.cli.common import JsonOpt, command, console, emit_json, err_console, open_forge
from forge.cli.jobs import job_app
from forge.errors import ForgeError

token_app = typer.Typer(help="API tokens for `forge ui`, `forge mcp --http` and `forge serve`.", no_args_is_help=True)
REPORT_FORMATS = ("md", "html", "json")


def register(app: typer.Typer) -> None:
    command(app, "ui")(ui)
    command(token_app, "create")(token_create)
    command(token_app, "list")(token_list)
    command(token_app, "revoke")(token_revoke)
    command(job_app, "report")(job_report)
    app.add_typer(token_app, name="token")


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (tokens are required off loopback)."),
    port: int = typer.Option(8080, "--port", min=0, max=65535, help="Port (0: any free one)."),
    access_log: bool = typer.Option(
        False, "--access-log/--no-access-log", help="Log every request line (paths only; tokens never go in URLs)."
    ),
) -> None:
    """Serve the web UI at / and the REST API under /api/v1 (OpenAPI at /openapi.json)."""
    import uvicorn

    from forge.api import create_app

    forge = open_forge()
    loopback = forge.is_loopback(host)
    active = [t for t in forge.list_tokens() if t["active"]]
    open_reads = forge.server_config().auth.open_loopback_reads
    app = create_app(forge, host=host)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"Forge UI on http://{shown}:{port}/  ·  API http://{shown}:{port}/api/v1  ·  "
        f"OpenAPI http://{shown}:{port}/openapi.json",
        highlight=False,
    )
    if loopback:
        console.print(
            "loopback bind: "
            + ("reads are open, writes need a write token" if open_reads else "every request needs a token"),
            highlight=False,
        )
    else:
        console.print(f"bound to {host}: every request needs a token", highlight=False)
    if not active:
        err_console.print(
            "[yellow]note:[/yellow] no API token exists yet: "
            "`forge token create --name NAME --scope write` to sign in and start jobs"
        )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=access_log)


def token_create(
    name: str = typer.Option(..., "--name", help="What the token is for, e.g. ci or alice."),
    scope: str = typer.Option("read", "--scope", help="read | write | admin."),
    as_json: bool = JsonOpt,
) -> None:
    """Create an API token. Its secret is printed once; Forge keeps only its SHA-256."""
    out = open_forge().create_token(name, scope)
    if as_json:
        return emit_json(out)
    err_console.print(
        f"token [bold]{out['name']}[/bold] ({out['id']}, scope {out['scope']}) — shown once, store it now:",
        highlight=False,
    )
    console.print(out["token"], highlight=False, soft_wrap=True)


def token_list(as_json: bool = JsonOpt) -> None:
    """List API tokens (never their secrets)."""
    tokens = open_forge().list_tokens()
    if as_json:
        return emit_json(tokens)
    t = Table()
    for col in ("ID", "NAME", "SCOPE", "PREFIX", "CREATED", "BY", "LAST USED", "STATUS"):
        t.add_column(col)
    for tok in tokens:
        t.add_row(
            tok["id"],
            tok["name"],
            tok["scope"],
            tok["prefix"] + "…",
            tok["created_at"][:19],
            tok["created_by"],
            (tok["last_used_at"] or "never")[:19],
            "active" if tok["active"] else f"revoked {tok['revoked_at'][:19]}",
        )
    console.print(t)


def token_revoke(ref: str = typer.Argument(..., help="Token id (tok-…) or name."), as_json: bool = JsonOpt) -> None:
    """Revoke a token: refused from the next request on."""
    out = open_forge().revoke_token(ref)
    if as_json:
        return emit_json(out)
    console.print(f"revoked {out['name']} ({out['id']})", highlight=False)


def job_report(
    job_id: str = typer.Argument(..., help="Job id."),
    fmt: str = typer.Option("md", "--format", help="md | html | json."),
    out: Path | None = typer.Option(
        None, "--out", help="Write here instead of printing (md: the loss plot goes beside it as NAME-loss.svg)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """The run report: epochs, duration, first/final loss, samples/s, steps/s, tokens/s, eval per
    category vs base, exports with sizes and SHA-256, next steps, and the loss plot."""
    if as_json:
        fmt = "json"
    if fmt not in REPORT_FORMATS:
        raise ForgeError(f"--format {fmt!r}: use one of {', '.join(REPORT_FORMATS)}")
    forge = open_forge()
    text = forge.render_run_report(job_id, fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    out = Path(out)
    if fmt == "md":
        plot = out.with_name(f"{out.stem}-loss.svg")
        plot.write_text(forge.loss_plot_svg(job_id), encoding="utf-8")
        text = text.replace("## Loss\n\n", f"## Loss\n\n![training loss]({plot.name})\n\n", 1)
    out.write_text(text, encoding="utf-8")
    err_console.print(f"wrote {out}" + (f" and {plot}" if fmt == "md" else ""), highlight=False)
