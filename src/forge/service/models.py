"""Models as the edges see them: resolve a MODEL argument, evaluate it against its base,
export it (merged, GGUF, Ollama), run a prompt through any of its forms, prepare it for serving."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from forge.errors import ForgeError, InputError
from forge.service.base import ForgeHome

EXPORT_FORMATS = ("merged", "gguf", "ollama")
INFER_MODES = ("hf", "gguf", "ollama")
HF_MODEL_KINDS = ("model", "merged_model", "full_model", "base_model")


def base_model_aliases() -> list[dict[str, Any]]:
    """The short base-model names `--base` accepts, with the Hub repositories they stand for."""
    from forge.models.aliases import ALIASES

    return [
        {"alias": name, "hub_id": a.hub_id, "four_bit": a.four_bit, "tool_format": a.tool_format, "size": a.size}
        for name, a in ALIASES.items()
    ]


def _quiet() -> None:
    from forge.quiet import quiet_ml_libraries

    quiet_ml_libraries()


class ModelsAPI(ForgeHome):
    def resolve_model(self, ref: str, adapters: list[str] | None = None) -> Any:
        """What a MODEL argument names — a registry model (polecat, polecat-v2), an artifact or
        model directory, a GGUF file, a Hub id — checked against its manifest's SHA-256s.
        `adapters`: task adapter names (registry) or directories, stacked in order."""
        from forge.models.refs import resolve_model

        return resolve_model(self, ref, self.adapter_paths(adapters or []))

    def adapter_paths(self, names_or_paths: list[str]) -> list[str]:
        """Task adapters by registry name (newest version) or by directory, verified."""
        from forge.registry.adapters import Adapters

        out = []
        for ref in names_or_paths:
            if Path(ref).is_dir():
                out.append(ref)
                continue
            found = Adapters(self.registry, self.store).list(ref)
            if not found:
                raise ForgeError(
                    f"no task adapter named {ref!r}",
                    hint="`forge model adapters` lists them; or pass an adapter directory",
                )
            art = self.store.get(found[0].artifact_id)
            art.verify()
            out.append(str(art.path))
        return out

    # -- evaluate ---------------------------------------------------------------------------
    def evaluate(
        self,
        model: str,
        *,
        adapters: list[str] | None = None,
        suite: str | None = None,
        dataset: str | None = None,
        held_out: bool = False,
        base: str | None = None,
        options: dict[str, Any] | None = None,
        html: Path | None = None,
    ) -> dict[str, Any]:
        """Score MODEL (and its base, which registry models know) on a task suite and/or a
        dataset's held-out slice: per-category pass rates, the delta, failing examples.
        `suite`: a bundled suite name, a file, or "none" (held-out slice only)."""
        from forge.config import parse_config
        from forge.evaluate.bundled_suites import DEFAULT_SUITE, resolve_suite
        from forge.evaluate.compare import compare_reports
        from forge.evaluate.stage import EvalConfig, load_report, run_evaluate
        from forge.models.base import resolve_base

        target = self.resolve_model(model, adapters)
        if target.kind not in HF_MODEL_KINDS:
            raise InputError(
                f"{model} is a {target.kind} artifact; evaluate an HF model (registry name, merged model or model dir)"
            )
        ds = self.store.get(dataset) if dataset else (target.dataset if held_out else None)
        if held_out and ds is None:
            raise InputError(f"{model} names no training dataset; pass --dataset ID")
        # the suite is scored unless only a held-out slice was asked for (suite "none")
        suite_path = None if suite == "none" else resolve_suite(suite or DEFAULT_SUITE)
        if suite_path is None and ds is None:
            raise InputError("--suite none needs --dataset or --held-out")
        config = parse_config(
            EvalConfig,
            {"device": "cpu", **(options or {}), "suite": str(suite_path) if suite_path else None},
            source="eval options",
            prefix="evaluate.",
        )
        _quiet()
        t0 = time.monotonic()
        cand_art = run_evaluate(
            self.store, target.location, ds, config, target.adapters, input_artifacts=target.artifacts
        )
        cand = load_report(cand_art)
        base_ref = base or target.base
        base_report, base_id = None, None
        if base_ref:
            b = resolve_base(base_ref, self.settings)
            base_art = run_evaluate(self.store, b.location, ds, config, input_artifacts=b.artifacts)
            base_report, base_id = load_report(base_art), base_art.id
        comparison = compare_reports(cand, base_report)
        out = {
            "model": target.registry_name or model,
            "adapters": target.adapters,
            "base": base_ref,
            "suite": suite_path.stem if suite_path else None,
            "dataset": ds.id if ds else None,
            "decoding": "guided" if config.guided else "free",
            "report_id": cand_art.id,
            "base_report_id": base_id,
            "seconds": round(time.monotonic() - t0, 1),
            **comparison,
        }
        if html:
            from forge.evaluate.html import render_html

            meta = {
                "model": out["model"],
                "base": base_ref or "–",
                "suite": out["suite"] or "–",
                "dataset": out["dataset"] or "–",
            }
            Path(html).write_text(render_html(f"Forge eval: {out['model']}", comparison, meta))
            out["html"] = str(html)
        return out

    def score(self, model: str, *, dataset: str | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """One model alone (no base) on a dataset's held-out slice and/or `options["suite"]`:
        its eval report id, score and per-category pass rates."""
        from forge.config import parse_config
        from forge.evaluate.stage import EvalConfig, load_report, run_evaluate

        target = self.resolve_model(model)
        if target.kind not in HF_MODEL_KINDS:
            raise InputError(f"{model} is a {target.kind} artifact; evaluate an HF model")
        config = parse_config(EvalConfig, dict(options or {}), source="eval options", prefix="evaluate.")
        ds = self.store.get(dataset) if dataset else None
        _quiet()
        art = run_evaluate(self.store, target.location, ds, config, target.adapters, input_artifacts=target.artifacts)
        report = load_report(art)
        return {"eval_report_id": art.id, "score": report.get("score"), "categories": report.get("categories")}

    def eval_report(self, report_id: str) -> dict[str, Any]:
        from forge.evaluate.stage import load_report

        return load_report(self.artifact(report_id, "eval_report"))  # type: ignore[attr-defined]

    def eval_comparison(self, report_id: str, base_report_id: str | None = None) -> dict[str, Any]:
        """An eval report (by id only) side by side with its base model's: per-category pass
        rates, the delta, failing examples. Without `base_report_id`, the base report of the
        job or registry version that made this one is used, when there is one."""
        from forge.evaluate.compare import compare_reports
        from forge.evaluate.stage import load_report

        cand_art = self.stored_artifact(report_id, "eval_report")  # type: ignore[attr-defined]
        base_id, model = base_report_id, None
        for m in self.registry.list():
            if m.lineage.get("eval_candidate") == report_id:
                base_id, model = base_id or m.lineage.get("eval_base"), m.display_name
                break
        if base_id is None:
            for job in self.jobs.list(200):
                stages = (job.result or {}).get("stages") or {}
                if (stages.get("eval_candidate") or {}).get("id") == report_id:
                    base_id = (stages.get("eval_base") or {}).get("id")
                    break
        base = load_report(self.stored_artifact(base_id, "eval_report")) if base_id else None  # type: ignore[attr-defined]
        out = compare_reports(load_report(cand_art), base)
        from forge.scrub import Scrubber

        scrubber = Scrubber()  # replies are model output: scrubbed like anything Forge shows
        out["failures"] = [
            {
                **f,
                "reply": scrubber.scrub_text(str(f.get("reply", ""))),
                "reasons": [scrubber.scrub_text(str(r)) for r in f.get("reasons", [])],
            }
            for f in out.get("failures", [])
        ]
        return {
            "report_id": report_id,
            "base_report_id": base_id,
            "model": model,
            "created_at": cand_art.manifest.get("created_at"),
            "suite": (cand_art.config or {}).get("suite"),
            "inputs": cand_art.manifest.get("inputs", []),
            **out,
        }

    def eval_report_html(self, report_id: str, base_report_id: str | None = None) -> str:
        """The eval report page: table, bar chart and failing examples, self-contained."""
        from forge.evaluate.html import render_html

        c = self.eval_comparison(report_id, base_report_id)
        meta = {
            "report": report_id,
            "base report": c["base_report_id"] or "–",
            "model": c["model"] or "–",
            "suite": str(c["suite"] or "–"),
        }
        return render_html(f"Forge eval: {c['model'] or report_id}", c, meta)

    # -- export -----------------------------------------------------------------------------
    def export(
        self,
        model: str,
        *,
        fmt: str = "gguf",
        quant: str = "f16",
        parity: bool = True,
        suite: str | None = None,
        name: str | None = None,
    ) -> dict[str, Any]:
        """Package MODEL as merged safetensors, GGUF (parity-checked against HF) or Ollama."""
        from forge.export.gguf import QUANTS, GGUFConfig, run_gguf_export
        from forge.export.ollama import OllamaConfig, run_ollama_export
        from forge.models.merge import run_merge

        if fmt not in EXPORT_FORMATS:
            raise InputError(f"--format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
        if quant not in QUANTS:
            raise InputError(f"--quant must be one of {', '.join(QUANTS)}, got {quant!r}")
        target = self.resolve_model(model)
        _quiet()
        t0 = time.monotonic()
        merged: Any
        if target.kind == "adapter":
            merged = run_merge(self.store, target.artifact, settings=self.settings)
        elif target.kind in HF_MODEL_KINDS:
            merged = target.artifact or Path(target.location)
        else:
            raise InputError(f"{model} is a {target.kind} artifact; export starts from a model")
        if fmt == "merged":
            if target.kind == "model":
                raise InputError(
                    f"{model} is a plain model directory, already merged", hint="use --format gguf or ollama"
                )
            art = merged
        else:
            label = name or (target.registry_name or "forge-model").replace(" ", "-")
            art = run_gguf_export(
                self.store,
                merged,
                GGUFConfig(quant=quant, parity=parity, suite=suite, name=label),
                dataset=target.dataset,
            )
            if fmt == "ollama":
                art = run_ollama_export(self.store, art, OllamaConfig(name=label))
        return describe_export(art, time.monotonic() - t0)

    def package_job(self, job_id: str, *, quant: str = "f16", parity: bool = True) -> dict[str, Any]:
        """Export a job's merged model to GGUF; the job must be PACKAGING_COMPLETE or later."""
        from forge.errors import IllegalTransition
        from forge.export.gguf import GGUFConfig, run_gguf_export
        from forge.jobs.state_machine import JobState

        job = self.jobs.get(job_id)
        if job.state not in (JobState.PACKAGING_COMPLETE, JobState.TESTS_PASSED, JobState.PUBLISHED):
            raise IllegalTransition(
                f"job {job_id} is {job.state.value}; packaging needs a merged model (PACKAGING_COMPLETE or later)"
            )
        stages = (job.result or {}).get("stages", {})
        merged = self.store.get(stages["merged_model"]["id"])
        merged.verify()
        dataset = self.store.get(stages["dataset"]["id"]) if "dataset" in stages else None
        _quiet()
        art = run_gguf_export(self.store, merged, GGUFConfig(quant=quant, parity=parity), dataset=dataset)
        return {
            "job_id": job_id,
            "artifact_id": art.id,
            "path": str(art.path),
            "file": art.manifest.get("file"),
            "parity": art.manifest.get("parity"),
            "sha256": art.manifest["files"].get(art.manifest.get("file", "")),
        }

    # -- inference --------------------------------------------------------------------------
    def infer(
        self,
        model: str,
        conversations: list[list[dict[str, Any]]],
        *,
        mode: str = "hf",
        tools: list[dict[str, Any]] | None = None,
        adapters: list[str] | None = None,
        quant: str = "f16",
        max_new_tokens: int = 160,
        guided: bool = False,
    ) -> dict[str, Any]:
        """Greedy replies, one per conversation, from MODEL in one of its forms (hf: transformers
        with adapters; gguf: llama.cpp, exported first if needed; ollama: a local Ollama server),
        each with its parsed tool calls. `guided` (hf, gguf): tool calls held to `tools`."""
        from forge.export import infer
        from forge.models.tool_calls import parse_reply

        if mode not in INFER_MODES:
            raise InputError(f"--mode must be one of {', '.join(INFER_MODES)}, got {mode!r}")
        if guided and mode == "ollama":
            raise InputError(
                "guided tool calls run in hf and gguf modes", hint="use --mode hf or gguf, or drop --guided"
            )
        schemas = list(tools or [])
        _quiet()
        t0 = time.monotonic()
        location: str
        if mode == "ollama":
            replies = [infer.infer_ollama(model, c, schemas) for c in conversations]
            location = model
        else:
            target = self.resolve_model(model, adapters)
            if mode == "hf":
                if target.kind in ("gguf", "ollama"):
                    raise InputError(f"{model} is a {target.kind} export; use --mode gguf")
                from forge.models.loading import generate, load_model

                location = target.location
                hf_model, tokenizer = load_model(target.location, target.adapters)
                replies = generate(
                    hf_model,
                    tokenizer,
                    conversations,
                    [schemas] * len(conversations),
                    max_new_tokens=max_new_tokens,
                    guided=guided,
                )
            else:
                gguf = infer.gguf_for(self, target, quant)
                location = str(gguf)
                replies = [infer.infer_gguf(gguf, c, schemas, max_new_tokens, guided) for c in conversations]
        fmt = infer.tool_format(mode, location if mode != "ollama" else None)  # the model's own format
        results = []
        for reply in replies:
            parsed = parse_reply(reply, fmt=fmt, tools=schemas)
            results.append(
                {"reply": reply, "content": parsed.content, "tool_calls": parsed.calls, "errors": parsed.errors}
            )
        return {
            "model": model,
            "mode": mode,
            "path": location,
            "tool_call_format": fmt,
            "results": results,
            "seconds": round(time.monotonic() - t0, 1),
        }

    def suite_tools(self, ref: str | None) -> list[dict[str, Any]]:
        """Tool schemas for a prompt: a bundled suite's tools (by name), a JSON file of schemas,
        or none ("none" / empty)."""
        if not ref or ref == "none":
            return []
        path = Path(ref)
        if path.suffix == ".json" and path.is_file():
            try:
                data = json.loads(path.read_text())
            except json.JSONDecodeError as e:
                raise InputError(f"not valid JSON: {e.msg}", path=str(path), line=e.lineno) from None
            if not isinstance(data, list):
                raise InputError("expected a JSON list of tool schemas", path=str(path))
            return data
        from forge.evaluate.bundled_suites import resolve_suite
        from forge.evaluate.suite import read_records

        seen: dict[str, dict[str, Any]] = {}
        for rec in read_records(resolve_suite(ref)):
            for tool in rec.get("tools") or []:
                seen.setdefault(tool.get("function", tool).get("name", ""), tool)
        return list(seen.values())


def describe_export(art: Any, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": art.id,
        "kind": art.kind,
        "path": str(art.path),
        "files": art.manifest.get("files", {}),
        "seconds": round(seconds, 1),
    }
    for key, file in (("export", "export.json"), ("ollama", "ollama.json")):
        if art.file(file).is_file():
            out[key] = json.loads(art.file(file).read_text())
    if art.file("parity.json").is_file():
        p = json.loads(art.file("parity.json").read_text())
        out["parity"] = {
            k: p[k]
            for k in ("quant", "level", "passed", "n_prompts", "same_tokens", "same_tool_calls", "same_tokenization")
        }
    return out
