"""The transformers engine: a role model (a model directory, or a base plus role adapters) with
task adapters loaded once and stacked per request (PEFT keeps them all; `set_adapter` picks
the active ones). Greedy, one reply at a time, streamed token by token."""

from __future__ import annotations

import threading
from typing import Any

from forge.errors import ForgeError
from forge.serving.engine import Completion, OnText


class TextStream:
    """A transformers streamer: new token ids in, newly decoded text out to `on_text`. Text is
    held back while it ends in a partial UTF-8 character (U+FFFD)."""

    def __init__(self, tokenizer: Any, stops: list[int], on_text: OnText | None):
        self.tokenizer, self.stops, self.on_text = tokenizer, set(stops), on_text
        self.ids: list[int] = []
        self.generated = 0
        self.stopped = False
        self.prompt_seen = False
        self.text = ""

    def put(self, value: Any) -> None:
        if not self.prompt_seen:  # generate() first hands over the prompt itself
            self.prompt_seen = True
            return
        for tok in value.reshape(-1).tolist():
            self.generated += 1
            if self.stopped or tok in self.stops:
                self.stopped = True
                continue
            self.ids.append(int(tok))
        text = self.tokenizer.decode(self.ids, skip_special_tokens=False)
        if text.endswith("\ufffd") or not text.startswith(self.text):
            return  # a partial character, or a decode that rewrote earlier text: wait
        new, self.text = text[len(self.text) :], text
        if new and self.on_text is not None:
            self.on_text(new)

    def end(self) -> None:
        self.text = self.tokenizer.decode(self.ids, skip_special_tokens=False)


class HFEngine:
    kind = "hf"

    def __init__(self, location: str, role_adapters: list[str], task_adapters: dict[str, str]):
        from forge.models.loading import load_model, stop_token_ids
        from forge.models.tool_calls import parser_for

        self.location = location
        self.adapters = list(task_adapters)
        self.lock = threading.Lock()
        model, self.tokenizer = load_model(location)
        self.role = [f"role_{i}" for i in range(len(role_adapters))]
        paths = dict(zip(self.role, role_adapters)) | task_adapters
        if paths:
            from peft import PeftModel

            names = list(paths)
            model = PeftModel.from_pretrained(model, str(paths[names[0]]), adapter_name=names[0])
            for name in names[1:]:
                model.load_adapter(str(paths[name]), adapter_name=name)
            model.eval()
        self.model = model
        self.stops = stop_token_ids(self.tokenizer, model)
        self.tool_format = parser_for(self.tokenizer)
        self.context = int(getattr(model.config, "max_position_embeddings", 0) or 0)

    def _activate(self, adapters: list[str]) -> Any:
        """Make role + `adapters` the active set; returns a context that runs with it."""
        import contextlib

        names = self.role + adapters
        if not names:
            return self.model.disable_adapter() if hasattr(self.model, "disable_adapter") else contextlib.nullcontext()
        # PeftModel.set_adapter takes one name; the tuner underneath activates several
        self.model.base_model.set_adapter(names, inference_mode=True)
        return contextlib.nullcontext()

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
        adapters: list[str],
        on_text: OnText | None = None,
    ) -> Completion:
        import torch

        from forge.models.loading import render_prompts

        prompt = render_prompts(self.tokenizer, [messages], [tools])[0]
        enc = self.tokenizer([prompt], return_tensors="pt", add_special_tokens=False)
        n_prompt = int(enc["input_ids"].shape[1])
        if self.context and n_prompt + max_tokens > self.context:
            raise ForgeError(
                f"the prompt is {n_prompt} tokens; with max_tokens {max_tokens} it exceeds the "
                f"model's context of {self.context}"
            )
        stream = TextStream(self.tokenizer, self.stops, on_text)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stops[0]
        with self.lock, self._activate(adapters), torch.no_grad():
            self.model.generate(
                **enc,
                do_sample=False,
                max_new_tokens=max_tokens,
                eos_token_id=self.stops,
                pad_token_id=pad,
                temperature=None,
                top_p=None,
                top_k=None,
                streamer=stream,
            )
        stream.end()
        reason = "stop" if stream.stopped or stream.generated < max_tokens else "length"
        return Completion(stream.text, n_prompt, stream.generated, reason)

    def close(self) -> None:
        self.model = None
