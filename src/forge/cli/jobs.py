"""`forge job list|show|logs|cancel|resume`, `forge worker`, `forge env init|status`."""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import typer
from rich.table import Table

from forge.cli.common import JsonOpt, command, console, emit_json, err_console, open_forge, say_on

job_app = typer.Typer(help="Jobs: state, audit trail, progress, cancel, resume.", no_args_is_help=True)
env_app = typer.Typer(
    help="The operational state of this host: jobs start only on an ACTIVE host.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    command(job_app, "list")(job_list)
    command(job_app, "show")(job_show)
    command(job_app, "logs")(job_logs)
    command(job_app, "cancel")(job_cancel)
    command(job_app, "resume")(job_resume)
    command(env_app, "init")(env_init)
    command(env_app, "status")(env_status)
    command(app, "worker")(worker)
    app.add_typer(job_app, name="job")
    app.add_typer(env_app, name="env")


def job_list(as_json: bool = JsonOpt, limit: int = typer.Option(50, help="Most recent N jobs.")) -> None:
    """List jobs, newest first."""
    jobs = open_forge().list_jobs(limit)
    if as_json:
        return emit_json([j.to_dict() for j in jobs])
    t = Table()
    for col in ("ID", "KIND", "STATE", "AUTH", "CREATED", "MODEL / ERROR"):
        t.add_column(col)
    for j in jobs:
        tail = (j.result or {}).get("model") or (j.error or "")[:60]
        t.add_row(j.id, j.kind, j.state.value, j.authorization, j.created_at.strftime("%Y-%m-%d %H:%M"), tail)
    console.print(t)


def job_show(job_id: str, as_json: bool = JsonOpt) -> None:
    """Show one job: state, audit trail, stage artifacts, scores."""
    forge = open_forge()
    job = forge.job(job_id)
    trail = forge.job_transitions(job_id)
    if as_json:
        return emit_json({**job.to_dict(), "transitions": trail})
    console.print(
        f"[bold]{job.id}[/bold]  {job.kind}  state [bold]{job.state.value}[/bold]  authorization {job.authorization}"
    )
    if job.error:
        console.print(f"[red]error:[/red] {job.error}", highlight=False, soft_wrap=True)
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


def job_logs(
    job_id: str = typer.Argument(..., help="Job id."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job settles."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event (JSON lines)."),
    poll: float = typer.Option(0.5, help="Seconds between looks for new events when following."),
) -> None:
    """Print a job's progress events (step, loss, lr, ...) and log lines."""
    from forge.service import SETTLED

    forge = open_forge()
    forge.job(job_id)  # NotFound with a hint
    last = 0
    while True:
        state = forge.job(job_id).state  # read before the events: none can slip past
        for ev in forge.job_events(job_id, after_id=last):
            last = ev["id"]
            if as_json:
                sys.stdout.write(json.dumps(ev, default=str) + "\n")
            else:
                console.print(format_event(ev), highlight=False)
        sys.stdout.flush()
        if not follow or state in SETTLED:
            break
        time.sleep(poll)
    job = forge.job(job_id)
    reason = forge.job_transitions(job_id)[-1]["reason"]
    if as_json:
        sys.stdout.write(
            json.dumps({"kind": "state", "state": job.state.value, "error": job.error, "reason": reason}) + "\n"
        )
    else:
        console.print(f"{job_id}: {job.state.value}" + (f" — {reason}" if reason else ""), highlight=False)


def format_event(ev: dict[str, Any]) -> str:
    at = ev["at"][11:19]
    if ev["kind"] == "log":
        return f"{at} {ev.get('message', '')}"
    if ev["kind"] == "progress":
        parts = [f"{ev.get('stage')} {ev.get('step')}/{ev.get('total') or '?'}"]
        for key in ("loss", "lr", "learning_rate", "tokens_per_second", "epoch"):
            if key in ev:
                v = ev[key]
                parts.append(f"{key}={v:.4g}" if isinstance(v, float) else f"{key}={v}")
        return f"{at} " + "  ".join(parts)
    if ev["kind"] == "stage":
        return f"{at} {ev.get('stage')}: {ev.get('status')}"
    rest = {k: v for k, v in ev.items() if k not in ("id", "at", "kind")}
    return f"{at} {ev['kind']}: {json.dumps(rest, default=str)[:200]}"


def job_cancel(job_id: str = typer.Argument(..., help="Job id."), as_json: bool = JsonOpt) -> None:
    """Cancel a job: a queued one at once, a running one within one training step."""
    state = open_forge().cancel(job_id)
    at_once = state.value == "CANCELLED"
    if as_json:
        return emit_json({"job": job_id, "state": state.value, "cancel_requested": not at_once})
    console.print(
        f"{job_id}: CANCELLED"
        if at_once
        else f"{job_id}: cancel requested; its worker stops it within one step "
        f"(`forge job logs {job_id} --follow` to watch)",
        highlight=False,
    )


def job_resume(
    job_id: str = typer.Argument(..., help="A FAILED or CANCELLED job."),
    start_worker: bool = typer.Option(
        True, "--start-worker/--no-start-worker", help="Start a background worker if none runs."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Queue a failed or cancelled job again, continuing from its last checkpoint."""
    forge = open_forge()
    new = forge.resume(job_id)
    ckpt = forge.checkpoint_dir(new.id)
    has_ckpt = forge.has_checkpoint(new.id)
    worker = forge.start_worker() if start_worker else None
    if as_json:
        return emit_json(
            {
                "job": new.to_dict(),
                "resumed_from": job_id,
                "checkpoint": str(ckpt) if has_ckpt else None,
                "worker": worker,
            }
        )
    console.print(
        f"{job_id} is terminal, so it continues as a new job [bold]{new.id}[/bold] "
        f"(QUEUED, linked to {job_id} in its audit trail)",
        highlight=False,
    )
    console.print(
        f"  training resumes from {ckpt}"
        if has_ckpt
        else "  no checkpoint was saved: training restarts; finished stages are reused"
    )
    if worker:
        console.print(
            f"  worker {worker['worker']['id']} " + ("started" if worker["started"] else "already running"),
            highlight=False,
        )


def worker(
    once: bool = typer.Option(False, "--once", help="Run at most one job, then exit."),
    drain: bool = typer.Option(False, "--drain", help="Run jobs until the queue is empty, then exit."),
    worker_id: str | None = typer.Option(None, "--id", help="Worker name (default: worker-HOST-PID-xxxx)."),
    poll: float = typer.Option(1.0, help="Seconds between looks at an empty queue."),
    idle_exit: float | None = typer.Option(None, help="Exit after this many seconds with nothing to do."),
    as_json: bool = JsonOpt,
) -> None:
    """Take jobs from the database queue and run them here (crash-safe: leases + heartbeat)."""
    done = open_forge().run_worker(
        worker_id=worker_id, once=once, drain=drain, poll_s=poll, idle_exit_s=idle_exit, say=say_on(as_json)
    )
    if as_json:
        emit_json({"jobs": done})


def env_init(
    allow_cpu: bool = typer.Option(
        False, "--allow-cpu", help="Accept a host without a CUDA GPU (training on the CPU)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Check accelerator, disk and memory; record them; INACTIVE_UNSAFE → ACTIVE when all pass."""
    record = open_forge().init_environment(allow_cpu=allow_cpu)
    if as_json:
        emit_json(record)
    else:
        _print_env(record)
    if record["state"] != "ACTIVE":
        if not as_json:
            for p in record["details"]["problems"]:
                err_console.print(f"[red]error:[/red] {p}", highlight=False)
        raise typer.Exit(1)


def env_status(as_json: bool = JsonOpt) -> None:
    """Show this host's operational state and what its last check found."""
    record = open_forge().environment_state()
    if as_json:
        return emit_json(record)
    _print_env(record)


def _print_env(record: dict[str, Any]) -> None:
    color = "green" if record["state"] == "ACTIVE" else "red"
    console.print(
        f"host [bold]{record['host']}[/bold]: [{color}]{record['state']}[/{color}]"
        + (
            f" (checked {record['at'][:19]} by {record['actor']})"
            if record.get("at")
            else " (never checked: run `forge env init`)"
        )
    )
    d = record.get("details") or {}
    if not d:
        return
    acc = d.get("accelerator", {})
    devices = ", ".join(f"{x['name']} ({x['free_bytes'] / 2**30:.1f} GiB free)" for x in acc.get("devices", []))
    console.print(f"  accelerator: {devices or 'CPU only'}" + (" — CPU allowed" if d.get("allow_cpu") else ""))
    console.print(f"  disk:        {d['disk']['free_bytes'] / 2**30:.1f} GiB free under {d['disk']['path']}")
    console.print(f"  memory:      {d['memory']['available_bytes'] / 2**30:.1f} GiB available")
