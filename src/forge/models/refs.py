"""What a MODEL argument names: a registry model (polecat, polecat-v2), an artifact or model
directory, a GGUF file, or a Hugging Face Hub id — resolved once for eval, export and infer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import MANIFEST, Artifact
from forge.errors import ForgeError, InputError, NotFound


@dataclass
class ResolvedModel:
    ref: str
    location: str  # what from_pretrained (or llama.cpp) loads
    adapters: list[str] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)  # inputs for artifact ids
    artifact: Artifact | None = None  # the model's own artifact (merged, gguf, ...)
    base: str | None = None  # the base model to compare with (registry models)
    dataset: Artifact | None = None  # the dataset it was trained on (held-out slice)
    adapter: Artifact | None = None  # the adapter it was merged from
    registry_name: str | None = None

    @property
    def kind(self) -> str:
        return self.artifact.kind if self.artifact else "model"


def _artifact_or_none(forge: Any, aid: str | None) -> Artifact | None:
    if not aid:
        return None
    try:
        return forge.store.get(aid)
    except (NotFound, ForgeError):
        return None


def resolve_model(forge: Any, ref: str, adapters: list[str] | None = None) -> ResolvedModel:
    """Resolve `ref`; a model that lives in an artifact is checked against its manifest's
    SHA-256s first, so nothing loads a file that changed after it was exported."""
    resolved = _resolve(forge, ref, adapters)
    if resolved.artifact is not None:
        resolved.artifact.verify()
    return resolved


def _resolve(forge: Any, ref: str, adapters: list[str] | None) -> ResolvedModel:
    adapters = [a for a in (adapters or []) if a]
    for a in adapters:
        if not Path(a).exists():
            raise InputError("adapter not found", path=a)
    path = Path(ref).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        art = Artifact.load(path.parent) if (path.parent / MANIFEST).is_file() else None
        return ResolvedModel(ref, str(path), adapters, [art] if art else [], art)
    if (path / MANIFEST).is_file():
        art = Artifact.load(path)
        return ResolvedModel(ref, str(path), adapters, [art], art)
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise InputError("not a model directory (no config.json)", path=str(path))
        return ResolvedModel(ref, str(path.resolve()), adapters)
    if ref.startswith(("merged_model-", "full_model-", "gguf-", "ollama-", "adapter-", "base_model-")):
        art = forge.store.get(ref)
        return ResolvedModel(ref, str(art.path), adapters, [art], art)
    try:
        mv = forge.registry.get(ref)
    except NotFound:
        mv = None
    if mv is not None:
        merged = Path(mv.details.get("merged_path") or "")
        if not (merged / MANIFEST).is_file():
            raise NotFound(
                f"{mv.display_name}: its merged model is gone ({merged})", hint="re-run the pipeline that made it"
            )
        art = Artifact.load(merged)
        return ResolvedModel(
            ref,
            str(merged),
            adapters,
            [art],
            art,
            base=mv.base,
            dataset=_artifact_or_none(forge, mv.lineage.get("dataset")),
            adapter=_artifact_or_none(forge, mv.lineage.get("adapter")),
            registry_name=mv.display_name,
        )
    if "/" in ref and not ref.startswith((".", "/", "~")):
        return ResolvedModel(ref, ref, adapters)  # a Hub id: from_pretrained says if unknown
    raise NotFound(
        f"no model {ref!r}: not a registered model, a path or a Hub id (org/name)", hint="see `forge model list`"
    )
