"""Jobs and the host they run on: submit, run, follow, cancel, resume; environment gate; workers."""

from __future__ import annotations

import getpass
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from forge.errors import ForgeError, IllegalTransition
from forge.jobs.state_machine import ACTIVE, SETTLED, JobState
from forge.jobs.store import Job
from forge.progress import NULL_PROGRESS, Progress
from forge.service.base import ForgeHome

if TYPE_CHECKING:
    from forge.service.facade import Forge


def default_actor() -> str:
    try:
        return os.environ.get("FORGE_ACTOR") or f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _say_nothing(_message: str) -> None:
    pass


class JobsAPI(ForgeHome):
    # -- submitting -------------------------------------------------------------------------
    def submit(self, kind: str, config: dict[str, Any], *, actor: str | None = None) -> Job:
        """Validate `config` with the kind's own validator and queue the job. Every config
        carries an `authorization` (bead or ticket id); the store refuses a job without one."""
        from forge.jobs.kinds import job_kind

        normalized = job_kind(kind).validate(config)
        return self.jobs.create(
            kind, normalized, authorization=str(normalized.get("authorization") or ""), actor=actor or default_actor()
        )

    def submit_pipeline(
        self, config: dict[str, Any], *, actor: str | None = None, init_environment: Callable[[str], None] | None = None
    ) -> Job:
        """Queue a pipeline job. `init_environment`: a foreground run initialises an
        uninitialised host itself (CPU allowed) and says so through this callback."""
        from forge.pipeline import validate_pipeline_config

        ingest = config.get("ingest")
        if isinstance(ingest, dict) and isinstance(ingest.get("scrub_rules"), list):
            # rule files mean what they meant where the job was queued, whatever folder runs it
            rules = [str(Path(r).expanduser().resolve()) if isinstance(r, str) else r for r in ingest["scrub_rules"]]
            config = {**config, "ingest": {**ingest, "scrub_rules": rules}}
        validate_pipeline_config(config)  # a typo is reported before anything else happens
        if init_environment is not None:
            self.ensure_environment(init_environment)
        return self.submit("pipeline", config, actor=actor)

    # -- running ----------------------------------------------------------------------------
    def checkpoint_dir(self, job_id: str) -> Path:
        """Where a job's training checkpoints live; a resumed job shares its original's."""
        from forge.jobs.leases import get_lease

        return self.settings.home / "jobs" / get_lease(self.engine, job_id).checkpoint_key / "checkpoints"

    def run_job(
        self, job_id: str, *, progress: Progress = NULL_PROGRESS, actor: str | None = None, owner: str | None = None
    ) -> Job:
        """Run a job in this process under a lease renewed by a heartbeat thread.

        `owner`: the worker that already claimed the job; without it the job is claimed here
        (QUEUED → RUNNING), which refuses on a host that has not passed `forge env init`.
        Before the kind's function runs, the host's resources are checked against the job.
        """
        from forge.governance import ResourceError, check_resources, require_active
        from forge.jobs import leases, presence
        from forge.jobs.kinds import job_kind
        from forge.jobs.runtime import JobProgress, clean_job_staging

        actor = actor or default_actor()
        require_active(self.engine, self.settings.home)
        if owner is None:
            owner = f"{actor}@{os.getpid()}"
            if leases.claim(self.engine, owner, job_id=job_id, actor=actor) is None:
                state = self.jobs.get(job_id).state
                raise IllegalTransition(
                    f"job {job_id} is {state.value}: only a QUEUED job can start",
                    hint=f"`forge job resume {job_id}` continues a failed or cancelled job",
                )
        job = self.jobs.get(job_id)
        with presence.Heartbeat(self.engine, job_id, owner, worker_id=owner) as hb:
            track = JobProgress(self.jobs, job_id, progress, heartbeat=hb)
            try:
                kind = job_kind(job.kind)  # only registered kinds run (raises for anything else)
                report = check_resources(self.settings.home, job.config)
                self.jobs.add_event(job_id, "resources", _jsonable(report))
                track.check(force=True)  # cancelled while it waited in the queue?
                lease = leases.get_lease(self.engine, job_id)
                for left in clean_job_staging(self.store, job_id, lease.resumed_from):
                    track.log(f"removed partial output of an earlier attempt: {left.name}")
                kind.runner()(self._job_context(job_id), job, track, actor)
                if self.jobs.get(job_id).state in ACTIVE:  # a kind must settle its job
                    raise ForgeError(f"job kind {job.kind!r} returned without settling the job")
                self._discard_checkpoints(job_id)
            except leases.LeaseLost:
                raise  # another worker owns the job now; this one must not touch its state
            except leases.WorkerStopping:
                self._settle(
                    job_id,
                    JobState.QUEUED,
                    actor,
                    f"requeued: worker {owner} stopped; resumes from its last checkpoint",
                )
                raise
            except leases.JobCancelled as exc:
                self._settle(job_id, JobState.CANCELLED, actor, str(exc))
                raise
            except KeyboardInterrupt:
                self._settle(job_id, JobState.CANCELLED, actor, "interrupted")
                raise
            except Exception as exc:  # the job records why; the edge decides how to show it
                reason = str(exc) if isinstance(exc, ForgeError) else f"{type(exc).__name__}: {exc}"
                if isinstance(exc, ResourceError):
                    reason = f"resources: {reason}"
                self._settle(job_id, JobState.FAILED, actor, reason)
                raise
            finally:
                leases.release(self.engine, job_id, owner)
        return self.jobs.get(job_id)

    def _job_context(self, job_id: str) -> Any:
        """What the job's code sees: this home, a store whose staging dirs carry the job id (so a
        crashed attempt's leftovers can be found and removed), its checkpoint folder."""
        from forge.jobs.runtime import JobArtifactStore, JobContext

        return JobContext(
            settings=self.settings,
            engine=self.engine,
            store=JobArtifactStore(self.store.root, job_id),
            jobs=self.jobs,
            checkpoint_dir=self.checkpoint_dir(job_id),
        )

    def _settle(self, job_id: str, target: JobState, actor: str, reason: str) -> None:
        current = self.jobs.get(job_id).state
        if current not in SETTLED and current is not target:
            self.jobs.transition(job_id, target, actor=actor, reason=reason)

    def _discard_checkpoints(self, job_id: str) -> None:
        """A job that settled by itself no longer needs its checkpoints (a resume would not)."""
        if self.jobs.get(job_id).state in SETTLED:
            shutil.rmtree(self.checkpoint_dir(job_id).parent, ignore_errors=True)

    # -- following --------------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        return self.jobs.get(job_id)

    def list_jobs(self, limit: int = 50) -> list[Job]:
        return self.jobs.list(limit)

    def job_transitions(self, job_id: str) -> list[dict[str, Any]]:
        """The audit trail: every state change with time, actor and reason."""
        return self.jobs.transitions(job_id)

    def job_events(self, job_id: str, after_id: int = 0) -> list[dict[str, Any]]:
        """Progress, stage and log events after `after_id`, oldest first (for following)."""
        return self.jobs.events(job_id, after_id=after_id)

    def job_status(self, job_id: str, *, events: int = 0) -> dict[str, Any]:
        """Everything a poller wants in one call: the job, its lease (worker, attempts, cancel
        request, resume link), the audit trail, the latest progress event, the latest progress or
        stage event (where the job is now) and, with `events`, that many recent events."""
        from forge.jobs.leases import get_lease

        job = self.jobs.get(job_id)
        out = {
            **job.to_dict(),
            "settled": job.state in SETTLED,
            "lease": get_lease(self.engine, job_id).to_dict(),
            "transitions": self.jobs.transitions(job_id),
            "last_progress": self.jobs.last_event(job_id, "progress"),
            "progress": self.jobs.last_event(job_id, "progress", "stage"),
        }
        if events:
            out["events"] = self.jobs.recent_events(job_id, events)
        return out

    def wait(self, job_id: str, timeout_s: float = 600.0, poll_s: float = 0.5) -> Job:
        """Poll until the job is settled (for callers that queued work and want the outcome)."""
        import time

        deadline = time.monotonic() + timeout_s
        while True:
            job = self.jobs.get(job_id)
            if job.state in SETTLED:
                return job
            if time.monotonic() > deadline:
                raise ForgeError(
                    f"job {job_id} still {job.state.value} after {timeout_s:.0f} s",
                    hint=f"`forge job logs {job_id} --follow` shows where it is",
                )
            time.sleep(poll_s)

    # -- cancel and resume ------------------------------------------------------------------
    def cancel(self, job_id: str, *, actor: str | None = None) -> JobState:
        """A queued job is CANCELLED at once; a running one within one step of its worker."""
        from forge.jobs.leases import request_cancel

        return request_cancel(self.engine, job_id, actor or default_actor())

    def resume(self, job_id: str, *, actor: str | None = None) -> Job:
        """Continue a FAILED or CANCELLED job. Those states are terminal, so the continuation is a
        new job linked to the original (audit trail of both says so); it shares the original's
        checkpoints, and stages whose artifacts exist return at once."""
        from forge.jobs.leases import get_lease

        actor = actor or default_actor()
        old = self.jobs.get(job_id)
        if old.state not in (JobState.FAILED, JobState.CANCELLED):
            raise IllegalTransition(f"job {job_id} is {old.state.value}: only a FAILED or CANCELLED job can be resumed")
        if (old.error or "").startswith("gate:"):
            raise IllegalTransition(
                f"job {job_id} failed its eval gate; resuming would fail the same way",
                hint="change the recipe (more steps, more data) and submit a new job",
            )
        key = get_lease(self.engine, job_id).checkpoint_key
        new = self.jobs.create(
            old.kind, old.config, authorization=old.authorization, actor=actor, resumed_from=job_id, checkpoint_key=key
        )
        self.jobs.add_event(job_id, "log", {"message": f"resumed as {new.id} by {actor}"})
        return new

    def has_checkpoint(self, job_id: str) -> bool:
        ckpt = self.checkpoint_dir(job_id)
        return ckpt.is_dir() and any(ckpt.glob("checkpoint-*"))

    def job_checkpoints(self, job_id: str) -> list[dict[str, Any]]:
        """The training checkpoints a job has on disk now (oldest first) and, once training
        finished, the adapter it produced as its final checkpoint."""
        from forge.jobs.checkpoints import final_checkpoint, training_checkpoints

        job = self.jobs.get(job_id)
        out = training_checkpoints(self.checkpoint_dir(job_id))
        final = final_checkpoint(self.store, job.result)
        return out + ([final] if final else [])

    # -- the run report ---------------------------------------------------------------------
    def run_report(self, job_id: str) -> dict[str, Any]:
        """What the job did in one table: epochs, duration, first/final loss, samples/s, steps/s,
        tokens/s, eval per category vs base, exports with sizes and SHA-256, next steps, and the
        loss curve's points. The job's error text is scrubbed."""
        from forge.jobs.report import build_run_report
        from forge.scrub import Scrubber

        job = self.jobs.get(job_id)
        events = (
            []
            if job.result and (job.result.get("stages") or {}).get("adapter")
            else [e for e in self.jobs.events(job_id) if e.get("kind") == "progress"]
        )
        report = build_run_report(job, self.jobs.transitions(job_id), events, self.store)
        if report["job"]["error"]:
            report["job"]["error"] = Scrubber().scrub_text(report["job"]["error"])
        return _jsonable(report)  # type: ignore[no-any-return]

    def render_run_report(self, job_id: str, fmt: str = "md") -> str:
        """The run report as Markdown (md), self-contained HTML with the loss plot (html) or JSON."""
        from forge.jobs.report_render import FORMATS, render

        if fmt not in FORMATS:
            raise ForgeError(f"report format {fmt!r}: use one of {', '.join(FORMATS)}")
        return render(self.run_report(job_id), fmt)

    def run_report_html_fragment(self, job_id: str) -> str:
        """The run report's tables and loss plot as an HTML fragment (for the web UI's pages)."""
        from forge.jobs.report_render import render_html_fragment

        return render_html_fragment(self.run_report(job_id))

    def loss_plot_svg(self, job_id: str) -> str:
        """The job's loss curve as an SVG image."""
        from forge.jobs.report_render import loss_points, loss_svg

        return loss_svg(loss_points(self.run_report(job_id)))

    # -- the host ---------------------------------------------------------------------------
    def init_environment(self, *, allow_cpu: bool = False, actor: str | None = None) -> dict[str, Any]:
        """INACTIVE_UNSAFE → ACTIVE for this host when accelerator, disk and memory pass."""
        from forge.governance import init_environment

        return init_environment(self.engine, self.settings.home, allow_cpu=allow_cpu, actor=actor or default_actor())

    def environment_state(self) -> dict[str, Any]:
        from forge.governance import environment_state

        return environment_state(self.engine)

    def ensure_environment(self, say: Callable[[str], None] = _say_nothing) -> None:
        """Initialise implicitly (CPU allowed), saying so, instead of refusing: for foreground runs."""
        from forge.governance import ensure_environment

        ensure_environment(self.engine, self.settings.home, say)

    def require_active(self) -> None:
        from forge.governance import require_active

        require_active(self.engine, self.settings.home)

    def resources(self, base_model: str | None = None) -> dict[str, Any]:
        """What this host has free, its environment state and, for a base model, a job's needs."""
        from forge.governance import estimate_requirements, probe_environment

        out: dict[str, Any] = {
            "environment": self.environment_state(),
            "available": probe_environment(self.settings.home),
        }
        if base_model:
            out["estimate"] = estimate_requirements(self.settings.home, {"base_model": base_model})
        answer: dict[str, Any] = _jsonable(out)
        return answer

    # -- workers ----------------------------------------------------------------------------
    def run_worker(self, **options: Any) -> list[dict[str, Any]]:
        """Run queued jobs in this process until told to stop (see service.worker.run_worker)."""
        from forge.service.worker import run_worker

        return run_worker(cast("Forge", self), **options)  # a mixin of Forge

    def start_worker(self, *, idle_exit_s: float | None = None) -> dict[str, Any]:
        """Start a detached `forge worker` unless a live one is registered; say which happened."""
        from forge.service.worker import ensure_worker_running

        return ensure_worker_running(cast("Forge", self), idle_exit_s=idle_exit_s)


def _jsonable(obj: Any) -> Any:
    import json

    return json.loads(json.dumps(obj, default=str))
