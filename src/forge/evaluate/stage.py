"""The evaluate stage: model (+ adapters) + eval prompts → eval_report artifact.

Writes `report.json` (scores: overall, per check, per task, per role; first failures) and
`samples.jsonl` (one line per prompt: reply, pass, reasons, every check's result).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id, sha256_file
from forge.errors import InputError
from forge.evaluate.report import gate, score_reply, summarize
from forge.evaluate.suite import EvalPrompt, load_dataset_prompts, load_suite_file, select_prompts
from forge.progress import NULL_PROGRESS, Progress

KIND = "eval_report"
__all__ = ["EvalConfig", "collect_prompts", "gate", "model_identity", "run_evaluate"]


@dataclass
class EvalConfig:
    max_prompts: int = 48
    # None: 160 new tokens (96 cut long bead-create calls short), or room for a prompt's expected
    # reply where that is longer (reply_budgets). A number is a hard limit for every prompt.
    max_new_tokens: int | None = None
    batch_size: int = 8
    seed: int = 0
    suite: str | None = None  # a suite file (JSON/JSONL) scored besides the dataset's
    device: str = "auto"  # "auto" | "cpu" | "cuda" | "cuda:1" ...
    dtype: str | None = None  # None: the checkpoint's own
    # Prompts longer than this (with room for the reply) lose their oldest history, as training
    # windows do. 0: the trained context of the model (max_seq_length of the adapter it was
    # trained as), no cut for a model Forge did not train.
    context_length: int = 0
    # Hold every tool call to the prompt's tools as it is generated (models/guided.py): the
    # score is then of the model as served with guided decoding, not of what it writes alone.
    guided: bool = False

    def problems(self) -> list[str]:
        out = [
            f"'{k}': must be at least 1, got {getattr(self, k)}"
            for k in ("max_prompts", "max_new_tokens", "batch_size")
            if getattr(self, k) is not None and getattr(self, k) < 1
        ]
        if self.context_length < 0:
            out.append(f"'context_length': must not be negative, got {self.context_length}")
        return out


TRAINED_KINDS = ("adapter", "full_model")


def trained_context(
    store: ArtifactStore, model_ref: str | Path, adapters: Sequence[str | Path], inputs: Sequence[Artifact]
) -> int | None:
    """The max_seq_length a model was trained with: from its adapter / full-model artifact, or
    the adapter a merged model was made from; None when Forge did not train it."""
    arts = list(inputs)
    for ref in [*adapters, model_ref]:
        if (Path(ref) / "manifest.json").is_file():
            arts.append(Artifact.load(Path(ref)))
    seen: set[str] = set()
    while arts:
        art = arts.pop(0)
        if art.id in seen:
            continue
        seen.add(art.id)
        if art.kind in TRAINED_KINDS:
            value = art.manifest.get("config", {}).get("max_seq_length")
            if isinstance(value, int) and value > 0:
                return value
        if art.kind == "merged_model":
            for entry in art.manifest.get("inputs", []):
                if entry.get("kind") in TRAINED_KINDS:
                    try:
                        arts.append(store.get(entry["id"]))
                    except Exception:  # not in this store: the merged model stands alone
                        continue
    return None


def model_identity(ref: str | Path, artifacts: Sequence[Artifact]) -> str:
    """What names a model in the artifact id: the artifact it lives in when it is one (so the
    id follows its content, wherever the store is), else the local path or Hub id as given."""
    path = Path(ref)
    if path.exists():
        resolved = path.resolve()
        for art in artifacts:
            root = art.path.resolve()
            if resolved == root or root in resolved.parents:
                sub = resolved.relative_to(root).as_posix()
                return f"artifact:{art.id}" + ("" if sub == "." else f"/{sub}")
        return str(resolved)
    return str(ref)


def collect_prompts(dataset: Artifact | None, config: EvalConfig, single_call: bool = False) -> list[EvalPrompt]:
    """The held-out rows' prompts (parallel calls one prompt each where the model's template
    takes one call per message, as it was trained) and the suite's, as given."""
    prompts: list[EvalPrompt] = []
    if dataset is not None:
        prompts += load_dataset_prompts(dataset.path, single_call)
    if config.suite:
        prompts += load_suite_file(Path(config.suite))
    if not prompts:
        raise InputError(
            "no eval prompts: the dataset's eval split has no assistant tool calls"
            if dataset is not None
            else "no dataset and no suite file given",
            hint="give a dataset with an eval split or set suite=<file>",
        )
    seen: set[str] = set()
    for p in prompts:
        if p.id in seen:
            raise InputError(f"duplicate eval prompt id {p.id!r}")
        seen.add(p.id)
    return select_prompts(prompts, config.max_prompts, config.seed)


