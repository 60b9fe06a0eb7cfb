"""Every table Forge keeps, in one place: what the code reads and writes today.

These objects are for queries only. The database is created and changed by the ordered,
append-only migrations in `forge.storage.migrations`, whose DDL is fixed text: editing a
column here never changes how an existing or a new database is made — add a migration.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Column, DateTime, Float, ForeignKey, Integer, MetaData, String, Table, Text

metadata = MetaData()


def utcnow() -> datetime:
    return datetime.now(UTC)


schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
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
    "job_transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("from_state", String(32), nullable=True),
    Column("to_state", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=True),
)

job_events = Table(  # progress and log events, followable
    "job_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(32), ForeignKey("jobs.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("data", JSON, nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("role", String(64), nullable=True),
    Column("base", String(256), nullable=False),
    Column("status", String(32), nullable=False),
    Column("eval_score", Float, nullable=True),
    Column("base_eval_score", Float, nullable=True),
    Column("job_id", String(32), nullable=True),
    Column("lineage", JSON, nullable=False),  # artifact ids by stage
    Column("hyperparameters", JSON, nullable=False),
    Column("details", JSON, nullable=False),  # corpus size, DPO pairs, adapters, eval
    Column("created_at", DateTime(timezone=True), nullable=False),
)


job_leases = Table(  # who runs a job now, until when; cancel requests; resume links
    "job_leases",
    metadata,
    Column("job_id", String(32), ForeignKey("jobs.id"), primary_key=True),
    Column("owner", String(128), nullable=True),  # worker id holding it; None: free
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),  # claims so far
    Column("cancel_requested_at", DateTime(timezone=True), nullable=True),
    Column("cancel_requested_by", String(128), nullable=True),
    Column("resumed_from", String(32), nullable=True),  # the FAILED/CANCELLED job it continues
    Column("checkpoint_key", String(32), nullable=True),  # jobs/<key>/checkpoints (shared on resume)
)

workers = Table(  # live workers announce themselves; `ensure_worker_running` reads this
    "workers",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("host", String(256), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("stopped_at", DateTime(timezone=True), nullable=True),
)

environment_checks = Table(  # operational state per host: INACTIVE_UNSAFE until `forge env init`
    "environment_checks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("host", String(256), nullable=False, index=True),
    Column("state", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("details", JSON, nullable=False),
)

deployments = Table(  # append-only history; the latest row per target says what runs there
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("target", String(128), nullable=False, index=True),
    Column("model", String(128), nullable=False),  # family name, e.g. "polecat"
    Column("version", Integer, nullable=False),
    Column("action", String(16), nullable=False),  # deploy | rollback
    Column("previous", String(160), nullable=True),  # NAME-vN the target ran before (rollback goes there)
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=True),
)

adapters = Table(  # stackable task adapters (bead-create, code-review, planning ...)
    "adapters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("task", String(128), nullable=False),
    Column("artifact_id", String(128), nullable=False),
    Column("compatible_with", JSON, nullable=False),  # list of NAME-vN model versions
    Column("details", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(  # bearer tokens for the REST API, web UI, MCP HTTP and `forge serve` (forge.auth)
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, index=True),
    Column("scope", String(16), nullable=False),  # read | write | admin
    Column("token_sha256", String(64), nullable=False, unique=True),  # never the token itself
    Column("prefix", String(16), nullable=False),  # forge_xxxxxx, to tell tokens apart
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(128), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
