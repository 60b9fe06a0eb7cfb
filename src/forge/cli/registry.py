"""`forge model ...`: the registry — list, show, adapters, deploy, rollback, history, prune,
provider-config, publish and pull; and `forge drift`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from forge.cli.common import JsonOpt, command, console, emit_json, open_forge
from forge.cli.display import pct, print_models

model_app = typer.Typer(help="The model registry: versions, lineage, adapters, deployments, Hub.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    command(model_app, "list")(model_list)
    command(model_app, "aliases")(model_aliases)
    command(model_app, "show")(model_show)
    command(model_app, "adapters")(model_adapters)
    command(model_app, "add-adapter")(model_add_adapter)
    command(model_app, "deploy")(model_deploy)
    command(model_app, "rollback")(model_rollback)
    command(model_app, "history")(model_history)
    command(model_app, "prune")(model_prune)
    command(model_app, "provider-config")(model_provider_config)
    command(model_app, "publish")(model_publish)
    command(model_app, "pull")(model_pull)
    command(app, "drift")(drift)
    app.add_typer(model_app, name="model")


def model_list(as_json: bool = JsonOpt) -> None:
    """List registered model versions: NAME ROLE BASE VER EVAL STATUS."""
    models = open_forge().list_models()
    if as_json:
        return emit_json([m.to_dict() for m in models])
    print_models(models)


def model_aliases(as_json: bool = JsonOpt) -> None:
    """Base-model aliases for --base: ALIAS HUB-ID 4-BIT-COPY TOOL-FORMAT SIZE."""
    from forge.service import base_model_aliases

    rows = base_model_aliases()
    if as_json:
        return emit_json(rows)
    t = Table(title="Base-model aliases (any Hub id or local model directory works too)")
    for col in ("alias", "Hub id", "4-bit copy (CUDA)", "tool calls", "size"):
        t.add_column(col)
    for r in rows:
        t.add_row(r["alias"], r["hub_id"], r["four_bit"] or "-", r["tool_format"], r["size"])
    console.print(t)


def model_show(
    name: str = typer.Argument(..., help="NAME-vN for one version, NAME for the latest."), as_json: bool = JsonOpt
) -> None:
    """Show a model version with its lineage: dataset, corpus, DPO pairs, hyperparameters,
    adapters, eval, deployments."""
    info = open_forge().lineage(name)
    if as_json:
        return emit_json(info)
    ev = info["eval"]
    n = info["corpus_conversations"]
    rows = [
        ("Name", info["name"]),
        ("Role", info["role"] or "-"),
        ("Base", info["base"]),
        ("LoRA", info["lora"] or "-"),
        ("Trained", info["trained"]),
        ("Corpus", f"{n:,} conversations" if isinstance(n, int) else "-"),
        ("Dataset", info["dataset_id"] or "-"),
        ("SFT rows", "-" if info["sft_rows"] is None else f"{info['sft_rows']:,}"),
        ("DPO pairs", "-" if info["dpo_pairs"] is None else f"{info['dpo_pairs']:,}"),
        ("Eval score", f"{pct(ev['score'])} (base {pct(ev['base_score'])})"),
        ("Adapters", ", ".join(info["adapters"]) or "-"),
        ("Deployed to", ", ".join(info["deployed_to"]) or "-"),
        ("Status", info["status"]),
        ("Job", info["job_id"] or "-"),
    ]
    for k, v in rows:
        console.print(f"[bold]{k + ':':<13}[/bold]{v}", highlight=False)
    hp = info["hyperparameters"]
    keys = ("learning_rate", "max_steps", "batch_size", "lora_r", "lora_alpha", "max_seq_length", "seed")
    shown = {k: hp[k] for k in keys if k in hp}
    if shown:
        console.print("[bold]Hyperparams:[/bold] " + ", ".join(f"{k}={v}" for k, v in shown.items()), highlight=False)
    cand = (ev.get("categories") or {}).get("candidate") or {}
    if cand:
        console.print(
            "[bold]Eval by category:[/bold] "
            + ", ".join(f"{c} {v.get('passed', 0)}/{v.get('total', 0)}" for c, v in sorted(cand.items())),
            highlight=False,
        )
    console.print("[bold]Lineage:[/bold]")
    for stage, aid in info["lineage"].items():
        console.print(f"  {stage:<15} {aid}", highlight=False)


def model_adapters(as_json: bool = JsonOpt) -> None:
    """List task adapters: NAME TASK VER COMPATIBLE WITH."""
    items = open_forge().list_adapters()
    if as_json:
        return emit_json([a.to_dict() for a in items])
    t = Table(title="task adapters")
    for col in ("NAME", "TASK", "VER", "COMPATIBLE WITH"):
        t.add_column(col, justify="right" if col == "VER" else "left")
    for a in items:
        t.add_row(a.name, a.task, str(a.version), ", ".join(a.compatible_with))
    console.print(t)


def model_add_adapter(
    name: str = typer.Argument(..., help="Adapter name, e.g. bead-create."),
    task: str = typer.Option(..., help="The task it specialises in, e.g. 'bead mgmt'."),
    artifact: str = typer.Option(..., help="The adapter artifact id (forge artifact list)."),
    compatible: list[str] = typer.Option([], "--compatible-with", help="A model version it stacks on (repeatable)."),
    as_json: bool = JsonOpt,
) -> None:
    """Register a trained adapter artifact as a task adapter (versions auto-increment)."""
    a = open_forge().register_adapter(name, task=task, artifact_id=artifact, compatible_with=compatible)
    if as_json:
        return emit_json(a.to_dict())
    console.print(f"registered adapter [bold]{a.name}[/bold] v{a.version} ({a.task})")


def model_deploy(
    name: str = typer.Argument(..., help="NAME-vN or NAME (latest)."),
    to: str = typer.Option(..., "--to", help="A role (deacon, witness, polecat, crew, mayor) or a rig."),
    as_json: bool = JsonOpt,
) -> None:
    """Deploy a model version to a target. Roles follow the rollout order, each gated on its eval."""
    d = open_forge().deploy(name, to)
    if as_json:
        return emit_json(d.to_dict())
    was = f" (was {d.previous})" if d.previous else ""
    console.print(f"[green]deployed[/green] {d.model} → {d.target}{was}: {d.reason}", highlight=False)


def model_rollback(
    target: str = typer.Argument(..., help="The target to point back at its previous version."), as_json: bool = JsonOpt
) -> None:
    """Point a target back at the version it ran before."""
    d = open_forge().rollback(target)
    if as_json:
        return emit_json(d.to_dict())
    console.print(f"[yellow]rolled back[/yellow] {d.target} → {d.model} ({d.reason})", highlight=False)


def model_history(target: str | None = typer.Argument(None, help="Only this target."), as_json: bool = JsonOpt) -> None:
    """Deployment history: every deploy and rollback, oldest first."""
    rows = open_forge().deployment_history(target)
    if as_json:
        return emit_json([d.to_dict() for d in rows])
    t = Table(title="deployments")
    for col in ("AT", "TARGET", "ACTION", "MODEL", "PREVIOUS", "ACTOR", "REASON"):
        t.add_column(col)
    for d in rows:
        t.add_row(d.at.isoformat()[:19], d.target, d.action, d.model, d.previous or "-", d.actor, d.reason or "")
    console.print(t)


def model_prune(
    keep: int = typer.Option(3, help="Versions to keep per model name."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would go."),
    keep_artifacts: bool = typer.Option(
        False, "--keep-artifacts", help="Leave the pruned versions' weights in the store."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Remove old versions (never one that is deployed) and the model weights only they used."""
    out = open_forge().prune(keep, dry_run=dry_run, artifacts=not keep_artifacts)
    if as_json:
        return emit_json(out)
    verb = "would remove" if dry_run else "removed"
    removed, arts = out["removed"], out["artifacts"]
    console.print(f"{verb} {len(removed)} version(s)" + (": " + ", ".join(removed) if removed else ""))
    if arts:
        mb = sum(a["bytes"] for a in arts) / 1e6
        console.print(
            f"{verb} {len(arts)} artifact(s), {mb:.1f} MB: " + ", ".join(a["id"] for a in arts), highlight=False
        )


