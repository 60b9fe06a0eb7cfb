"""Before training: the base's chat template must carry what the rows hold.

A template that cannot write tool calls (plain ChatML, Phi-3.5) would train a model on rows
whose calls vanished from the text: the model learns to answer in prose where the sessions
called tools. Such a base is refused when the rows have tool calls, unless an explicit template
is passed (`chat_template`: a .jinja file, e.g. `forge pipeline ... --template FILE` or
`--set train.chat_template=FILE`). Whatever the template, the round-trip check of
models/fidelity.py runs on a sample of the rows and its figures go to the job log.
"""

from __future__ import annotations

import hashlib
from typing import Any

from forge.errors import InputError
from forge.progress import Progress

SAMPLE_ROWS = 16  # rows round-tripped for the log (each costs two renders per turn; the refusal
# itself looks at the template only, and `forge dataset check` covers every row)


def apply_template(tokenizer: Any, template_file: str) -> str | None:
    """Put the explicit template on the tokenizer (it is saved with the adapter, so evaluation
    and serving render the same); returns its SHA-256, None when there is none."""
    if not template_file:
        return None
    from forge.models.fidelity import read_template_file

    text = read_template_file(template_file)
    tokenizer.chat_template = text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def template_sha256(template_file: str) -> str | None:
    """The explicit template's digest (part of the artifact id), None without one."""
    if not template_file:
        return None
    from forge.models.fidelity import read_template_file

    return hashlib.sha256(read_template_file(template_file).encode("utf-8")).hexdigest()


def check_template(
    tokenizer: Any, rows: list[dict[str, Any]], base: str, explicit: bool, progress: Progress
) -> dict[str, Any]:
    """Refuse a template that drops the rows' tool calls (unless it was passed explicitly);
    return the round-trip figures of a sample of rows."""
    from forge.models.fidelity import check_rows, rows_have_calls
    from forge.models.templates import read_template
    from forge.models.tool_calls import detect_format

    template = read_template(tokenizer)
    if not template:
        raise InputError(
            f"base model {base} has no chat template",
            hint="pass one: forge pipeline ... --template FILE, or --set train.chat_template=FILE",
        )
    detection = detect_format(tokenizer)
    has_calls = rows_have_calls(rows)
    if has_calls and not detection.renders_calls and not explicit:
        raise InputError(
            f"the chat template of base model {base} cannot carry tool calls, and the training rows have "
            "tool calls: they would vanish from what the model learns",
            hint="pass a chat template that writes tool calls: forge pipeline ... --template FILE, or "
            "--set train.chat_template=FILE (recipes: steps.train.chat_template); "
            f"`forge dataset check DATASET --base {base} --template FILE` shows what a template keeps",
        )
    bos, eos = getattr(tokenizer, "bos_token", None), getattr(tokenizer, "eos_token", None)
    report = check_rows(
        rows[:SAMPLE_ROWS], template, bos=bos if isinstance(bos, str) else "", eos=eos if isinstance(eos, str) else ""
    )
    losses = ", ".join(f"{k} {n}" for k, n in report.totals().items()) or "none"
    progress.log(
        f"chat template: tool calls as {report.format}; round-trip fidelity {report.fidelity:.1f}% "
        f"on {len(report.rows)} rows (losses: {losses})"
    )
    return {
        "format": report.format,
        "renders_tool_calls": report.renders_calls,
        "rows_checked": len(report.rows),
        "fidelity_percent": round(report.fidelity, 2),
        "losses_by_kind": report.totals(),
    }
