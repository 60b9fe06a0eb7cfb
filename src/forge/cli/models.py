"""`forge eval`, `forge export`, `forge infer`, `forge serve`: score a model against its base,
package it (merged safetensors, GGUF, Ollama), run a prompt through any of its forms, serve it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from forge.cli.common import JsonOpt, command, console, emit_json, err_console, open_forge, split_csv


def register(app: typer.Typer) -> None:
    command(app, "eval")(eval_model)
    command(app, "export")(export)
    command(app, "infer")(infer)
    command(app, "serve")(serve)


def eval_model(
    model: str = typer.Argument(..., help="Registry name (polecat, polecat-v2), model dir or Hub id."),
    adapters: str | None = typer.Option(None, "--adapters", help="Comma-separated adapter dirs, stacked in order."),
    suite: str | None = typer.Option(
        None, "--suite", help="A bundled suite name, a suite file, or 'none'. Default: gastown."
    ),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset artifact id: add its held-out eval slice."),
    held_out: bool = typer.Option(
        False, "--held-out", help="Add the held-out eval slice of the dataset a registry model was trained on."
    ),
    base: str | None = typer.Option(None, "--base", help="Base model to compare with (registry models know theirs)."),
    max_prompts: int = typer.Option(48, "--max-prompts", min=1),
    max_new_tokens: int | None = typer.Option(
        None,
        "--max-new-tokens",
        min=1,
        help="New tokens per prompt. Default: 160, or room for a prompt's expected reply where that is longer.",
    ),
    guided: bool = typer.Option(
        False, "--guided", help="Hold tool calls to the offered tools while generating (both models)."
    ),
    report: Path | None = typer.Option(None, "--report", help="Write a self-contained HTML report here."),
    as_json: bool = JsonOpt,
) -> None:
    """Score MODEL (and its base) on a task suite: per-category pass rates and the delta."""
    out = open_forge().evaluate(
        model,
        adapters=split_csv(adapters),
        suite=suite,
        dataset=dataset,
        held_out=held_out,
        base=base,
        html=report,
        options={"max_prompts": max_prompts, "max_new_tokens": max_new_tokens, "guided": guided},
    )
    if as_json:
        return emit_json(out)
    _print_eval(out)


def _print_eval(out: dict[str, Any]) -> None:
    from rich.table import Table

    from forge.cli.display import pct

    guided = ", guided tool calls" if out.get("decoding") == "guided" else ""
    t = Table(title=f"{out['model']} vs {out['base'] or 'no base'} ({out['n_prompts']} prompts{guided})")
    for col in ("category", "base", "candidate", "delta"):
        t.add_column(col)
    for r in out["categories"]:
        delta = "-" if r["delta"] is None else f"{r['delta'] * 100:+.1f}"
        t.add_row(
            r["category"] + (" (exact)" if r["informational"] else ""), pct(r["base"]), pct(r["candidate"]), delta
        )
    console.print(t)
    _print_gate(out.get("gate") or {})
    delta = "" if out["delta"] is None else f" (delta {out['delta'] * 100:+.1f} pts)"
    console.print(f"score: candidate {pct(out['candidate_score'])}, base {pct(out['base_score'])}{delta}")
    for f in out["failures"]:
        console.print(f"[red]✗[/red] {f['id']}: {'; '.join(f['reasons'])[:160]}", highlight=False)
    if out.get("html"):
        console.print(f"report: {out['html']}")


def _print_gate(verdict: dict[str, Any]) -> None:
    """The deployment gate's view: weighted components per role, and what failed."""
    from rich.table import Table

    table = verdict.get("table") or {}
    if not table.get("rows"):
        return
    head, rows = table["head"], table["rows"]
    t = Table(title=f"gate: every role's weighted score ≥ {verdict['threshold']:.0%}")
    for col in head:
        t.add_column(col)
    for row in rows:
        t.add_row(*row)
    console.print(t)
    word = "[green]passed[/green]" if verdict["passed"] else "[red]failed[/red]"
    console.print(f"gate {word}: {verdict['reason']}", highlight=False)


def export(
    model: str = typer.Argument(..., help="Registry name, merged-model/adapter artifact, or model dir."),
    fmt: str = typer.Option("gguf", "--format", help="merged | gguf | ollama"),
    quant: str = typer.Option("f16", "--quant", help="f16 | bf16 | q8_0 | q4_k_m (gguf, ollama)"),
    parity: bool = typer.Option(True, "--parity/--no-parity", help="Compare llama.cpp with HF on eval prompts."),
    suite: str | None = typer.Option(
        None, "--suite", help="Prompts for the parity check (default: held-out slice or gastown)."
    ),
    name: str | None = typer.Option(None, "--name", help="Model name in the GGUF header / Ollama."),
    as_json: bool = JsonOpt,
) -> None:
    """Export MODEL as merged safetensors, GGUF (parity-checked) or an Ollama package."""
    out = open_forge().export(model, fmt=fmt, quant=quant, parity=parity, suite=suite, name=name)
    if as_json:
        return emit_json(out)
    console.print(f"[green]exported[/green] {out['kind']} {out['id']}\n  {out['path']}")
    for f, digest in out["files"].items():
        console.print(f"  {f}  sha256:{digest[:16]}…")
    if out.get("parity"):
        p = out["parity"]
        console.print(
            f"  parity ({p['level']}): {p['same_tokens']}/{p['n_prompts']} identical, "
            f"{p['same_tool_calls']}/{p['n_prompts']} same tool calls"
        )
    if out.get("ollama", {}).get("skipped"):
        err_console.print(f"ollama: skipped — {out['ollama']['skipped']}")


