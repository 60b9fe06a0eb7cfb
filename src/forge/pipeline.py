"""The pipeline job, top to bottom: ingest+scrub → build → train → (COMPLETED_SUCCESS) → merge
(a full fine-tune is already a whole model) → (PACKAGING_COMPLETE) → evaluate base and candidate
→ gate → (TESTS_PASSED) → register.

Each stage returns at once when its artifact already exists for the same inputs and config;
any error moves the job to FAILED with the reason (the job runner does that) and leaves no
partial artifact behind (stages discard their staging).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact
from forge.config import parse_config
from forge.jobs.runtime import JobContext, JobProgress
from forge.jobs.state_machine import JobState
from forge.jobs.store import Job
from forge.models.tiny_base import DEFAULT_BASE_MODEL


@dataclass
class PipelineConfig:
    """What one pipeline job does. Stage sections are validated by each stage's own config."""

    sources: list[str]
    name: str = "polecat"
    role: str | None = None
    base_model: str = DEFAULT_BASE_MODEL
    gate: float = 0.5  # candidate must score at least this ...
    require_improvement: bool = True  # ... and beat the base model's score
    # how the gate weighs components and roles (forge.evaluate.gate.GateRules keys)
    gate_rules: dict[str, Any] = field(default_factory=dict)
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


def validate_pipeline_config(config: dict[str, Any]) -> dict[str, Any]:
    cfg = parse_config(PipelineConfig, config, source="pipeline config")
    stage_configs(cfg)
    return dataclasses.asdict(cfg)


def stage_configs(cfg: PipelineConfig) -> tuple[Any, ...]:
    """Every stage's typed config, validated: a typo in evaluate.* fails at submit, not after
    training. Errors name the key as the user wrote it (e.g. 'train.max_stpes')."""
    from forge.build.config import BuildConfig
    from forge.evaluate.stage import EvalConfig
    from forge.ingest.stage import IngestConfig
    from forge.models.merge import MergeConfig
    from forge.train.config import TrainConfig

    sections = (
        (IngestConfig, "ingest"),
        (BuildConfig, "build"),
        (TrainConfig, "train"),
        (MergeConfig, "export"),
        (EvalConfig, "evaluate"),
    )
    from forge.errors import ConfigError
    from forge.evaluate.gate import GateRules

    parsed: list[Any] = []
    problems: list[tuple[str, ConfigError]] = []
    for cls, name in (*sections, (GateRules, "gate_rules")):
        try:  # every section is checked, so one submit lists every problem
            parsed.append(parse_config(cls, getattr(cfg, name), source=name, prefix=f"{name}."))
        except ConfigError as e:
            problems.append((name, e))
    if len(problems) == 1:
        raise problems[0][1]
    if problems:  # cross-field checks name the key without its section: add it
        raise ConfigError(
            [q if q.startswith(f"'{n}.") else q.replace("'", f"'{n}.", 1) for n, e in problems for q in e.problems],
            source="pipeline config",
        )
    return tuple(parsed)


