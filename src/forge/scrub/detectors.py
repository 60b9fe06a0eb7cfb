"""The detector table: what a detector is, and how built-ins and plugins add one.

A `Detector` is a compiled regex plus an optional validator (entropy test, octet check, ...)
that sees only the candidate secret. Built-in detectors register themselves through
`register_detector` exactly as a plugin would; third-party packages add detectors under the
entry-point group `forge.detectors` (each entry point names a `Detector`), loaded on first use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

ENTRY_POINT_GROUP = "forge.detectors"
_KIND = re.compile(r"[a-z0-9_]+")


@dataclass(frozen=True)
class Finding:
    """A secret at text[start:end]. Never holds the secret itself, so it is safe to log."""

    kind: str
    start: int
    end: int
    detector: str = ""


@dataclass(frozen=True)
class Detector:
    name: str  # unique: "github_token", "password_quoted"
    kind: str  # placeholder type: <SECRET:kind>; several detectors may share one
    pattern: re.Pattern[str]
    validator: Callable[[str], bool] | None = None  # sees the candidate secret only
    # sees the text and the candidate's span (the key a value is assigned to, before it)
    context_check: Callable[[str, int, int], bool] | None = None
    group: int | str | tuple[str, ...] = 0  # the secret's group; a tuple: the first that matched
    prefilter: tuple[str, ...] = ()  # literals; when none occurs in the text the regex is skipped
    prefilter_ignore_case: bool = False  # compare the prefilter against the lower-cased text
    priority: int = 50  # overlapping findings: higher priority wins, then longer
    # Where to look: the pattern is only tried in a window around each anchor hit, from
    # `window[0]` chars before the hit's start to `window[1]` chars after its end. Every match of
    # the pattern must contain a hit that starts at or after the match's start. With the rule
    # engine, anchors run inside its single Vectorscan pass (so their source must be in the
    # syntax Python and Rust regexes share: no look-around, no possessive quantifiers); without
    # it, Python's regex finds them. A match that reaches its window's end is tried again with a
    # wider window, so a window bounds the work, never the secret.
    anchor: re.Pattern[str] | None = None
    window: tuple[int, int] = (0, 0)
    engine_anchor: bool = True  # False: the anchor uses Python-only syntax; Python runs it
    # A detector that a single regex cannot express (a Kubernetes Secret's data values), or one
    # cheaper to run as one pass over the text than per anchor hit (home paths): yields
    # (start, end) spans of secrets in the text; `pattern` and the anchor are then unused.
    finder: Callable[[str], Iterable[tuple[int, int]]] | None = None
    # A finder that takes the anchor hits too, finder(text, hits), so it looks only where they
    # are: the engine's hits, or None where the engine did not run (the finder then searches)
    finder_takes_hits: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if not _KIND.fullmatch(self.kind):
            raise ValueError(f"detector {self.name!r}: kind {self.kind!r} must match [a-z0-9_]+")
        if self.prefilter_ignore_case and any(p != p.lower() for p in self.prefilter):
            raise ValueError(f"detector {self.name!r}: case-insensitive prefilters must be lower case")


_DETECTORS: dict[str, Detector] = {}
_plugins_loaded = False


def register_detector(detector: Detector, *, replace: bool = False) -> Detector:
    """Add a detector under its name; returns it. A second one of the same name needs replace=True."""
    if detector.name in _DETECTORS and not replace:
        raise ValueError(f"a detector named {detector.name!r} is already registered")
    _DETECTORS[detector.name] = detector
    return detector


def unregister_detector(name: str) -> None:
    _DETECTORS.pop(name, None)


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    from forge.plugins import entry_point_objects

    for detector in entry_point_objects(ENTRY_POINT_GROUP, Detector):
        if detector.name not in _DETECTORS:  # a plugin never silently replaces a built-in
            register_detector(detector)


def detectors() -> dict[str, Detector]:
    """Every registered detector, built-ins first, in registration order."""
    from forge.scrub import (  # noqa: F401  (importing registers them)
        argv_lists,
        browser_forms,
        builtin,
        cli_passwords,
        code_defaults,
        config_formats,
        crypto_calls,
        declared_secrets,
        ini_files,
        key_formats,
        login_names,
        other_languages,
        password_lists,
        person_names,
        prefixed_tokens,
        provider_formats,
        secret_commands,
        secret_stores,
        service_outputs,
        sql_inserts,
    )

    _load_plugins()
    return dict(_DETECTORS)


def select_detectors(names: list[str] | None = None) -> list[Detector]:
    """The named detectors (all when None), in registration order. Unknown names raise ConfigError."""
    table = detectors()
    if names is None:
        return list(table.values())
    unknown = [n for n in names if n not in table]
    if unknown:
        from forge.errors import ConfigError

        raise ConfigError([f"'detectors': unknown detector {n!r}; known: {', '.join(table)}" for n in unknown])
    wanted = set(names)
    return [d for name, d in table.items() if name in wanted]
