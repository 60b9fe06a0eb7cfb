"""`forge eval`, `forge export`, `forge infer`: score a model against its base, package it
(merged safetensors, GGUF, Ollama), and run one prompt through any of its forms."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Optional

import typer

from forge.cli_common import JsonOpt, console, emit_json, err_console, guard, open_forge
from forge.errors import InputError

FORMATS = ("merged", "gguf", "ollama")
MODES = ("hf", "gguf", "ollama")


def _split(csv: str | None) -> list[str]:
    return [p.strip() for p in (csv or "").split(",") if p.strip()]


def _quiet() -> None:
    from forge.service import _quiet_ml_libraries
    _quiet_ml_libraries()


# ---- eval -------------------------------------------------------------------------------------

def eval_command(
    model: str = typer.Argument(..., help="Registry name (polecat, polecat-v2), model dir or Hub id."),
    adapters: Optional[str] = typer.Option(None, "--adapters", help="Comma-separated adapter dirs, stacked in order."),
    suite: Optional[str] = typer.Option(None, "--suite", help="Suite name from examples/suites/, a file, or 'none'. Default: gastown."),
    dataset: Optional[str] = typer.Option(None, "--dataset", help="Dataset artifact id: add its held-out eval slice."),
    held_out: bool = typer.Option(False, "--held-out", help="Add the held-out eval slice of the dataset a registry model was trained on."),
    base: Optional[str] = typer.Option(None, "--base", help="Base model to compare with (registry models know theirs)."),
    max_prompts: int = typer.Option(48, "--max-prompts", min=1),
    max_new_tokens: int = typer.Option(160, "--max-new-tokens", min=1),
    report: Optional[Path] = typer.Option(None, "--report", help="Write a self-contained HTML report here."),
    as_json: bool = JsonOpt,
) -> None:
    """Score MODEL (and its base) on a task suite: per-category pass rates and the delta."""
    def body() -> None:
        from forge.evaluate.compare import compare_reports
        from forge.evaluate.stage import EvalConfig, load_report, run_evaluate
        from forge.evaluate.bundled_suites import DEFAULT_SUITE, resolve_suite
        from forge.models.refs import resolve_model
        from forge.models.base import resolve_base

        forge = open_forge()
        target = resolve_model(forge, model, _split(adapters))
        if target.kind not in ("model", "merged_model", "base_model"):
            raise InputError(f"{model} is a {target.kind} artifact; evaluate an HF model "
                             "(registry name, merged model or model dir)")
        ds = forge.store.get(dataset) if dataset else (target.dataset if held_out else None)
        if held_out and ds is None:
            raise InputError(f"{model} names no training dataset; pass --dataset ID")
        # the suite is scored unless only a held-out slice was asked for (--suite none)
        suite_path = None if suite == "none" else resolve_suite(suite or DEFAULT_SUITE)
        if suite_path is None and ds is None:
            raise InputError("--suite none needs --dataset or --held-out")
        config = EvalConfig(max_prompts=max_prompts, max_new_tokens=max_new_tokens,
                            suite=str(suite_path) if suite_path else None, device="cpu")
        _quiet()
        t0 = time.monotonic()
        cand_art = run_evaluate(forge.store, target.location, ds, config, target.adapters,
                                input_artifacts=target.artifacts)
        cand = load_report(cand_art)
        base_ref = base or target.base
        base_report, base_id = None, None
        if base_ref:
            b = resolve_base(base_ref, forge.settings)
            base_art = run_evaluate(forge.store, b.location, ds, config, input_artifacts=b.artifacts)
            base_report, base_id = load_report(base_art), base_art.id
        comparison = compare_reports(cand, base_report)
        out = {"model": target.registry_name or model, "adapters": target.adapters,
               "base": base_ref, "suite": suite_path.stem if suite_path else None,
               "dataset": ds.id if ds else None, "report_id": cand_art.id, "base_report_id": base_id,
               "seconds": round(time.monotonic() - t0, 1), **comparison}
        if report:
            from forge.evaluate.html import render_html
            meta = {"model": out["model"], "base": base_ref or "–",
                    "suite": out["suite"] or "–", "dataset": out["dataset"] or "–"}
            report.write_text(render_html(f"Forge eval: {out['model']}", comparison, meta))
            out["html"] = str(report)
        if as_json:
            return emit_json(out)
        _print_eval(out)
    guard(body)


def _print_eval(out: dict[str, Any]) -> None:
    from rich.table import Table

    def pct(v):
        return "-" if v is None else f"{v:.1%}"
    t = Table(title=f"{out['model']} vs {out['base'] or 'no base'} ({out['n_prompts']} prompts)")
    for col in ("category", "base", "candidate", "delta"):
        t.add_column(col)
    for r in out["categories"]:
        delta = "-" if r["delta"] is None else f"{r['delta'] * 100:+.1f}"
        t.add_row(r["category"] + (" (info)" if r["informational"] else ""), pct(r["base"]),
                  pct(r["candidate"]), delta)
    console.print(t)
    delta = "" if out["delta"] is None else f" (delta {out['delta'] * 100:+.1f} pts)"
    console.print(f"score: candidate {pct(out['candidate_score'])}, base {pct(out['base_score'])}{delta}")
    for f in out["failures"]:
        console.print(f"[red]✗[/red] {f['id']}: {'; '.join(f['reasons'])[:160]}", highlight=False)
    if out.get("html"):
        console.print(f"report: {out['html']}")


# ---- export -----------------------------------------------------------------------------------

def export_command(
    model: str = typer.Argument(..., help="Registry name, merged-model/adapter artifact, or model dir."),
    fmt: str = typer.Option("gguf", "--format", help="merged | gguf | ollama"),
    quant: str = typer.Option("f16", "--quant", help="f16 | bf16 | q8_0 | q4_k_m (gguf, ollama)"),
    parity: bool = typer.Option(True, "--parity/--no-parity", help="Compare llama.cpp with HF on eval prompts."),
    suite: Optional[str] = typer.Option(None, "--suite", help="Prompts for the parity check (default: held-out slice or gastown)."),
    name: Optional[str] = typer.Option(None, "--name", help="Model name in the GGUF header / Ollama."),
    as_json: bool = JsonOpt,
) -> None:
    """Export MODEL as merged safetensors, GGUF (parity-checked) or an Ollama package."""
    def body() -> None:
        from forge.export.gguf import QUANTS, GGUFConfig, run_gguf_export
        from forge.models.merge import run_merge
        from forge.export.ollama import OllamaConfig, run_ollama_export
        from forge.models.refs import resolve_model

        if fmt not in FORMATS:
            raise InputError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        if quant not in QUANTS:
            raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
        forge = open_forge()
        target = resolve_model(forge, model)
        _quiet()
        t0 = time.monotonic()
        if target.kind == "adapter":
            merged: Any = run_merge(forge.store, target.artifact, settings=forge.settings)
        elif target.kind in ("merged_model", "model", "base_model"):
            merged = target.artifact or Path(target.location)
        else:
            raise InputError(f"{model} is a {target.kind} artifact; export starts from a model")
        if fmt == "merged":
            if target.kind == "model":
                raise InputError(f"{model} is a plain model directory, already merged",
                                 hint="use --format gguf or ollama")
            art = merged
        else:
            label = name or (target.registry_name or "forge-model").replace(" ", "-")
            art = run_gguf_export(forge.store, merged, GGUFConfig(
                quant=quant, parity=parity, suite=suite, name=label), dataset=target.dataset)
            if fmt == "ollama":
                art = run_ollama_export(forge.store, art, OllamaConfig(name=label))
        out = _describe(art, time.monotonic() - t0)
        if as_json:
            return emit_json(out)
        console.print(f"[green]exported[/green] {art.kind} {art.id}\n  {art.path}")
        for f, digest in out["files"].items():
            console.print(f"  {f}  sha256:{digest[:16]}…")
        if out.get("parity"):
            p = out["parity"]
            console.print(f"  parity ({p['level']}): {p['same_tokens']}/{p['n_prompts']} identical, "
                          f"{p['same_tool_calls']}/{p['n_prompts']} same tool calls")
        if out.get("ollama", {}).get("skipped"):
            err_console.print(f"ollama: skipped — {out['ollama']['skipped']}")
    guard(body)


def _describe(art: Any, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {"id": art.id, "kind": art.kind, "path": str(art.path),
                           "files": art.manifest.get("files", {}), "seconds": round(seconds, 1)}
    for key, file in (("export", "export.json"), ("ollama", "ollama.json")):
        if art.file(file).is_file():
            out[key] = json.loads(art.file(file).read_text())
    if art.file("parity.json").is_file():
        p = json.loads(art.file("parity.json").read_text())
        out["parity"] = {k: p[k] for k in ("quant", "level", "passed", "n_prompts", "same_tokens",
                                           "same_tool_calls", "same_tokenization")}
    return out


# ---- infer ------------------------------------------------------------------------------------

def infer_command(
    model: str = typer.Argument(..., help="Registry name, model dir, GGUF file/artifact, or Ollama model name."),
    prompt: str = typer.Option(..., "--prompt", help="The user message."),
    mode: str = typer.Option("hf", "--mode", help="hf | gguf | ollama"),
    tools: Optional[str] = typer.Option("gastown", "--tools", help="A suite name (its tools), a JSON file of tool schemas, or 'none'."),
    system: Optional[str] = typer.Option(None, "--system", help="A system message."),
    adapters: Optional[str] = typer.Option(None, "--adapters", help="Comma-separated adapter dirs (hf mode)."),
    quant: str = typer.Option("f16", "--quant", help="GGUF type when MODEL must be exported first (gguf mode)."),
    max_new_tokens: int = typer.Option(160, "--max-new-tokens", min=1),
    as_json: bool = JsonOpt,
) -> None:
    """Run one prompt (with tools) and print the reply and its parsed tool calls."""
    def body() -> None:
        from forge.models.tool_calls import parse_reply
        from forge.export import infer

        if mode not in MODES:
            raise InputError(f"--mode must be one of {', '.join(MODES)}, got {mode!r}")
        schemas = _load_tools(tools)
        messages = ([{"role": "system", "content": system}] if system else []) + \
                   [{"role": "user", "content": prompt}]
        _quiet()
        t0 = time.monotonic()
        if mode == "ollama":
            reply = infer.infer_ollama(_ollama_name(model), messages, schemas)
        else:
            from forge.models.refs import resolve_model
            forge = open_forge()
            target = resolve_model(forge, model, _split(adapters))
            if mode == "hf":
                if target.kind in ("gguf", "ollama"):
                    raise InputError(f"{model} is a {target.kind} export; use --mode gguf")
                reply = infer.infer_hf(target.location, target.adapters, messages, schemas, max_new_tokens)
            else:
                reply = infer.infer_gguf(infer.gguf_for(forge, target, quant), messages, schemas, max_new_tokens)
        parsed = parse_reply(reply)
        out = {"model": model, "mode": mode, "reply": reply, "content": parsed.content,
               "tool_calls": parsed.calls, "errors": parsed.errors,
               "seconds": round(time.monotonic() - t0, 1)}
        if as_json:
            return emit_json(out)
        console.print(reply, highlight=False, markup=False)
        for call in parsed.calls:
            console.print(f"[bold]tool call:[/bold] {call['name']} {json.dumps(call['arguments'])}",
                          highlight=False)
        for err in parsed.errors:
            err_console.print(f"[yellow]unparsed tool call:[/yellow] {err}", highlight=False)
    guard(body)


def _load_tools(ref: str | None) -> list[dict[str, Any]]:
    if not ref or ref == "none":
        return []
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise InputError(f"not valid JSON: {e.msg}", path=str(path), line=e.lineno) from None
        if not isinstance(data, list):
            raise InputError("expected a JSON list of tool schemas", path=str(path))
        return data
    from forge.evaluate.suite import read_records
    from forge.evaluate.bundled_suites import resolve_suite
    seen: dict[str, dict[str, Any]] = {}
    for rec in read_records(resolve_suite(ref)):
        for tool in rec.get("tools") or []:
            seen.setdefault(tool.get("function", tool).get("name", ""), tool)
    return list(seen.values())


def _ollama_name(model: str) -> str:
    """A registry model's Ollama name is its registry name; anything else is used as given."""
    return model
