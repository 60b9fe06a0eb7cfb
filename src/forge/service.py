"""The one API every edge (CLI, MCP, REST) calls. Reads top to bottom like the pipeline.

`Forge` opens the home (database + artifact store). `run_pipeline` executes one job:
ingest+scrub → build → train → (COMPLETED_SUCCESS) → export → (PACKAGING_COMPLETE) →
evaluate base and candidate → gate → (TESTS_PASSED) → register. Any error moves the job to
FAILED with the reason and leaves no partial artifact behind (stages discard their staging).
"""
from __future__ import annotations

import dataclasses
import getpass
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore
from forge.config import parse_config
from forge.errors import ForgeError, IllegalTransition
from forge.jobs.state_machine import ACTIVE, SETTLED, JobState
from forge.jobs.store import Job, JobStore
from forge.progress import NULL_PROGRESS, Progress, Task
from forge.registry.models import Registry
from forge.settings import Settings, load_settings
from forge.models.tiny_base import DEFAULT_BASE_MODEL



def default_actor() -> str:
    try:
        return os.environ.get("FORGE_ACTOR") or f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@dataclass
class PipelineConfig:
    """What one pipeline job does. Stage sections are validated by each stage's own config."""
    sources: list[str]
    name: str = "polecat"
    role: str | None = None
    base_model: str = DEFAULT_BASE_MODEL
    gate: float = 0.5                 # candidate must score at least this ...
    require_improvement: bool = True  # ... and beat the base model's score
    authorization: str = "demo"
    ingest: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)
    train: dict[str, Any] = field(default_factory=dict)
    evaluate: dict[str, Any] = field(default_factory=dict)
    export: dict[str, Any] = field(default_factory=dict)

    def problems(self) -> list[str]:
        out = []
        if not self.sources:
            out.append("'sources': give at least one transcript file or folder")
        if not 0.0 <= self.gate <= 1.0:
            out.append(f"'gate': must be between 0 and 1, got {self.gate}")
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            out.append(f"'name': use letters, digits, '-' or '_', got {self.name!r}")
        return out


class JobProgress:
    """Forwards progress to the caller's display and records it as job events (throttled).

    It is also how a running job hears from outside: every advance checks (at most every
    CANCEL_CHECK_S) for a cancel request and whether the heartbeat lost the lease, and raises
    JobCancelled / LeaseLost, so training stops within one step of a `forge job cancel`."""

    CANCEL_CHECK_S = 0.5

    def __init__(self, jobs: JobStore, job_id: str, inner: Progress, heartbeat: Any = None):
        self.jobs, self.job_id, self.inner, self.heartbeat = jobs, job_id, inner, heartbeat
        self._checked = 0.0

    def task(self, name: str, total: int | None = None) -> Task:
        self.check()
        self.jobs.add_event(self.job_id, "stage", {"stage": name, "total": total, "status": "started"})
        return _JobTask(self, name, total, self.inner.task(name, total))

    def log(self, message: str) -> None:
        self.jobs.add_event(self.job_id, "log", {"message": message})
        self.inner.log(message)

    def check(self, force: bool = False) -> None:
        from forge.jobs.leases import STOPPING, JobCancelled, LeaseLost, WorkerStopping, cancel_requested
        now = time.monotonic()
        if not force and now - self._checked < self.CANCEL_CHECK_S:
            return
        self._checked = now
        if STOPPING.is_set():
            raise WorkerStopping(f"job {self.job_id}: the worker is stopping")
        if self.heartbeat is not None and self.heartbeat.lost:
            raise LeaseLost(f"job {self.job_id}: this worker's lease expired and the job was "
                            "recovered by another worker; stopping")
        req = cancel_requested(self.jobs.engine, self.job_id)
        if req is not None:
            at, by = req
            raise JobCancelled(f"cancelled by {by} (requested {at.isoformat(timespec='seconds')})")


class _JobTask:
    def __init__(self, owner: JobProgress, name: str, total: int | None, inner: Task):
        self.owner, self.name, self.total, self.inner = owner, name, total, inner
        self.completed, self._last = 0, 0.0

    def advance(self, n: int = 1, **metrics: Any) -> None:
        self.completed += n
        self.inner.advance(n, **metrics)
        now = time.monotonic()
        if metrics and now - self._last >= 1.0:  # one event a second is plenty to follow
            self._last = now
            self.owner.jobs.add_event(self.owner.job_id, "progress",
                                      {"stage": self.name, "step": self.completed,
                                       "total": self.total, **_jsonable(metrics)})
        self.owner.check()

    def done(self, **metrics: Any) -> None:
        self.inner.done(**metrics)
        self.owner.jobs.add_event(self.owner.job_id, "stage",
                                  {"stage": self.name, "status": "done", "step": self.completed,
                                   "total": self.total, **_jsonable(metrics)})


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v)) for k, v in d.items()}


