"""Resolving the base model a stage starts from: the tiny default, an artifact, a path or a Hub id.

Every stage that loads a base model goes through `resolve_base`, so the tiny default and a
real model take the same code path. The identity goes into the artifact id: the tiny base is
named by its recipe hash, an artifact by its id, a plain path or Hub id by itself.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from forge.artifacts import MANIFEST, Artifact, ArtifactStore
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings
from forge.models.tiny_base import TINY_MODELS, ensure_base_model


@dataclass
class ResolvedBase:
    ref: str                      # what the user asked for
    location: str                 # what from_pretrained loads: a local dir or a Hub id
    identity: str                 # stable name used in artifact ids
    artifacts: list[Artifact] = field(default_factory=list)  # manifest inputs (when an artifact)


def settings_for(store: ArtifactStore, settings: Settings | None) -> Settings:
    """The settings a store belongs to (stores live at <home>/artifacts)."""
    return settings or Settings(home=store.root.parent)


def resolve_base(base_model: str | Path | Artifact, settings: Settings,
                 progress: Progress = NULL_PROGRESS) -> ResolvedBase:
    if isinstance(base_model, Artifact):
        return ResolvedBase(base_model.id, str(base_model.path), base_model.id, [base_model])
    ref = str(base_model)
    if ref in TINY_MODELS:
        path = Path(ensure_base_model(ref, settings, progress))
        return ResolvedBase(ref, str(path), f"{ref}@{path.name}")
    path = Path(ref).expanduser()
    if (path / MANIFEST).is_file():
        art = Artifact.load(path)
        return ResolvedBase(ref, str(path), art.id, [art])
    if path.is_dir():
        return ResolvedBase(ref, str(path.resolve()), str(path.resolve()))
    return ResolvedBase(ref, ref, ref)  # a Hub id; from_pretrained reports it if unknown
