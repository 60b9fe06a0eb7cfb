"""Load a causal LM (with stacked PEFT adapters) and generate greedy chat replies.

Shared by evaluate, export parity checks and serving. Heavy imports stay inside the functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from forge.errors import InputError
from forge.models.chat_format import IM_END


def _resolve_device(device: str) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def _resolve_dtype(dtype: Any) -> Any:
    if dtype is None or not isinstance(dtype, str) or dtype == "auto":
        return dtype
    import torch

    value = getattr(torch, dtype, None)
    if not isinstance(value, torch.dtype):
        raise InputError(f"unknown dtype {dtype!r}", hint="use float32, bfloat16 or float16")
    return value


def load_model(
    model_ref: str | Path, adapters: Sequence[str | Path] = (), *, device: str = "cpu", dtype: Any = None
) -> tuple[Any, Any]:
    """(model, tokenizer) in eval mode. Adapters are applied in order and all stay active
    together, so their deltas add up (a role adapter plus a task adapter)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ref = str(model_ref)
    device = _resolve_device(device)
    kwargs: dict[str, Any] = {}
    if dtype is not None:
        kwargs["dtype"] = _resolve_dtype(dtype)
    try:
        tokenizer = AutoTokenizer.from_pretrained(ref)
        model: Any = AutoModelForCausalLM.from_pretrained(ref, **kwargs)  # becomes a PeftModel below
    except OSError as e:
        raise InputError(
            f"cannot load model {ref!r}: {e}", hint="pass a local model directory or a Hugging Face Hub id"
        ) from None
    if adapters:
        from peft import PeftModel

        names = [f"adapter_{i}" for i in range(len(adapters))]
        model = PeftModel.from_pretrained(model, str(adapters[0]), adapter_name=names[0])
        for name, path in zip(names[1:], adapters[1:]):
            model.load_adapter(str(path), adapter_name=name)
        if len(names) > 1:
            # PeftModel.set_adapter takes one name; the tuner underneath activates several.
            model.base_model.set_adapter(names, inference_mode=True)
    model.to(device)
    model.eval()
    return model, tokenizer


def stop_token_ids(tokenizer: Any, model: Any = None) -> list[int]:
    """Ids that end a reply: the tokenizer's eos, <|im_end|> when the vocabulary has it, and
    the model's generation_config eos ids (`model`: a loaded model or a model directory) —
    where Instruct models list their end-of-turn tokens (Llama 3.1's <|eom_id|>, Gemma's
    <turn|>, Phi-3's <|end|>)."""
    ids = []
    if tokenizer.eos_token_id is not None:
        ids.append(int(tokenizer.eos_token_id))
    im_end = tokenizer.convert_tokens_to_ids(IM_END)
    if isinstance(im_end, int) and im_end != tokenizer.unk_token_id and im_end not in ids:
        ids.append(im_end)
    for extra in _generation_eos(model):
        if extra not in ids:
            ids.append(extra)
    return ids


def _generation_eos(model: Any) -> list[int]:
    config = getattr(model, "generation_config", None)
    if config is None and model is not None and (Path(model) / "generation_config.json").is_file():
        from transformers import GenerationConfig

        config = GenerationConfig.from_pretrained(str(model))
    eos = getattr(config, "eos_token_id", None)
    return [int(e) for e in (eos if isinstance(eos, (list, tuple)) else [eos]) if e is not None]


def render_prompts(
    tokenizer: Any, conversations: list[list[dict[str, Any]]], tools_per_prompt: list[list[dict[str, Any]]]
) -> list[str]:
    from forge.models.masks import Renderer
    from forge.models.turns import one_call_per_turn

    if Renderer(tokenizer).single_call_only:  # parallel calls in the history, one per message
        conversations = [one_call_per_turn(conv) for conv in conversations]
    return [
        tokenizer.apply_chat_template(conv, tools=tools or None, tokenize=False, add_generation_prompt=True)
        for conv, tools in zip(conversations, tools_per_prompt, strict=True)
    ]


def generate(
    model: Any,
    tokenizer: Any,
    conversations: list[list[dict[str, Any]]],
    tools_per_prompt: list[list[dict[str, Any]]],
    max_new_tokens: int = 96,
    batch_size: int = 8,
    guided: bool = False,
) -> list[str]:
    """Greedy completions, one per conversation, in input order. Special tokens are kept up to
    the stop token (so <tool_call> tags survive); the stop token and padding are dropped.
    `guided`: every tool call is held to the prompt's tools as it is written (models/guided.py)."""
    import torch

    texts = render_prompts(tokenizer, conversations, tools_per_prompt)
    stops = stop_token_ids(tokenizer, model)
    if tokenizer.pad_token_id is None:  # batching needs a pad token; eos is the usual choice
        tokenizer.pad_token_id = stops[0]
    pad_id = tokenizer.pad_token_id
    device = next(model.parameters()).device
    # Batch prompts of similar length together (less padding); answers go back in input order.
    lengths = [len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: (lengths[i], i))
    replies: list[str] = [""] * len(texts)
    previous_side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            # The chat template writes every special token itself: add none.
            enc = tokenizer([texts[i] for i in idx], return_tensors="pt", padding=True, add_special_tokens=False).to(
                device
            )
            extra: dict[str, Any] = {}
            if guided:
                extra["logits_processor"] = guided_logits(
                    model, tokenizer, [tools_per_prompt[i] for i in idx], stops, enc
                )
            with torch.no_grad():
                out = model.generate(
                    **enc,
                    **extra,
                    do_sample=False,
                    max_new_tokens=max_new_tokens,
                    eos_token_id=stops,
                    pad_token_id=pad_id,
                    temperature=None,
                    top_p=None,
                    top_k=None,
                )
            new_tokens = out[:, enc["input_ids"].shape[1] :].tolist()
            for i, ids in zip(idx, new_tokens):
                replies[i] = _decode_until_stop(tokenizer, ids, stops, pad_id)
    finally:
        tokenizer.padding_side = previous_side
    return replies


def guided_logits(
    model: Any, tokenizer: Any, tools: list[list[dict[str, Any]]], stops: list[int], enc: Any, choice: Any = None
) -> Any:
    """A logits processor for one batch (`enc`, left-padded): row i's tool calls held to `tools[i]`
    in the model's own tool-call format (models/guided.py), as `choice` (a ToolChoice) allows."""
    from transformers import LogitsProcessorList

    from forge.models.guided import AUTO
    from forge.models.guided_decoding import guided_processor
    from forge.models.tool_calls import parser_for

    n_vocab = int(model.get_output_embeddings().weight.shape[0])
    choice = choice or AUTO
    proc = guided_processor(tokenizer, tools, parser_for(tokenizer), stops, enc["input_ids"].shape[1], n_vocab, choice)
    return LogitsProcessorList([proc])


def _decode_until_stop(tokenizer: Any, ids: list[int], stops: list[int], pad_id: int) -> str:
    for n, tok in enumerate(ids):
        if tok in stops:
            ids = ids[:n]
            break
    ids = [t for t in ids if t != pad_id]
    return tokenizer.decode(ids, skip_special_tokens=False)