def infer(
    model: str = typer.Argument(..., help="Registry name, model dir, GGUF file/artifact, or Ollama model name."),
    prompt: str = typer.Option(..., "--prompt", help="The user message."),
    mode: str = typer.Option("hf", "--mode", help="hf | gguf | ollama"),
    tools: str | None = typer.Option(
        "gastown", "--tools", help="A suite name (its tools), a JSON file of tool schemas, or 'none'."
    ),
    system: str | None = typer.Option(None, "--system", help="A system message."),
    adapters: str | None = typer.Option(None, "--adapters", help="Comma-separated adapter dirs (hf mode)."),
    quant: str = typer.Option("f16", "--quant", help="GGUF type when MODEL must be exported first (gguf mode)."),
    max_new_tokens: int = typer.Option(160, "--max-new-tokens", min=1),
    guided: bool = typer.Option(False, "--guided", help="Hold tool calls to the offered tools (hf, gguf)."),
    as_json: bool = JsonOpt,
) -> None:
    """Run one prompt (with tools) and print the reply and its parsed tool calls."""
    forge = open_forge()
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    done = forge.infer(
        model,
        [messages],
        mode=mode,
        tools=forge.suite_tools(tools),
        adapters=split_csv(adapters),
        quant=quant,
        max_new_tokens=max_new_tokens,
        guided=guided,
    )
    result = done["results"][0]
    if as_json:
        return emit_json(
            {
                "model": model,
                "mode": mode,
                "reply": result["reply"],
                "content": result["content"],
                "tool_calls": result["tool_calls"],
                "errors": result["errors"],
                "seconds": done["seconds"],
            }
        )
    console.print(result["reply"], highlight=False, markup=False)
    for call in result["tool_calls"]:
        console.print(f"[bold]tool call:[/bold] {call['name']} {json.dumps(call['arguments'])}", highlight=False)
    for err in result["errors"]:
        err_console.print(f"[yellow]unparsed tool call:[/yellow] {err}", highlight=False)


def serve(
    model: str | None = typer.Option(
        None, "--model", help="Registry name (polecat-v3), model dir, GGUF file or Hub id."
    ),
    adapters: str | None = typer.Option(
        None,
        "--adapters",
        help="Comma-separated task adapter names or dirs, stacked per request as MODEL+NAME (llama.cpp: as GGUF LoRA).",
    ),
    engine: str = typer.Option("hf", "--engine", help="hf | llama.cpp"),
    target: str | None = typer.Option(
        None, "--target", help="Serve what this deploy target runs, under its name; follow deploy/rollback."
    ),
    name: str | None = typer.Option(
        None, "--name", help="The model name clients send (default: the registry name, or MODEL)."
    ),
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", min=0, max=65535),
    max_pending: int = typer.Option(8, "--max-pending", min=1, help="Requests running or queued before 429."),
    guided: bool = typer.Option(False, "--guided", help="Hold each request's tool calls to the tools it offers."),
) -> None:
    """Serve a model over an OpenAI-compatible /v1/chat/completions (streaming, tools, usage)."""
    from forge.api.limits import Guard
    from forge.errors import InputError

    names = split_csv(adapters)
    forge = open_forge()
    if target and not model:
        model = forge.deployed_model(target)
        if model is None:
            raise InputError(f"nothing is deployed to {target!r}", hint="`forge model deploy NAME --to TARGET` first")
    if not model:
        raise InputError("pass --model MODEL (or --target TARGET)")
    loopback, limits = forge.is_loopback(host), forge.server_config().limits
    # off loopback every request needs a token (any scope); on loopback as server.toml [auth] says
    guard = Guard(
        authorize=lambda header: forge.authorize(header, "read", loopback=loopback),
        max_body_bytes=limits.max_body_bytes,
        max_prompt_chars=limits.max_prompt_chars,
    )
    if not loopback:
        err_console.print(
            f"serving on {host}: requests need `Authorization: Bearer TOKEN` (`forge token create --name NAME`)",
            highlight=False,
        )
    server = forge.serve_app(
        model,
        names,
        engine=engine,
        host=host,
        port=port,
        guard=guard,
        max_pending=max_pending,
        follow=target,
        name=name,
        guided=guided,
    )
    console.print(
        f"serving {server.router.name} ({engine}{', guided tool calls' if guided else ''})"
        + (f" + {', '.join(names)}" if names else "")
        + f" on http://{host}:{server.server_address[1]}/v1/chat/completions",
        highlight=False,
    )
    try:
        server.serve_forever()
    finally:
        server.server_close()
