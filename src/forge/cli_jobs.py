"""Job service commands: `forge worker`, `forge env init|status`, `forge job logs|cancel|resume`.

Registered from cli.py with `register_job_commands(app, job_app)`; `job list` / `job show`
stay in cli.py on the same `job_app`.
"""
from __future__ import annotations

import json
import sys
import time
from typing import Any, Optional

import typer

from forge.cli_common import JsonOpt, console, emit_json, err_console, guard, open_forge

env_app = typer.Typer(help="The operational state of this host (seed 000's environment gate).",
                      no_args_is_help=True)


# -- forge env ----------------------------------------------------------------------------------

@env_app.command("init")
def env_init(allow_cpu: bool = typer.Option(False, "--allow-cpu",
                                            help="Accept a host without a CUDA GPU (training on the CPU)."),
             as_json: bool = JsonOpt) -> None:
    """Check accelerator, disk and memory; record them; INACTIVE_UNSAFE → ACTIVE when all pass."""
    def body() -> None:
        from forge.governance import ACTIVE, init_environment
        from forge.service import default_actor
        record = init_environment(open_forge(), allow_cpu=allow_cpu, actor=default_actor())
        if as_json:
            emit_json(record)
        else:
            _print_env(record)
        if record["state"] != ACTIVE:
            if not as_json:
                for p in record["details"]["problems"]:
                    err_console.print(f"[red]error:[/red] {p}", highlight=False)
            raise typer.Exit(1)
    guard(body)


@env_app.command("status")
def env_status(as_json: bool = JsonOpt) -> None:
    """Show this host's operational state and what its last check found."""
    def body() -> None:
        from forge.governance import environment_state
        record = environment_state(open_forge())
        if as_json:
            return emit_json(record)
        _print_env(record)
    guard(body)


def _print_env(record: dict[str, Any]) -> None:
    color = "green" if record["state"] == "ACTIVE" else "red"
    console.print(f"host [bold]{record['host']}[/bold]: [{color}]{record['state']}[/{color}]"
                  + (f" (checked {record['at'][:19]} by {record['actor']})" if record.get("at") else
                     " (never checked: run `forge env init`)"))
    d = record.get("details") or {}
    if not d:
        return
    acc = d.get("accelerator", {})
    devices = ", ".join(f"{x['name']} ({x['free_bytes'] / 2**30:.1f} GiB free)" for x in acc.get("devices", []))
    console.print(f"  accelerator: {devices or 'CPU only'}" + (" — CPU allowed" if d.get("allow_cpu") else ""))
    console.print(f"  disk:        {d['disk']['free_bytes'] / 2**30:.1f} GiB free under {d['disk']['path']}")
    console.print(f"  memory:      {d['memory']['available_bytes'] / 2**30:.1f} GiB available")


# -- forge worker -------------------------------------------------------------------------------

def worker_command(
    once: bool = typer.Option(False, "--once", help="Run at most one job, then exit."),
    drain: bool = typer.Option(False, "--drain", help="Run jobs until the queue is empty, then exit."),
    worker_id: Optional[str] = typer.Option(None, "--id", help="Worker name (default: worker-HOST-PID-xxxx)."),
    poll: float = typer.Option(1.0, help="Seconds between looks at an empty queue."),
    idle_exit: Optional[float] = typer.Option(None, help="Exit after this many seconds with nothing to do."),
    as_json: bool = JsonOpt,
) -> None:
    """Take jobs from the database queue and run them here (crash-safe: leases + heartbeat)."""
    def body() -> None:
        from forge.jobs.worker import run_worker
        say = (lambda m: err_console.print(m, highlight=False)) if as_json else \
              (lambda m: console.print(m, highlight=False))
        done = run_worker(worker_id=worker_id, once=once, drain=drain, poll_s=poll,
                          idle_exit_s=idle_exit, say=say)
        if as_json:
            emit_json({"jobs": done})
    guard(body)


# -- forge job logs / cancel / resume ---------------------------------------------------------------

def job_logs(job_id: str = typer.Argument(..., help="Job id."),
             follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing until the job settles."),
             as_json: bool = typer.Option(False, "--json", help="One JSON object per event (JSON lines)."),
             poll: float = typer.Option(0.5, help="Seconds between looks for new events when following.")) -> None:
    """Print a job's progress events (step, loss, lr, ...) and log lines."""
    def body() -> None:
        from forge.jobs.state_machine import SETTLED
        forge = open_forge()
        forge.jobs.get(job_id)  # NotFound with a hint
        last = 0
        while True:
            state = forge.jobs.get(job_id).state  # read before the events: none can slip past
            for ev in forge.jobs.events(job_id, after_id=last):
                last = ev["id"]
                if as_json:
                    sys.stdout.write(json.dumps(ev, default=str) + "\n")
                else:
                    console.print(format_event(ev), highlight=False)
            sys.stdout.flush()
            if not follow or state in SETTLED:
                break
            time.sleep(poll)
        job = forge.jobs.get(job_id)
        reason = forge.jobs.transitions(job_id)[-1]["reason"]
        if as_json:
            sys.stdout.write(json.dumps({"kind": "state", "state": job.state.value, "error": job.error,
                                         "reason": reason}) + "\n")
        else:
            console.print(f"{job_id}: {job.state.value}" + (f" — {reason}" if reason else ""),
                          highlight=False)
    guard(body)


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
    def body() -> None:
        from forge.jobs.state_machine import JobState
        state = open_forge().cancel(job_id)
        at_once = state is JobState.CANCELLED
        if as_json:
            return emit_json({"job": job_id, "state": state.value, "cancel_requested": not at_once})
        console.print(f"{job_id}: CANCELLED" if at_once else
                      f"{job_id}: cancel requested; its worker stops it within one step "
                      f"(`forge job logs {job_id} --follow` to watch)", highlight=False)
    guard(body)


def job_resume(job_id: str = typer.Argument(..., help="A FAILED or CANCELLED job."),
               start_worker: bool = typer.Option(True, "--start-worker/--no-start-worker",
                                                 help="Start a background worker if none runs."),
               as_json: bool = JsonOpt) -> None:
    """Queue a failed or cancelled job again, continuing from its last checkpoint."""
    def body() -> None:
        forge = open_forge()
        new = forge.resume(job_id)
        ckpt = forge.checkpoint_dir(new.id)
        has_ckpt = any(ckpt.glob("checkpoint-*")) if ckpt.is_dir() else False
        worker = None
        if start_worker:
            from forge.jobs.worker import ensure_worker_running
            worker = ensure_worker_running(forge.settings)
        if as_json:
            return emit_json({"job": new.to_dict(), "resumed_from": job_id,
                              "checkpoint": str(ckpt) if has_ckpt else None, "worker": worker})
        console.print(f"{job_id} is terminal, so it continues as a new job [bold]{new.id}[/bold] "
                      f"(QUEUED, linked to {job_id} in its audit trail)", highlight=False)
        console.print(f"  training resumes from {ckpt}" if has_ckpt else
                      "  no checkpoint was saved: training restarts; finished stages are reused")
        if worker:
            console.print(f"  worker {worker['worker']['id']} "
                          + ("started" if worker["started"] else "already running"), highlight=False)
    guard(body)


def register_job_commands(app: typer.Typer, job_app: typer.Typer) -> None:
    app.command("worker")(worker_command)
    app.add_typer(env_app, name="env")
    job_app.command("logs")(job_logs)
    job_app.command("cancel")(job_cancel)
    job_app.command("resume")(job_resume)