class Forge:
    def __init__(self, settings: Settings | None = None):
        from forge.db import connect
        self.settings = (settings or load_settings()).ensure()
        self.engine = connect(self.settings.database_url)
        self.store = ArtifactStore(self.settings.artifacts)
        self.jobs = JobStore(self.engine)
        self.registry = Registry(self.engine)

    # -- jobs ---------------------------------------------------------------------------------
    def submit(self, kind: str, config: dict[str, Any], *, actor: str | None = None) -> Job:
        """Validate `config` with the kind's own validator and queue the job. Every config
        carries an `authorization` (bead or ticket id); the store refuses a job without one."""
        from forge.jobs.kinds import job_kind
        normalized = job_kind(kind).validate(config)
        return self.jobs.create(kind, normalized, authorization=str(normalized.get("authorization") or ""),
                                actor=actor or default_actor())

    def submit_pipeline(self, config: dict[str, Any], *, actor: str | None = None) -> Job:
        return self.submit("pipeline", config, actor=actor)

    def checkpoint_dir(self, job_id: str) -> Path:
        """Where a job's training checkpoints live; a resumed job shares its original's."""
        from forge.jobs.leases import get_lease
        return self.settings.home / "jobs" / get_lease(self.engine, job_id).checkpoint_key / "checkpoints"

    def run_job(self, job_id: str, *, progress: Progress = NULL_PROGRESS,
                actor: str | None = None, owner: str | None = None) -> Job:
        """Run a job in this process under a lease renewed by a heartbeat thread.

        `owner`: the worker that already claimed the job; without it the job is claimed here
        (QUEUED → RUNNING), which refuses on a host that has not passed `forge env init`.
        Before the kind's function runs, the host's resources are checked against the job.
        """
        from forge.governance import ResourceError, check_resources, require_active
        from forge.jobs import leases
        from forge.jobs.kinds import job_kind

        actor = actor or default_actor()
        require_active(self)
        if owner is None:
            owner = f"{actor}@{os.getpid()}"
            if leases.claim(self.engine, owner, job_id=job_id, actor=actor) is None:
                state = self.jobs.get(job_id).state
                raise IllegalTransition(f"job {job_id} is {state.value}: only a QUEUED job can start",
                                        hint=f"`forge job resume {job_id}` continues a failed or cancelled job")
        job = self.jobs.get(job_id)
        with leases.Heartbeat(self.engine, job_id, owner, worker_id=owner) as hb:
            track = JobProgress(self.jobs, job_id, progress, heartbeat=hb)
            try:
                job_kind(job.kind)  # only registered kinds run (raises for anything else)
                report = check_resources(self, job)
                self.jobs.add_event(job_id, "resources", _jsonable_deep(report))
                track.check(force=True)  # cancelled while it waited in the queue?
                lease = leases.get_lease(self.engine, job_id)
                for left in clean_job_staging(self.store, job_id, lease.resumed_from):
                    track.log(f"removed partial output of an earlier attempt: {left.name}")
                job_kind(job.kind).runner()(self._for_job(job_id), job, track, actor)
                if self.jobs.get(job_id).state in ACTIVE:  # a kind must settle its job
                    raise ForgeError(f"job kind {job.kind!r} returned without settling the job")
                self._discard_checkpoints(job_id)
            except leases.LeaseLost:
                raise  # another worker owns the job now; this one must not touch its state
            except leases.WorkerStopping:
                self._settle(job_id, JobState.QUEUED, actor, f"requeued: worker {owner} stopped; "
                             "resumes from its last checkpoint")
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

    def _for_job(self, job_id: str) -> "Forge":
        """This Forge as a job's code sees it: the same database, a store whose staging dirs
        carry the job id (so a crashed attempt's leftovers can be found and removed)."""
        import copy
        view = copy.copy(self)
        view.store = JobArtifactStore(self.store.root, job_id)
        return view

    def _settle(self, job_id: str, target: JobState, actor: str, reason: str) -> None:
        current = self.jobs.get(job_id).state
        if current not in SETTLED and current is not target:
            self.jobs.transition(job_id, target, actor=actor, reason=reason)

    def _discard_checkpoints(self, job_id: str) -> None:
        """A job that settled by itself no longer needs its checkpoints (a resume would not)."""
        import shutil
        if self.jobs.get(job_id).state in SETTLED:
            shutil.rmtree(self.checkpoint_dir(job_id).parent, ignore_errors=True)

    def job_status(self, job_id: str) -> dict[str, Any]:
        """Everything a poller wants in one call: the job, its lease (worker, attempts, cancel
        request, resume link), the audit trail and the latest progress event."""
        from forge.jobs.leases import get_lease
        job = self.jobs.get(job_id)
        return {**job.to_dict(), "lease": get_lease(self.engine, job_id).to_dict(),
                "transitions": self.jobs.transitions(job_id),
                "last_progress": self.jobs.last_event(job_id, "progress")}

    def cancel(self, job_id: str, *, actor: str | None = None) -> JobState:
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
            raise IllegalTransition(f"job {job_id} is {old.state.value}: only a FAILED or CANCELLED job "
                                    "can be resumed")
        if (old.error or "").startswith("gate:"):
            raise IllegalTransition(f"job {job_id} failed its eval gate; resuming would fail the same way",
                                    hint="change the recipe (more steps, more data) and submit a new job")
        key = get_lease(self.engine, job_id).checkpoint_key
        new = self.jobs.create(old.kind, old.config, authorization=old.authorization, actor=actor,
                               resumed_from=job_id, checkpoint_key=key)
        self.jobs.add_event(job_id, "log", {"message": f"resumed as {new.id} by {actor}"})
        return new


