"""Migrations are fixed DDL: a database made by the previous release opens with today's code,
and a new database gets exactly the tables and columns the code queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import inspect

from forge.jobs.state_machine import JobState
from forge.jobs.store import JobStore
from forge.registry.models import Registry
from forge.storage import connect, migrate
from forge.storage.migrations import MIGRATIONS
from forge.storage.schema import metadata

OLD_RELEASE = Path(__file__).resolve().parents[1] / "fixtures" / "storage" / "release-77544f9-sqlite.sql"


def _columns(engine) -> dict[str, dict[str, tuple[str, bool]]]:
    insp = inspect(engine)
    return {
        t: {c["name"]: (str(c["type"]), bool(c["nullable"])) for c in insp.get_columns(t)}
        for t in insp.get_table_names()
    }


def _indexes(engine) -> dict[str, set[tuple[str, tuple[str, ...], bool]]]:
    insp = inspect(engine)
    return {
        t: {(i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in insp.get_indexes(t)}
        for t in insp.get_table_names()
    }


def test_a_database_from_the_previous_release_opens_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(OLD_RELEASE.read_text())
    con.close()
    engine = connect(f"sqlite:///{path}")  # runs whatever migrations the old database lacks
    fresh = connect(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert _columns(engine) == _columns(fresh)  # same schema as a database made today
    assert _indexes(engine) == _indexes(fresh)
    [job] = JobStore(engine).list()
    assert job.state is JobState.TESTS_PASSED and job.authorization == "gt-old1"
    assert [t["to"] for t in JobStore(engine).transitions(job.id)][-1] == "TESTS_PASSED"
    assert JobStore(engine).last_event(job.id, "progress")["loss"] == 2.5
    assert Registry(engine).get("polecat").display_name == "polecat-v1"
    # today's code can keep writing to it
    JobStore(engine).create("verify", {"artifacts": ["a"]}, authorization="gt-new", actor="pytest")
    assert migrate(engine) == []


def test_every_table_and_column_the_code_queries_is_made_by_the_migrations(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'forge.db'}")
    made = _columns(engine)
    for table in metadata.sorted_tables:
        assert table.name in made, f"no migration creates {table.name}"
        assert set(made[table.name]) == {c.name for c in table.columns}, table.name
        for col in table.columns:
            assert made[table.name][col.name][1] == bool(col.nullable), (
                f"{table.name}.{col.name}: nullability differs between schema.py and the migrations"
            )


def test_migration_names_are_append_only():
    # databases record these names; renaming or reordering one would re-run it
    assert [n for n, _ in MIGRATIONS][:3] == [
        "0001_initial",
        "0002_registry_deployments_adapters",
        "0003_worker_and_governance",
    ]
