"""make test's processes (pytest-xdist): each module's tests run in one process, so a module
fixture is built once (tests/xdist_groups.py). Pytest 9.2 silently broke pytest-xdist's own
grouping; this runs a real two-process pytest on two small modules to see it hold."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

MODULE = """
import os
import time

import pytest


@pytest.fixture(scope="module")
def built():
    with open(os.environ["BUILDS_LOG"], "a") as f:
        f.write(f"{{__name__}} {{os.environ['PYTEST_XDIST_WORKER']}}\\n")


@pytest.mark.parametrize("i", range({n}))
def test_uses_the_module_fixture(built, i):
    time.sleep(0.05)  # long enough that both processes are handed tests before this module ends
"""


def test_each_module_runs_whole_in_one_process_and_builds_its_fixture_once(tmp_path):
    (tmp_path / "conftest.py").write_text("from xdist_groups import pytest_xdist_make_scheduler  # noqa: F401\n")
    for name in ("test_first", "test_second"):
        (tmp_path / f"{name}.py").write_text(MODULE.format(n=8))
    log = tmp_path / "builds.log"
    # (not this run's own xdist and coverage settings: the inner run is a run of its own)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    env |= {"BUILDS_LOG": str(log), "PYTHONPATH": str(TESTS)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    builds = sorted(log.read_text().split("\n")[:-1])
    # one build per module (in whichever process took it), not one per module per process
    assert [b.split()[0] for b in builds] == ["test_first", "test_second"], builds
