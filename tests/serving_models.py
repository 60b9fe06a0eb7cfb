"""A tiny model that really calls tools, for the serving tests: the Qwen2.5 family base (real
tokenizer and chat template, tests/real_models.py) fine-tuned on CPU, all weights, on a
three-turn agent episode — create a bead, show it, close it — and one plain reply. Greedy
decoding then writes those tool calls in Qwen's own <tool_call> format. Built once per test
session (a few seconds); task adapters for stacking are PEFT LoRA adapters trained on top."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "description": desc,
            "parameters": {"type": "object", "properties": {key: {"type": "string"}}, "required": [key]},
        },
    }
    for name, desc, key in (
        ("bd_create", "Create a bead (an issue).", "title"),
        ("bd_show", "Show a bead.", "id"),
        ("bd_close", "Close a bead.", "id"),
    )
]
ASK = [{"role": "user", "content": "Track the login bug and close it when done."}]
CALLS = [("bd_create", {"title": "Fix login"}), ("bd_show", {"id": "gt-1"}), ("bd_close", {"id": "gt-1"})]
RESULTS = ["created gt-1", "gt-1: open, Fix login"]
GREETING = [{"role": "user", "content": "Say hello to the rig."}]
HELLO = "Hello rig, ready to work."
STEPS = 60


def assistant_call(i: int, name: str, args: dict[str, Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": "",
        "tool_calls": [{"id": f"call{i}", "type": "function", "function": {"name": name, "arguments": args}}],
    }


def episode(turns: int) -> list[dict[str, Any]]:
    """The conversation before the model's `turns`-th call (0-based): ask, calls, results."""
    msgs = list(ASK)
    for i in range(turns):
        msgs += [assistant_call(i, *CALLS[i]), {"role": "tool", "tool_call_id": f"call{i}", "content": RESULTS[i]}]
    return msgs


def examples() -> list[tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]]:
    """(prompt messages, tools, the assistant message to learn)."""
    out = [(episode(i), TOOLS, assistant_call(i, *CALLS[i])) for i in range(3)]
    out.append((GREETING, [], {"role": "assistant", "content": HELLO}))
    return out


def _rows(tokenizer: Any, extra: list[Any]) -> list[tuple[list[int], int]]:
    from forge.models.tool_calls import reply_part
    from forge.models.turns import template_messages

    rows = []
    for prompt_msgs, tools, answer in examples() + extra:
        msgs = template_messages(prompt_msgs + [answer])  # in the shape every family's template expects
        prompt = tokenizer.apply_chat_template(
            msgs[:-1], tools=tools or None, tokenize=False, add_generation_prompt=True
        )
        full = tokenizer.apply_chat_template(msgs, tools=tools or None, tokenize=False)
        prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        if full.startswith(prompt):
            ids = tokenizer(full, add_special_tokens=False)["input_ids"]
        else:
            # Gemma 4 renders a past turn without the empty thought channel its generation prompt
            # opens; learn the reply after the generation prompt, as it will be asked for.
            ids = prompt_ids + tokenizer(reply_part(full, prompt), add_special_tokens=False)["input_ids"]
        rows.append((ids, len(prompt_ids)))
    return rows


def _fit(model: Any, tokenizer: Any, steps: int, lr: float, extra: list[Any] | None = None) -> None:
    import torch

    torch.manual_seed(0)
    rows = _rows(tokenizer, extra or [])
    core = model.get_base_model() if hasattr(model, "get_base_model") else model
    core.get_input_embeddings().weight.requires_grad_(False)  # tied to the output: 151k rows, left as is
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        for ids, n_prompt in rows:
            x = torch.tensor([ids])
            # logits only where the reply is predicted: the vocabulary is 151k wide
            hidden = core.model(input_ids=x).last_hidden_state[0, n_prompt - 1 : -1]
            loss = torch.nn.functional.cross_entropy(core.lm_head(hidden), x[0, n_prompt:])
            loss.backward()
        opt.step()
    model.eval()


def build_tool_model(out: Path, family: str = "qwen2") -> Path:
    """The fine-tuned model directory (HF), written to `out`."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from real_models import family_base

    base = family_base(family)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    _fit(model, tokenizer, steps=STEPS, lr=3e-3)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    for extra in ("chat_template.jinja", "generation_config.json"):
        if (Path(base) / extra).is_file() and not (out / extra).is_file():
            (out / extra).write_bytes((Path(base) / extra).read_bytes())
    return out


def build_task_adapter(model_dir: Path, out: Path, title: str) -> Path:
    """A LoRA task adapter trained on top of the model: the first call's title becomes `title`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    peft = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj", "down_proj"]))
    extra = [(episode(0), TOOLS, assistant_call(0, "bd_create", {"title": title}))] * 3
    _fit(peft, tokenizer, steps=30, lr=1e-2, extra=extra)
    peft.save_pretrained(out)
    # the base as a path relative to the adapter: it survives the cache's rename (and lets
    # llama.cpp's serving find the HF model to convert the adapter against)
    config = json.loads((out / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = os.path.relpath(model_dir, out)
    (out / "adapter_config.json").write_text(json.dumps(config, indent=2))
    return out


def tool_model(family: str) -> Path:
    """The tool model of another family (no task adapters), cached like the Qwen2.5 one."""
    import hashlib

    from real_models import BASES_DIR, _cached_dir, family_base

    key = hashlib.sha256(Path(__file__).read_bytes() + str(family_base(family)).encode()).hexdigest()[:16]
    root = _cached_dir(BASES_DIR, f"serving-tools-{family}-{key}", lambda out: build_tool_model(out / "model", family))
    return root / "model"


def call_of(reply: str) -> dict[str, Any]:
    """The JSON object inside a <tool_call> block (for the tests' own checks)."""
    return json.loads(reply.split("<tool_call>", 1)[1].split("</tool_call>", 1)[0])


def tool_model_and_adapters() -> tuple[Path, dict[str, Path]]:
    """The tool model and two task adapters (`bead-create`: another title; `bead-title`: a
    third), cached by this file's content and the family base, like the family bases."""
    import hashlib

    from real_models import BASES_DIR, _cached_dir, family_base

    key = hashlib.sha256(Path(__file__).read_bytes() + str(family_base("qwen2")).encode()).hexdigest()[:16]

    def build(out: Path) -> None:
        model = build_tool_model(out / "model")
        build_task_adapter(model, out / "bead-create", "Fix login page")
        build_task_adapter(model, out / "bead-title", "Login bug")

    root = _cached_dir(BASES_DIR, f"serving-tools-{key}", build)
    return root / "model", {"bead-create": root / "bead-create", "bead-title": root / "bead-title"}
