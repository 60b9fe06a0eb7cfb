"""Resolving the base model a stage starts from: the tiny default, an artifact, a path, an alias
(`qwen2.5-coder-7b`, see aliases.py) or a Hub id.

Every stage that loads a base model goes through `resolve_base`, so the tiny default and a
real model take the same code path. The identity goes into the artifact id: the tiny base is
named by its recipe hash, an artifact by its id, a plain path by itself, an alias or Hub id by
the Hub id. A Hub model that is not in the local cache is checked before any work starts:
offline (HF_HUB_OFFLINE), or with the Hub out of reach, the error names the model and the ways
out instead of a download traceback deep inside training.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from forge.artifacts import MANIFEST, Artifact, ArtifactStore
from forge.errors import ForgeError, InputError
from forge.models.aliases import lookup
from forge.models.tiny_base import TINY_MODELS, base_identity, ensure_base_model
from forge.progress import NULL_PROGRESS, Progress
from forge.settings import Settings


@dataclass
class ResolvedBase:
    ref: str  # what the user asked for
    location: str  # what from_pretrained loads: a local dir or a Hub id
    identity: str  # stable name used in artifact ids
    artifacts: list[Artifact] = field(default_factory=list)  # manifest inputs (when an artifact)
    # What a training backend that loads its base in 4 bits should load instead: a
    # pre-quantized copy of `location` (aliases only; None: quantize `location` at load).
    four_bit: str | None = None


def settings_for(store: ArtifactStore, settings: Settings | None) -> Settings:
    """The settings a store belongs to (stores live at <home>/artifacts)."""
    return settings or Settings(home=store.root.parent)


def resolve_base(
    base_model: str | Path | Artifact, settings: Settings, progress: Progress = NULL_PROGRESS
) -> ResolvedBase:
    if isinstance(base_model, Artifact):
        return ResolvedBase(base_model.id, str(base_model.path), base_model.id, [base_model])
    ref = str(base_model)
    if ref in TINY_MODELS:
        path = Path(ensure_base_model(ref, settings, progress))
        return ResolvedBase(ref, str(path), f"{ref}@{base_identity(path)}")
    path = Path(ref).expanduser()
    if (path / MANIFEST).is_file():
        art = Artifact.load(path)
        return ResolvedBase(ref, str(path), art.id, [art])
    if path.is_dir():
        return ResolvedBase(ref, str(path.resolve()), str(path.resolve()))
    if alias := lookup(ref):
        check_hub_model(alias.hub_id, ref)
        return ResolvedBase(ref, alias.hub_id, alias.hub_id, four_bit=alias.four_bit)
    if "/" not in ref.strip("/") or ref.startswith((".", "/", "~")):
        raise InputError(
            f"base model {ref!r} is neither a model directory, an artifact, a known "
            "alias nor a Hugging Face Hub id (owner/name)",
            hint="pass a local model directory, a Hub id such as Qwen/Qwen2.5-Coder-7B-Instruct, "
            "or one of the aliases: " + ", ".join(_alias_names()),
        )
    check_hub_model(ref, ref)
    return ResolvedBase(ref, ref, ref)


def _alias_names() -> list[str]:
    from forge.models.aliases import ALIASES

    return sorted(ALIASES)


def hub_offline() -> bool:
    from huggingface_hub import constants

    flag = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("TRANSFORMERS_OFFLINE") or ""
    return bool(constants.HF_HUB_OFFLINE) or flag.strip().lower() in ("1", "true", "yes", "on")


def _hub_cache() -> str:
    """The Hub cache as the environment sets it now (huggingface_hub reads it once, at import)."""
    from huggingface_hub import constants

    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return constants.HF_HUB_CACHE


def check_hub_model(hub_id: str, ref: str) -> None:
    """Fail early, naming the model, when `hub_id` is not cached and cannot be downloaded."""
    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(hub_id, "config.json", cache_dir=_hub_cache()), str):
        return  # cached: from_pretrained loads it offline
    named = hub_id if ref == hub_id else f"{hub_id} (alias {ref})"
    ways = (
        f"download it where the Hub is reachable (`huggingface-cli download {hub_id}`) and copy "
        "the Hugging Face cache here, or pass a local model directory as the base"
    )
    if hub_offline():
        raise ForgeError(
            f"base model {named} is not in the Hugging Face cache ({_hub_cache()}) "
            "and HF_HUB_OFFLINE is set, so it cannot be downloaded",
            hint=f"unset HF_HUB_OFFLINE to download it, or {ways}",
        )
    from huggingface_hub import HfApi
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    try:
        HfApi().model_info(hub_id, timeout=20)
    except GatedRepoError:
        raise ForgeError(
            f"base model {named} is gated on the Hugging Face Hub",
            hint="accept its licence on huggingface.co and set HF_TOKEN, or " + ways,
        ) from None
    except RepositoryNotFoundError:
        raise ForgeError(
            f"no model {named} on the Hugging Face Hub",
            hint="check the id (owner/name), or pass a local model directory",
        ) from None
    except Exception as e:
        raise ForgeError(
            f"base model {named} is not in the Hugging Face cache and the Hub cannot be reached ({type(e).__name__})",
            hint=f"set HF_HUB_OFFLINE=1 to work from the cache only, or {ways}",
        ) from None
