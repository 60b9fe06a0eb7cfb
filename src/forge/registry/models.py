"""Model registry: versioned models with lineage to every artifact that made them.

A model family has a name (e.g. "polecat"); each registration gets the next version number,
shown as NAME-vN ("polecat-v3") as in Gas Town's `gt model list`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Engine

from forge.errors import NotFound
from forge.storage.schema import model_versions, utcnow

STATUSES = ("candidate", "active", "archived")
_VERSIONED = re.compile(r"^(?P<name>.+)-v(?P<version>\d+)$")


def split_ref(ref: str) -> tuple[str, int | None]:
    """`polecat-v2` → ("polecat", 2); `polecat` → ("polecat", None)."""
    m = _VERSIONED.match(ref)
    return (m["name"], int(m["version"])) if m else (ref, None)


@dataclass
class ModelVersion:
    name: str
    version: int
    role: str | None
    base: str
    status: str
    eval_score: float | None
    base_eval_score: float | None
    job_id: str | None
    lineage: dict[str, Any]
    hyperparameters: dict[str, Any]
    details: dict[str, Any]
    created_at: datetime

    @property
    def display_name(self) -> str:
        return f"{self.name}-v{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.display_name,
            "family": self.name,
            "version": self.version,
            "role": self.role,
            "base": self.base,
            "status": self.status,
            "eval_score": self.eval_score,
            "base_eval_score": self.base_eval_score,
            "job_id": self.job_id,
            "lineage": self.lineage,
            "hyperparameters": self.hyperparameters,
            "details": self.details,
            "created_at": self.created_at.isoformat(),
        }


def _mv(row) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        role=row.role,
        base=row.base,
        status=row.status,
        eval_score=row.eval_score,
        base_eval_score=row.base_eval_score,
        job_id=row.job_id,
        lineage=row.lineage,
        hyperparameters=row.hyperparameters,
        details=row.details,
        created_at=row.created_at,
    )


class Registry:
    def __init__(self, engine: Engine):
        self.engine = engine

    def register(
        self,
        *,
        name: str,
        role: str | None,
        base: str,
        eval_score: float | None,
        base_eval_score: float | None,
        lineage: dict[str, Any],
        hyperparameters: dict[str, Any],
        details: dict[str, Any],
        job_id: str | None = None,
        status: str = "candidate",
    ) -> ModelVersion:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        from sqlalchemy.exc import IntegrityError

        for attempt in range(20):  # a concurrent registration took the number: take the next
            try:
                with self.engine.begin() as conn:
                    latest = conn.execute(
                        select(func.max(model_versions.c.version)).where(model_versions.c.name == name)
                    ).scalar()
                    version = (latest or 0) + 1
                    conn.execute(
                        model_versions.insert().values(
                            name=name,
                            version=version,
                            role=role,
                            base=base,
                            status=status,
                            eval_score=eval_score,
                            base_eval_score=base_eval_score,
                            job_id=job_id,
                            lineage=lineage,
                            hyperparameters=hyperparameters,
                            details=details,
                            created_at=utcnow(),
                        )
                    )
                break
            except IntegrityError:
                if attempt == 19:
                    raise
        return self.get(f"{name}-v{version}")

    def list(self) -> list[ModelVersion]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(model_versions).order_by(model_versions.c.name, model_versions.c.version.desc())
            ).all()
        return [_mv(r) for r in rows]

    def get(self, ref: str) -> ModelVersion:
        """`polecat-v2` names one version; `polecat` names the latest version of the family."""
        m = _VERSIONED.match(ref)
        with self.engine.connect() as conn:
            q = select(model_versions)
            if m:
                q = q.where(model_versions.c.name == m["name"], model_versions.c.version == int(m["version"]))
            else:
                q = q.where(model_versions.c.name == ref).order_by(model_versions.c.version.desc())
            row = conn.execute(q.limit(1)).first()
        if row is None:
            known = sorted({v.display_name for v in self.list()})
            hint = ("registered: " + ", ".join(known[:10])) if known else "run `forge demo` or `forge train` first"
            raise NotFound(f"no model {ref!r} in the registry", hint=hint)
        return _mv(row)

    def set_status(self, name: str, version: int, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        with self.engine.begin() as conn:
            conn.execute(
                update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(status=status)
            )

    def delete(self, name: str, version: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(model_versions).where(model_versions.c.name == name, model_versions.c.version == version)
            )

    def update_details(self, name: str, version: int, changes: dict[str, Any]) -> None:
        """Merge `changes` into a version's details (e.g. where it was published)."""
        current = self.get(f"{name}-v{version}")
        with self.engine.begin() as conn:
            conn.execute(
                update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(details={**current.details, **changes})
            )
