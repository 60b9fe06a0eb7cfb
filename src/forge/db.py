"""Database: SQLite under FORGE_HOME by default, any SQLAlchemy URL through FORGE_DATABASE_URL.

Schema changes are ordered, append-only, named migrations: each runs once and is recorded in
`schema_migrations`. Never edit a shipped migration; add the next one.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import (JSON, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table,
                        Text, create_engine, event, inspect, select)
from sqlalchemy.engine import Connection, Engine

metadata = MetaData()


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


schema_migrations = Table(
    "schema_migrations", metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("state", String(32), nullable=False, index=True),
    Column("authorization", String(128), nullable=False),
    Column("config", JSON, nullable=False),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

job_transitions = Table(  # the audit trail: one row per state change
    "job_transitions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=True),
)

job_events = Table(  # progress and log events, followable
    "job_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("data", JSON, nullable=False),
)

model_versions = Table(
    "model_versions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("role", String(64), nullable=True),
    Column("base", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("eval_score", Float, nullable=True),
    Column("base_eval_score", Float, nullable=True),
    Column("job_id", String(32), nullable=True),
    Column("lineage", JSON, nullable=False),          # artifact ids by stage
    Column("hyperparameters", JSON, nullable=False),
    Column("details", JSON, nullable=False),          # corpus size, DPO pairs, adapters, eval
    Column("created_at", DateTime(timezone=True), nullable=False),
)


job_leases = Table(  # who runs a job now, until when; cancel requests; resume links
    "job_leases", metadata,
    Column("job_id", String(32), ForeignKey("jobs.id"), primary_key=True),
    Column("owner", String(128), nullable=True),            # worker id holding it; None: free
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),  # claims so far
    Column("cancel_requested_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested_by", String(128), nullable=True),
    Column("resumed_from", String(32), nullable=True),       # the FAILED/CANCELLED job it continues
    Column("checkpoint_key", String(32), nullable=True),     # jobs/<key>/checkpoints (shared on resume)
)

workers = Table(  # live workers announce themselves; `ensure_worker_running` reads this
    "workers", metadata,
    Column("id", String(128), primary_key=True),
    Column("host", String(256), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True), nullable=True),
)

environment_checks = Table(  # operational state per host: INACTIVE_UNSAFE until `forge env init`
    "environment_checks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(256), nullable=False, index=True),
    Column("state", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("details", JSON, nullable=False),
)


def _m0001_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[jobs, job_transitions, job_events, model_versions])


def _m_registry_deployments_adapters(conn: Connection) -> None:
    from forge.registry.tables import create_registry_schema  # defined beside the registry code
    create_registry_schema(conn)


def _m0003_worker_and_governance(conn: Connection) -> None:
    metadata.create_all(conn, tables=[job_leases, workers, environment_checks])


# Append-only. (name, function) in the order they must run.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", _m0001_initial),
    ("0002_registry_deployments_adapters", _m_registry_deployments_adapters),
    ("0003_worker_and_governance", _m0003_worker_and_governance),
]


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")      # readers never block the writer
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def connect(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    migrate(engine)
    return engine


def migrate(engine: Engine) -> list[str]:
    """Apply every migration not yet recorded; return the names applied."""
    applied_now = []
    with engine.begin() as conn:
        schema_migrations.create(conn, checkfirst=True)
        done = set(conn.execute(select(schema_migrations.c.name)).scalars())
        for name, fn in MIGRATIONS:
            if name not in done:
                fn(conn)
                conn.execute(schema_migrations.insert().values(name=name, applied_at=utcnow()))
                applied_now.append(name)
    return applied_now


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())
