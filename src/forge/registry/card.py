"""The Hub model card: lineage, data, hyperparameters and eval — and never a secret.

Everything that goes in (free text from the caller included) passes through the scrubber as
one last text, so a secret that slipped into model details or a hyperparameter value is
replaced by its typed placeholder before the card is written.
"""

from __future__ import annotations

import json
from typing import Any

HP_KEYS = (
    "learning_rate",
    "max_steps",
    "batch_size",
    "grad_accum",
    "lora_r",
    "lora_alpha",
    "lora_dropout",
    "max_seq_length",
    "lr_scheduler_type",
    "warmup_steps",
    "seed",
)


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def model_card(forge: Any, model: Any, repo: str, *, extra: str | None = None) -> str:
    from forge.registry.api import lineage
    from forge.scrub import scrub_text

    info = lineage(forge, model.display_name)
    hp = dict((info["hyperparameters"] or {}).items())
    ev = info["eval"]
    lines = [
        "---",
        "library_name: transformers",
        f"base_model: {json.dumps(info['base'])}",
        "tags: [forge, gas-town, agent" + (f", {info['role']}" if info["role"] else "") + "]",
        "---",
        "",
        f"# {info['name']}",
        "",
        f"A {info['role'] or 'agent'} model fine-tuned by Forge on agent session transcripts "
        f"(scrubbed of secrets before training).",
        "",
    ]
    description = (model.details or {}).get("description")
    for text in (description, extra):
        if text:
            lines += [str(text), ""]
    lines += [
        "## Lineage",
        "",
        "| | |",
        "|---|---|",
        f"| Base model | {info['base']} |",
        f"| Version | {info['version']} |",
        f"| Trained | {info['trained']} |",
        f"| Corpus | {_or_dash(info['corpus_conversations'])} conversations ({info['corpus_id'] or '-'}) |",
        f"| Dataset | {info['dataset_id'] or '-'} |",
        f"| SFT rows | {info['sft_rows'] if info['sft_rows'] is not None else '-'} |",
        f"| DPO pairs | {info['dpo_pairs'] if info['dpo_pairs'] is not None else '-'} |",
        f"| Adapters | {', '.join(info['adapters']) or '-'} |",
        "",
    ]
    lines += ["## Hyperparameters", "", "| name | value |", "|---|---|"]
    lines += [f"| {k} | {hp[k]} |" for k in sorted(hp) if k in HP_KEYS or not isinstance(hp[k], (dict, list))]
    lines += [
        "",
        "## Evaluation",
        "",
        f"Score {_pct(ev['score'])} (base model {_pct(ev['base_score'])}) on held-out prompts, pass rate per category:",
        "",
        "| category | base | candidate |",
        "|---|---|---|",
    ]
    cats = ev.get("categories") or {}
    base_c, cand_c = cats.get("base") or {}, cats.get("candidate") or {}
    for cat in sorted(set(base_c) | set(cand_c)):
        b, c = base_c.get(cat, {}), cand_c.get(cat, {})
        lines.append(f"| {cat} | {b.get('passed', 0)}/{b.get('total', 0)} | {c.get('passed', 0)}/{c.get('total', 0)} |")
    lines += [
        "",
        "## Files",
        "",
        f"`forge-files.json` lists the SHA-256 of every file; `forge model pull {repo}` verifies them after download.",
        "",
    ]
    return scrub_text("\n".join(lines))


def _or_dash(value: object) -> object:
    return "-" if value is None else value
