"""`forge demo`, `forge pipeline`, `forge train`, `forge recipe check`: whole pipeline jobs.

forge demo                                      the demo recipe on the bundled example corpus
forge pipeline SOURCES... --name N --auth ID    your own sources, stage options with --set
forge train RECIPE.toml [key=value ...]         a recipe (TOML shaped like a Gas Town formula)
forge train RECIPE.toml --detach                queue it for a worker, print the job id
forge recipe check RECIPE.toml [key=value ...]  validate, print the resolved config
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from forge.cli.common import JsonOpt, command, console, emit_json, err_console, open_forge, say_on
from forge.errors import ForgeError
from forge.service import DEFAULT_BASE_MODEL

recipe_app = typer.Typer(help="Training recipes: TOML shaped like Gas Town formulas.", no_args_is_help=True)

RecipeArg = typer.Argument(..., help="Recipe file, e.g. examples/recipes/demo.toml.")
OverridesArg = typer.Argument(
    None, help="key=value overrides, e.g. steps.train.max_steps=20 variables.profile=balanced"
)


def register(app: typer.Typer) -> None:
    command(app)(demo)
    command(app)(pipeline)
    command(app, "train")(train)
    command(recipe_app, "check")(recipe_check)
    app.add_typer(recipe_app, name="recipe")


def demo(
    as_json: bool = JsonOpt,
    name: str = typer.Option("polecat", help="Model family name to register."),
    max_steps: int | None = typer.Option(None, help="Override the number of training steps."),
) -> None:
    """Run the whole pipeline on the bundled example corpus with the tiny local base model.

    The same as `forge train examples/recipes/demo.toml`: the demo is a recipe like any other."""
    from forge.service import demo_recipe_path, load_recipe

    overrides = [f"variables.name={name}"] + ([f"steps.train.max_steps={max_steps}"] if max_steps else [])
    run_in_foreground(load_recipe(demo_recipe_path(), overrides).job_config, as_json)


def pipeline(
    sources: list[Path] = typer.Argument(..., help="Transcript files or folders (and beads JSONL)."),
    name: str = typer.Option(..., help="Model family name to register, e.g. polecat."),
    base: str = typer.Option(
        DEFAULT_BASE_MODEL, help=f"Base model: alias, Hub id, local path, or {DEFAULT_BASE_MODEL}."
    ),
    authorization: str = typer.Option(..., "--auth", help="Authorizing bead or ticket id."),
    gate: float = typer.Option(
        0.5,
        help="Minimum weighted eval score, for every role; the candidate must also beat the base "
        "(weights: --set gate_rules.weights.argument_match=2).",
    ),
    overrides: list[str] = typer.Option([], "--set", help="Stage option, e.g. --set train.max_steps=200"),
    template: Path | None = typer.Option(
        None, "--template", help="Train with this chat template (.jinja file) instead of the base's own."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Run ingest → scrub → build → train → export → eval → register on your own sources."""
    from forge.service import apply_overrides

    if template is not None:  # absolute: the job may run in a worker elsewhere on this machine
        overrides = [*overrides, f"train.chat_template={template.expanduser().resolve()}"]
    config = apply_overrides(
        {
            "sources": [str(s) for s in sources],
            "name": name,
            "base_model": base,
            "authorization": authorization,
            "gate": gate,
        },
        overrides,
    )
    run_in_foreground(config, as_json)


def train(
    recipe: Path = RecipeArg,
    overrides: list[str] | None = OverridesArg,
    detach: bool = typer.Option(False, "--detach", help="Queue the job for a worker and print its id."),
    nproc: int | None = typer.Option(None, "--nproc", min=1, help="Training processes (torchrun DDP; gloo on CPU)."),
    as_json: bool = JsonOpt,
) -> None:
    """Train from a recipe: ingest → build → train (sft | dpo | sft+dpo) → export → eval → register."""
    r = _load(recipe, overrides, nproc)
    if detach:
        return _detach(r.job_config, as_json)
    say_on(as_json)(f"recipe {r.formula.name} v{r.formula.version}: method {r.method}, profile {r.profile}")
    run_in_foreground(r.job_config, as_json)


