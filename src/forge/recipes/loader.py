"""Load a recipe: TOML → key=value overrides → {{variable}} substitution → checks → job config.

Every problem is collected and raised together as one ConfigError naming the recipe file and
each key as the user wrote it (`steps.train.lora_rnak`, `variables.profile`); a TOML syntax
error names the file and line. Precedence, lowest first: each stage's own defaults, the
profile, the recipe, the command-line overrides.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.config import apply_overrides, parse_config
from forge.errors import ConfigError, InputError
from forge.recipes.profiles import PROFILES
from forge.recipes.schema import (
    DEPRECATED_TRAIN_KEYS,
    SECTIONS,
    STEP_NOTES,
    STEPS,
    TRAIN_NOT_IN_STEP,
    VARIABLE_SPEC_KEYS,
    VARIABLE_TYPES,
    Formula,
    RecipeVariables,
)

_REF = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


@dataclass
class Recipe:
    path: Path
    formula: Formula
    variables: dict[str, Any]  # every variable, resolved
    job_config: dict[str, Any]  # the pipeline job config the recipe compiles to

    @property
    def method(self) -> str:
        return self.variables["method"]

    @property
    def profile(self) -> str:
        return self.variables["profile"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "recipe": str(self.path),
            "formula": dataclasses.asdict(self.formula),
            "variables": self.variables,
            "job": self.job_config,
        }


def load_recipe(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    path = Path(path)
    if not path.is_file():
        raise InputError(
            "no such recipe file", path=str(path), hint="give a .toml recipe, e.g. examples/recipes/demo.toml"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as e:
        raise InputError(f"not UTF-8 text ({e.reason})", path=str(path)) from None
    except tomllib.TOMLDecodeError as e:
        line = re.search(r"line (\d+)", str(e))
        raise InputError(
            f"TOML syntax error: {re.sub(r' ?[(]at line.*', '', str(e))}",
            path=str(path),
            line=int(line.group(1)) if line else None,
        ) from None
    return compile_recipe(raw, path, list(overrides))


def compile_recipe(raw: dict[str, Any], path: Path, overrides: list[str]) -> Recipe:
    problems: list[str] = []
    specs, values = _split_variable_specs(raw.get("variables"), problems)
    try:
        data = apply_overrides({**raw, "variables": values}, overrides)
    except (AttributeError, TypeError):  # a.b=1 where a is a value, not a table
        raise ConfigError(
            [
                f"override {o!r}: names a key inside a value that is not a table"
                for o in overrides
                if "=" in o and "." in o.split("=", 1)[0]
            ]
            or ["an override names a key inside a value that is not a table"],
            source=str(path),
        ) from None
    for key in data:
        if key not in SECTIONS:
            problems.append(_unknown(key, SECTIONS, ""))
    variables, used = _resolve_variables(data.get("variables") or {}, problems)
    formula_raw = _subst_value(data.get("formula") or {}, variables, "formula", problems, used)
    steps_raw = _subst_value(data.get("steps") or {}, variables, "steps", problems, used)

    formula = _parse(Formula, formula_raw, "formula.", problems)
    known = {f.name for f in dataclasses.fields(RecipeVariables)}
    for name, value in variables.items():
        if name not in known and name not in used and name not in specs:
            problems.append(
                _unknown(
                    name,
                    known,
                    "variables.",
                    what="unknown variable (not a known one, and no {{" + name + "}} uses it)",
                )
            )
        if name in specs:
            problems += _spec_problems(name, value, specs[name])
    for name in specs:
        if name not in variables and name not in known:
            problems.append(f"'variables.{name}': has no default; set it, e.g. variables.{name}=...")
    var = _parse(RecipeVariables, {k: v for k, v in variables.items() if k in known}, "variables.", problems)

    _resolve_rule_files(steps_raw, path)
    steps = _check_steps(steps_raw, problems)
    # the steps are checked even when a variable is wrong, so one run lists every problem
    method = var.method if var else str(variables.get("method", "sft"))
    profile = PROFILES.get(var.profile if var else str(variables.get("profile")), {})
    deprecated: list[str] = []
    train = _train_section(profile.get("train", {}), steps.get("train", {}), problems, deprecated)
    dpo = _dpo_section(profile.get("dpo", {}), steps.get("dpo", {}), method, problems)
    if method != "sft" and steps.get("build", {}).get("dpo") is False:
        problems.append("'steps.build.dpo': method " + method + " trains on DPO rows; leave it on")
    sources = [_source(s, path, problems) for s in (var.sources if var else [])]
    job = None
    if var is not None:
        job = {
            "sources": sources,
            "name": var.name or var.role,
            "role": var.role,
            "base_model": var.base_model,
            "gate": var.gate,
            "require_improvement": var.require_improvement,
            "authorization": var.authorization,
            "ingest": steps.get("ingest", {}),
            "build": steps.get("build", {}),
            "train": {**train, "method": var.method, "dpo": dpo},
            "evaluate": steps.get("evaluate", {}),
            "export": steps.get("export", {}),
            "gate_rules": steps.get("gate", {}),
        }
    if problems:
        raise ConfigError(problems, source=str(path))
    for note in deprecated:  # FutureWarning: shown to users by default, unlike DeprecationWarning
        warnings.warn(f"{path}: {note}", FutureWarning, stacklevel=3)
    from forge.pipeline import validate_pipeline_config

    assert job is not None and var is not None  # both set whenever no problem was found
    job = validate_pipeline_config(job)  # the stages' own checks, on the compiled config
    resolved = {**variables, **dataclasses.asdict(var)}
    return Recipe(path=path, formula=formula, variables=resolved, job_config=job)


# -- variables --------------------------------------------------------------------------------


def _split_variable_specs(section: Any, problems: list[str]) -> tuple[dict[str, dict], dict[str, Any]]:
    """Gas Town formula style `role = { type = "string", values = [...], default = ... }` → spec + value."""
    if section is None:
        return {}, {}
    if not isinstance(section, dict):
        problems.append("'variables': expected a table")
        return {}, {}
    specs, values = {}, {}
    for name, value in section.items():
        if isinstance(value, dict) and value and set(value) <= VARIABLE_SPEC_KEYS:
            specs[name] = value
            if "default" in value:
                values[name] = value["default"]
        else:
            values[name] = value
    return specs, values


def _spec_problems(name: str, value: Any, spec: dict[str, Any]) -> list[str]:
    key = f"'variables.{name}'"
    if value is None:
        return [f"{key}: has no default; set it, e.g. variables.{name}=..."]
    out = []
    tp = VARIABLE_TYPES.get(spec.get("type", "string"))
    if tp is None:
        out.append(f"{key}: unknown type {spec.get('type')!r} (use {', '.join(VARIABLE_TYPES)})")
    elif not isinstance(value, tp) or (isinstance(value, bool) and spec.get("type") in ("int", "float")):
        out.append(f"{key}: expected {spec.get('type', 'string')}, got {value!r}")
    allowed = spec.get("values")
    if allowed and value not in allowed:
        out.append(f"{key}: must be one of {', '.join(map(str, allowed))}, got {value!r}")
    return out


def _resolve_variables(values: dict[str, Any], problems: list[str]) -> tuple[dict[str, Any], set[str]]:
    """Variables may name each other (name = "{{role}}-sft"); resolve until nothing changes."""
    if not isinstance(values, dict):
        problems.append("'variables': expected a table")
        return {}, set()
    used: set[str] = set()
    resolved = dict(values)
    for _ in range(len(values) + 1):
        before = resolved
        resolved = {k: _subst_value(v, before, f"variables.{k}", None, used) for k, v in before.items()}
        if resolved == before:
            break
    for k, v in resolved.items():  # whatever still holds {{...}} names something undefined or a cycle
        _subst_value(v, resolved, f"variables.{k}", problems, set())
    return resolved, used


def _subst_value(node: Any, variables: dict[str, Any], where: str, problems: list[str] | None, used: set[str]) -> Any:
    if isinstance(node, dict):
        return {k: _subst_value(v, variables, f"{where}.{k}", problems, used) for k, v in node.items()}
    if isinstance(node, list):
        return [_subst_value(v, variables, where, problems, used) for v in node]
    if not isinstance(node, str) or "{{" not in node:
        return node
    whole = _REF.fullmatch(node.strip())

    def value_of(name: str) -> Any:
        if name not in variables or (isinstance(variables[name], str) and _REF.search(variables[name])):
            if problems is not None:
                close = difflib.get_close_matches(name, variables, n=1)
                hint = f" (did you mean {{{{{close[0]}}}}}?)" if close and close[0] != name else ""
                why = "refers to itself or to an unresolved variable" if name in variables else "unknown variable"
                problems.append(f"'{where}': {why} {{{{{name}}}}}{hint}")
            return None
        used.add(name)
        return variables[name]

    if whole:  # "{{lora_rank}}" alone keeps the variable's type (an int stays an int)
        value = value_of(whole.group(1))
        return node if value is None else value
    out = node
    for m in _REF.finditer(node):
        value = value_of(m.group(1))
        if value is not None:
            out = out.replace(m.group(0), str(value))
    return out


# -- steps ------------------------------------------------------------------------------------


def _check_steps(steps: Any, problems: list[str]) -> dict[str, dict[str, Any]]:
    """Unknown step names, and each stage's keys checked by the stage's own config class."""
    if not isinstance(steps, dict):
        problems.append("'steps': expected tables such as [steps.train]")
        return {}
    out: dict[str, dict[str, Any]] = {}
    for name, table in steps.items():
        if name not in STEPS:
            problems.append(_unknown(name, STEPS, "steps."))
            continue
        if not isinstance(table, dict):
            problems.append(f"'steps.{name}': expected a table")
            continue
        out[name] = {k: v for k, v in table.items() if k not in STEP_NOTES}
    for name, cls in _stage_classes().items():
        if name in out:
            _parse(cls, out[name], f"steps.{name}.", problems)
    return out


def _stage_classes() -> dict[str, type]:
    from forge.build.config import BuildConfig
    from forge.evaluate.gate import GateRules
    from forge.evaluate.stage import EvalConfig
    from forge.ingest.stage import IngestConfig
    from forge.models.merge import MergeConfig

    return {
        "ingest": IngestConfig,
        "build": BuildConfig,
        "evaluate": EvalConfig,
        "export": MergeConfig,
        "gate": GateRules,
    }


def _train_keys() -> list[str]:
    from forge.train.config import TrainConfig

    return [f.name for f in dataclasses.fields(TrainConfig) if f.name not in TRAIN_NOT_IN_STEP]


def _train_section(
    profile: dict[str, Any], step: dict[str, Any], problems: list[str], deprecated: list[str]
) -> dict[str, Any]:
    """Profile ⊕ [steps.train]: TrainConfig's own keys. A recipe that sets max_steps without
    epochs means steps, even when its profile counts epochs."""
    from forge.train.config import TrainConfig

    keys = _train_keys()
    mine = {}
    for key, value in step.items():
        if key in keys:
            mine[key] = value
        elif key in DEPRECATED_TRAIN_KEYS:
            new = DEPRECATED_TRAIN_KEYS[key]
            if new in step:
                problems.append(f"'steps.train.{key}': the old name of 'steps.train.{new}'; set only {new}")
            else:
                mine[new] = value
                deprecated.append(f"'steps.train.{key}' is deprecated: rename it 'steps.train.{new}' (same meaning)")
        elif key in TRAIN_NOT_IN_STEP:
            problems.append(
                f"'steps.train.{key}': "
                + (
                    "set it in [variables] (method = ...)"
                    if key == "method"
                    else "give DPO settings a [steps.dpo] table"
                )
            )
        else:
            problems.append(_unknown(key, keys, "steps.train."))
    merged = {**profile, **mine}
    if "max_steps" in mine and "epochs" not in mine:
        merged.pop("epochs", None)
    _parse(TrainConfig, merged, "steps.train.", problems)
    return merged


def _dpo_section(profile: dict[str, Any], step: dict[str, Any], method: str, problems: list[str]) -> dict[str, Any]:
    from forge.train.dpo_config import DPOSettings

    merged = {**profile, **step}
    _parse(DPOSettings, merged, "steps.dpo.", problems, strip="dpo.")
    return merged if method != "sft" else {}


def _resolve_rule_files(steps: Any, recipe: Path) -> None:
    """[steps.ingest] scrub_rules name files relative to the recipe, as its sources do."""
    ingest = steps.get("ingest") if isinstance(steps, dict) else None
    if not isinstance(ingest, dict):
        return
    rules = ingest.get("scrub_rules")
    if isinstance(rules, list):
        ingest["scrub_rules"] = [
            str((recipe.parent / Path(r).expanduser()).resolve()) if isinstance(r, str) else r for r in rules
        ]


def _source(ref: str, recipe: Path, problems: list[str]) -> str:
    path = Path(ref).expanduser()
    if not path.is_absolute():
        path = (recipe.parent / path).resolve()
    if not path.exists():
        problems.append(f"'variables.sources': no such file or folder: {ref} (looked at {path})")
    return str(path)


# -- problem messages -------------------------------------------------------------------------


def _unknown(key: str, known: Any, prefix: str, what: str = "unknown key") -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
    return f"'{prefix}{key}': {what}{hint}"


def _parse(
    cls: type,
    data: dict[str, Any],
    prefix: str,
    problems: list[str],
    *,
    strip: str = "",
) -> Any:
    """parse_config, its problems added to `problems` with every key in the recipe's own terms
    (a stage's cross-field checks name bare keys; the recipe says steps.<stage>.<key>)."""
    try:
        return parse_config(cls, copy.deepcopy(data), prefix=prefix)
    except ConfigError as e:
        problems += [_rescope(p, prefix, strip) for p in e.problems]
        return None


def _rescope(problem: str, prefix: str, strip: str) -> str:
    """A problem that names its key first ('lora_r': ..., or 'dpo.beta': ...) named as the
    recipe spells it ('steps.train.lora_r': ...)."""
    key, quoted, body = problem[1:].partition("'")
    if not problem.startswith("'") or not quoted:
        return f"{prefix.rstrip('.')}: {problem}"
    for p in (prefix, strip):
        if p and key.startswith(p):
            key = key[len(p) :]
    return f"'{prefix}{key}'{body}"
