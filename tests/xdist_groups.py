"""How make test spreads the suite over a pytest-xdist process per core: each group of tests
whole on one process, so a module fixture (a model trained once for its module's tests) is built
once. tests/conftest.py installs the hook; tests/unit/test_xdist_groups.py checks it."""

from __future__ import annotations


def test_group(nodeid: str) -> str:
    """The tests that run in one process: a module's, and the web tests together (they share one
    session's trained model)."""
    path = nodeid.split("::", 1)[0]
    return "tests/web" if path.startswith("tests/web/") else path


test_group.__test__ = False  # type: ignore[attr-defined]  # (not a test: pytest collects test_*)


def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's own `--dist loadgroup` reads groups off test ids that a marker suffixes,
    which pytest 9.2 no longer lets it change (pytest-xdist issue #1386): every module fixture
    was then built in each process, twice the work. This scheduler groups by the id itself.
    (Another --dist asked for by name, loadfile or worksteal, is left to pytest-xdist.)"""
    if config.getvalue("dist") not in ("load", "loadgroup"):
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return test_group(nodeid)

    return GroupScheduling(config, log)
