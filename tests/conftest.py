"""Shared fixtures. Every test gets its own FORGE_HOME so nothing touches ~/.forge."""
from __future__ import annotations

import pytest


@pytest.fixture
def forge_home(tmp_path, monkeypatch):
    home = tmp_path / "forge-home"
    monkeypatch.setenv("FORGE_HOME", str(home))
    monkeypatch.delenv("FORGE_DATABASE_URL", raising=False)
    return home
