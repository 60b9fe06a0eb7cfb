"""The export stage as one entry point: merged model → artifact of the asked format.

`run_export(store, merged, ExportConfig(format="gguf", quant="q8_0"))` returns the merged
artifact itself, a parity-checked GGUF artifact, or an Ollama package built on that GGUF; each
step returns early when its artifact already exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress

FORMATS = ("merged", "gguf", "ollama")


@dataclass
class ExportConfig:
    format: str = "gguf"
    quant: str = "f16"
    parity: bool = True
    suite: str | None = None
    name: str = "forge-model"
    ollama: dict[str, Any] = field(default_factory=dict)  # OllamaConfig fields

    def problems(self) -> list[str]:
        from forge.export.gguf import QUANTS

        out = []
        if self.format not in FORMATS:
            out.append(f"'format': must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.quant not in QUANTS:
            out.append(f"'quant': must be one of {', '.join(QUANTS)}, got {self.quant!r}")
        return out


def run_export(
    store: ArtifactStore,
    merged: Artifact | Path,
    config: ExportConfig | None = None,
    progress: Progress = NULL_PROGRESS,
    *,
    dataset: Artifact | None = None,
) -> Artifact:
    from forge.export.gguf import GGUFConfig, run_gguf_export
    from forge.export.ollama import OllamaConfig, run_ollama_export

    config = config or ExportConfig()
    if problems := config.problems():
        raise InputError("bad export config: " + "; ".join(problems))
    if config.format == "merged":
        if not isinstance(merged, Artifact):
            raise InputError("already a plain model directory; nothing to merge", path=str(merged))
        return merged
    gguf = run_gguf_export(
        store,
        merged,
        GGUFConfig(quant=config.quant, parity=config.parity, suite=config.suite, name=config.name),
        progress,
        dataset=dataset,
    )
    if config.format == "gguf":
        return gguf
    return run_ollama_export(store, gguf, OllamaConfig(**{"name": config.name, **config.ollama}), progress)