def _id_config(
    config: EvalConfig, model_ref: str | Path, adapters: Sequence[str | Path], inputs: Sequence[Artifact]
) -> dict[str, Any]:
    cfg = dataclasses.asdict(config)
    if config.guided:  # a changed grammar scores differently: its version is part of the id
        from forge.models.guided import GRAMMAR_VERSION

        cfg["guided"] = GRAMMAR_VERSION
    else:  # reports scored before the option existed keep their ids
        cfg.pop("guided")
    if config.suite:  # the suite's content, not its location, decides the result
        cfg["suite"] = {"name": Path(config.suite).name, "sha256": sha256_file(Path(config.suite))}
    cfg["model"] = model_identity(model_ref, inputs)
    cfg["adapters"] = [model_identity(a, inputs) for a in adapters]
    return cfg


def run_evaluate(
    store: ArtifactStore,
    model_ref: str | Path,
    dataset: Artifact | None,
    config: EvalConfig,
    adapters: Sequence[str | Path] = (),
    input_artifacts: Sequence[Artifact] = (),
    progress: Progress = NULL_PROGRESS,
) -> Artifact:
    """Generate a reply for every eval prompt, check it, and store the report.

    Pass the base-model and adapter artifacts in `input_artifacts`: their ids and digests go
    into this artifact's id and manifest, so a changed model is never mistaken for a scored one.
    """
    if config.suite and not Path(config.suite).is_file():
        raise InputError("suite file not found", path=config.suite)
    inputs = list({a.id: a for a in ([dataset] if dataset else []) + list(input_artifacts)}.values())
    id_config = _id_config(config, model_ref, adapters, inputs)
    aid = artifact_id(KIND, id_config, [f"{a.id}@{a.digest}" for a in inputs])
    if (found := store.existing(KIND, aid)) is not None:
        return found

    with store.staged(KIND) as staging:
        prompts = collect_prompts(dataset, config, dataset is not None and _single_call_template(model_ref))
        context = config.context_length or trained_context(store, model_ref, adapters, inputs)
        samples = _generate_and_score(model_ref, adapters, prompts, config, progress, context)
        report = {
            "model": str(model_ref),
            "adapters": [str(a) for a in adapters],
            "dataset": dataset.id if dataset else None,
            "suite": config.suite,
            "decoding": "guided" if config.guided else "free",
            **summarize(prompts, samples),
            "context": {
                "context_length": context,
                "prompts_cut": sum(bool(s.get("prompt_cut")) for s in samples),
                "messages_dropped": sum(int(s.get("messages_dropped", 0)) for s in samples),
                "prompts_over_context": sum(bool(s.get("prompt_over_context")) for s in samples),
            },
        }
        (staging / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
        with open(staging / "samples.jsonl", "w", encoding="utf-8") as f:
            for s in samples:
                f.write(json.dumps(s, ensure_ascii=False) + "\n")
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config=id_config,
            inputs=inputs,
            extra={"score": report["score"], "n_prompts": report["n_prompts"]},
        )


def _single_call_template(model_ref: str | Path) -> bool:
    """Whether the model's chat template takes one tool call per message (masks.Renderer)."""
    from transformers import AutoTokenizer

    from forge.models.masks import Renderer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(model_ref))
    except OSError:
        return False  # loading the model says what is wrong, with its hint
    return Renderer(tokenizer).single_call_only


