"""`forge recipe check` and `forge train`: recipes (TOML shaped like Gas Town formulas) as jobs.

    forge recipe check RECIPE.toml [key=value ...]          validate, print the resolved config
    forge train RECIPE.toml [key=value ...] [--nproc N]      run it as a job, with progress bars
    forge train RECIPE.toml --detach                         queue it for a worker, print the id
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from forge.cli_common import JsonOpt, console, emit_json, err_console, guard, open_forge

recipe_app = typer.Typer(help="Training recipes: TOML shaped like Gas Town formulas.", no_args_is_help=True)

RecipeArg = typer.Argument(..., help="Recipe file, e.g. examples/recipes/demo.toml.")
OverridesArg = typer.Argument(None, help="key=value overrides, e.g. steps.train.max_steps=20 "
                                         "variables.profile=balanced")


def _load(recipe: Path, overrides: Optional[list[str]], nproc: Optional[int] = None):
    from forge.recipes import load_recipe
    extra = [f"steps.train.nproc={nproc}"] if nproc is not None else []
    return load_recipe(recipe, [*(overrides or []), *extra])


@recipe_app.command("check")
def recipe_check(recipe: Path = RecipeArg, overrides: Optional[list[str]] = OverridesArg,
                 as_json: bool = JsonOpt) -> None:
    """Validate a recipe without running it (every problem at once) and print what it resolves to."""
    def body() -> None:
        r = _load(recipe, overrides)
        if as_json:
            return emit_json(r.to_dict())
        f, v, job = r.formula, r.variables, r.job_config
        console.print(f"[green]ok[/green] {r.path}: formula [bold]{f.name}[/bold] v{f.version}"
                      + (f" — {f.description}" if f.description else ""), highlight=False)
        console.print(f"role {v['role']} · method {r.method} · profile {r.profile} · base {v['base_model']} "
                      f"· gate {v['gate']} · registers as {job['name']}", highlight=False)
        console.print("resolved job config (profile < recipe < overrides):")
        console.print_json(json.dumps(job))
    guard(body)


def train_command(recipe: Path = RecipeArg, overrides: Optional[list[str]] = OverridesArg,
                  detach: bool = typer.Option(False, "--detach", help="Queue the job for a worker and print its id."),
                  nproc: Optional[int] = typer.Option(None, "--nproc", min=1,
                                                      help="Training processes (torchrun DDP; gloo on CPU)."),
                  as_json: bool = JsonOpt) -> None:
    """Train from a recipe: ingest → build → train (sft | dpo | sft+dpo) → export → eval → register."""
    def body() -> None:
        r = _load(recipe, overrides, nproc)
        if detach:
            return _detach(r.job_config, as_json)
        from forge.cli import _run_pipeline_command
        (err_console if as_json else console).print(
            f"recipe {r.formula.name} v{r.formula.version}: method {r.method}, profile {r.profile}", highlight=False)
        _run_pipeline_command(r.job_config, as_json)
    guard(body)


def _detach(config: dict[str, Any], as_json: bool) -> None:
    from forge.governance import ensure_environment
    from forge.jobs.worker import ensure_worker_running

    forge = open_forge()
    ensure_environment(forge, lambda m: err_console.print(m, highlight=False))
    job = forge.submit("pipeline", config)
    worker = ensure_worker_running(forge.settings)
    if as_json:
        return emit_json({"job": job.to_dict(), "worker": worker})
    w = worker["worker"]
    how = "started worker" if worker["started"] else "worker already running:"
    console.print(f"{job.id}", highlight=False)
    err_console.print(f"queued; {how} {w.get('id', '?')}"
                      f"{' (log ' + str(w['log']) + ')' if w.get('log') else ''}. "
                      f"Follow it: forge job logs {job.id} --follow", highlight=False)