def run_pipeline(ctx: JobContext, job: Job, progress: JobProgress, actor: str) -> dict[str, Any]:
    """The pipeline, stage by stage. Each stage returns early when its artifact already exists."""
    from forge.build.stage import run_build
    from forge.evaluate.gate import evaluate_gate
    from forge.evaluate.stage import run_evaluate
    from forge.governance import verify_inputs
    from forge.ingest.stage import run_ingest
    from forge.models.base import resolve_base
    from forge.models.merge import run_merge
    from forge.quiet import quiet_ml_libraries
    from forge.registry.models import Registry
    from forge.train.methods import train_adapter
    from forge.train.sft import FULL_KIND as FULL_MODEL_KIND

    quiet_ml_libraries()
    cfg = PipelineConfig(**job.config)
    store, jobs = ctx.store, ctx.jobs
    result: dict[str, Any] = {"stages": {}}
    t0 = time.monotonic()

    def record(stage: str, art: Artifact) -> Artifact:
        result["stages"][stage] = {"id": art.id, "path": str(art.path), "seconds": round(time.monotonic() - t0, 1)}
        jobs.set_result(job.id, result)
        return art

    ingest_cfg, build_cfg, train_cfg, merge_cfg, eval_cfg, gate_rules = stage_configs(cfg)
    if "save_steps" not in cfg.train:  # a job checkpoints by default, so a crash loses little
        train_cfg = dataclasses.replace(train_cfg, save_steps=job_save_steps(train_cfg.max_steps))

    corpus = record("corpus", run_ingest(store, [Path(s) for s in cfg.sources], ingest_cfg, progress))
    # one resolution; train and merge take the same ref and name the base the same way
    base = resolve_base(cfg.base_model, ctx.settings, progress)
    verify_inputs(progress, "build", corpus)
    # a dataset without the rows the method needs stops the job here, saying why in numbers
    dataset = record(
        "dataset",
        run_build(
            store,
            corpus,
            build_cfg,
            progress,
            tokenizer=token_counter(base.location, base.identity),
            require=train_cfg.method,
        ),
    )
    verify_inputs(progress, "train", dataset, *base.artifacts)
    adapter = record(
        "adapter",
        train_adapter(
            store,
            dataset,
            cfg.base_model,
            train_cfg,
            progress,
            settings=ctx.settings,
            checkpoint_dir=ctx.checkpoint_dir,
        ),
    )
    jobs.transition(job.id, JobState.COMPLETED_SUCCESS, actor=actor, reason=f"adapter {adapter.id}")

    if adapter.kind == FULL_MODEL_KIND:  # full fine-tuning: already a complete model, nothing to merge
        merged = record("merged_model", adapter)
        packaged = f"full model {adapter.id}: nothing to merge"
    else:
        verify_inputs(progress, "export", adapter, *base.artifacts)
        merged = record(
            "merged_model", run_merge(store, adapter, cfg.base_model, merge_cfg, progress, settings=ctx.settings)
        )
        packaged = f"merged {merged.id}"
    jobs.transition(job.id, JobState.PACKAGING_COMPLETE, actor=actor, reason=packaged)

    verify_inputs(progress, "evaluate", dataset, merged, *base.artifacts)
    base_eval = record(
        "eval_base",
        run_evaluate(
            store,
            base.location,
            dataset,
            # the base sees the prompts the candidate sees: cut to the context it is trained in
            dataclasses.replace(eval_cfg, context_length=eval_cfg.context_length or train_cfg.max_seq_length),
            input_artifacts=base.artifacts,
            progress=progress,
        ),
    )
    cand_eval = record(
        "eval_candidate",
        run_evaluate(store, merged.path, dataset, eval_cfg, input_artifacts=[merged], progress=progress),
    )
    base_report, cand_report = read_json(base_eval.file("report.json")), read_json(cand_eval.file("report.json"))
    verdict = evaluate_gate(cand_report, cfg.gate, gate_rules, base_report if cfg.require_improvement else None)
    passed, why = verdict["passed"], verdict["reason"]
    result.update(
        eval_score=cand_report["score"],
        base_eval_score=base_report["score"],
        gate=verdict,  # threshold, passed, reason, per-role per-component breakdown, failures
        categories={"base": base_report.get("categories"), "candidate": cand_report.get("categories")},
        seconds=round(time.monotonic() - t0, 1),
    )
    jobs.set_result(job.id, result)
    if not passed:
        jobs.transition(job.id, JobState.FAILED, actor=actor, reason=f"gate: {why}")
        return result

    corpus_report = read_json(corpus.file("report.json"))
    model = Registry(ctx.engine).register(
        name=cfg.name,
        role=cfg.role or cfg.name,
        base=str(cfg.base_model),
        eval_score=cand_report["score"],
        base_eval_score=base_report["score"],
        job_id=job.id,
        lineage={stage: info["id"] for stage, info in result["stages"].items()},
        hyperparameters=adapter.config,
        details={
            "corpus": corpus_report.get("ingest", {}),
            "scrub": corpus_report.get("scrub", {}),
            "dataset": read_json(dataset.file("stats.json")),
            "eval": result["categories"],
            "merged_path": str(merged.path),
            "adapter_path": str(adapter.path),
        },
    )
    result["model"] = model.display_name
    jobs.transition(job.id, JobState.TESTS_PASSED, actor=actor, reason=f"gate: {why}", result=result)
    return result


def job_save_steps(max_steps: int) -> int:
    """A checkpoint about every tenth of training (at least every 10 steps, at most every 200)."""
    return max(10, min(200, max_steps // 10))


def token_counter(location: str, identity: str) -> Any:
    """Token statistics for the dataset, counted with the tokenizer we will train with."""
    from transformers import AutoTokenizer

    from forge.build import chat_token_counter

    return chat_token_counter(AutoTokenizer.from_pretrained(location), name=identity)


def read_json(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())
