"""Registry tables beyond model_versions: deployments (the history, newest row = current) and
task adapters. They share forge.db's metadata; db.py's migration list creates them."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Table, Text
from sqlalchemy.engine import Connection

from forge.db import metadata

deployments = Table(  # append-only history; the latest row per target says what runs there
    "deployments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(128), nullable=False, index=True),
    Column("model", String(128), nullable=False),       # family name, e.g. "polecat"
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),       # deploy | rollback
    Column("previous", String(160), nullable=True),     # NAME-vN the target ran before (rollback goes there)
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=True),
)

adapters = Table(  # stackable task adapters (seed 004: bead-create, code-review, planning ...)
    "adapters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("task", String(128), nullable=False),
    Column("artifact_id", String(128), nullable=False),
    Column("compatible_with", JSON, nullable=False),    # list of NAME-vN model versions
    Column("details", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

REGISTRY_TABLES = [deployments, adapters]


def create_registry_schema(conn: Connection) -> None:
    """The registry migration: the tables above, and one version number per (name, version) so
    two registrations racing for the next version cannot both get it."""
    metadata.create_all(conn, tables=REGISTRY_TABLES)
    # plain SQL (SQLite and PostgreSQL both speak it), not an Index object: that would attach
    # to model_versions in the shared metadata and leak into the first migration's create_all
    conn.exec_driver_sql("CREATE UNIQUE INDEX IF NOT EXISTS ux_model_versions_name_version "
                         "ON model_versions (name, version)")
