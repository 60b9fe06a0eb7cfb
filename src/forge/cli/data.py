"""`forge corpus ingest`, `forge scrub`, `forge dataset build|show`, `forge artifact list|verify`.

    forge corpus ingest PATH... [--format F] --out DIR   scrubbed corpus (+ manifest.json) in DIR
    forge scrub PATH [--out DIR]                         scrubbed copy of any files, findings by kind
    forge dataset build CORPUS [--role R] [--task T] [--min-success 0.9] --out DIR
    forge dataset show DIR                               counts, tokens, role x task, scrub report
    forge dataset check DIR --base MODEL [--template F]  round-trip fidelity of the rows on a chat template

Stages run in the Forge store (FORGE_HOME) as usual, so re-running is free and the artifact id
can be used later; `--out` gets a copy of the artifact folder, manifest included, which
`forge dataset build DIR` and `forge artifact verify DIR` accept. Nothing here prints a secret:
reports carry counts, paths and line numbers only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from forge.cli.common import JsonOpt, command, console, emit_json, err_console, open_forge, progress_bars
from forge.cli.display import by_table, counts_table
from forge.errors import InputError
from forge.service import FORMATS

corpus_app = typer.Typer(help="Read agent transcripts into a scrubbed corpus.", no_args_is_help=True)
dataset_app = typer.Typer(help="Build and inspect SFT/DPO datasets.", no_args_is_help=True)
artifact_app = typer.Typer(help="Artifacts and their manifests.", no_args_is_help=True)

MAX_WARNINGS_SHOWN = 50
SetOpt = typer.Option(
    [], "--set", help="Stage option, e.g. --set min_messages=3 or --set 'outcome_rules=[\"tests_failed\"]'"
)


def register(app: typer.Typer) -> None:
    command(corpus_app, "ingest")(corpus_ingest)
    command(dataset_app, "build")(dataset_build)
    command(dataset_app, "show")(dataset_show)
    command(dataset_app, "check")(dataset_check)
    command(artifact_app, "list")(artifact_list)
    command(artifact_app, "verify")(artifact_verify)
    command(app, "scrub")(scrub)
    app.add_typer(corpus_app, name="corpus")
    app.add_typer(dataset_app, name="dataset")
    app.add_typer(artifact_app, name="artifact")


def _options(overrides: list[str]) -> dict[str, Any]:
    from forge.service import apply_overrides

    return apply_overrides({}, overrides)


def _print_warnings(warnings: list[dict[str, Any]], total: int) -> None:
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        where = f"{w['path']}:{w['line']}" if w.get("line") else w["path"]
        err_console.print(f"[yellow]warning:[/yellow] {escape(where)}: {escape(w['reason'])}", highlight=False)
    if total > MAX_WARNINGS_SHOWN:
        err_console.print(f"[yellow]… {total - MAX_WARNINGS_SHOWN} more warnings[/yellow] (all are in report.json)")


# -- forge corpus ingest ------------------------------------------------------------------------


def corpus_ingest(
    paths: list[Path] | None = typer.Argument(
        None,
        help="Transcript files or folders, beads JSONL. None: the standard local session "
        "folders found on this machine (Claude Code, Codex, Gemini CLI, a Gas Town town's beads).",
    ),
    formats: list[str] = typer.Option(
        ["auto"], "--format", help="auto, " + ", ".join(FORMATS) + " (repeat for several)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for the scrubbed corpus and its manifest."),
    since: str | None = typer.Option(
        None, "--since", help="Only sessions started at or after this ISO date or time, e.g. 2026-09-01 (UTC)."
    ),
    until: str | None = typer.Option(None, "--until", help="Only sessions started before this ISO date or time."),
    scrub_rules: list[Path] = typer.Option(
        [],
        "--scrub-rules",
        help="Your own secret rules, scrubbed beside Forge's: a gitleaks config (.toml), Kingfisher rules (.yml) "
        "or a folder of them (repeat).",
    ),
    overrides: list[str] = SetOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Read transcripts, link outcomes, scrub secrets; write the corpus to --out."""
    from forge.service import discover_sessions
    from forge.service.data import copy_artifact

    if not paths:
        found = discover_sessions()
        err_console.print(escape(found.summary()), highlight=False)
        paths = found.paths()
        if not paths:
            raise InputError("no transcripts to read", hint="pass a file or folder: forge corpus ingest PATH --out DIR")
    forge = open_forge()
    with progress_bars() as progress:
        options = _options(overrides) | {k: v for k, v in (("since", since), ("until", until)) if v is not None}
        if scrub_rules:
            options["scrub_rules"] = [str(r.expanduser().resolve()) for r in scrub_rules]
        art = forge.ingest(list(paths), options=options, formats=formats, progress=progress)
    report = forge.corpus_report(art)
    ing, scrub_report = report["ingest"], report["scrub"]
    usable = ing["conversations"] + ing["work_items"]
    if usable:
        copy_artifact(art, out)
    summary = {
        "corpus": art.id,
        "out": str(out) if usable else None,
        "files": ing["files"],
        "files_by_reader": ing["files_by_reader"],
        "conversations": ing["conversations"],
        "messages": ing["messages"],
        "tool_calls": ing["tool_calls"],
        "work_items": ing["work_items"],
        "skipped_records": ing["skipped_records"],
        "skipped_conversations": ing["skipped_conversations"],
        "outcomes": ing["outcomes"],
        "outcome_coverage": ing.get("outcome_coverage", {}),
        "outcome_sources": ing.get("outcome_sources", {}),
        "by_format": ing.get("by_format", {}),
        "by_role": ing["by_role"],
        "by_task": ing["by_task"],
        "dropped": ing["dropped"],
        "scrub": {"total": scrub_report["total"], "by_kind": scrub_report["by_kind"]},
        "warning_count": ing["warning_count"],
        "warnings": ing["warnings"],
    }
    if as_json:
        emit_json(summary)
    else:
        _print_warnings(ing["warnings"], ing["warning_count"])
        console.print(
            counts_table(
                f"corpus {art.id}",
                [
                    ("files", ing["files"]),
                    ("conversations", ing["conversations"]),
                    ("messages", ing["messages"]),
                    ("tool calls", ing["tool_calls"]),
                    ("work items (beads)", ing["work_items"]),
                    ("skipped records", ing["skipped_records"]),
                    *((f"skipped conversations: {k}", v) for k, v in ing["skipped_conversations"].items()),
                    ("secrets replaced", scrub_report["total"]),
                ],
            )
        )
        if ing["outcomes"]:
            console.print(by_table("outcomes", ing["outcomes"]))
        print_outcome_coverage(ing.get("outcome_coverage") or {})
        if scrub_report["by_kind"]:
            console.print(by_table("secrets replaced, by kind", scrub_report["by_kind"]))
        if usable:
            console.print(f"corpus written to [bold]{out}[/bold]; next: forge dataset build {out} --out DIR")
    if not usable:
        raise InputError(
            f"nothing usable in the input: {ing['skipped_records']} bad records or files",
            hint="the warnings above name each file, line and problem",
        )


