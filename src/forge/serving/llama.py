"""The llama.cpp engine: a GGUF (a merged role model) run in process by llama-cpp-python, prompted
with the chat template stored in the GGUF, greedy, streamed token by token — the same path as
`forge infer --mode gguf`, so a served reply equals that one. Task adapters are GGUF LoRA
adapters (export/gguf_lora.py), loaded once and stacked per request on the context."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from forge.errors import ForgeError
from forge.models.guided import AUTO, GUIDED_FORMATS, ToolChoice
from forge.serving.engine import Completion, OnText


class LlamaEngine:
    kind = "llama.cpp"

    def __init__(self, gguf: Path, task_adapters: dict[str, Path] | None = None, guided: bool = False):
        from forge.export.parity import llama_stop_ids, open_llama
        from forge.models.tool_calls import parser_for

        self.path = Path(gguf)
        self.adapters = list(task_adapters or {})
        self.lock = threading.Lock()
        self.llm = open_llama(self.path, n_ctx=0)  # 0: the context the model was trained with
        self.loras = {name: self._load_lora(Path(p)) for name, p in (task_adapters or {}).items()}
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ForgeError(f"{self.path} has no chat template in its metadata")
        self.template = template
        self.tokens = {
            "bos_token": self._piece([self.llm.token_bos()]),
            "eos_token": self._piece([self.llm.token_eos()]),
        }
        self.stops = set(llama_stop_ids(self.llm))
        self.tool_format = parser_for(self.path)
        self.guided = guided
        self.guidable = self.tool_format in GUIDED_FORMATS  # as in the hf engine
        self.layout: Any = None  # how this model spells a call (models/guided.py), read when first guided
        if guided:
            self._call_layout()

    def _load_lora(self, path: Path) -> Any:
        """A GGUF LoRA adapter (export/gguf_lora.py) loaded against this model."""
        from forge.export.parity import import_llama_cpp

        adapter = import_llama_cpp().llama_adapter_lora_init(self.llm._model.model, str(path).encode())
        if not adapter:
            raise ForgeError(f"llama.cpp could not load the LoRA adapter {path} on {self.path}")
        return adapter

    def _activate(self, names: list[str]) -> None:
        """Stack these adapters (scale 1) on the context for the next generation."""
        import ctypes

        from forge.export.parity import import_llama_cpp

        llama_cpp = import_llama_cpp()
        chosen = [self.loras[n] for n in names]
        arr = (llama_cpp.llama_adapter_lora_p_ctypes * len(chosen))(*chosen) if chosen else None
        scales = (ctypes.c_float * len(chosen))(*([1.0] * len(chosen))) if chosen else None
        if llama_cpp.llama_set_adapters_lora(self.llm._ctx.ctx, arr, len(chosen), scales) != 0:
            raise ForgeError(f"llama.cpp refused the adapters {', '.join(names)}")

    def _piece(self, ids: list[int]) -> str:
        return bytes(self.llm.detokenize(ids, special=True)).decode("utf-8", errors="replace")

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
        adapters: list[str],
        on_text: OnText | None = None,
        tool_choice: ToolChoice = AUTO,
    ) -> Completion:
        from forge.export.infer import render_template

        prompt = render_template(self.template, messages, tools, **self.tokens)
        with self.lock:
            ids = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
            if len(ids) + max_tokens > self.llm.n_ctx():
                raise ForgeError(
                    f"the prompt is {len(ids)} tokens; with max_tokens {max_tokens} it exceeds the "
                    f"model's context of {self.llm.n_ctx()}"
                )
            self._activate(adapters)
            out: list[int] = []
            text, stopped = "", False
            self.llm.reset()  # a fresh evaluation of the whole prompt, as `forge infer` does
            guide = self._guide(tools, len(ids), tool_choice)
            for tok in self.llm.generate(
                ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True, logits_processor=guide
            ):
                if tok in self.stops:
                    stopped = True
                    break
                out.append(int(tok))
                now = self._piece(out)
                if not now.endswith("\ufffd") and now.startswith(text):
                    new, text = now[len(text) :], now
                    if new and on_text is not None:
                        on_text(new)
                if len(out) >= max_tokens:
                    break
        text = self._piece(out)
        reason = "stop" if stopped or len(out) < max_tokens else "length"
        return Completion(text, len(ids), len(out) + int(stopped), reason)

    def _call_layout(self) -> Any:
        if self.layout is None:
            from forge.export.infer import render_template
            from forge.models.guided_decoding import llama_layout

            self.layout = llama_layout(
                self.llm, self.tool_format, lambda m, t: render_template(self.template, m, t, **self.tokens)
            )
        return self.layout

    def _guide(self, tools: list[dict[str, Any]], prompt_len: int, choice: ToolChoice) -> Any:
        """The logits processor holding this reply's calls to `tools` as `choice` allows (None
        when unguided: a server started without --guided and a request leaving it to the model)."""
        if not (self.guidable and ((self.guided and tools) or choice != AUTO)):
            return None
        from llama_cpp import LogitsProcessorList

        from forge.models.guided_decoding import llama_guide

        guide = llama_guide(self.llm, self._call_layout(), tools, sorted(self.stops), prompt_len, choice)
        return LogitsProcessorList([guide])

    def close(self) -> None:
        self.llm.close()
