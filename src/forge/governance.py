"""The safety rules jobs run under, in one place.

- Environment gate: each host starts INACTIVE_UNSAFE; `forge env init` checks the accelerator
  (CUDA, or the CPU when explicitly allowed), disk and memory, records what it found and makes
  the host ACTIVE. Jobs refuse to start on an inactive host.
- Resource check before each job: the base model's estimated memory and disk vs what is free
  (a coarse gate; the train stage re-checks precisely once the rows are tokenised).
- Authorization: every job carries a task id (jobs.store refuses one without), in the audit trail.
- Whitelist: only registered job kinds run (jobs.kinds); stages are Python functions, no shell.
- Integrity: every stage input is re-hashed against its manifest before the stage uses it.
- Cleanup: stages write into a staging dir discarded on error (artifacts.ArtifactStore.staged).
- Sequencing: nothing reaches PUBLISHED except from TESTS_PASSED (jobs.state_machine), and a
  model version is publishable only when its job passed its tests (`publishable_job`).
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from forge.artifacts import Artifact
from forge.errors import ForgeError, IllegalTransition, ResourceError
from forge.jobs.state_machine import JobState
from forge.jobs.store import Job, JobStore
from forge.progress import Progress
from forge.storage.schema import environment_checks, utcnow

INACTIVE_UNSAFE = "INACTIVE_UNSAFE"
ACTIVE = "ACTIVE"
GIB = 1 << 30
MIN_FREE_DISK = int(float(os.environ.get("FORGE_MIN_FREE_DISK_GIB", "1")) * GIB)
MIN_FREE_MEMORY = int(float(os.environ.get("FORGE_MIN_FREE_MEMORY_GIB", "0.5")) * GIB)
INIT_HINT = "run `forge env init` (add --allow-cpu on a machine without a CUDA GPU)"


class EnvironmentInactive(ForgeError):
    """The host has not passed `forge env init`: no job may start here."""


def host_name() -> str:
    return os.environ.get("FORGE_HOST") or socket.gethostname()


# -- the environment gate ---------------------------------------------------------------------


def probe_environment(home: Path) -> dict[str, Any]:
    """What this host offers: accelerator, free disk under FORGE_HOME, free memory."""
    return {"accelerator": probe_accelerator(), "disk": probe_disk(home), "memory": probe_memory()}


def probe_accelerator() -> dict[str, Any]:
    import torch  # only here: env init and the per-job check need it, `forge --help` does not

    out: dict[str, Any] = {"torch": torch.__version__, "cuda": bool(torch.cuda.is_available()), "devices": []}
    if out["cuda"]:
        for i in range(torch.cuda.device_count()):
            free, total = torch.cuda.mem_get_info(i)
            out["devices"].append(
                {"index": i, "name": torch.cuda.get_device_name(i), "free_bytes": int(free), "total_bytes": int(total)}
            )
    return out


def probe_disk(home: Path) -> dict[str, Any]:
    home.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(home)
    return {"path": str(home), "free_bytes": usage.free, "total_bytes": usage.total}


def probe_memory() -> dict[str, Any]:
    """MemAvailable from /proc/meminfo (what the kernel could give us without swapping)."""
    info: dict[str, int] = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            info[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if "MemAvailable" in info:
        return {"available_bytes": info["MemAvailable"], "total_bytes": info.get("MemTotal")}
    pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {"available_bytes": pages * size, "total_bytes": os.sysconf("SC_PHYS_PAGES") * size}


def environment_problems(found: dict[str, Any], *, allow_cpu: bool) -> list[str]:
    out = []
    if not found["accelerator"]["cuda"] and not allow_cpu:
        out.append(
            "no CUDA accelerator found; pass --allow-cpu to train on the CPU "
            "(fine for the tiny demo model, slow for real ones)"
        )
    if found["disk"]["free_bytes"] < MIN_FREE_DISK:
        out.append(
            f"only {_gib(found['disk']['free_bytes'])} free under {found['disk']['path']}; "
            f"need at least {_gib(MIN_FREE_DISK)}"
        )
    if found["memory"]["available_bytes"] < MIN_FREE_MEMORY:
        out.append(
            f"only {_gib(found['memory']['available_bytes'])} memory available; need at least {_gib(MIN_FREE_MEMORY)}"
        )
    return out


def init_environment(engine: Engine, home: Path, *, allow_cpu: bool = False, actor: str = "cli") -> dict[str, Any]:
    """INACTIVE_UNSAFE → ACTIVE for this host when every check passes; always records the check."""
    allow_cpu = allow_cpu or os.environ.get("FORGE_ALLOW_CPU", "") not in ("", "0")
    found = probe_environment(home)
    problems = environment_problems(found, allow_cpu=allow_cpu)
    state = INACTIVE_UNSAFE if problems else ACTIVE
    record: dict[str, Any] = {
        "host": host_name(),
        "state": state,
        "at": utcnow(),
        "actor": actor,
        "details": {
            **found,
            "allow_cpu": allow_cpu,
            "problems": problems,
            "device": "cuda" if found["accelerator"]["cuda"] else "cpu",
        },
    }
    with engine.begin() as conn:
        conn.execute(environment_checks.insert().values(**record))
    return {**record, "at": record["at"].isoformat()}


def environment_state(engine: Engine, host: str | None = None) -> dict[str, Any]:
    """The latest recorded check for `host` (this one by default); INACTIVE_UNSAFE if none."""
    host = host or host_name()
    with engine.connect() as conn:
        row = conn.execute(
            select(environment_checks)
            .where(environment_checks.c.host == host)
            .order_by(environment_checks.c.id.desc())
            .limit(1)
        ).first()
    if row is None:
        return {"host": host, "state": INACTIVE_UNSAFE, "at": None, "actor": None, "details": {}}
    return {"host": row.host, "state": row.state, "at": row.at.isoformat(), "actor": row.actor, "details": row.details}


def require_active(engine: Engine, home: Path | None = None) -> None:
    env = environment_state(engine)
    if env["state"] != ACTIVE:
        raise EnvironmentInactive(f"host {env['host']} is {env['state']}: jobs cannot start here", hint=INIT_HINT)


def ensure_environment(engine: Engine, home: Path, say: Callable[[str], None]) -> None:
    """For the foreground commands (`forge demo`, `forge pipeline`): initialise implicitly,
    saying so, instead of refusing. The worker and MCP paths call `require_active` instead."""
    if environment_state(engine)["state"] == ACTIVE:
        return
    say("environment not initialised on this host: running `forge env init --allow-cpu` first")
    record = init_environment(engine, home, allow_cpu=True, actor="implicit:foreground-run")
    if record["state"] != ACTIVE:
        raise EnvironmentInactive(
            "environment check failed: " + "; ".join(record["details"]["problems"]),
            hint="free disk or memory, then `forge env init`",
        )


# -- before each job ----------------------------------------------------------------------------


def estimate_requirements(home: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Rough needs of a job: memory ≈ 2 × the base weights + 256 MiB of runtime (LoRA keeps the
    base frozen; adapters, optimiser state and activations of a small batch fit in the rest);
    disk ≈ 3 × the weights (merged copy, GGUF, checkpoints) + 256 MiB. Unknown weights (a Hub
    id not in any local cache) count as 0: only the floors apply, and the estimate says so."""
    base = str(config.get("base_model") or "")
    weights = _local_weight_bytes(home, base)
    known = weights is not None
    weights = weights or 0
    return {
        "base_model": base,
        "weights_bytes": weights,
        "weights_known": known,
        "memory_bytes": 2 * weights + 256 * (1 << 20) + MIN_FREE_MEMORY,
        "disk_bytes": 3 * weights + 256 * (1 << 20) + MIN_FREE_DISK,
    }


