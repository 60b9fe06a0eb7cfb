"""`forge dataset check`: the SFT rows of a dataset round-tripped through a base model's chat
template (models/fidelity.py), as the report the CLI, API and train stage read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from forge.jsonl import read_jsonl

SPLITS = ("sft_train.jsonl", "sft_eval.jsonl")


def dataset_rows(dataset_dir: Path) -> list[dict[str, Any]]:
    """The SFT rows of a dataset folder, train then eval."""
    rows: list[dict[str, Any]] = []
    for name in SPLITS:
        if (dataset_dir / name).is_file():
            rows += [row for _, row in read_jsonl(dataset_dir / name) if isinstance(row, dict)]
    return rows


def check_dataset(dataset_dir: Path, base_location: str, template_file: str | None = None) -> dict[str, Any]:
    """The fidelity report (FidelityReport.as_dict) of a dataset's SFT rows on a base."""
    from forge.models.fidelity import base_template, check_rows

    template, bos, eos = base_template(base_location, template_file)
    report = check_rows(dataset_rows(dataset_dir), template, bos=bos, eos=eos)
    return {"template": template_file or "base", **report.as_dict()}
