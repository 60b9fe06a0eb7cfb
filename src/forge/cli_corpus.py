"""`forge corpus ingest`, `forge scrub`, `forge dataset build|show`: the corpus pipeline by hand.

    forge corpus ingest PATH... [--format F] --out DIR   scrubbed corpus (+ manifest.json) in DIR
    forge scrub PATH [--out DIR]                         scrubbed copy of any files, findings by kind
    forge dataset build CORPUS [--role R] [--task T] [--min-success 0.9] --out DIR
    forge dataset show DIR                               counts, tokens, role x task, scrub report

Stages run in the Forge store (FORGE_HOME) as usual, so re-running is free and the artifact id
can be used later; `--out` gets a copy of the artifact folder, manifest included, which
`forge dataset build DIR` and `forge artifact verify DIR` accept. Nothing here prints a secret:
reports carry counts, paths and line numbers only.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from forge.cli_common import JsonOpt, console, emit_json, err_console, guard, open_forge
from forge.errors import InputError

corpus_app = typer.Typer(help="Read agent transcripts into a scrubbed corpus.", no_args_is_help=True)
dataset_app = typer.Typer(help="Build and inspect SFT/DPO datasets.", no_args_is_help=True)

# CLI format names -> reader names
FORMATS = {"claude-code": "claude_code", "codex": "codex", "openhands": "openhands",
           "swe-agent": "swe_agent", "openai": "openai_chat", "sharegpt": "sharegpt",
           "aider": "aider", "beads": "beads", "files": "context_files"}
MAX_WARNINGS_SHOWN = 50
SetOpt = typer.Option([], "--set", help="Stage option, e.g. --set min_messages=3 "
                                        "or --set 'outcome_rules=[\"tests_failed\"]'")


def _readers_for(formats: list[str]) -> list[str]:
    names = []
    for f in formats:
        if f == "auto":
            return []
        if f not in FORMATS:
            raise InputError(f"unknown format {f!r}",
                             hint="one of: auto, " + ", ".join(FORMATS))
        names.append(FORMATS[f])
    return names


def export_artifact(art: Any, out: Path) -> Path:
    """Copy an artifact folder (manifest included) to `out`; replaces an earlier export there."""
    out = Path(out)
    if out.exists():
        if not out.is_dir():
            raise InputError("--out exists and is not a folder", path=str(out))
        manifest = out / "manifest.json"
        if any(out.iterdir()) and not manifest.is_file():
            raise InputError("--out folder exists, is not empty and holds no Forge artifact",
                             path=str(out), hint="pass a new or empty folder")
        if manifest.is_file():
            try:
                kind = json.loads(manifest.read_text()).get("kind")
            except ValueError:
                kind = None
            if kind != art.kind:  # never replace a corpus with its own dataset
                raise InputError(f"--out folder holds a {kind or 'foreign'} artifact, not a {art.kind}",
                                 path=str(out), hint="pass a new or empty folder")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(art.path, tmp)
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def _progress():
    """Progress bars on stderr, so --json output on stdout stays clean."""
    from forge.cli_progress import RichProgress
    return RichProgress(err_console)


def _print_warnings(warnings: list[dict[str, Any]], total: int) -> None:
    for w in warnings[:MAX_WARNINGS_SHOWN]:
        where = f"{w['path']}:{w['line']}" if w.get("line") else w["path"]
        err_console.print(f"[yellow]warning:[/yellow] {escape(where)}: {escape(w['reason'])}", highlight=False)
    if total > MAX_WARNINGS_SHOWN:
        err_console.print(f"[yellow]… {total - MAX_WARNINGS_SHOWN} more warnings[/yellow] "
                          "(all are in report.json)")


def _counts_table(title: str, rows: list[tuple[str, Any]]) -> Table:
    t = Table(title=title, show_header=False)
    t.add_column("what")
    t.add_column("count", justify="right")
    for k, v in rows:
        t.add_row(k, str(v))
    return t


def _by_table(title: str, data: dict[str, int]) -> Table:
    t = Table(title=title)
    t.add_column("name")
    t.add_column("count", justify="right")
    for k, v in sorted(data.items(), key=lambda kv: (-kv[1], kv[0])):
        t.add_row(escape(k), str(v))
    return t


# -- forge corpus ingest ------------------------------------------------------------------------

@corpus_app.command("ingest")
def corpus_ingest(
    paths: list[Path] = typer.Argument(..., help="Transcript files or folders, beads issues.jsonl."),
    formats: list[str] = typer.Option(["auto"], "--format", help="auto, " + ", ".join(FORMATS)
                                      + " (repeat for several)."),
    out: Path = typer.Option(..., "--out", help="Folder for the scrubbed corpus and its manifest."),
    overrides: list[str] = SetOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Read transcripts, link outcomes, scrub secrets; write the corpus to --out."""
    def body() -> None:
        from forge.config import apply_overrides, parse_config
        from forge.ingest.stage import IngestConfig, run_ingest
        cfg_dict = apply_overrides({}, overrides)
        readers = _readers_for(formats)
        if readers:
            cfg_dict["readers"] = readers
        config = parse_config(IngestConfig, cfg_dict, source="ingest options")
        forge = open_forge()
        with _progress() as progress:
            art = run_ingest(forge.store, list(paths), config, progress)
        report = json.loads(art.file("report.json").read_text())
        ing, scrub = report["ingest"], report["scrub"]
        usable = ing["conversations"] + ing["work_items"]
        if usable:
            export_artifact(art, out)
        summary = {"corpus": art.id, "out": str(out) if usable else None,
                   "files": ing["files"], "files_by_reader": ing["files_by_reader"],
                   "conversations": ing["conversations"], "messages": ing["messages"],
                   "tool_calls": ing["tool_calls"], "work_items": ing["work_items"],
                   "skipped_records": ing["skipped_records"],
                   "skipped_conversations": ing["skipped_conversations"],
                   "outcomes": ing["outcomes"], "by_role": ing["by_role"], "by_task": ing["by_task"],
                   "dropped": ing["dropped"],
                   "scrub": {"total": scrub["total"], "by_kind": scrub["by_kind"]},
                   "warning_count": ing["warning_count"], "warnings": ing["warnings"]}
        if as_json:
            emit_json(summary)
        else:
            _print_warnings(ing["warnings"], ing["warning_count"])
            console.print(_counts_table(f"corpus {art.id}", [
                ("files", ing["files"]), ("conversations", ing["conversations"]),
                ("messages", ing["messages"]), ("tool calls", ing["tool_calls"]),
                ("work items (beads)", ing["work_items"]),
                ("skipped records", ing["skipped_records"]),
                *((f"skipped conversations: {k}", v) for k, v in ing["skipped_conversations"].items()),
                ("secrets replaced", scrub["total"])]))
            if ing["outcomes"]:
                console.print(_by_table("outcomes", ing["outcomes"]))
            if scrub["by_kind"]:
                console.print(_by_table("secrets replaced, by kind", scrub["by_kind"]))
            if usable:
                console.print(f"corpus written to [bold]{out}[/bold]; next: forge dataset build {out} --out DIR")
        if not usable:
            raise InputError(f"nothing usable in the input: {ing['skipped_records']} bad records or files",
                             hint="the warnings above name each file, line and problem")
    guard(body)