def _local_weight_bytes(home: Path, base: str) -> int | None:
    from forge.models.tiny_base import SHIPPED_DIR, TINY_MODELS

    if not base:
        return None
    if base in TINY_MODELS:
        return _weights_in(SHIPPED_DIR)
    path = Path(base).expanduser()
    return _weights_in(path) if path.is_dir() else None


def _weights_in(path: Path) -> int:
    return sum(p.stat().st_size for pat in ("*.safetensors", "*.bin", "*.gguf") for p in path.rglob(pat))


def check_resources(home: Path, config: dict[str, Any]) -> dict[str, Any]:
    """Compare a job's estimated needs with what this host has free; raise ResourceError."""
    need = estimate_requirements(home, config)
    found = {"disk": probe_disk(home), "memory": probe_memory()}
    accel = probe_accelerator()
    problems = []
    if found["disk"]["free_bytes"] < need["disk_bytes"]:
        problems.append(
            f"disk: need ~{_gib(need['disk_bytes'])}, {_gib(found['disk']['free_bytes'])} free "
            f"under {found['disk']['path']}"
        )
    if accel["cuda"]:
        free = max(d["free_bytes"] for d in accel["devices"])
        if free < need["memory_bytes"] - MIN_FREE_MEMORY:
            problems.append(
                f"GPU memory: need ~{_gib(need['memory_bytes'] - MIN_FREE_MEMORY)}, "
                f"{_gib(free)} free on the emptiest device"
            )
    elif found["memory"]["available_bytes"] < need["memory_bytes"]:
        problems.append(
            f"memory: need ~{_gib(need['memory_bytes'])}, {_gib(found['memory']['available_bytes'])} available"
        )
    report = {"need": need, "found": {**found, "accelerator": accel}, "problems": problems}
    if problems:
        raise ResourceError(
            "not enough resources for this job: " + "; ".join(problems),
            hint="free memory or disk, or run the job on a bigger worker host",
        )
    return report


# -- inside the pipeline ----------------------------------------------------------------------------


def verify_inputs(progress: Progress, stage: str, *artifacts: Artifact) -> None:
    """Re-hash every input artifact of `stage` against its manifest (raises IntegrityError)."""
    for art in artifacts:
        art.verify()
    if artifacts:
        progress.log(
            f"{stage}: verified SHA-256 of {len(artifacts)} input artifact(s): " + ", ".join(a.id for a in artifacts)
        )


def publishable_job(jobs: JobStore, model: Any) -> Job:
    """The model version's job, if the version may be published: publishing needs a job that
    passed its tests (the state machine's only road to PUBLISHED). IllegalTransition says why not."""
    if not model.job_id:
        raise IllegalTransition(
            f"refused: {model.display_name} has no job, so no TESTS_PASSED record",
            hint="publish a version produced by a pipeline job",
        )
    return require_tests_passed(jobs.get(model.job_id))


def require_tests_passed(job: Job) -> Job:
    """The job, if it reached TESTS_PASSED (or was published since); IllegalTransition if not."""
    if job.state not in (JobState.TESTS_PASSED, JobState.PUBLISHED):
        raise IllegalTransition(
            f"refused: job {job.id} is {job.state.value}; publishing needs TESTS_PASSED",
            hint="wait for the job to pass its eval gate (`forge job show ID`)",
        )
    return job


def _gib(n: int | float) -> str:
    return f"{n / GIB:.1f} GiB"
