"""Job kinds: the only work a job may run is a function registered here (no shell, no eval).

A kind names two functions by dotted path, imported only when a job of that kind is submitted
or run, so registering costs nothing and `forge --help` stays fast:

- validate(config: dict) -> dict       the normalized config to store; raises ConfigError
- run(ctx, job, progress, actor) -> dict     the job's result; moves the job through states
                                         (ctx: jobs.runtime.JobContext)

Plugins register the same way the built-ins do, through `register_job_kind`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from forge.errors import ForgeError


@dataclass(frozen=True)
class JobKind:
    name: str
    validate_path: str  # "module:function"
    run_path: str  # "module:function"
    description: str = ""

    def validate(self, config: dict[str, Any]) -> dict[str, Any]:
        checked: dict[str, Any] = _load(self.validate_path)(config)
        return checked

    def runner(self) -> Callable[..., dict[str, Any]]:
        run: Callable[..., dict[str, Any]] = _load(self.run_path)
        return run


JOB_KINDS: dict[str, JobKind] = {}


def register_job_kind(kind: JobKind) -> JobKind:
    JOB_KINDS[kind.name] = kind
    return kind


def job_kind(name: str) -> JobKind:
    try:
        return JOB_KINDS[name]
    except KeyError:
        raise ForgeError(
            f"unknown job kind {name!r}", hint=f"registered kinds: {', '.join(sorted(JOB_KINDS)) or 'none'}"
        ) from None


def _load(path: str) -> Callable[..., Any]:
    module, _, attr = path.partition(":")
    fn: Callable[..., Any] = getattr(importlib.import_module(module), attr)
    return fn


register_job_kind(
    JobKind(
        "pipeline",
        "forge.pipeline:validate_pipeline_config",
        "forge.pipeline:run_pipeline",
        "ingest → scrub → build → train → export → eval → register",
    )
)
register_job_kind(
    JobKind(
        "verify",
        "forge.jobs.verify:validate_verify_config",
        "forge.jobs.verify:run_verify",
        "re-hash artifacts against their manifests",
    )
)
