"""Shared fixtures. Every test gets its own FORGE_HOME so nothing touches ~/.forge."""

from __future__ import annotations

import os

import pytest

# Under pytest-xdist (make test: a test process per core) each process gets its share of the
# cores for torch's threads, and so do the workers and trainers its tests start: two processes
# of two threads each on two cores spin against each other (measured: the SFT and DPO tests
# took 31.7 s so, 16.7 s with one thread each). Forge's weights are the same for any thread
# count (forge/numerics.py). Set before torch is imported, which reads them once.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    _share = max(1, len(os.sched_getaffinity(0)) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, str(_share))

# first, so that Forge's CPU-numerics caps are set before any test imports torch
from forge import numerics as _numerics  # noqa: F401
from xdist_groups import pytest_xdist_make_scheduler  # noqa: F401  (a hook: one process per module)


@pytest.fixture
def forge_home(tmp_path, monkeypatch):
    home = tmp_path / "forge-home"
    monkeypatch.setenv("FORGE_HOME", str(home))
    monkeypatch.delenv("FORGE_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def forge(forge_home):
    """The facade on this test's own FORGE_HOME (environment not initialised)."""
    from forge.service import Forge

    return Forge()


@pytest.fixture(scope="session")
def planted_secret_pieces() -> list[str]:
    """Every fake secret the example generator planted; PEM blocks line by line (JSON escapes
    their newlines, so a whole block would never match even if it leaked)."""
    import importlib.util
    import sys
    from pathlib import Path

    name = "forge_example_generate_corpus"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "examples" / "generate_corpus.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    pieces = []
    for values in sys.modules[name].PLANTED_SECRETS.values():
        for value in values:
            pieces += [ln for ln in value.split("\n") if ln and not ln.startswith("-----")]
    return pieces