def _jsonable_deep(obj: Any) -> Any:
    import json
    return json.loads(json.dumps(obj, default=str))


class JobArtifactStore(ArtifactStore):
    """The artifact store as one job writes to it: staging dirs are named `<job id>--<kind>-…`.
    A worker killed mid-stage cannot discard its staging; the job's next attempt (or the
    recovery that gives up on it) removes exactly that job's leftovers and nothing else."""

    def __init__(self, root: Path, job_id: str):
        super().__init__(root)
        self.job_id = job_id

    def staging(self, kind: str) -> Path:
        import uuid
        path = self.root / ".staging" / f"{self.job_id}--{kind}-{uuid.uuid4().hex[:12]}"
        path.mkdir(parents=True)
        return path


def clean_job_staging(store: ArtifactStore, *job_ids: str | None) -> list[Path]:
    """Remove the staging dirs of jobs no process is running (a dead attempt's partial output)."""
    import shutil
    removed = []
    for job_id in filter(None, job_ids):
        for path in (store.root / ".staging").glob(f"{job_id}--*"):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def validate_pipeline_config(config: dict[str, Any]) -> dict[str, Any]:
    cfg = parse_config(PipelineConfig, config, source="pipeline config")
    stage_configs(cfg)
    return dataclasses.asdict(cfg)


def stage_configs(cfg: PipelineConfig) -> tuple[Any, ...]:
    """Every stage's typed config, validated: a typo in evaluate.* fails at submit, not after
    training. Errors name the key as the user wrote it (e.g. 'train.max_stpes')."""
    from forge.build.stage import BuildConfig
    from forge.evaluate.stage import EvalConfig
    from forge.models.merge import MergeConfig
    from forge.ingest.stage import IngestConfig
    from forge.train.sft import TrainConfig
    sections = ((IngestConfig, "ingest"), (BuildConfig, "build"), (TrainConfig, "train"),
                (MergeConfig, "export"), (EvalConfig, "evaluate"))
    return tuple(parse_config(cls, getattr(cfg, name), source=name, prefix=f"{name}.")
                 for cls, name in sections)


