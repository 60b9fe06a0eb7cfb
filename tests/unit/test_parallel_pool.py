"""The stages' process pool: results in input order, children that do not inherit the parent's
locks, and a child that dies reported as an error instead of a wait that never ends.

The functions the children run live at module level: a child starts from a clean interpreter
and imports this module to find them.
"""

from __future__ import annotations

import os
import sys
import threading

import pytest

from forge.errors import ResourceError
from forge.parallel import OrderedPool, start_method

_LOCK = threading.Lock()  # held by a thread of the parent in one test
_OFFSET = 0


def _set_offset(offset: int) -> None:
    global _OFFSET
    _OFFSET = offset


def _plus_offset(x: int) -> tuple[int, int]:
    return x + _OFFSET, os.getpid()


def _takes_the_lock(_: int) -> bool:
    # 20 s: far longer than a free lock takes on any machine; a copy of a held one never frees
    got = _LOCK.acquire(timeout=20)
    if got:
        _LOCK.release()
    return got


def _dies_on_three(x: int) -> int:
    if x == 3:
        os._exit(1)  # what a child killed by the system looks like to the parent
    return x


def test_results_come_in_input_order_from_several_processes():
    with OrderedPool(2, _set_offset, (1000,)) as pool:
        out = list(pool.map(_plus_offset, range(200), chunksize=7))
    assert [v for v, _ in out] == [1000 + i for i in range(200)]  # the initializer ran in each
    assert os.getpid() not in {pid for _, pid in out}


def test_a_lock_a_parent_thread_holds_is_free_in_the_children():
    """Under fork a child copies the lock as held, and waits on it for ever; this is how a
    lease heartbeat writing the database could stall an ingest."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with _LOCK:
            held.set()
            release.wait(60)

    t = threading.Thread(target=holder, daemon=True)
    t.start()
    held.wait(10)
    if sys.platform == "linux":
        assert start_method() == "forkserver"
    try:
        with OrderedPool(2, _set_offset, (0,)) as pool:
            assert list(pool.map(_takes_the_lock, range(4))) == [True] * 4
    finally:
        release.set()
        t.join(10)


def test_a_child_that_dies_fails_the_work_with_a_clear_error():
    with OrderedPool(2, _set_offset, (0,)) as pool, pytest.raises(ResourceError) as e:
        list(pool.map(_dies_on_three, range(8)))
    assert "stopped without finishing" in str(e.value)
    assert "fewer workers" in str(e.value)


def test_a_script_read_from_stdin_can_run_a_pool_with_threads_alive():
    """Its main module's path is '<stdin>', which children started clean cannot open."""
    import subprocess

    script = (
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "from forge.parallel import OrderedPool, start_method\n"
        "with OrderedPool(2, int, ()) as pool:\n"
        "    print(start_method(), list(pool.map(abs, [-1, -2, -3])))\n"
    )
    out = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    expected = "forkserver" if sys.platform == "linux" else start_method()
    assert out.stdout.strip() == f"{expected} [1, 2, 3]"
