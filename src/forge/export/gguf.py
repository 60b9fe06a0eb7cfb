"""Export stage: merged HF model → GGUF artifact (F16, BF16, Q8_0; Q4_K_M through llama.cpp),
checked for parity with the HF model before it is committed.

The artifact holds `model-<quant>.gguf`, `parity.json` (what llama.cpp answered on the eval
prompts next to HF's answers) and `export.json` (arch, sizes, seconds). Its manifest carries
every file's SHA-256; `open_gguf` re-checks them before anything loads the file.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id, hash_tree
from forge.errors import ForgeError, InputError
from forge.progress import NULL_PROGRESS, Progress

KIND = "gguf"
QUANTS = ("f16", "f32", "bf16", "q8_0", "q4_k_m")
K_QUANTS = {"q4_k_m": "LLAMA_FTYPE_MOSTLY_Q4_K_M"}
K_QUANT_HINT = (
    "K-quants are made by llama.cpp: install llama-cpp-python (`make llama-cpp`), "
    "or export f16/bf16/q8_0, which need only the gguf library"
)


@dataclass
class GGUFConfig:
    quant: str = "f16"
    parity: bool = True  # compare llama.cpp's greedy answers with HF's
    parity_prompts: int = 6
    parity_max_new_tokens: int = 48
    suite: str | None = None  # prompts for parity (name or file); default: bundled suite
    name: str = "forge-model"  # general.name in the GGUF header

    def problems(self) -> list[str]:
        out = []
        if self.quant not in QUANTS:
            out.append(f"'quant': must be one of {', '.join(QUANTS)}, got {self.quant!r}")
        for key in ("parity_prompts", "parity_max_new_tokens"):
            if getattr(self, key) < 1:
                out.append(f"'{key}': must be at least 1, got {getattr(self, key)}")
        return out


def gguf_file_name(quant: str) -> str:
    return f"model-{quant}.gguf"


def parity_prompts(config: GGUFConfig, dataset: Artifact | None = None) -> list[Any]:
    """The eval prompts parity runs on: the dataset's held-out slice and/or a suite, spread
    over tasks by the evaluate stage's deterministic selection."""
    from forge.evaluate.bundled_suites import DEFAULT_SUITE, resolve_suite
    from forge.evaluate.suite import load_dataset_prompts, load_suite_file, select_prompts

    prompts = load_dataset_prompts(dataset.path) if dataset is not None else []
    if config.suite or not prompts:
        prompts += load_suite_file(resolve_suite(config.suite or DEFAULT_SUITE))
    return select_prompts(prompts, config.parity_prompts, seed=0)


def _model_inputs(model: Artifact | Path) -> tuple[Path, list[Artifact], str]:
    """(directory, input artifacts, identity for the artifact id)."""
    if isinstance(model, Artifact):
        return model.path, [model], f"artifact:{model.id}"
    path = Path(model)
    if not (path / "config.json").is_file():
        raise InputError("not a model directory (no config.json)", path=str(path))
    files = json.dumps(hash_tree(path), sort_keys=True)
    import hashlib

    return path, [], "dir:" + hashlib.sha256(files.encode()).hexdigest()[:16]


def run_gguf_export(
    store: ArtifactStore,
    model: Artifact | Path,
    config: GGUFConfig | None = None,
    progress: Progress = NULL_PROGRESS,
    *,
    dataset: Artifact | None = None,
) -> Artifact:
    """Write the GGUF, check parity (failing the export with the first differing prompt),
    commit. Returns early when the same model was exported with the same config before."""
    from forge.export.gguf_writer import write_gguf
    from forge.export.parity import ParityError, check_parity, describe_failure, import_llama_cpp

    config = config or GGUFConfig()
    if problems := config.problems():
        raise InputError("bad GGUF export config: " + "; ".join(problems))
    model_dir, inputs, identity = _model_inputs(model)
    if config.parity:
        import_llama_cpp()  # fail before the work, with the hint, when llama.cpp is missing
    prompts = parity_prompts(config, dataset) if config.parity else []
    stage_config = {**dataclasses.asdict(config), "model": identity, "prompt_ids": [p.id for p in prompts]}
    aid = artifact_id(KIND, stage_config, [a.id for a in inputs] + ([dataset.id] if dataset else []))
    if (done := store.existing(KIND, aid)) is not None:
        return done
    with store.staged(KIND) as staging:
        task = progress.task(f"gguf {config.quant}", total=2 if config.parity else 1)
        out = staging / gguf_file_name(config.quant)
        t0 = time.monotonic()
        if config.quant in K_QUANTS:
            summary = _write_k_quant(model_dir, out, config, staging)
        else:
            summary = write_gguf(model_dir, out, config.quant, name=config.name)
        summary["write_seconds"] = round(time.monotonic() - t0, 2)
        summary["bytes"] = out.stat().st_size
        task.advance(1)
        if config.parity:
            t1 = time.monotonic()
            report = check_parity(model_dir, out, prompts, config.quant, config.parity_max_new_tokens)
            summary["parity_seconds"] = round(time.monotonic() - t1, 2)
            (staging / "parity.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
            if not report["passed"]:
                raise ParityError(
                    describe_failure(report),
                    hint="the export was not kept; check the converter for this architecture, or export f16 to compare",
                )
            task.advance(1)
        (staging / "export.json").write_text(json.dumps(summary, indent=2))
        task.done(quant=config.quant)
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config=stage_config,
            inputs=inputs,
            extra={
                "file": out.name,
                "quant": config.quant,
                "parity": (report["level"] if config.parity else "skipped"),
                "source_model": str(model_dir),
            },
        )


def _write_k_quant(model_dir: Path, out: Path, config: GGUFConfig, staging: Path) -> dict[str, Any]:
    """F16 GGUF first (our writer), then llama.cpp's quantizer; the F16 file is discarded."""
    from forge.export.gguf_writer import write_gguf

    try:
        import llama_cpp
    except ImportError:
        raise ForgeError(f"{config.quant} needs llama.cpp, which is not installed", hint=K_QUANT_HINT) from None
    tmp = staging / ".f16-for-quantize.gguf"
    summary = write_gguf(model_dir, tmp, "f16", name=config.name)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, K_QUANTS[config.quant])
    params.nthread = 2
    with _quiet_native_output():  # llama.cpp logs every tensor it quantizes
        rc = llama_cpp.llama_model_quantize(str(tmp).encode(), str(out).encode(), params)
    tmp.unlink(missing_ok=True)
    if rc != 0:
        raise ForgeError(f"llama.cpp failed to quantize to {config.quant} (return code {rc})")
    return {**summary, "type": config.quant}


def _quiet_native_output():
    import contextlib
    import os

    if os.environ.get("FORGE_VERBOSE"):
        return contextlib.nullcontext()
    try:
        from llama_cpp._utils import suppress_stdout_stderr

        return suppress_stdout_stderr(disable=False)
    except ImportError:  # a private helper: if it moves, the log is merely noisy
        return contextlib.nullcontext()


def open_gguf(artifact: Artifact | Path) -> Path:
    """The GGUF file of an export artifact, after checking every file against its manifest."""
    art = artifact if isinstance(artifact, Artifact) else Artifact.load(Path(artifact))
    if art.kind != KIND:
        raise InputError(f"{art.id} is a {art.kind} artifact, not a GGUF export", path=str(art.path))
    art.verify()
    return art.file(art.manifest["file"])
