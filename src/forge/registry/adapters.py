"""Task adapters: stackable LoRA adapters for one task (bead-create, code-review,
planning ...), each versioned per name and listed with the model versions it works on."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from forge.artifacts import ArtifactStore
from forge.errors import ForgeError
from forge.registry.models import Registry
from forge.storage.schema import adapters, utcnow


@dataclass
class TaskAdapter:
    name: str
    version: int
    task: str
    artifact_id: str
    compatible_with: list[str]
    details: dict[str, Any]
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "task": self.task,
            "artifact_id": self.artifact_id,
            "compatible_with": self.compatible_with,
            "details": self.details,
            "created_at": self.created_at.isoformat(),
        }


def _ad(row) -> TaskAdapter:
    return TaskAdapter(
        name=row.name,
        version=row.version,
        task=row.task,
        artifact_id=row.artifact_id,
        compatible_with=list(row.compatible_with),
        details=row.details,
        created_at=row.created_at,
    )


class Adapters:
    def __init__(self, registry: Registry, store: ArtifactStore):
        self.registry, self.store, self.engine = registry, store, registry.engine

    def register(
        self,
        name: str,
        *,
        task: str,
        artifact_id: str,
        compatible_with: list[str],
        details: dict[str, Any] | None = None,
    ) -> TaskAdapter:
        art = self.store.get(artifact_id)
        if art.kind != "adapter":
            raise ForgeError(f"{artifact_id} is a {art.kind} artifact, not an adapter")
        models = [self.registry.get(ref).display_name for ref in compatible_with]  # each must exist
        with self.engine.begin() as conn:
            latest = conn.execute(select(func.max(adapters.c.version)).where(adapters.c.name == name)).scalar()
            conn.execute(
                adapters.insert().values(
                    name=name,
                    version=(latest or 0) + 1,
                    task=task,
                    artifact_id=art.id,
                    compatible_with=models,
                    details=details or {},
                    created_at=utcnow(),
                )
            )
        return self.list(name)[0]

    def list(self, name: str | None = None) -> list[TaskAdapter]:
        q = select(adapters).order_by(adapters.c.name, adapters.c.version.desc())
        if name:
            q = q.where(adapters.c.name == name)
        with self.engine.connect() as conn:
            return [_ad(r) for r in conn.execute(q).all()]

    def for_model(self, display_name: str) -> builtins.list[TaskAdapter]:
        """The newest version of each adapter that works on this model version."""
        seen: dict[str, TaskAdapter] = {}
        for a in self.list():
            if display_name in a.compatible_with and a.name not in seen:
                seen[a.name] = a
        return list(seen.values())
