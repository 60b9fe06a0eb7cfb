"""Plugins: other packages add readers, detectors (and later checkers, exporters) through
Python entry points; built-ins register through the same functions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


def entry_point_objects(group: str, kind: type[T]) -> Iterator[T]:
    """Every object of type `kind` that installed packages expose under entry-point `group`."""
    from importlib.metadata import entry_points

    for ep in entry_points(group=group):
        obj = ep.load()
        if isinstance(obj, kind):
            yield obj
