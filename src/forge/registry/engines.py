"""Launch commands for a deployed model on each serving engine, with the town-settings entry
that points an agent at it (`forge model provider-config TARGET --engine ENGINE`).

    hf         forge serve --engine hf --model NAME-vN --adapters A,B --port P
               (task adapters stacked per request: model `NAME-vN+A`)
    llama.cpp  forge serve --engine llama.cpp --model GGUF --name NAME-vN --adapters A,B --port P
               (the model's newest GGUF export; without one, the registry name: exported on start;
               task adapters converted to GGUF LoRA)
    vllm       vllm serve MERGED --served-model-name NAME-vN --enable-lora
               --lora-modules NAME-vN+A=PATH ... --max-lora-rank R --port P
               (the merged role model, each task adapter a LoRA module: same model names as hf)
    ollama     forge export NAME-vN --format ollama, then `ollama serve` (Ollama's port)

Every engine speaks the OpenAI API at `base_url`; the agent entry names it and the model.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from forge.errors import InputError

ENGINES = ("hf", "llama.cpp", "vllm", "ollama")
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)  # vLLM's --max-lora-rank choices
OLLAMA_PORT = 11434


def lora_rank(adapter_dir: Path) -> int:
    try:
        return int(json.loads((adapter_dir / "adapter_config.json").read_text()).get("r", 16))
    except (OSError, ValueError):
        return 16


def newest_gguf(store: Any, merged_id: str | None) -> Path | None:
    """The newest GGUF export made from the merged model `merged_id`."""
    from forge.registry.lineage_chain import export_artifacts

    found = [a for a in export_artifacts(store, merged_id) if a.kind == "gguf" and a.manifest.get("file")]
    return found[-1].path / found[-1].manifest["file"] if found else None


def launch(
    engine: str,
    name: str,
    merged: Path | None,
    adapters: dict[str, Path],
    *,
    gguf: Path | None = None,
    port: int = 8000,
) -> dict[str, Any]:
    """{"command", "args", "shell", "base_url", "models", "prepare"?, "note"?} for one engine."""
    if engine not in ENGINES:
        raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    out: dict[str, Any] = {"models": [name] + [f"{name}+{a}" for a in adapters]}
    if engine == "hf":
        args = ["serve", "--engine", "hf", "--model", name]
        if adapters:
            args += ["--adapters", ",".join(adapters)]
        out |= {"command": "forge", "args": [*args, "--port", str(port)]}
    elif engine == "llama.cpp":
        args = ["serve", "--engine", "llama.cpp", "--model", str(gguf or name), "--name", name]
        if adapters:  # converted to GGUF LoRA on start, stacked per request like hf's
            args += ["--adapters", ",".join(adapters)]
        out |= {"command": "forge", "args": [*args, "--port", str(port)]}
    elif engine == "vllm":
        if merged is None:
            raise InputError(f"{name} has no merged model to serve with vLLM")
        args = ["serve", str(merged), "--served-model-name", name, "--port", str(port)]
        if adapters:
            rank = max(lora_rank(p) for p in adapters.values())
            args += ["--enable-lora", "--lora-modules"]
            args += [f"{name}+{a}={p}" for a, p in adapters.items()]
            args += ["--max-lora-rank", str(next(r for r in VLLM_LORA_RANKS if r >= rank))]
        out |= {"command": "vllm", "args": args}
    else:
        out |= {
            "command": "ollama",
            "args": ["serve"],
            "prepare": [["forge", "export", name, "--format", "ollama", "--name", name]],
            "models": [name],
        }
        port = OLLAMA_PORT
        if adapters:
            out["note"] = "Ollama serves the merged role model; task adapters: --engine hf or vllm"
    out["shell"] = shlex.join([out["command"], *out["args"]])
    out["base_url"] = f"http://127.0.0.1:{port}/v1"
    return out
