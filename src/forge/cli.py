"""The `forge` command line: thin over forge.service. Every command takes --json.

Heavy libraries are imported only inside the pipeline stages, so `forge --help` is instant.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from forge.cli_common import JsonOpt, console, emit_json, err_console, guard, open_forge
from forge.errors import ForgeError
from forge.models.tiny_base import DEFAULT_BASE_MODEL

app = typer.Typer(help="Forge: fine-tune self-hosted agent models on your agents' own sessions.",
                  no_args_is_help=True, pretty_exceptions_enable=False, add_completion=False)
job_app = typer.Typer(help="Inspect jobs: state, audit trail, progress.", no_args_is_help=True)
artifact_app = typer.Typer(help="Artifacts and their manifests.", no_args_is_help=True)
app.add_typer(job_app, name="job")
app.add_typer(artifact_app, name="artifact")

DEMO_GATE = 0.05
_emit_json = emit_json
_forge = open_forge
_guard = guard


# -- pipeline ---------------------------------------------------------------------------------

def _run_pipeline_command(config: dict[str, Any], as_json: bool) -> None:
    from forge.cli_progress import RichProgress
    from forge.jobs.state_machine import JobState

    forge = _forge()
    out = console if not as_json else err_console
    from forge.governance import ensure_environment
    from forge.service import validate_pipeline_config
    validate_pipeline_config(config)  # a typo is reported before anything else happens
    ensure_environment(forge, lambda m: out.print(m, highlight=False))  # foreground: implicit init
    job = forge.submit_pipeline(config)
    out.print(f"job [bold]{job.id}[/bold] queued (authorization {job.authorization}); "
              f"home {forge.settings.home}")
    failed: ForgeError | None = None
    with RichProgress(out) as progress:
        try:
            forge.run_job(job.id, progress=progress)
        except ForgeError as e:
            failed = e
    job = forge.jobs.get(job.id)
    if as_json:
        _emit_json({"job": job.to_dict(), "transitions": forge.jobs.transitions(job.id),
                    "models": [m.to_dict() for m in forge.registry.list()]})
    else:
        _print_pipeline_summary(forge, job)
    if failed is not None or job.state is not JobState.TESTS_PASSED:
        if failed is not None and not as_json:
            err_console.print(f"[red]error:[/red] {failed}", highlight=False)
        raise typer.Exit(1)


def _print_pipeline_summary(forge, job) -> None:
    res = job.result or {}
    console.print()
    if "eval_score" in res:
        t = Table(title="Eval on held-out prompts: pass rate per category")
        t.add_column("category")
        t.add_column("base", justify="right")
        t.add_column("candidate", justify="right")
        base_c = (res.get("categories") or {}).get("base") or {}
        cand_c = (res.get("categories") or {}).get("candidate") or {}
        for cat in sorted(set(base_c) | set(cand_c)):
            b, c = base_c.get(cat, {}), cand_c.get(cat, {})
            t.add_row(cat, f"{b.get('passed', 0)}/{b.get('total', 0)}", f"{c.get('passed', 0)}/{c.get('total', 0)}")
        t.add_row("[bold]score", f"[bold]{res['base_eval_score']:.1%}", f"[bold]{res['eval_score']:.1%}")
        console.print(t)
        g = res.get("gate", {})
        console.print(f"gate (≥ {g.get('threshold')} and better than base): "
                      + ("[green]passed[/green]" if g.get("passed") else f"[red]failed[/red] — {g.get('reason')}"))
    print_models(forge.registry.list())
    color = "green" if job.state.value == "TESTS_PASSED" else "red"
    console.print(f"job {job.id}: [{color}]{job.state.value}[/{color}]"
                  + (f" — {job.error}" if job.error else "") + f" in {res.get('seconds', '?')} s")


@app.command()
def demo(
    as_json: bool = JsonOpt,
    name: str = typer.Option("polecat", help="Model family name to register."),
    max_steps: Optional[int] = typer.Option(None, help="Override the number of training steps."),
) -> None:
    """Run the whole pipeline on the bundled example corpus with the tiny local base model.

    The same as `forge train examples/recipes/demo.toml`: the demo is a recipe like any other."""
    def body() -> None:
        from forge.recipes import load_recipe
        overrides = [f"variables.name={name}"] + ([f"steps.train.max_steps={max_steps}"] if max_steps else [])
        from forge.bundled import demo_recipe_path
        recipe = load_recipe(demo_recipe_path(), overrides)
        _run_pipeline_command(recipe.job_config, as_json)
    _guard(body)


@app.command()
def pipeline(
    sources: list[Path] = typer.Argument(..., help="Transcript files or folders (and beads JSONL)."),
    name: str = typer.Option(..., help="Model family name to register, e.g. polecat."),
    base: str = typer.Option(DEFAULT_BASE_MODEL, help=f"Base model: HF id, local path, or {DEFAULT_BASE_MODEL}."),
    authorization: str = typer.Option(..., "--auth", help="Authorizing bead or ticket id."),
    gate: float = typer.Option(0.5, help="Minimum eval score; the candidate must also beat the base."),
    overrides: list[str] = typer.Option([], "--set", help="Stage option, e.g. --set train.max_steps=200"),
    as_json: bool = JsonOpt,
) -> None:
    """Run ingest → scrub → build → train → export → eval → register on your own sources."""
    def body() -> None:
        from forge.config import apply_overrides
        config = apply_overrides({"sources": [str(s) for s in sources], "name": name,
                                  "base_model": base, "authorization": authorization, "gate": gate},
                                 overrides)
        _run_pipeline_command(config, as_json)
    _guard(body)


# -- jobs -------------------------------------------------------------------------------------

@job_app.command("list")
def job_list(as_json: bool = JsonOpt, limit: int = typer.Option(50, help="Most recent N jobs.")) -> None:
    """List jobs, newest first."""
    def body() -> None:
        jobs = _forge().jobs.list(limit)
        if as_json:
            return _emit_json([j.to_dict() for j in jobs])
        t = Table()
        for col in ("ID", "KIND", "STATE", "AUTH", "CREATED", "MODEL / ERROR"):
            t.add_column(col)
        for j in jobs:
            tail = (j.result or {}).get("model") or (j.error or "")[:60]
            t.add_row(j.id, j.kind, j.state.value, j.authorization, j.created_at.strftime("%Y-%m-%d %H:%M"), tail)
        console.print(t)
    _guard(body)


@job_app.command("show")
def job_show(job_id: str, as_json: bool = JsonOpt) -> None:
    """Show one job: state, audit trail, stage artifacts, scores."""
    def body() -> None:
        forge = _forge()
        job = forge.jobs.get(job_id)
        trail = forge.jobs.transitions(job_id)
        if as_json:
            return _emit_json({**job.to_dict(), "transitions": trail})
        console.print(f"[bold]{job.id}[/bold]  {job.kind}  state [bold]{job.state.value}[/bold]  "
                      f"authorization {job.authorization}")
        if job.error:
            console.print(f"[red]error:[/red] {job.error}")
        t = Table(title="audit trail")
        for col in ("AT", "FROM", "TO", "ACTOR", "REASON"):
            t.add_column(col)
        for tr in trail:
            t.add_row(tr["at"][:19], tr["from"] or "", tr["to"], tr["actor"], tr["reason"] or "")
        console.print(t)
        stages = (job.result or {}).get("stages", {})
        if stages:
            s = Table(title="artifacts")
            s.add_column("STAGE")
            s.add_column("ARTIFACT")
            s.add_column("AT (s)", justify="right")
            for name, info in stages.items():
                s.add_row(name, info["id"], str(info["seconds"]))
            console.print(s)
        res = job.result or {}
        if "eval_score" in res:
            console.print(f"eval: base {res['base_eval_score']:.1%} → candidate {res['eval_score']:.1%}")
    _guard(body)


# -- artifacts --------------------------------------------------------------------------------

@artifact_app.command("list")
def artifact_list(as_json: bool = JsonOpt) -> None:
    """List artifacts in the store."""
    def body() -> None:
        arts = list(_forge().store.all())
        if as_json:
            return _emit_json([{"id": a.id, "kind": a.kind, "path": str(a.path),
                                "created_at": a.manifest.get("created_at")} for a in arts])
        t = Table()
        for col in ("ID", "KIND", "CREATED", "FILES"):
            t.add_column(col)
        for a in arts:
            t.add_row(a.id, a.kind, a.manifest.get("created_at", ""), str(len(a.manifest.get("files", {}))))
        console.print(t)
    _guard(body)


@artifact_app.command("verify")
def artifact_verify(ref: str = typer.Argument(..., help="Artifact id or directory."),
                    as_json: bool = JsonOpt) -> None:
    """Re-hash an artifact's files and compare them with its manifest."""
    def body() -> None:
        from forge.artifacts import Artifact
        forge = _forge()
        art = Artifact.load(Path(ref)) if Path(ref).is_dir() else forge.store.get(ref)
        art.verify()
        n = len(art.manifest.get("files", {}))
        if as_json:
            return _emit_json({"id": art.id, "verified": True, "files": n})
        console.print(f"[green]ok[/green] {art.id}: {n} files match the manifest")
    _guard(body)


# -- command groups in their own modules (each adds one line here) -------------------------
from forge.cli_registry import model_app, print_models; app.add_typer(model_app, name="model")  # noqa: E402,E702
from forge.cli_corpus import corpus_app, dataset_app, scrub_command; app.add_typer(corpus_app, name="corpus"); app.add_typer(dataset_app, name="dataset"); app.command("scrub")(scrub_command)  # noqa: E402,E702
from forge.cli_registry import drift_command; app.command("drift")(drift_command)  # noqa: E402,E702
from forge.cli_mcp import mcp_command; app.command("mcp")(mcp_command)  # noqa: E402,E702
from forge.cli_jobs import register_job_commands; register_job_commands(app, job_app)  # noqa: E402,E702
from forge.cli_train import recipe_app, train_command; app.add_typer(recipe_app, name="recipe"); app.command("train")(train_command)  # noqa: E402,E702
from forge.cli_export import eval_command, export_command, infer_command; app.command("eval")(eval_command); app.command("export")(export_command); app.command("infer")(infer_command)  # noqa: E402,E702
from forge.cli_serve import serve_command; app.command("serve")(serve_command)  # noqa: E402,E702


if __name__ == "__main__":  # pragma: no cover
    app()
