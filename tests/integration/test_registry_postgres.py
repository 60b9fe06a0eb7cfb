"""The registry on PostgreSQL (a real server, started by test_postgres_queue's fixtures):
versions auto-increment without duplicates when registrations race, and deploy/rollback
history works the same as on SQLite."""

from __future__ import annotations

import threading

import pytest
from test_postgres_queue import pg_forge, pg_url  # noqa: F401 — fixtures

from forge.registry.api import deployments

pytestmark = pytest.mark.slow


def test_racing_registrations_get_distinct_versions_and_rollback_works(pg_forge):  # noqa: F811
    forge = pg_forge
    barrier = threading.Barrier(6)

    def register() -> None:
        barrier.wait()
        forge.registry.register(
            name="polecat",
            role="polecat",
            base="b",
            eval_score=0.9,
            base_eval_score=0.1,
            lineage={},
            hyperparameters={"lora_r": 8},
            details={},
        )

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.version for m in forge.registry.list()) == [1, 2, 3, 4, 5, 6]
    deps = deployments(forge)
    deps.deploy("polecat-v5", "rig1", actor="t")
    deps.deploy("polecat-v6", "rig1", actor="t")
    assert deps.rollback("rig1", actor="t").model == "polecat-v5"
    assert forge.registry.get("polecat-v6").status == "archived"
    assert deps.prune(2) == ["polecat-v4", "polecat-v3", "polecat-v2", "polecat-v1"]
