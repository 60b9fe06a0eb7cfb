"""Typed configs from plain dicts (TOML, JSON, key=value overrides), validated up front.

`parse_config(Cls, data, source)` fills a dataclass from a dict and reports every problem at
once — unknown keys (with a did-you-mean), wrong types, failed checks — each naming the key as
the user wrote it.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from typing import Any, TypeVar

from forge.errors import ConfigError

T = TypeVar("T")


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if origin is typing.Literal:
        return value in typing.get_args(tp)
    if origin in (list, tuple):
        (inner, *_) = typing.get_args(tp) or (Any,)
        return isinstance(value, (list, tuple)) and all(_type_ok(v, inner) for v in value)
    if origin is dict:
        return isinstance(value, dict)
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is typing.Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    return getattr(tp, "__name__", None) or str(tp).replace("typing.", "")


def parse_config(cls: type[T], data: dict[str, Any], *, source: str | None = None, prefix: str = "") -> T:
    """Build `cls` from `data`; raise ConfigError listing every problem, each naming its key."""
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            close = difflib.get_close_matches(key, fields, n=1)
            hint = f" (did you mean '{prefix}{close[0]}'?)" if close else ""
            problems.append(f"'{prefix}{key}': unknown key{hint}")
            continue
        tp = hints[key]
        if isinstance(value, int) and not isinstance(value, bool) and tp is float:
            value = float(value)
        if not _type_ok(value, tp):
            problems.append(f"'{prefix}{key}': expected {_type_name(tp)}, got {value!r}")
            continue
        values[key] = value
    for name, f in fields.items():
        if (
            name not in values
            and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
            and not any(p.startswith(f"'{prefix}{name}'") for p in problems)
        ):
            problems.append(f"'{prefix}{name}': required key is missing")
    if problems:
        raise ConfigError(problems, source=source)
    obj = cls(**values)
    check = getattr(obj, "problems", None)  # optional cross-field checks: list of "'key': why"
    if callable(check):
        extra = check()
        if extra:
            raise ConfigError(extra, source=source)  # each already names its key
    return obj


def coerce_override(raw: str) -> Any:
    """Turn the text of a key=value override into a TOML-ish value (int, float, bool, list, str)."""
    import tomllib

    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `a.b=value` overrides to a nested dict (copy), creating tables as needed."""
    import copy

    out = copy.deepcopy(data)
    for item in overrides:
        if "=" not in item:
            raise ConfigError([f"override {item!r}: expected key=value"])
        key, raw = item.split("=", 1)
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = coerce_override(raw.strip())
    return out
