"""What every part of the facade works with: one open Forge home."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from forge.artifacts import ArtifactStore
    from forge.jobs.store import JobStore
    from forge.registry.models import Registry
    from forge.settings import Settings


class ForgeHome:
    """Attributes `Forge.__init__` sets; the API mixins are written against them."""

    settings: Settings
    engine: Engine
    store: ArtifactStore
    jobs: JobStore
    registry: Registry
