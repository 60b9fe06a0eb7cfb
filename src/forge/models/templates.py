"""Chat templates: where a model keeps its template, and rendering it exactly as training does.

A template lives in a tokenizer object (`chat_template`), in a model directory
(`chat_template.jinja`, or `chat_template` in tokenizer_config.json — a string, or a list of
named templates such as "default" and "tool_use"), or in a GGUF file's metadata
(`tokenizer.chat_template`). Rendering goes through transformers' own Jinja environment, so
what inference, parity and format detection see is what training rendered. transformers is
imported only inside `render`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forge.errors import InputError

TEMPLATE_FILE = "chat_template.jinja"


def pick_template(value: Any) -> str | None:
    """One template from what a tokenizer config holds: a string, or named templates (the
    "tool_use" one when there is one — Forge renders tools — else "default")."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, list):  # tokenizer_config.json spelling: [{"name":..., "template":...}]
        value = {t.get("name"): t.get("template") for t in value if isinstance(t, dict)}
    if isinstance(value, dict):
        return value.get("tool_use") or value.get("default") or next(iter(value.values()), None)
    return None


def read_template(source: Any) -> str | None:
    """The chat template of a tokenizer, a model directory or a GGUF file (None when it has none)."""
    if hasattr(source, "chat_template"):
        return pick_template(source.chat_template)
    path = Path(source)
    if path.suffix == ".gguf" and path.is_file():
        return _gguf_template(path)
    if (path / TEMPLATE_FILE).is_file():
        return (path / TEMPLATE_FILE).read_text(encoding="utf-8")
    config = path / "tokenizer_config.json"
    if config.is_file():
        try:
            return pick_template(json.loads(config.read_text(encoding="utf-8")).get("chat_template"))
        except json.JSONDecodeError as e:
            raise InputError(
                f"tokenizer_config.json is not valid JSON ({e.msg})", path=str(config), line=e.lineno
            ) from None
    return None


def _gguf_template(path: Path) -> str | None:
    from forge.models.gguf_metadata import gguf_metadata

    value = gguf_metadata(path, {"tokenizer.chat_template"}).get("tokenizer.chat_template")
    return value if isinstance(value, str) else None


def special_tokens(source: Any) -> dict[str, str]:
    """bos_token / eos_token strings a template may write, from a tokenizer when given one."""
    out = {}
    for key in ("bos_token", "eos_token"):
        value = getattr(source, key, None)
        if isinstance(value, str):
            out[key] = value
    return out


def render(
    template: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None = None,
    *,
    add_generation_prompt: bool = False,
    **variables: Any,
) -> str:
    """The template rendered as `tokenizer.apply_chat_template(..., tokenize=False)` would."""
    from transformers.utils.chat_template_utils import render_jinja_template

    # annotated `-> str`, but it returns (rendered conversations, generation indices)
    result: Any = render_jinja_template(
        conversations=[messages],
        tools=list[Any](tools) if tools else None,
        chat_template=template,
        add_generation_prompt=add_generation_prompt,
        **variables,
    )
    rendered, _ = result
    return str(rendered[0])
