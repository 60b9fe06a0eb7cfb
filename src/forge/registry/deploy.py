"""Deploy, rollback and prune: which model version runs on which target, with full history.

A target is a Gas Town role (deacon, witness, polecat, ...; gated by the rollout order) or any
other name (a rig, a host). Every deploy and rollback appends a row; the newest row for a
target is what runs there. Rollback = point the target at what it ran before (town settings
reference a specific version). Model status follows: a version running somewhere is active,
one that ran and no longer does is archived, one never deployed stays a candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from forge.errors import ForgeError, NotFound
from forge.registry.models import ModelVersion, Registry
from forge.registry.rollout import RolloutConfig, check_rollout
from forge.storage.schema import deployments, utcnow

_TARGET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")


@dataclass
class Deployment:
    id: int
    target: str
    model: str  # NAME-vN
    action: str
    previous: str | None
    at: datetime
    actor: str
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "model": self.model,
            "action": self.action,
            "previous": self.previous,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "reason": self.reason,
        }


def _dep(row) -> Deployment:
    return Deployment(
        id=row.id,
        target=row.target,
        model=f"{row.model}-v{row.version}",
        action=row.action,
        previous=row.previous,
        at=row.at,
        actor=row.actor,
        reason=row.reason,
    )


class Deployments:
    def __init__(self, registry: Registry, rollout: RolloutConfig):
        self.registry, self.rollout = registry, rollout
        self.engine = registry.engine

    # -- reading ------------------------------------------------------------------------------
    def history(self, target: str | None = None) -> list[Deployment]:
        q = select(deployments).order_by(deployments.c.id)
        if target is not None:
            q = q.where(deployments.c.target == target)
        with self.engine.connect() as conn:
            return [_dep(r) for r in conn.execute(q).all()]

    def current(self) -> dict[str, Deployment]:
        """Target → its newest deployment row (what runs there now)."""
        out: dict[str, Deployment] = {}
        for d in self.history():
            out[d.target] = d
        return out

    def targets_of(self, model: str) -> list[str]:
        return sorted(t for t, d in self.current().items() if d.model == model)

    # -- changing -----------------------------------------------------------------------------
    def deploy(self, ref: str, target: str, *, actor: str) -> Deployment:
        if not _TARGET.match(target):
            raise ForgeError(
                f"invalid target {target!r}",
                hint="a role (deacon, witness, polecat, crew, mayor) "
                "or a rig name: letters, digits, '-', '_', '.', ':'",
            )
        model = self.registry.get(ref)
        now = self.current().get(target)
        if now is not None and now.model == model.display_name:
            raise ForgeError(f"{target} already runs {model.display_name}")
        running = {t: d.model for t, d in self.current().items()}
        why = check_rollout(self.rollout, model, target, running)
        row = self._append(target, model, "deploy", now.model if now else None, actor, why)
        self._refresh_statuses()
        return row

    def rollback(self, target: str, *, actor: str) -> Deployment:
        now = self.current().get(target)
        if now is None:
            raise NotFound(
                f"nothing is deployed to {target!r}",
                hint="`forge model deploy NAME --to TARGET` first; "
                f"targets: {', '.join(sorted(self.current())) or 'none'}",
            )
        if not now.previous:
            raise ForgeError(f"{target} runs {now.model}, its first deployment; there is nothing to roll back to")
        try:
            back = self.registry.get(now.previous)
        except NotFound:
            raise ForgeError(f"cannot roll {target} back to {now.previous}: that version was pruned") from None
        # the row that first put `back` here knows what ran before it: a second rollback goes there
        before = None
        for d in reversed(self.history(target)):
            if d.id < now.id and d.model == back.display_name:
                before = d.previous
                break
        row = self._append(target, back, "rollback", before, actor, f"rolled back from {now.model}")
        self._refresh_statuses()
        return row

    def prune(self, keep: int, *, dry_run: bool = False) -> list[str]:
        """Remove all but the newest `keep` versions of each family from the registry; never a
        version that runs somewhere. Artifacts stay in the store (other versions may share them)."""
        if keep < 1:
            raise ForgeError("--keep must be at least 1")
        running = {d.model for d in self.current().values()}
        by_family: dict[str, list[ModelVersion]] = {}
        for m in self.registry.list():  # newest first within a family
            by_family.setdefault(m.name, []).append(m)
        removed = []
        for versions in by_family.values():
            for m in versions[keep:]:
                if m.display_name in running:
                    continue
                removed.append(m.display_name)
                if not dry_run:
                    self.registry.delete(m.name, m.version)
        return removed

    def _append(
        self, target: str, model: ModelVersion, action: str, previous: str | None, actor: str, reason: str
    ) -> Deployment:
        with self.engine.begin() as conn:
            conn.execute(
                deployments.insert().values(
                    target=target,
                    model=model.name,
                    version=model.version,
                    action=action,
                    previous=previous,
                    at=utcnow(),
                    actor=actor,
                    reason=reason,
                )
            )
        return self.history(target)[-1]

    def _refresh_statuses(self) -> None:
        running = {d.model for d in self.current().values()}
        ever = {d.model for d in self.history()}
        for m in self.registry.list():
            status = "active" if m.display_name in running else "archived" if m.display_name in ever else "candidate"
            if status != m.status:
                self.registry.set_status(m.name, m.version, status)
