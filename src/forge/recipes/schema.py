"""What a recipe may say: the `[formula]` header, the known `[variables]`, the `[steps.*]` names.

A recipe is a Gas Town formula for training:

    [formula]            name, description, version, type
    [variables]          role, base_model, sources, method, profile, gate, ... (plain values or
                         tables {type, default, values, description}); any string may say {{role}}
    [steps.ingest]       forge.ingest.stage.IngestConfig keys
    [steps.build]        forge.build.config.BuildConfig keys
    [steps.train]        forge.train.config.TrainConfig keys (lora_r, lora_alpha, ...), + epochs, nproc
    [steps.dpo]          forge.train.dpo_config.DPOSettings keys (method dpo or sft+dpo)
    [steps.evaluate]     forge.evaluate.stage.EvalConfig keys
    [steps.export]       forge.models.merge.MergeConfig keys
    [steps.gate]         forge.evaluate.gate.GateRules keys (weights, per_role, ...); the
                         threshold is `variables.gate`
"""

from __future__ import annotations

from dataclasses import dataclass, field

from forge.models.tiny_base import DEFAULT_BASE_MODEL
from forge.recipes.profiles import DEFAULT_PROFILE, PROFILES
from forge.train.config import METHODS

SECTIONS = ("formula", "variables", "steps")
STEPS = ("ingest", "build", "train", "dpo", "evaluate", "export", "gate")
STEP_NOTES = ("description",)  # formula-style prose a step may carry; not a setting
# old recipe key -> its name now: still accepted, with a FutureWarning naming the new one
DEPRECATED_TRAIN_KEYS = {"lora_rank": "lora_r"}
TRAIN_NOT_IN_STEP = ("method", "dpo")  # set by [variables] method and [steps.dpo]
VARIABLE_SPEC_KEYS = {"type", "default", "values", "description"}
VARIABLE_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "path": str,
    "int": int,
    "float": (int, float),
    "bool": bool,
    "list": list,
}


@dataclass
class Formula:
    name: str
    description: str = ""
    version: int = 1
    type: str = "training"

    def problems(self) -> list[str]:
        out = []
        if not self.name or not self.name.replace("-", "").replace("_", "").isalnum():
            out.append(f"'formula.name': use letters, digits, '-' or '_', got {self.name!r}")
        if self.version < 1:
            out.append(f"'formula.version': must be at least 1, got {self.version}")
        return out


@dataclass
class RecipeVariables:
    role: str
    authorization: str  # the bead or ticket id this training is for
    sources: list[str] = field(default_factory=list)  # transcript files/folders, relative to the recipe
    base_model: str = DEFAULT_BASE_MODEL
    method: str = "sft"
    profile: str = DEFAULT_PROFILE
    gate: float = 0.5  # the candidate must score at least this ...
    require_improvement: bool = True  # ... and beat the base model
    name: str | None = None  # model family to register (default: the role)

    def problems(self) -> list[str]:
        out = []
        if self.method not in METHODS:
            out.append(f"'variables.method': must be one of {', '.join(METHODS)}, got {self.method!r}")
        if self.profile not in PROFILES:
            out.append(f"'variables.profile': must be one of {', '.join(PROFILES)}, got {self.profile!r}")
        if not 0.0 <= self.gate <= 1.0:
            out.append(f"'variables.gate': must be between 0 and 1, got {self.gate}")
        if not self.sources:
            out.append("'variables.sources': give at least one transcript file or folder")
        model_name = self.name or self.role
        if not model_name or not model_name.replace("-", "").replace("_", "").isalnum():
            key = "name" if self.name else "role"
            out.append(
                f"'variables.{key}': the model is registered under it: use letters, digits, "
                f"'-' or '_', got {model_name!r}"
            )
        if not self.authorization.strip():
            out.append("'variables.authorization': name the bead or ticket id this training is for")
        return out
