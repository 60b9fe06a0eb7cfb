"""The `verify` job kind: re-hash artifacts against their manifests, as queued work.

Cheap and real, so it is also what the worker tests queue by the dozen; a pipeline job takes
minutes. The job walks the same state machine: verified → nothing to package → TESTS_PASSED.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from forge.errors import ConfigError
from forge.jobs.state_machine import JobState

if TYPE_CHECKING:
    from forge.jobs.runtime import JobContext, JobProgress
    from forge.jobs.store import Job


def validate_verify_config(config: dict[str, Any]) -> dict[str, Any]:
    problems = []
    arts = config.get("artifacts")
    if not isinstance(arts, list) or not arts or not all(isinstance(a, str) and a for a in arts):
        problems.append("'artifacts': give a list of artifact ids")
    if not str(config.get("authorization") or "").strip():
        problems.append("'authorization': give the authorizing bead or ticket id")
    unknown = sorted(set(config) - {"artifacts", "authorization"})
    if unknown:
        problems.append(f"unknown key(s): {', '.join(map(repr, unknown))}")
    if problems:
        raise ConfigError(problems, source="verify config")
    assert isinstance(arts, list)  # checked above: a problem was raised otherwise
    return {"artifacts": list(arts), "authorization": str(config["authorization"])}


def run_verify(ctx: JobContext, job: Job, progress: JobProgress, actor: str) -> dict[str, Any]:
    task = progress.task("verify", total=len(job.config["artifacts"]))
    verified = []
    for aid in job.config["artifacts"]:
        art = ctx.store.get(aid)
        art.verify()  # raises IntegrityError naming the file
        verified.append({"id": art.id, "files": len(art.manifest.get("files", {}))})
        task.advance(1, artifact=art.id)
    task.done()
    result = {"verified": verified, "by": actor}
    ctx.jobs.transition(
        job.id, JobState.COMPLETED_SUCCESS, actor=actor, reason=f"verified {len(verified)} artifact(s)", result=result
    )
    ctx.jobs.transition(job.id, JobState.PACKAGING_COMPLETE, actor=actor, reason="nothing to package")
    ctx.jobs.transition(job.id, JobState.TESTS_PASSED, actor=actor, reason="every hash matches its manifest")
    return result