def model_provider_config(
    target: str = typer.Argument(..., help="A deployed target (role or rig)."),
    engine: str | None = typer.Option(
        None, "--engine", help="vllm | llama.cpp | ollama | hf: add that engine's launch command and endpoint."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="The port the launch command serves on."),
    as_json: bool = typer.Option(
        True, "--json", help="Accepted for symmetry: the entry is always JSON (it is pasted into settings)."
    ),
) -> None:
    """Print the Gas Town town-settings agent entry (command, args, role_agents) for the model
    deployed to TARGET; with --engine, the command that launches it on that engine too."""
    emit_json(open_forge().provider_config(target, engine, port))


def model_publish(
    name: str = typer.Argument(..., help="NAME-vN or NAME (latest)."),
    repo: str = typer.Option(..., "--repo", help="Hub repository, ORG/NAME."),
    private: bool = typer.Option(False, "--private", help="Create the repository private."),
    as_json: bool = JsonOpt,
) -> None:
    """Publish a version to the Hugging Face Hub (only after its job reached TESTS_PASSED)."""
    out = open_forge().publish(name, repo, private=private)
    if as_json:
        return emit_json(out)
    console.print(
        f"[green]published[/green] {out['model']} → {out['url']} "
        f"({out['files']} files, {'private' if private else 'public'})",
        highlight=False,
    )


