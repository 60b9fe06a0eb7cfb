"""Progressive rollout: Forge models replace agents role by role, lowest risk first.

The order is a list of stages, each a list of roles: deacon/boot → witness → polecat → crew →
mayor by default. A model may be deployed to a role only when (1) every role of every earlier
stage already runs a Forge model and (2) the model's eval for that role clears the role's
threshold. Targets that are not roles (rigs, hosts) are not gated by the order.

Configured in <FORGE_HOME>/registry.toml:

    [rollout]
    order = [["deacon", "boot"], ["witness"], ["polecat"], ["crew"], ["mayor"]]
    min_eval = 0.5
    min_eval_by_role = { mayor = 0.9 }
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.config import parse_config
from forge.errors import ConfigError, ForgeError

DEFAULT_ORDER = [["deacon", "boot"], ["witness"], ["polecat"], ["crew"], ["mayor"]]


@dataclass
class RolloutConfig:
    order: list[list[str]] = field(default_factory=lambda: [list(s) for s in DEFAULT_ORDER])
    min_eval: float = 0.5
    min_eval_by_role: dict[str, float] = field(default_factory=dict)

    def problems(self) -> list[str]:
        out = []
        seen: set[str] = set()
        for stage in self.order:
            if not stage:
                out.append("'rollout.order': a stage has no roles")
            for role in stage:
                if role in seen:
                    out.append(f"'rollout.order': role {role!r} appears twice")
                seen.add(role)
        for role, v in {"min_eval": self.min_eval, **self.min_eval_by_role}.items():
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                out.append(f"'rollout.{role}': threshold must be between 0 and 1, got {v!r}")
        return out

    @property
    def roles(self) -> list[str]:
        return [r for stage in self.order for r in stage]

    def stage_of(self, role: str) -> int | None:
        for i, stage in enumerate(self.order):
            if role in stage:
                return i
        return None

    def threshold(self, role: str) -> float:
        return float(self.min_eval_by_role.get(role, self.min_eval))


def load_registry_section(home: Path, section: str, cls: type) -> Any:
    """One `[section]` of FORGE_HOME/registry.toml as a typed config (defaults when absent)."""
    path = Path(home) / "registry.toml"
    if not path.is_file():
        return cls()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"invalid TOML: {exc}"], source=str(path)) from None
    return parse_config(cls, data.get(section, {}), source=str(path), prefix=f"{section}.")


def load_rollout(home: Path) -> RolloutConfig:
    return load_registry_section(home, "rollout", RolloutConfig)


def role_eval(model: Any, role: str) -> float | None:
    """The model's eval score for a role: a per-role score when the eval gave one, else the
    overall score when the model was trained for that role, else none."""
    by_role = (model.details or {}).get("eval_by_role") or {}
    if role in by_role:
        return float(by_role[role])
    if model.role == role:
        return model.eval_score
    return None


def check_rollout(config: RolloutConfig, model: Any, role: str, running: dict[str, str]) -> str:
    """Raise ForgeError saying why `model` may not go to `role` yet; return the reason it may.
    `running` maps each target to the NAME-vN it runs now."""
    stage = config.stage_of(role)
    if stage is None:
        return "not a rollout role; no order gate"
    missing = [r for s in config.order[:stage] for r in s if r not in running]
    if missing:
        order = " → ".join("/".join(s) for s in config.order)
        raise ForgeError(
            f"rollout order: {role} comes after {', '.join(missing)}, which run no Forge model yet",
            hint=f"deploy to {missing[0]} first (order: {order}); change it in registry.toml [rollout]",
        )
    score, need = role_eval(model, role), config.threshold(role)
    if score is None:
        raise ForgeError(
            f"{model.display_name} has no eval for role {role!r} (it was trained for {model.role!r})",
            hint=f"evaluate it on the {role} suite, or deploy a model trained for {role}",
        )
    if score < need:
        raise ForgeError(
            f"{model.display_name} scored {score:.1%} on the {role} eval; {role} needs {need:.1%}",
            hint="train further, or lower rollout.min_eval_by_role in registry.toml",
        )
    return f"{role} eval {score:.1%} ≥ {need:.1%}; stages before {role} deployed"