# -- forge scrub --------------------------------------------------------------------------------

def scrub_command(
    path: Path = typer.Argument(..., help="A file or a folder to scrub."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write the scrubbed copy here (relative "
                                                            "paths kept). Without it: report only."),
    allow: list[str] = typer.Option([], "--allow", help="An exact string never to replace (repeat)."),
    as_json: bool = JsonOpt,
) -> None:
    """Find and replace secrets in any files; print findings by kind (never the secrets)."""
    def body() -> None:
        from forge.scrub import Scrubber
        from forge.scrub.files import scrub_path
        scrubber = Scrubber(allowlist=allow)
        files = scrub_path(path, out, scrubber)
        report = files.to_dict(scrubber.report())
        report["out"] = str(out) if out else None
        if as_json:
            emit_json(report)
        else:
            for f in files.files:
                if f.status == "skipped":
                    err_console.print(f"[yellow]warning:[/yellow] {escape(f.path)}: {escape(f.reason or '')}",
                                      highlight=False)
            console.print(_counts_table("scrub", [
                ("files", report["files"]), *report["by_status"].items(),
                ("secrets found", report["findings"])]))
            if report["by_kind"]:
                console.print(_by_table("findings by kind", report["by_kind"]))
            changed = [f for f in files.files if f.findings]
            if changed:
                t = Table(title="files with findings")
                t.add_column("file")
                t.add_column("findings", justify="right")
                for f in changed[:MAX_WARNINGS_SHOWN]:
                    t.add_row(escape(f.path), str(f.findings))
                console.print(t)
            console.print(f"scrubbed copy written to [bold]{out}[/bold]" if out
                          else "report only: pass --out DIR to write a scrubbed copy")
        if report["files"] and report["by_status"].get("skipped", 0) == report["files"]:
            raise InputError("no file could be scrubbed", path=str(path))
    guard(body)


# -- forge dataset build / show -----------------------------------------------------------------

def _load_artifact(forge: Any, ref: str, kind: str) -> Any:
    from forge.artifacts import Artifact
    art = Artifact.load(Path(ref)) if Path(ref).is_dir() else forge.store.get(ref)
    if art.kind != kind:
        raise InputError(f"{ref} is a {art.kind} artifact; this command needs a {kind}")
    return art


@dataset_app.command("build")
def dataset_build(
    corpus: str = typer.Argument(..., help="A corpus folder (from `forge corpus ingest --out`) or artifact id."),
    roles: list[str] = typer.Option([], "--role", help="Keep only this agent role (repeat)."),
    tasks: list[str] = typer.Option([], "--task", help="Keep only this task category (repeat)."),
    min_success: Optional[float] = typer.Option(None, "--min-success",
                                                help="Curator: drop SFT rows from beads or role/task "
                                                     "pools with a lower success rate (0..1)."),
    base: Optional[str] = typer.Option(None, "--base", help="Count tokens with this base model's "
                                                             "tokenizer (HF id, path, or forge/tiny-llama)."),
    out: Path = typer.Option(..., "--out", help="Folder for the dataset and its manifest."),
    overrides: list[str] = SetOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Dedupe, curate, split and write SFT + DPO rows from a corpus."""
    def body() -> None:
        from forge.build.config import BuildConfig
        from forge.build.stage import run_build
        from forge.config import apply_overrides, parse_config
        cfg = apply_overrides({}, overrides)
        if roles:
            cfg["roles"] = roles
        if tasks:
            cfg["tasks"] = tasks
        if min_success is not None:
            cfg["min_success"] = min_success
        config = parse_config(BuildConfig, cfg, source="build options")
        forge = open_forge()
        art = _load_artifact(forge, corpus, "corpus")
        with _progress() as progress:
            counter = _token_counter(forge, base, progress) if base else None
            dataset = run_build(forge.store, art, config, progress, tokenizer=counter)
        export_artifact(dataset, out)
        stats = json.loads(dataset.file("stats.json").read_text())
        if as_json:
            return emit_json({"dataset": dataset.id, "out": str(out), "stats": stats})
        _print_dataset(dataset.id, stats)
        console.print(f"dataset written to [bold]{out}[/bold]")
        if not (stats["sft"]["train"] + stats["sft"]["eval"]):
            err_console.print("[yellow]warning:[/yellow] no SFT rows: check the role/task filters, "
                              "--min-success and the corpus outcomes")
    guard(body)


def _token_counter(forge: Any, base: str, progress: Any) -> Any:
    from transformers import AutoTokenizer

    from forge.build import chat_token_counter
    from forge.models.base import resolve_base
    resolved = resolve_base(base, forge.settings, progress)
    return chat_token_counter(AutoTokenizer.from_pretrained(resolved.location), name=resolved.identity)


@dataset_app.command("show")
def dataset_show(
    ref: str = typer.Argument(..., help="A dataset folder (from `forge dataset build --out`) or artifact id."),
    as_json: bool = JsonOpt,
) -> None:
    """Counts, token statistics, role x task table and scrub report of a dataset."""
    def body() -> None:
        forge = open_forge() if not Path(ref).is_dir() else None
        art = _load_artifact(forge, ref, "dataset")
        stats_path = art.file("stats.json")
        if not stats_path.is_file():
            raise InputError("dataset has no stats.json", path=str(art.path))
        stats = json.loads(stats_path.read_text())
        if as_json:
            return emit_json({"dataset": art.id, "inputs": art.manifest.get("inputs", []),
                              "config": art.config, "stats": stats})
        _print_dataset(art.id, stats)
    guard(body)


def _print_dataset(aid: str, stats: dict[str, Any]) -> None:
    sft, dpo = stats["sft"], stats["dpo"]
    console.print(_counts_table(f"dataset {aid}", [
        ("conversations in", stats.get("conversations_in", 0)),
        ("exact duplicates removed", stats.get("exact_duplicates", 0)),
        ("near duplicates removed", stats.get("near_duplicates", 0)),
        *((f"filtered: {k}", v) for k, v in (stats.get("filtered") or {}).items()),
        ("SFT rows train / eval", f"{sft['train']} / {sft['eval']}"),
        ("DPO pairs train / eval", f"{dpo['train']} / {dpo['eval']}"),
        *((f"DPO not paired: {k}", v) for k, v in (dpo.get("rejected") or {}).items()),
        ("SFT messages", stats.get("messages", 0)), ("SFT tool calls", stats.get("tool_calls", 0)),
        ("SFT characters", stats.get("chars", 0))]))
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
    corpus = stats.get("corpus") or {}
    scrub = corpus.get("scrub") or {}
    if scrub:
        console.print(f"scrub: {scrub.get('total', 0)} secrets replaced in "
                      f"{scrub.get('conversations_with_findings', 0)} of {scrub.get('conversations', 0)} "
                      "conversations")
        if scrub.get("by_kind"):
            console.print(_by_table("secrets replaced, by kind", scrub["by_kind"]))


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
        t.add_row(escape(role), *(("{} / {}".format(*cells[(role, task)]) if (role, task) in cells else "·")
                          for task in tasks))
    return t
