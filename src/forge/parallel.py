"""Process pools for the stages that spread pure per-item work over cores (ingest, dedupe).

Two hazards of `multiprocessing.Pool` are avoided here:
- A forked child copies every lock as it was at the fork. A job runs with other threads alive
  (the lease heartbeat writing the database, a progress display), so a child could inherit a
  lock held mid-operation and wait on it forever. A process with one thread forks (fast, and
  a script need not guard its main code); any other starts children from a clean interpreter
  (`forkserver`, or `spawn` where the platform lacks it).
- A child that dies (killed by the system for memory, a crash in native code) leaves
  `Pool.imap` waiting forever for its task. `ProcessPoolExecutor` notices and raises; the stage
  fails with a message that says what happened.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from forge.errors import ResourceError

T = TypeVar("T")
R = TypeVar("R")


def start_method() -> str:
    if sys.platform == "linux" and os_threads() == 1:
        return "fork"
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def os_threads() -> int:
    """Threads of this process, native ones included (a library's own pool is one too)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return 2  # unknown: count as threaded, the safe side


class OrderedPool:
    """`workers` processes, each set up once by `initializer(*initargs)`; `map` yields results
    in input order. Close it (or use `with`) to stop the processes: work not yet started is
    dropped, work running finishes first (at most one chunk per process)."""

    def __init__(self, workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()):
        self._executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context(start_method()),
            initializer=initializer,
            initargs=initargs,
        )

    def map(self, fn: Callable[[T], R], items: Iterable[T], chunksize: int = 1) -> Iterator[R]:
        with _main_without_a_missing_file():  # the processes start as the chunks are submitted
            results = self._executor.map(fn, items, chunksize=chunksize)
        return _reporting_a_dead_worker(results)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> OrderedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def _main_without_a_missing_file() -> Iterator[None]:
    """A child started clean runs the main module again from its path. A script read from
    stdin has the path '<stdin>', which no child can open: hide it while children start (they
    run Forge's functions, never the script's)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if main is None or path is None or os.path.isfile(path):
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def _reporting_a_dead_worker(results: Iterator[R]) -> Iterator[R]:
    try:
        yield from results
    except BrokenProcessPool as e:
        raise ResourceError(
            "a worker process of this stage stopped without finishing its work "
            "(killed by the system, most often for lack of memory, or it could not start)",
            hint="run again with fewer workers (the stage's `workers` option; 1 runs the work "
            'in this process); a Python script that runs Forge must do so under `if __name__ == "__main__":`',
        ) from e
