"""Database: SQLite under FORGE_HOME by default, any SQLAlchemy URL through FORGE_DATABASE_URL.

`schema` holds the tables (for queries); `migrations` creates and changes them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event, inspect, select
from sqlalchemy.engine import Engine

from forge.storage.migrations import MIGRATIONS
from forge.storage.schema import schema_migrations, utcnow

SCHEMA_MIGRATIONS_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(128) NOT NULL, "
    "applied_at {ts} NOT NULL, PRIMARY KEY (name))"
)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
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
    """Apply every migration not yet recorded, in order; return the names applied."""
    from forge.storage.migrations import TYPES

    applied_now = []
    with engine.begin() as conn:
        types = TYPES.get(conn.dialect.name, TYPES["postgresql"])
        conn.exec_driver_sql(SCHEMA_MIGRATIONS_DDL.format(**types))
        done = set(conn.execute(select(schema_migrations.c.name)).scalars())
        for name, fn in MIGRATIONS:
            if name not in done:
                fn(conn)
                conn.execute(schema_migrations.insert().values(name=name, applied_at=utcnow()))
                applied_now.append(name)
    return applied_now


def table_names(engine: Engine) -> list[str]:
    return sorted(inspect(engine).get_table_names())


__all__ = ["connect", "migrate", "table_names", "utcnow"]