def _generate_and_score(
    model_ref: str | Path,
    adapters: Sequence[str | Path],
    prompts: list[EvalPrompt],
    config: EvalConfig,
    progress: Progress,
    context: int | None = None,
) -> list[dict[str, Any]]:
    import torch

    from forge.models.loading import generate, load_model
    from forge.models.tool_calls import parser_for, reply_format

    torch.manual_seed(config.seed)
    model, tokenizer = load_model(model_ref, adapters, device=config.device, dtype=config.dtype)
    fmt = parser_for(tokenizer)  # replies are scored in the model's own tool-call format
    budgets = reply_budgets(tokenizer, prompts, config.max_new_tokens)
    given = _cut_to_context(tokenizer, prompts, context, budgets)
    task = progress.task("evaluate", total=len(prompts))
    samples: list[dict[str, Any]] = []
    passed = 0
    # Chunks of a few batches: progress moves while generate() still batches by length.
    chunk = config.batch_size * 4
    for start in range(0, len(prompts), chunk):
        part = prompts[start : start + chunk]
        cut = given[start : start + chunk]
        replies = generate(
            model,
            tokenizer,
            [c.messages for c in cut],
            [p.tools for p in part],
            max_new_tokens=max(budgets[start : start + chunk]),
            batch_size=config.batch_size,
            guided=config.guided,
        )
        for prompt, reply, trimmed in zip(part, replies, cut):
            with reply_format(fmt):
                sample = {**score_reply(prompt, reply), "tool_call_format": fmt}
            if trimmed.cut:
                sample.update(prompt_cut=True, messages_dropped=trimmed.dropped, prompt_tokens=trimmed.tokens)
            if trimmed.over:  # the head and the last call alone are longer than the context
                sample.update(prompt_over_context=True, prompt_tokens=trimmed.tokens)
            passed += sample["passed"]
            samples.append(sample)
        task.advance(len(part), passed=passed, seen=len(samples))
    task.done(score=passed / len(samples) if samples else 0.0)
    return samples


# Per call, the tokens a tool-call format wraps around the call's JSON ({"name": ..., "arguments":
# ...} inside <tool_call> tags, a [TOOL_CALLS] marker or a JSON list): under 16 in every format
# Forge reads (models/tool_calls.py). The reply may also open with a short sentence: 1/4 more.
CALL_WRAPPER_TOKENS = 16
REPLY_TOKENS = 160  # as `forge generate` defaults to


def reply_budgets(tokenizer: Any, prompts: list[EvalPrompt], max_new_tokens: int | None) -> list[int]:
    """New tokens each prompt may generate: `max_new_tokens` when given; else REPLY_TOKENS, or
    room for the expected reply where that is longer (a plan of five bead creates is ~400 tokens;
    cut at 160 it could never pass)."""
    if max_new_tokens is not None:
        return [max_new_tokens] * len(prompts)
    floor, out = REPLY_TOKENS, []
    for p in prompts:
        calls = json.dumps([{"name": c["name"], "arguments": c.get("arguments") or {}} for c in p.expected])
        need = len(tokenizer(calls, add_special_tokens=False)["input_ids"]) + CALL_WRAPPER_TOKENS * len(p.expected)
        out.append(max(floor, need * 5 // 4))
    return out


def _cut_to_context(
    tokenizer: Any, prompts: list[EvalPrompt], context: int | None, reply_tokens: list[int]
) -> list[Any]:
    """Each prompt as the model is given it: cut (models/windows.trim_prompt) so prompt and
    reply fit in the trained context, as the training windows did; whole without a context."""
    from forge.models.masks import Renderer
    from forge.models.windows import TrimmedPrompt, trim_prompt

    if not context:
        return [TrimmedPrompt(p.messages, 0) for p in prompts]
    renderer = Renderer(tokenizer)
    return [
        trim_prompt(renderer, p.messages, p.tools or None, max(context - reply, 1))
        for p, reply in zip(prompts, reply_tokens)
    ]


def load_report(artifact: Artifact) -> dict[str, Any]:
    return json.loads(artifact.file("report.json").read_text())
