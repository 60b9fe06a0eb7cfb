"""The llama.cpp engine: a GGUF (a merged role model) run in process by llama-cpp-python, prompted
with the chat template stored in the GGUF, greedy, streamed token by token — the same path as
`forge infer --mode gguf`, so a served reply equals that one."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from forge.errors import ForgeError
from forge.serving.engine import Completion, OnText


class LlamaEngine:
    kind = "llama.cpp"

    def __init__(self, gguf: Path):
        from forge.export.parity import llama_stop_ids, open_llama
        from forge.models.tool_calls import parser_for

        self.path = Path(gguf)
        self.adapters: list[str] = []  # task adapters stack on the hf engine (see provider-config)
        self.lock = threading.Lock()
        self.llm = open_llama(self.path, n_ctx=0)  # 0: the context the model was trained with
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

    def _piece(self, ids: list[int]) -> str:
        return bytes(self.llm.detokenize(ids, special=True)).decode("utf-8", errors="replace")

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
        adapters: list[str],
        on_text: OnText | None = None,
    ) -> Completion:
        from forge.export.infer import render_template

        if adapters:
            raise ForgeError("the llama.cpp engine serves a merged GGUF without task adapters")
        prompt = render_template(self.template, messages, tools, **self.tokens)
        with self.lock:
            ids = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
            if len(ids) + max_tokens > self.llm.n_ctx():
                raise ForgeError(
                    f"the prompt is {len(ids)} tokens; with max_tokens {max_tokens} it exceeds the "
                    f"model's context of {self.llm.n_ctx()}"
                )
            out: list[int] = []
            text, stopped = "", False
            self.llm.reset()  # a fresh evaluation of the whole prompt, as `forge infer` does
            for tok in self.llm.generate(ids, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0, reset=True):
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

    def close(self) -> None:
        self.llm.close()
