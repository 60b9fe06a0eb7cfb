"""Serving through the facade: `forge serve` builds its server here (engines and the router
live in forge.serving). Deploy/rollback: serving a deploy target follows it — when the target
is pointed at another version, the served name is swapped to a freshly loaded engine while
streams already running finish on the old one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.service.base import ForgeHome

ENGINES = ("hf", "llama.cpp")


class ServingAPI(ForgeHome):
    def serving_engine(
        self, model: str, adapters: list[str] | None = None, *, engine: str = "hf", guided: bool = False
    ) -> Any:
        """A loaded engine for MODEL: hf (transformers, task adapters stackable per request) or
        llama.cpp (a GGUF: a .gguf file or GGUF artifact, or a model exported to one first).
        `guided`: every request's tool calls are held to the tools it offers."""
        from forge.models.refs import resolve_model

        if engine not in ENGINES:
            raise InputError(f"--engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        names = list(adapters or [])
        target = resolve_model(self, model)
        if engine == "llama.cpp":
            from forge.export.infer import gguf_for
            from forge.serving.llama import LlamaEngine

            loras = {}
            if names:
                paths = self.adapter_paths(names)  # type: ignore[attr-defined]
                loras = {
                    (Path(n).name if Path(n).is_dir() else n): self._gguf_lora(Path(p), target)
                    for n, p in zip(names, paths)
                }
            return LlamaEngine(gguf_for(self, target), loras, guided=guided)
        if target.kind in ("gguf", "ollama") or target.location.endswith(".gguf"):
            raise InputError(f"{model} is a {target.kind} export; serve it with --engine llama.cpp")
        from forge.quiet import quiet_ml_libraries
        from forge.serving.hf import HFEngine

        paths = self.adapter_paths(names)  # type: ignore[attr-defined]
        task = {(Path(n).name if Path(n).is_dir() else n): p for n, p in zip(names, paths)}
        quiet_ml_libraries()
        return HFEngine(target.location, list(target.adapters), task, guided=guided)

    def _gguf_lora(self, adapter: Path, target: Any) -> Path:
        """The adapter as a GGUF LoRA (converted once, cached by content) for the model it was
        trained on: the served model's HF directory, or the adapter's recorded base."""
        import hashlib
        import json

        from forge.export.gguf_lora import write_gguf_lora

        base = Path(target.location)
        if not (base / "config.json").is_file() and target.artifact is not None:  # a GGUF export: its source
            for ref in target.artifact.manifest.get("inputs", []):
                if ref.get("kind") in ("merged_model", "full_model") or str(ref.get("id", "")).startswith(
                    "merged_model-"
                ):
                    base = self.store.get(ref["id"]).path
                    break
        if not (base / "config.json").is_file():
            recorded = json.loads((adapter / "adapter_config.json").read_text()).get("base_model_name_or_path")
            base = adapter / recorded if recorded else Path()  # an absolute path stays as it is
            if not (base / "config.json").is_file():
                raise InputError(
                    f"cannot convert {adapter} to GGUF LoRA: the HF model it was trained on is not found",
                    hint="serve the registry model (its merged HF directory is known) rather than a bare GGUF",
                )
        digest = hashlib.sha256()
        for f in sorted(adapter.iterdir()):
            if f.is_file():
                digest.update(f.name.encode() + f.read_bytes())
        out = self.settings.home / "cache" / "gguf-lora" / f"{digest.hexdigest()[:16]}.gguf"
        if not out.is_file():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".partial")
            write_gguf_lora(adapter, base, tmp)
            tmp.replace(out)
        return out

    def served_name(self, model: str) -> str:
        from forge.models.refs import resolve_model

        return resolve_model(self, model).registry_name or model

    def deployed_model(self, target: str) -> str | None:
        """The version a deploy target runs now (None: nothing deployed)."""
        from forge.registry.api import deployments

        now = deployments(self).current().get(target)
        return str(now.model) if now else None

    def serve_app(
        self,
        model: str,
        adapters: list[str] | None = None,
        *,
        engine: str = "hf",
        host: str = "127.0.0.1",
        port: int = 8000,
        guard: Any,
        max_pending: int = 8,
        follow: str | None = None,
        follow_seconds: float = 2.0,
        name: str | None = None,
        guided: bool = False,
    ) -> Any:
        """The `forge serve` HTTP server (not yet serving: call serve_forever). `follow`: a
        deploy target whose version this server keeps serving under the target's name."""
        from forge.serving.engine import Router
        from forge.serving.http import make_server

        name = name or follow or self.served_name(model)
        router = Router(name, self.serving_engine(model, adapters, engine=engine, guided=guided))
        server = make_server(router, guard, host, port, max_pending=max_pending)
        if follow:
            stop = threading.Event()
            watcher = threading.Thread(
                target=self._follow_deploys,
                args=(router, follow, model, adapters, engine, follow_seconds, stop, guided),
                daemon=True,
            )
            watcher.start()
            server.stop_following = stop  # type: ignore[attr-defined]
        return server

    def _follow_deploys(
        self,
        router: Any,
        target: str,
        model: str,
        adapters: list[str] | None,
        engine: str,
        every: float,
        stop: threading.Event,
        guided: bool = False,
    ) -> None:
        current = model
        while not stop.wait(every):
            now = self.deployed_model(target)
            if now is None or now == current:
                continue
            fresh = self.serving_engine(now, adapters, engine=engine, guided=guided)  # loaded before the swap
            router.swap(fresh)  # requests already routed keep the old engine; it goes with them
            current = now
