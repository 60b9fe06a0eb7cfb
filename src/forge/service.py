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
from forge.errors import ForgeError
from forge.jobs.state_machine import JobState
from forge.jobs.store import Job, JobStore
from forge.progress import NULL_PROGRESS, Progress, Task
from forge.registry.models import Registry
from forge.settings import Settings, load_settings
from forge.train.tiny_base import DEFAULT_BASE_MODEL



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
    """Forwards progress to the caller's display and records it as job events (throttled)."""

    def __init__(self, jobs: JobStore, job_id: str, inner: Progress):
        self.jobs, self.job_id, self.inner = jobs, job_id, inner

    def task(self, name: str, total: int | None = None) -> Task:
        self.jobs.add_event(self.job_id, "stage", {"stage": name, "total": total, "status": "started"})
        return _JobTask(self, name, total, self.inner.task(name, total))

    def log(self, message: str) -> None:
        self.jobs.add_event(self.job_id, "log", {"message": message})
        self.inner.log(message)


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

    def done(self, **metrics: Any) -> None:
        self.inner.done(**metrics)
        self.owner.jobs.add_event(self.owner.job_id, "stage",
                                  {"stage": self.name, "status": "done", **_jsonable(metrics)})


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

    def run_job(self, job_id: str, *, progress: Progress = NULL_PROGRESS,
                actor: str | None = None) -> Job:
        actor = actor or default_actor()
        job = self.jobs.get(job_id)
        self.jobs.transition(job_id, JobState.RUNNING, actor=actor, reason="started")
        track = JobProgress(self.jobs, job_id, progress)
        from forge.jobs.kinds import job_kind
        try:
            job_kind(job.kind).runner()(self, job, track, actor)
        except KeyboardInterrupt:
            self.jobs.transition(job_id, JobState.CANCELLED, actor=actor, reason="interrupted")
            raise
        except Exception as exc:  # the job records why; the edge decides how to show it
            reason = str(exc) if isinstance(exc, ForgeError) else f"{type(exc).__name__}: {exc}"
            current = self.jobs.get(job_id).state
            if current not in (JobState.FAILED, JobState.CANCELLED):
                self.jobs.transition(job_id, JobState.FAILED, actor=actor, reason=reason)
            raise
        return self.jobs.get(job_id)


def validate_pipeline_config(config: dict[str, Any]) -> dict[str, Any]:
    cfg = parse_config(PipelineConfig, config, source="pipeline config")
    stage_configs(cfg)
    return dataclasses.asdict(cfg)


def stage_configs(cfg: PipelineConfig) -> tuple[Any, ...]:
    """Every stage's typed config, validated: a typo in evaluate.* fails at submit, not after
    training. Errors name the key as the user wrote it (e.g. 'train.max_stpes')."""
    from forge.build.stage import BuildConfig
    from forge.evaluate.stage import EvalConfig
    from forge.export.merge import MergeConfig
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
    from forge.export.merge import run_merge
    from forge.ingest.stage import run_ingest
    from forge.train.sft import run_train
    from forge.train.base import resolve_base

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

    corpus = record("corpus", run_ingest(store, [Path(s) for s in cfg.sources], ingest_cfg, progress))
    # one resolution (the tiny default is built here on first use); train and merge take the
    # same ref and name the base the same way in their artifact ids
    base = resolve_base(cfg.base_model, forge.settings, progress)
    dataset = record("dataset", run_build(store, corpus, build_cfg, progress,
                                          tokenizer=_token_counter(base.location, base.identity)))
    adapter = record("adapter", run_train(store, dataset, cfg.base_model, train_cfg, progress,
                                          settings=forge.settings))
    jobs.transition(job.id, JobState.COMPLETED_SUCCESS, actor=actor, reason=f"adapter {adapter.id}")

    merged = record("merged_model", run_merge(store, adapter, cfg.base_model, merge_cfg, progress,
                                              settings=forge.settings))
    jobs.transition(job.id, JobState.PACKAGING_COMPLETE, actor=actor, reason=f"merged {merged.id}")

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


def example_sources() -> list[str]:
    """The bundled example corpus (sessions + beads), found beside the source checkout."""
    root = Path(__file__).resolve().parents[2] / "examples"
    sources = [root / "sessions", root / "beads"]
    missing = [str(p) for p in sources if not p.exists()]
    if missing:
        raise ForgeError(f"example corpus not found: {', '.join(missing)}",
                         hint="run from a source checkout, or `python examples/generate_corpus.py`")
    return [str(p) for p in sources]