def recipe_check(recipe: Path = RecipeArg, overrides: list[str] | None = OverridesArg, as_json: bool = JsonOpt) -> None:
    """Validate a recipe without running it (every problem at once) and print what it resolves to."""
    r = _load(recipe, overrides)
    if as_json:
        return emit_json(r.to_dict())
    f, v, job = r.formula, r.variables, r.job_config
    console.print(
        f"[green]ok[/green] {r.path}: formula [bold]{f.name}[/bold] v{f.version}"
        + (f" — {f.description}" if f.description else ""),
        highlight=False,
    )
    console.print(
        f"role {v['role']} · method {r.method} · profile {r.profile} · base {v['base_model']} "
        f"· gate {v['gate']} · registers as {job['name']}",
        highlight=False,
    )
    console.print("resolved job config (profile < recipe < overrides):")
    console.print_json(json.dumps(job))


def _load(recipe: Path, overrides: list[str] | None, nproc: int | None = None) -> Any:
    from forge.service import load_recipe

    extra = [f"steps.train.nproc={nproc}"] if nproc is not None else []
    return load_recipe(recipe, [*(overrides or []), *extra])


def _detach(config: dict[str, Any], as_json: bool) -> None:
    forge = open_forge()
    job = forge.submit_pipeline(config, init_environment=say_on(True))
    worker = forge.start_worker()
    if as_json:
        return emit_json({"job": job.to_dict(), "worker": worker})
    w = worker["worker"]
    how = "started worker" if worker["started"] else "worker already running:"
    console.print(f"{job.id}", highlight=False)
    err_console.print(
        f"queued; {how} {w.get('id', '?')}"
        f"{' (log ' + str(w['log']) + ')' if w.get('log') else ''}. "
        f"Follow it: forge job logs {job.id} --follow",
        highlight=False,
    )


def run_in_foreground(config: dict[str, Any], as_json: bool) -> None:
    """Queue a pipeline job and run it here with progress bars; exit 1 unless it passes."""
    from forge.cli.common import progress_bars

    forge = open_forge()
    say = say_on(as_json)
    job = forge.submit_pipeline(config, init_environment=say)
    say(f"job [bold]{job.id}[/bold] queued (authorization {job.authorization}); home {forge.settings.home}")
    failed: ForgeError | None = None
    with progress_bars(as_json) as progress:
        try:
            forge.run_job(job.id, progress=progress)
        except ForgeError as e:
            failed = e
    job = forge.job(job.id)
    if as_json:
        emit_json(
            {
                "job": job.to_dict(),
                "transitions": forge.job_transitions(job.id),
                "models": [m.to_dict() for m in forge.list_models()],
            }
        )
    else:
        _print_summary(forge, job)
    if failed is not None or job.state.value != "TESTS_PASSED":
        if failed is not None and not as_json:
            err_console.print(f"[red]error:[/red] {failed}", highlight=False)
        raise typer.Exit(1)


def _print_summary(forge: Any, job: Any) -> None:
    from forge.cli.display import print_models

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
        if (g.get("table") or {}).get("rows"):
            gt = Table(title="gate by role (weighted components)")
            for col in g["table"]["head"]:
                gt.add_column(col)
            for row in g["table"]["rows"]:
                gt.add_row(*row)
            console.print(gt)
        console.print(
            f"gate (every role ≥ {g.get('threshold')} and better than base): "
            + ("[green]passed[/green]" if g.get("passed") else f"[red]failed[/red] — {g.get('reason')}"),
            highlight=False,
        )
    print_models(forge.list_models())
    color = "green" if job.state.value == "TESTS_PASSED" else "red"
    seconds = res.get("seconds", (job.updated_at - job.created_at).total_seconds())
    console.print(
        f"job {job.id}: [{color}]{job.state.value}[/{color}]"
        + (f" — {job.error}" if job.error else "")
        + f" in {seconds:.1f} s"
    )
