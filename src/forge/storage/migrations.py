"""Schema migrations: ordered, append-only, each a named function with fixed DDL.

A migration runs once per database and is recorded in `schema_migrations`. Never edit a
shipped one; add the next. The DDL is literal text: only the few type names that differ
between SQLite and PostgreSQL are filled in from `TYPES` (fixed too), so a database made
today is made exactly as one made by the release that shipped the migration.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

# SQLite / PostgreSQL spellings of the types the DDL uses. Never change an entry.
TYPES = {
    "sqlite": {"ts": "DATETIME", "serial": "INTEGER", "json": "JSON"},
    "postgresql": {"ts": "TIMESTAMP WITH TIME ZONE", "serial": "SERIAL", "json": "JSON"},
}


def _run(conn: Connection, ddl: str) -> None:
    types = TYPES.get(conn.dialect.name, TYPES["postgresql"])
    for statement in ddl.format(**types).split(";"):
        if statement.strip():
            conn.exec_driver_sql(statement)


def m0001_initial(conn: Connection) -> None:
    _run(
        conn,
        """
    CREATE TABLE jobs (
        id VARCHAR(32) NOT NULL,
        kind VARCHAR(32) NOT NULL,
        state VARCHAR(32) NOT NULL,
        "authorization" VARCHAR(128) NOT NULL,
        config {json} NOT NULL,
        result {json},
        error TEXT,
        created_at {ts} NOT NULL,
        updated_at {ts} NOT NULL,
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_jobs_state ON jobs (state);
    CREATE TABLE job_transitions (
        id {serial} NOT NULL,
        job_id VARCHAR(32) NOT NULL,
        from_state VARCHAR(32),
        to_state VARCHAR(32) NOT NULL,
        at {ts} NOT NULL,
        actor VARCHAR(128) NOT NULL,
        reason TEXT,
        PRIMARY KEY (id),
        FOREIGN KEY(job_id) REFERENCES jobs (id)
    );
    CREATE INDEX ix_job_transitions_job_id ON job_transitions (job_id);
    CREATE TABLE job_events (
        id {serial} NOT NULL,
        job_id VARCHAR(32) NOT NULL,
        at {ts} NOT NULL,
        kind VARCHAR(32) NOT NULL,
        data {json} NOT NULL,
        PRIMARY KEY (id),
        FOREIGN KEY(job_id) REFERENCES jobs (id)
    );
    CREATE INDEX ix_job_events_job_id ON job_events (job_id);
    CREATE TABLE model_versions (
        id {serial} NOT NULL,
        name VARCHAR(128) NOT NULL,
        version INTEGER NOT NULL,
        role VARCHAR(64),
        base VARCHAR(256) NOT NULL,
        status VARCHAR(32) NOT NULL,
        eval_score FLOAT,
        base_eval_score FLOAT,
        job_id VARCHAR(32),
        lineage {json} NOT NULL,
        hyperparameters {json} NOT NULL,
        details {json} NOT NULL,
        created_at {ts} NOT NULL,
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_model_versions_name ON model_versions (name)
    """,
    )


def m0002_registry_deployments_adapters(conn: Connection) -> None:
    # one version number per (name, version): two registrations racing for the next version
    # cannot both get it
    _run(
        conn,
        """
    CREATE TABLE deployments (
        id {serial} NOT NULL,
        target VARCHAR(128) NOT NULL,
        model VARCHAR(128) NOT NULL,
        version INTEGER NOT NULL,
        action VARCHAR(16) NOT NULL,
        previous VARCHAR(160),
        at {ts} NOT NULL,
        actor VARCHAR(128) NOT NULL,
        reason TEXT,
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_deployments_target ON deployments (target);
    CREATE TABLE adapters (
        id {serial} NOT NULL,
        name VARCHAR(128) NOT NULL,
        version INTEGER NOT NULL,
        task VARCHAR(128) NOT NULL,
        artifact_id VARCHAR(128) NOT NULL,
        compatible_with {json} NOT NULL,
        details {json} NOT NULL,
        created_at {ts} NOT NULL,
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_adapters_name ON adapters (name);
    CREATE UNIQUE INDEX IF NOT EXISTS ux_model_versions_name_version ON model_versions (name, version)
    """,
    )


def m0003_worker_and_governance(conn: Connection) -> None:
    _run(
        conn,
        """
    CREATE TABLE job_leases (
        job_id VARCHAR(32) NOT NULL,
        owner VARCHAR(128),
        expires_at {ts},
        attempts INTEGER NOT NULL,
        cancel_requested_at {ts},
        cancel_requested_by VARCHAR(128),
        resumed_from VARCHAR(32),
        checkpoint_key VARCHAR(32),
        PRIMARY KEY (job_id),
        FOREIGN KEY(job_id) REFERENCES jobs (id)
    );
    CREATE TABLE workers (
        id VARCHAR(128) NOT NULL,
        host VARCHAR(256) NOT NULL,
        pid INTEGER NOT NULL,
        started_at {ts} NOT NULL,
        heartbeat_at {ts} NOT NULL,
        stopped_at {ts},
        PRIMARY KEY (id)
    );
    CREATE TABLE environment_checks (
        id {serial} NOT NULL,
        host VARCHAR(256) NOT NULL,
        state VARCHAR(32) NOT NULL,
        at {ts} NOT NULL,
        actor VARCHAR(128) NOT NULL,
        details {json} NOT NULL,
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_environment_checks_host ON environment_checks (host)
    """,
    )


def m0004_api_tokens(conn: Connection) -> None:
    _run(
        conn,
        """
    CREATE TABLE api_tokens (
        id VARCHAR(32) NOT NULL,
        name VARCHAR(64) NOT NULL,
        scope VARCHAR(16) NOT NULL,
        token_sha256 VARCHAR(64) NOT NULL,
        prefix VARCHAR(16) NOT NULL,
        created_at {ts} NOT NULL,
        created_by VARCHAR(128) NOT NULL,
        last_used_at {ts},
        revoked_at {ts},
        PRIMARY KEY (id)
    );
    CREATE INDEX ix_api_tokens_name ON api_tokens (name);
    CREATE UNIQUE INDEX ux_api_tokens_token_sha256 ON api_tokens (token_sha256)
    """,
    )


# Append-only. (name, function) in the order they must run; the names are what databases record.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("0001_initial", m0001_initial),
    ("0002_registry_deployments_adapters", m0002_registry_deployments_adapters),
    ("0003_worker_and_governance", m0003_worker_and_governance),
    ("0004_api_tokens", m0004_api_tokens),
]