def model_pull(
    repo: str = typer.Argument(..., help="Hub repository, ORG/NAME."),
    revision: str | None = typer.Option(None, help="Branch, tag or commit."),
    dest: Path | None = typer.Option(None, help="Where to put it (default: FORGE_HOME/hub/ORG/NAME)."),
    as_json: bool = JsonOpt,
) -> None:
    """Download a published model and verify the SHA-256 of every file against its manifest."""
    out = open_forge().pull(repo, revision=revision, dest=dest)
    if as_json:
        return emit_json(out)
    console.print(f"[green]verified[/green] {out['files']} files of {repo} at {out['path']}", highlight=False)


def drift(
    name: str = typer.Argument(..., help="NAME-vN or NAME (latest)."),
    threshold: float = typer.Option(0.2, help="Drift at or above this is stale."),
    retrain: bool = typer.Option(
        False, "--retrain", help="Queue a retrain job (the model's original config) when stale."
    ),
    authorization: str | None = typer.Option(None, "--auth", help="Bead or ticket id for the retrain job."),
    as_json: bool = JsonOpt,
) -> None:
    """Compare the convention files (CLAUDE.md, AGENTS.md, *.formula.toml) in a model's corpus
    with today's: print a drift score, and with --retrain queue a retrain."""
    report = open_forge().drift(name, threshold=threshold, retrain=retrain, authorization=authorization)
    if as_json:
        return emit_json(report)
    c = report["counts"]
    color = "red" if report["stale"] else "green"
    console.print(
        f"{report['model']}: drift [{color}]{report['drift']:.1%}[/{color}] "
        f"(threshold {threshold:.0%}) — {c['changed']} changed, {c['added']} added, "
        f"{c['removed']} removed, {c['unchanged']} unchanged",
        highlight=False,
    )
    if report["note"]:
        console.print(f"note: {report['note']}")
    changed = [r for r in report["files"] if r["status"] != "unchanged"]
    if changed:
        t = Table()
        for col in ("STATUS", "FILE", "BYTES THEN", "BYTES NOW"):
            t.add_column(col)
        for r in changed:
            t.add_row(r["status"], r["path"], str(r["bytes_then"]), str(r["bytes_now"]))
        console.print(t)
    if "retrain_job" in report:
        console.print(f"queued retrain job [bold]{report['retrain_job']}[/bold] (a `forge worker` runs it)")
    elif retrain:
        console.print("not stale: no retrain queued")