def run_pipeline(forge: Forge, job: Job, progress: JobProgress, actor: str) -> dict[str, Any]:
    """The pipeline, stage by stage. Each stage returns early when its artifact already exists."""
    from forge.build.stage import run_build
    from forge.evaluate.stage import gate, run_evaluate
    from forge.models.merge import run_merge
    from forge.ingest.stage import run_ingest
    from forge.models.base import resolve_base
    from forge.governance import verify_inputs

    _quiet_ml_libraries()
    cfg = PipelineConfig(**job.config)
    store, jobs = forge.store, forge.jobs
    result: dict[str, Any] = {"stages": {}}
    t0 = time.monotonic()

    def record(stage: str, art: Artifact) -> Artifact:
        result["stages"][stage] = {"id": art.id, "path": str(art.path),
                                   "seconds": round(time.monotonic() - t0, 1)}
        jobs.set_result(job.id, result)
        return art

    ingest_cfg, build_cfg, train_cfg, merge_cfg, eval_cfg = stage_configs(cfg)
    if "save_steps" not in cfg.train:  # a job checkpoints by default, so a crash loses little
        train_cfg = dataclasses.replace(train_cfg, save_steps=job_save_steps(train_cfg.max_steps))

    corpus = record("corpus", run_ingest(store, [Path(s) for s in cfg.sources], ingest_cfg, progress))
    # one resolution (the tiny default is built here on first use); train and merge take the
    # same ref and name the base the same way in their artifact ids
    base = resolve_base(cfg.base_model, forge.settings, progress)
    verify_inputs(progress, "build", corpus)
    dataset = record("dataset", run_build(store, corpus, build_cfg, progress,
                                          tokenizer=_token_counter(base.location, base.identity)))
    verify_inputs(progress, "train", dataset, *base.artifacts)
    # recipes: train.method (sft | dpo | sft+dpo), train.nproc, train.epochs (forge.train.methods)
    from forge.train.methods import train_adapter
    adapter = record("adapter", train_adapter(store, dataset, cfg.base_model, train_cfg, progress,
                                              settings=forge.settings,
                                              checkpoint_dir=forge.checkpoint_dir(job.id)))
    jobs.transition(job.id, JobState.COMPLETED_SUCCESS, actor=actor, reason=f"adapter {adapter.id}")

    verify_inputs(progress, "export", adapter, *base.artifacts)
    merged = record("merged_model", run_merge(store, adapter, cfg.base_model, merge_cfg, progress,
                                              settings=forge.settings))
    jobs.transition(job.id, JobState.PACKAGING_COMPLETE, actor=actor, reason=f"merged {merged.id}")

    verify_inputs(progress, "evaluate", dataset, merged, *base.artifacts)
    base_report_art = record("eval_base", run_evaluate(store, base.location, dataset, eval_cfg,
                                                       input_artifacts=base.artifacts, progress=progress))
    cand_report_art = record("eval_candidate", run_evaluate(store, merged.path, dataset, eval_cfg,
                                                            input_artifacts=[merged], progress=progress))
    base_report = _read_json(base_report_art.file("report.json"))
    cand_report = _read_json(cand_report_art.file("report.json"))
    passed, why = gate(cand_report, cfg.gate, base_report if cfg.require_improvement else None)
    result.update(eval_score=cand_report["score"], base_eval_score=base_report["score"],
                  gate={"threshold": cfg.gate, "passed": passed, "reason": why},
                  categories={"base": base_report.get("categories"),
                              "candidate": cand_report.get("categories")},
                  seconds=round(time.monotonic() - t0, 1))
    jobs.set_result(job.id, result)
    if not passed:
        jobs.transition(job.id, JobState.FAILED, actor=actor, reason=f"gate: {why}")
        return result

    corpus_report = _read_json(corpus.file("report.json"))
    dataset_stats = _read_json(dataset.file("stats.json"))
    model = forge.registry.register(
        name=cfg.name, role=cfg.role or cfg.name, base=str(cfg.base_model),
        eval_score=cand_report["score"], base_eval_score=base_report["score"], job_id=job.id,
        lineage={stage: info["id"] for stage, info in result["stages"].items()},
        hyperparameters=adapter.config,
        details={"corpus": corpus_report.get("ingest", {}), "scrub": corpus_report.get("scrub", {}),
                 "dataset": dataset_stats, "eval": result["categories"],
                 "merged_path": str(merged.path), "adapter_path": str(adapter.path)})
    result["model"] = model.display_name
    jobs.transition(job.id, JobState.TESTS_PASSED, actor=actor, reason=f"gate: {why}",
                    result=result)
    return result


def job_save_steps(max_steps: int) -> int:
    """A checkpoint about every tenth of training (at least every 10 steps, at most every 200)."""
    return max(10, min(200, max_steps // 10))


def _quiet_ml_libraries() -> None:
    """Our progress bars tell the story; the libraries' own bars and chatter would bury them."""
    if os.environ.get("FORGE_VERBOSE"):
        return
    import warnings

    import datasets
    import transformers
    datasets.disable_progress_bars()
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    warnings.filterwarnings("ignore", category=FutureWarning, module=r"transformers\..*")
    warnings.filterwarnings("ignore", category=UserWarning, module=r"(torch|transformers|trl|peft)\..*")


def _token_counter(location: str, identity: str):
    """Token statistics for the dataset, counted with the tokenizer we will train with."""
    from transformers import AutoTokenizer

    from forge.build import chat_token_counter
    return chat_token_counter(AutoTokenizer.from_pretrained(location), name=identity)


def _read_json(path: Path) -> dict[str, Any]:
    import json
    return json.loads(Path(path).read_text())
