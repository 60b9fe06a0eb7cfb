"""One prompt through a model in any of its three forms: HF (transformers, with adapters),
GGUF (llama.cpp) or Ollama (its local HTTP API). Each returns the raw reply; `tool_format`
names the tool-call format to read it in (the model's own, from its chat template), for
forge.models.tool_calls.parse_reply."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from forge.errors import ForgeError

OLLAMA_URL = "http://127.0.0.1:11434"


def infer_hf(
    location: str, adapters: list[str], messages: list[dict[str, Any]], tools: list[dict[str, Any]], max_new_tokens: int
) -> str:
    from forge.models.loading import generate, load_model

    model, tokenizer = load_model(location, adapters)
    return generate(model, tokenizer, [messages], [tools], max_new_tokens=max_new_tokens)[0]


def render_template(template: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], **tokens: str) -> str:
    """A chat template rendered as transformers renders it (its own Jinja environment), with
    the generation prompt; `tokens` gives bos_token / eos_token to templates that write them."""
    from forge.models.templates import render

    return render(template, messages, tools or None, add_generation_prompt=True, **tokens)


def tool_format(mode: str, source: Any) -> str:
    """The tool-call format a reply from `infer_<mode>(source, ...)` is written in: the model's
    own (its chat template: a model directory, Hub id or GGUF file); Ollama replies are
    rewritten into Forge's own <tool_call> form by infer_ollama."""
    from forge.models.tool_calls import DEFAULT_FORMAT, parser_for

    if mode == "ollama":
        return DEFAULT_FORMAT
    path = Path(str(source))
    if path.exists():
        return parser_for(path)
    from transformers import AutoTokenizer  # a Hub id: its tokenizer holds the template

    return parser_for(AutoTokenizer.from_pretrained(str(source)))


def gguf_for(forge: Any, target: Any, quant: str = "f16") -> Path:
    """The GGUF file for a resolved model (export/refs.py), exported first (with its parity
    check) when the model is not a GGUF already; an artifact's hashes are checked on open."""
    from forge.errors import InputError
    from forge.export.gguf import GGUFConfig, open_gguf, run_gguf_export

    if target.kind == "gguf":
        return open_gguf(target.artifact)
    if target.location.endswith(".gguf"):
        return Path(target.location)  # a bare file: no manifest to check it against
    if target.kind == "ollama":
        raise InputError("an Ollama package: use mode ollama, or pass its GGUF artifact")
    source = target.artifact or Path(target.location)
    return open_gguf(run_gguf_export(forge.store, source, GGUFConfig(quant=quant), dataset=target.dataset))


def infer_gguf(
    gguf_path: Path,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    max_new_tokens: int,
    guided: bool = False,
) -> str:
    """Greedy reply from llama.cpp, prompted with the chat template stored in the GGUF itself;
    it stops on every token llama.cpp treats as end of generation (eos, end of turn). `guided`:
    its tool calls held to `tools` (models/guided_decoding.py)."""
    from forge.export.parity import llama_greedy, llama_stop_ids, open_llama

    llm = open_llama(gguf_path, n_ctx=0)  # 0: the context length the model was trained with
    try:
        template = llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ForgeError(f"{gguf_path} has no chat template in its metadata")
        tokens = {
            "bos_token": llm.detokenize([llm.token_bos()], special=True).decode("utf-8", "replace"),
            "eos_token": llm.detokenize([llm.token_eos()], special=True).decode("utf-8", "replace"),
        }
        prompt = render_template(template, messages, tools, **tokens)
        ids = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if len(ids) + max_new_tokens > llm.n_ctx():
            raise ForgeError(
                f"the prompt is {len(ids)} tokens; with {max_new_tokens} new tokens it "
                f"exceeds the model's context of {llm.n_ctx()}",
                hint="pass fewer tools (--tools FILE or none) or lower --max-new-tokens",
            )
        stops = llama_stop_ids(llm)
        guide = None
        if guided and tools:
            from llama_cpp import LogitsProcessorList

            from forge.models.guided_decoding import llama_guide, llama_layout
            from forge.models.tool_calls import parser_for

            layout = llama_layout(llm, parser_for(gguf_path), lambda m, t: render_template(template, m, t, **tokens))
            guide = LogitsProcessorList([llama_guide(llm, layout, tools, stops, len(ids))])
        out = llama_greedy(llm, ids, stops, max_new_tokens, logits_processor=guide)
        return llm.detokenize(out, special=True).decode("utf-8", errors="replace")
    finally:
        llm.close()


def infer_ollama(name: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]], url: str = OLLAMA_URL) -> str:
    """A reply from a running Ollama server (/api/chat), tool calls rendered back into our
    <tool_call> form so every mode prints the same way."""
    from forge.models.chat_format import TOOL_CALL_CLOSE, TOOL_CALL_OPEN

    body = json.dumps(
        {"model": name, "messages": messages, "tools": tools or None, "stream": False, "options": {"temperature": 0}}
    ).encode()
    req = urllib.request.Request(f"{url}/api/chat", data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            msg = json.loads(resp.read())["message"]
    except (urllib.error.URLError, OSError) as e:
        where = "the `ollama` binary is on PATH" if shutil.which("ollama") else "no `ollama` binary is on PATH"
        raise ForgeError(
            f"cannot reach Ollama at {url} ({e}); {where}",
            hint="start `ollama serve` and create the model with `forge export MODEL "
            "--format ollama`, or use --mode gguf",
        ) from None
    text = msg.get("content") or ""
    for call in msg.get("tool_calls") or []:
        fn = call.get("function", {})
        text += (
            f"\n{TOOL_CALL_OPEN}\n"
            + json.dumps({"name": fn.get("name"), "arguments": fn.get("arguments", {})})
            + f"\n{TOOL_CALL_CLOSE}"
        )
    return text.strip()
