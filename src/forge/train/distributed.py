"""Multi-process training through torchrun (DDP; gloo on CPU, NCCL on GPUs).

The launcher (`run_distributed`, called by the train stage when nproc > 1) writes a spec file
and starts `python -m torch.distributed.run ... -m forge.train.distributed SPEC`. Every rank
runs the same entry point (`main`): the same stage code (forge.train.methods.train_in_process);
the HF Trainer sees torchrun's RANK/WORLD_SIZE and wraps the model in DDP. Rank 0 writes to
the real artifact store and reports progress (JSON lines on stdout, relayed by the launcher);
the other ranks see the real store (so every rank returns early exactly when rank 0 does) but
commit into a scratch folder that is thrown away: one artifact, committed once.

Several nodes: set FORGE_NNODES, FORGE_NODE_RANK, FORGE_MASTER_ADDR (and FORGE_MASTER_PORT)
where `forge train` runs; it logs the torchrun command the other nodes run with the same spec
(FORGE_HOME on a shared filesystem). FSDP / DeepSpeed: `steps.train.trainer_args`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore
from forge.errors import ForgeError
from forge.progress import NULL_PROGRESS, Progress, Task
from forge.settings import Settings
from forge.train.config import TrainConfig

MARK = "@@forge-rank0 "  # prefix of rank 0's progress lines on stdout
NODE_ENV = ("FORGE_NNODES", "FORGE_NODE_RANK", "FORGE_MASTER_ADDR", "FORGE_MASTER_PORT")


def launch_command(spec: Path, nproc: int, env: Mapping[str, str]) -> list[str]:
    """The torchrun command line for this node: standalone, or one node of several (FORGE_* env)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc-per-node={nproc}"]
    nnodes = int(env.get("FORGE_NNODES", "1") or 1)
    if nnodes > 1:
        if not env.get("FORGE_MASTER_ADDR"):
            raise ForgeError("FORGE_NNODES > 1 needs FORGE_MASTER_ADDR (the host of node rank 0)")
        cmd += [
            f"--nnodes={nnodes}",
            f"--node-rank={int(env.get('FORGE_NODE_RANK', '0') or 0)}",
            f"--master-addr={env['FORGE_MASTER_ADDR']}",
            f"--master-port={int(env.get('FORGE_MASTER_PORT', '29500') or 29500)}",
        ]
    else:
        cmd += ["--standalone", "--nnodes=1"]
    return cmd + ["-m", "forge.train.distributed", str(spec)]


def run_distributed(
    store: ArtifactStore,
    dataset: Artifact,
    base_model: str | Path | Artifact,
    config: TrainConfig,
    progress: Progress = NULL_PROGRESS,
    *,
    settings: Settings | None = None,
    checkpoint_dir: Path | None = None,
) -> Artifact:
    from forge.models.base import resolve_base, settings_for

    settings = settings_for(store, settings)
    base = resolve_base(base_model, settings, progress)  # the tiny base is built once, here
    base_ref = str(base_model.path) if isinstance(base_model, Artifact) else str(base_model)
    spec = {
        "home": str(settings.home),
        "artifacts": str(store.root),
        "dataset": dataset.id,
        "base_model": base_ref,
        "config": config.to_dict(),
        "checkpoint_dir": str(checkpoint_dir) if checkpoint_dir else None,
    }
    spec_path = write_spec(spec, settings)
    cmd = launch_command(spec_path, config.nproc, os.environ)
    progress.log(f"{config.nproc} processes via torchrun ({base.identity}); spec {spec_path}")
    if int(os.environ.get("FORGE_NNODES", "1") or 1) > 1:
        other = [c for c in cmd if not c.startswith("--node-rank")]
        progress.log("on each other node: " + " ".join(other[:4] + ["--node-rank=<R>"] + other[4:]))
    threads = max(1, (os.cpu_count() or 1) // config.nproc)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True
    )
    relay, tail = _Relay(progress), deque[str](maxlen=30)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith(MARK):
                relay.handle(json.loads(line[len(MARK) :]))
            elif line.strip():
                tail.append(line.rstrip())
        rc = proc.wait()
    except BaseException:  # cancelled or interrupted: stop every rank, then report
        _stop(proc)
        raise
    if rc != 0 or relay.result is None:
        errors = [ln for ln in tail if "Error" in ln or "error" in ln][-3:] or list(tail)[-5:]
        raise ForgeError(
            f"distributed training failed (torchrun exit {rc}): " + " | ".join(errors),
            hint="FORGE_DEBUG=1 keeps the spec; run the torchrun command by hand to see every rank's output",
        )
    if not os.environ.get("FORGE_DEBUG"):
        spec_path.unlink(missing_ok=True)
    return store.get(relay.result)