# -- forge scrub --------------------------------------------------------------------------------


def scrub(
    path: Path = typer.Argument(..., help="A file or a folder to scrub."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the scrubbed copy here (relative paths kept). Without it: report only."
    ),
    allow: list[str] = typer.Option([], "--allow", help="An exact string never to replace (repeat)."),
    rules: list[Path] = typer.Option(
        [],
        "--rules",
        help="Your own secret rules, run beside Forge's: a gitleaks config (.toml), Kingfisher rules (.yml) or a "
        "folder of them, repeatable.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Processes for many files. Default: one per CPU core; 1: this process only."
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="Go on with an interrupted run into the same --out folder: the files it finished are kept "
        "(and counted), the rest scrubbed.",
    ),
    keep_names: bool = typer.Option(
        False,
        "--keep-names",
        help="Keep file and folder names as they are. Default: what the scrubber finds in them (a user name "
        "in a Claude Code project folder, -Users-NAME-app) is replaced in the copies' paths and the report.",
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Find and replace secrets in any files; print findings by kind (never the secrets)."""
    from forge.service import scrub_files

    try:
        with progress_bars() as progress:
            report = scrub_files(
                path,
                out,
                allow,
                rules=[str(r) for r in rules],
                workers=workers,
                progress=progress,
                resume=resume,
                keep_names=keep_names,
            )
    except KeyboardInterrupt:
        if out is None:
            raise
        err_console.print(
            "[yellow]interrupted[/yellow]: the files finished are kept; "
            "run the same command with --resume to go on from there",
            highlight=False,
        )
        raise typer.Exit(130) from None
    if as_json:
        emit_json(report)
    else:
        for note in report.get("rule_notes") or []:
            err_console.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
        per_file = report["per_file"]
        for f in per_file:
            if f["status"] == "skipped":
                err_console.print(
                    f"[yellow]warning:[/yellow] {escape(f['path'])}: {escape(f['reason'] or '')}", highlight=False
                )
        console.print(
            counts_table(
                "scrub",
                [
                    ("files", report["files"]),
                    *report["by_status"].items(),
                    ("secrets found", report["findings"]),
                    ("MB", f"{report['bytes'] / 1e6:.1f}"),
                    ("seconds", f"{report['seconds']:.1f}"),
                    ("processes", report["workers"]),
                    *([("finished by the earlier run", report["resumed"])] if report["resumed"] else []),
                    ("rule engine", report["engine"]),
                ],
            )
        )
        if report["by_kind"]:
            console.print(by_table("findings by kind", report["by_kind"]))
            console.print(by_table("findings by engine", report["by_engine"]))
        changed = [f for f in per_file if f["findings"]]
        if changed:
            t = Table(title="files with findings")
            t.add_column("file")
            t.add_column("findings", justify="right")
            for f in changed[:MAX_WARNINGS_SHOWN]:
                t.add_row(escape(f["path"]), str(f["findings"]))
            console.print(t)
        console.print(
            f"scrubbed copy written to [bold]{out}[/bold]"
            if out
            else "report only: pass --out DIR to write a scrubbed copy"
        )
    if report["files"] and report["by_status"].get("skipped", 0) == report["files"]:
        raise InputError("no file could be scrubbed", path=str(path))


# -- forge dataset build / show -----------------------------------------------------------------


def dataset_build(
    corpus: str = typer.Argument(..., help="A corpus folder (from `forge corpus ingest --out`) or artifact id."),
    roles: list[str] = typer.Option([], "--role", help="Keep only this agent role (repeat)."),
    tasks: list[str] = typer.Option([], "--task", help="Keep only this task category (repeat)."),
    min_success: float | None = typer.Option(
        None,
        "--min-success",
        help="Curator: drop SFT rows from beads or role/task pools with a lower success rate (0..1).",
    ),
    base: str | None = typer.Option(
        None, "--base", help="Count tokens with this base model's tokenizer (alias, Hub id, path, or forge/tiny-llama)."
    ),
    out: Path = typer.Option(..., "--out", help="Folder for the dataset and its manifest."),
    require: str = typer.Option(
        "none",
        "--require",
        help="Fail, saying why, unless the dataset has the rows this method needs: sft | dpo | sft+dpo | none.",
    ),
    overrides: list[str] = SetOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Dedupe, curate, split and write SFT + DPO rows from a corpus."""
    from forge.service.data import copy_artifact

    options = _options(overrides)
    if roles:
        options["roles"] = roles
    if tasks:
        options["tasks"] = tasks
    if min_success is not None:
        options["min_success"] = min_success
    forge = open_forge()
    with progress_bars() as progress:
        dataset = forge.build_dataset(
            corpus, options=options, base=base, progress=progress, require=None if require == "none" else require
        )
    copy_artifact(dataset, out)
    stats = forge.dataset_stats(dataset)["stats"]
    if as_json:
        return emit_json({"dataset": dataset.id, "out": str(out), "stats": stats})
    print_dataset(dataset.id, stats)
    console.print(f"dataset written to [bold]{out}[/bold]")
    if not (stats["sft"]["train"] + stats["sft"]["eval"]):
        err_console.print(
            "[yellow]warning:[/yellow] no SFT rows: check the role/task filters, --min-success and the corpus outcomes"
        )


def dataset_show(
    ref: str = typer.Argument(..., help="A dataset folder (from `forge dataset build --out`) or artifact id."),
    as_json: bool = JsonOpt,
) -> None:
    """Counts, token statistics, role x task table and scrub report of a dataset."""
    from forge.service import dataset_stats

    info = dataset_stats(ref)
    if as_json:
        return emit_json({k: info[k] for k in ("dataset", "inputs", "config", "stats")})
    print_dataset(info["dataset"], info["stats"])


MAX_ROWS_SHOWN = 20


def dataset_check(
    ref: str = typer.Argument(..., help="A dataset folder (from `forge dataset build --out`) or artifact id."),
    base: str = typer.Option(..., "--base", help="Base model whose chat template to check (alias, Hub id, path)."),
    template: Path | None = typer.Option(
        None, "--template", help="Check this chat template (.jinja file) instead of the base's own."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Render every row with the base's chat template and read it back: what the template loses."""
    forge = open_forge()
    with progress_bars() as progress:
        report = forge.check_dataset(ref, base, template=str(template) if template else None, progress=progress)
    if as_json:
        return emit_json(report)
    console.print(
        f"dataset [bold]{escape(report['dataset'])}[/bold] on [bold]{escape(report['base'])}[/bold] "
        f"(template: {escape(report['template'])}, tool calls read as {report['format']})",
        highlight=False,
    )
    lossy = [r for r in report["per_row"] if not r["exact"]]
    for row in lossy[:MAX_ROWS_SHOWN]:
        what = "; ".join(
            f"{x['kind']}" + (f" (message {x['message']}" + (f": {x['detail']})" if x["detail"] else ")"))
            if x["message"] is not None
            else f"{x['kind']}" + (f" ({x['detail']})" if x["detail"] else "")
            for x in row["losses"][:4]
        )
        more = f" … {len(row['losses']) - 4} more" if len(row["losses"]) > 4 else ""
        console.print(f"  {escape(row['id'])}: {escape(what)}{more}", highlight=False)
    if len(lossy) > MAX_ROWS_SHOWN:
        console.print(f"  … {len(lossy) - MAX_ROWS_SHOWN} more rows with losses (--json lists all)")
    for kind, n in report["losses_by_kind"].items():
        console.print(f"{escape(kind)}: {n} rows", highlight=False)
    console.print(
        f"round-trip fidelity: {report['fidelity_percent']:.1f}% "
        f"({report['exact_rows']} of {report['rows']} rows exact)",
        highlight=False,
    )
    for line in report["next"]:
        console.print(f"next: {escape(line)}", highlight=False)


def print_dataset(aid: str, stats: dict[str, Any]) -> None:
    sft, dpo = stats["sft"], stats["dpo"]
    console.print(
        counts_table(
            f"dataset {aid}",
            [
                ("conversations in", stats.get("conversations_in", 0)),
                ("exact duplicates removed", stats.get("exact_duplicates", 0)),
                ("near duplicates removed", stats.get("near_duplicates", 0)),
                *((f"filtered: {k}", v) for k, v in (stats.get("filtered") or {}).items()),
                ("SFT rows train / eval", f"{sft['train']} / {sft['eval']}"),
                ("DPO pairs train / eval", f"{dpo['train']} / {dpo['eval']}"),
                *((f"DPO not paired: {k}", v) for k, v in (dpo.get("rejected") or {}).items()),
                ("SFT messages", stats.get("messages", 0)),
                ("SFT tool calls", stats.get("tool_calls", 0)),
                ("SFT characters", stats.get("chars", 0)),
            ],
        )
    )
    tokens = stats.get("tokens")
    if tokens:
        t = Table(title=f"tokens ({tokens.get('tokenizer')})")
        for col in ("rows", "total", "mean", "p50", "p95", "max"):
            t.add_column(col, justify="right")
        t.add_column("of", justify="left")
        for name in ("sft", "dpo_chosen", "dpo_rejected"):
            s = tokens.get(name) or {}
            t.add_row(*(str(s.get(c, 0)) for c in ("rows", "total", "mean", "p50", "p95", "max")), name)
        console.print(t)
    else:
        console.print("tokens: not counted (build with --base MODEL to count with its tokenizer)")
    console.print(_role_task_table(stats.get("by_role_task") or {}, stats.get("dpo_by_role_task") or {}))
    outcomes = stats.get("outcomes") or {}
    if outcomes:
        console.print(
            f"outcomes: {outcomes.get('labelled', 0)} of {outcomes.get('sessions', 0)} sessions "
            "labelled"
            + (
                " — " + ", ".join(f"{k} {v}" for k, v in (outcomes.get("by_source") or {}).items())
                if outcomes.get("by_source")
                else ""
            ),
            highlight=False,
        )
    unl = stats.get("unlabelled") or {}
    if unl.get("sessions"):
        console.print(
            f"unlabelled sessions ({unl.get('policy')}): {unl['sessions']} → {unl.get('rows', 0)} rows; "
            f"assistant turns learned {unl.get('turns_learned', 0)} of {unl.get('assistant_turns', 0)}, "
            f"weight 0: {unl.get('turns_zero_weight', 0)}, cut: {unl.get('turns_cut', 0)}",
            highlight=False,
        )
    corpus = stats.get("corpus") or {}
    scrub_report = corpus.get("scrub") or {}
    if scrub_report:
        console.print(
            f"scrub: {scrub_report.get('total', 0)} secrets replaced in "
            f"{scrub_report.get('conversations_with_findings', 0)} of "
            f"{scrub_report.get('conversations', 0)} conversations"
        )
        if scrub_report.get("by_kind"):
            console.print(by_table("secrets replaced, by kind", scrub_report["by_kind"]))


def print_outcome_coverage(coverage: dict[str, Any]) -> None:
    if not coverage.get("sessions"):
        return
    evidence = ", ".join(f"{k} {v}" for k, v in (coverage.get("by_evidence") or {}).items())
    console.print(
        f"outcome coverage: {coverage.get('labelled', 0)} of {coverage['sessions']} sessions labelled"
        + (f" (from {evidence})" if evidence else ""),
        highlight=False,
    )


def _role_task_table(sft: dict[str, int], dpo: dict[str, int]) -> Table:
    """Rows: roles; columns: tasks; cells: SFT rows / DPO pairs."""
    cells: dict[tuple[str, str], list[int]] = {}
    for i, table in enumerate((sft, dpo)):
        for key, n in table.items():
            role, _, task = key.partition("/")
            cells.setdefault((role, task), [0, 0])[i] += n
    roles = sorted({r for r, _ in cells})
    tasks = sorted({t for _, t in cells})
    t = Table(title="SFT rows / DPO pairs by role × task")
    t.add_column("role \\ task")
    for task in tasks:
        t.add_column(escape(task), justify="right")
    for role in roles:
        t.add_row(
            escape(role),
            *(("{} / {}".format(*cells[(role, task)]) if (role, task) in cells else "·") for task in tasks),
        )
    return t


# -- forge artifact list / verify -----------------------------------------------------------------


def artifact_list(as_json: bool = JsonOpt) -> None:
    """List artifacts in the store."""
    arts = open_forge().list_artifacts()
    if as_json:
        return emit_json(
            [
                {"id": a.id, "kind": a.kind, "path": str(a.path), "created_at": a.manifest.get("created_at")}
                for a in arts
            ]
        )
    t = Table()
    for col in ("ID", "KIND", "CREATED", "FILES"):
        t.add_column(col)
    for a in arts:
        t.add_row(a.id, a.kind, a.manifest.get("created_at", ""), str(len(a.manifest.get("files", {}))))
    console.print(t)


def artifact_verify(ref: str = typer.Argument(..., help="Artifact id or directory."), as_json: bool = JsonOpt) -> None:
    """Re-hash an artifact's files and compare them with its manifest."""
    art = open_forge().verify_artifact(ref)
    n = len(art.manifest.get("files", {}))
    if as_json:
        return emit_json({"id": art.id, "verified": True, "files": n})
    console.print(f"[green]ok[/green] {art.id}: {n} files match the manifest")
