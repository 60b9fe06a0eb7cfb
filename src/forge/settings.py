"""Where Forge keeps its state: FORGE_HOME (default ~/.forge) holds the database and artifacts."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path

    @property
    def artifacts(self) -> Path:
        return self.home / "artifacts"

    @property
    def models_cache(self) -> Path:
        """Locally built base models (the tiny default) live here, reused across runs."""
        return self.home / "models"

    @property
    def database_url(self) -> str:
        return os.environ.get("FORGE_DATABASE_URL") or f"sqlite:///{self.home / 'forge.db'}"

    def ensure(self) -> Settings:
        self.home.mkdir(parents=True, exist_ok=True)
        self.artifacts.mkdir(exist_ok=True)
        self.models_cache.mkdir(exist_ok=True)
        return self


def load_settings(home: str | Path | None = None) -> Settings:
    root = Path(home or os.environ.get("FORGE_HOME") or Path.home() / ".forge").expanduser()
    return Settings(home=root.resolve())
