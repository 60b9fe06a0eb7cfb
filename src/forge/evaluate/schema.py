"""A minimal JSON-schema check for tool-call arguments: types, enums, required keys, nesting.

Covers the subset OpenAI tool schemas use (type, enum, minimum, maximum, required, properties,
items, additionalProperties). Returns problems as readable strings naming the argument path; pure.
"""

from __future__ import annotations

from typing import Any

_JSON_TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")


def json_type_of(value: Any) -> str:
    """The JSON type name of a parsed JSON value (an integral float counts as integer)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_matches(value: Any, expected: str) -> bool:
    actual = json_type_of(value)
    if expected == "number":  # every integer is a number
        return actual in ("number", "integer")
    return actual == expected


def check_value(value: Any, schema: dict[str, Any], path: str) -> list[str]:
    """Problems with `value` against `schema`; empty when it conforms."""
    problems: list[str] = []
    declared = schema.get("type")
    types = [declared] if isinstance(declared, str) else list(declared or [])
    types = [t for t in types if t in _JSON_TYPES]
    if types and not any(_type_matches(value, t) for t in types):
        want = " or ".join(types)
        return [f"'{path}' should be {want}, got {json_type_of(value)} {_short(value)}"]
    if json_type_of(value) in ("integer", "number"):
        if isinstance(schema.get("minimum"), (int, float)) and value < schema["minimum"]:
            problems.append(f"'{path}' must be at least {schema['minimum']}, got {_short(value)}")
        if isinstance(schema.get("maximum"), (int, float)) and value > schema["maximum"]:
            problems.append(f"'{path}' must be at most {schema['maximum']}, got {_short(value)}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(repr(v) for v in schema["enum"])
        problems.append(f"'{path}' must be one of {allowed}, got {_short(value)}")
    if isinstance(value, dict) and ("properties" in schema or "required" in schema):
        problems += check_object(value, schema, prefix=f"{path}.")
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            problems += check_value(item, schema["items"], f"{path}[{i}]")
    return problems


def check_object(args: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Required keys present, declared keys well-typed, no extras when the schema forbids them."""
    problems: list[str] = []
    props: dict[str, Any] = schema.get("properties") or {}
    for key in schema.get("required") or []:
        if key not in args:
            problems.append(f"missing required '{prefix}{key}'")
    for key, value in args.items():
        if key in props and isinstance(props[key], dict):
            problems += check_value(value, props[key], f"{prefix}{key}")
        elif key not in props and schema.get("additionalProperties") is False:
            problems.append(f"unexpected argument '{prefix}{key}'")
    return problems


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