def write_spec(spec: dict[str, Any], settings: Settings) -> Path:
    """Named by its content, under FORGE_HOME: other nodes sharing the home find the same file."""
    text = json.dumps(spec, sort_keys=True, indent=2)
    folder = settings.home / "distributed"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"train-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
    path.write_text(text)
    return path


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


class _Relay:
    """Replays rank 0's progress events on the launcher's Progress (a job's, a CLI's)."""

    def __init__(self, progress: Progress):
        self.progress, self.result = progress, None
        self.tasks: dict[str, Task] = {}

    def handle(self, ev: dict[str, Any]) -> None:
        kind = ev.get("event")
        if kind == "task":
            self.tasks[ev["name"]] = self.progress.task(ev["name"], ev.get("total"))
        elif kind == "advance" and ev.get("name") in self.tasks:
            self.tasks[ev["name"]].advance(ev.get("n", 1), **ev.get("metrics", {}))
        elif kind == "done" and ev.get("name") in self.tasks:
            self.tasks[ev["name"]].done(**ev.get("metrics", {}))
        elif kind == "log":
            self.progress.log(ev.get("message", ""))
        elif kind == "result":
            self.result = ev["id"]


# -- what every rank runs -------------------------------------------------------------------------


class _PrintedProgress:
    """Rank 0's Progress: one JSON line per event, for the launcher to relay."""

    def task(self, name: str, total: int | None = None) -> _PrintedTask:
        _emit({"event": "task", "name": name, "total": total})
        return _PrintedTask(name)

    def log(self, message: str) -> None:
        _emit({"event": "log", "message": message})


class _PrintedTask:
    def __init__(self, name: str):
        self.name = name

    def advance(self, n: int = 1, **metrics: Any) -> None:
        _emit({"event": "advance", "name": self.name, "n": n, "metrics": _plain(metrics)})

    def done(self, **metrics: Any) -> None:
        _emit({"event": "done", "name": self.name, "metrics": _plain(metrics)})


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (int, float, str, bool, type(None))) else str(v) for k, v in d.items()}


def _emit(ev: dict[str, Any]) -> None:
    sys.stdout.write(MARK + json.dumps(ev) + "\n")
    sys.stdout.flush()


class FollowerStore(ArtifactStore):
    """A rank > 0's store: reads the real one, commits into a scratch folder (rank 0 commits)."""

    def __init__(self, real: ArtifactStore, scratch: Path):
        super().__init__(scratch)
        self.real = real

    def existing(self, kind: str, aid: str) -> Artifact | None:
        return self.real.existing(kind, aid)

    def get(self, aid: str) -> Artifact:
        return self.real.get(aid)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m forge.train.distributed",
        description="One rank of a Forge training run (start it with torchrun).",
    )
    parser.add_argument("spec", type=Path, help="spec JSON written by the launcher (forge train --nproc N)")
    args = parser.parse_args(argv)
    # a cancelled job's launcher stops the ranks with SIGTERM: unwind like Ctrl-C, so the staged
    # output and the scratch store are removed on the way out
    signal.signal(signal.SIGTERM, _interrupt)
    spec = json.loads(args.spec.read_text())
    rank = int(os.environ.get("RANK", "0"))

    from forge.config import parse_config
    from forge.quiet import quiet_ml_libraries
    from forge.train.methods import train_in_process

    quiet_ml_libraries()
    settings = Settings(home=Path(spec["home"]))
    real = ArtifactStore(Path(spec["artifacts"]))
    dataset = real.get(spec["dataset"])
    config = parse_config(TrainConfig, spec["config"], source=str(args.spec))
    checkpoint_dir = Path(spec["checkpoint_dir"]) if spec.get("checkpoint_dir") else None
    scratch = None
    progress: Progress
    if rank == 0:
        store, progress = real, _PrintedProgress()
    else:
        scratch = Path(tempfile.mkdtemp(prefix=f"forge-rank{rank}-"))
        store, progress = FollowerStore(real, scratch), NULL_PROGRESS
    try:
        art = train_in_process(
            store, dataset, spec["base_model"], config, progress, settings=settings, checkpoint_dir=checkpoint_dir
        )
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if rank == 0:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            progress.log(f"trained in a process group of {dist.get_world_size()} (backend {dist.get_backend()})")
        _emit({"event": "result", "id": art.id})
    return 0


if __name__ == "__main__":
    sys.exit(main())
