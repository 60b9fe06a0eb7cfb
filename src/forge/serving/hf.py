"""The transformers engine: a role model (a model directory, or a base plus role adapters) with
task adapters loaded once and stacked per request. Greedy, one reply at a time, streamed
token by token.

Stacking: PEFT keeps every adapter loaded. Run unmerged, each active adapter adds its own
low-rank matmuls to every projection at every token — three stacked adapters cost the tiny
CPU model about 60% of its throughput (benchmarks/serve.py). Since the engine runs one
generation at a time, it instead keeps each adapter's factors, removes the LoRA wrappers, and
folds the active set into the plain model's weights when the set changes (W = W0 + sum of
B·A·scale, from a kept copy of W0, so switching never drifts): stacked adapters then cost
nothing per token, only a switch (a few matmuls per projection)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from forge.errors import ForgeError
from forge.models.guided import AUTO, GUIDED_FORMATS, ToolChoice
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


@dataclass
class Folded:
    """One LoRA-wrapped projection of the plain model: its original weight and, per adapter,
    the low-rank factors whose product (times the scale) is that adapter's delta."""

    linear: Any
    w0: Any
    factors: dict[str, tuple[Any, Any, float]]


class HFEngine:
    kind = "hf"

    def __init__(self, location: str, role_adapters: list[str], task_adapters: dict[str, str], guided: bool = False):
        from forge.models.loading import load_model, stop_token_ids
        from forge.models.tool_calls import parser_for

        self.location = location
        self.guided = guided  # hold tool calls to the request's tools (models/guided.py)
        self.adapters = list(task_adapters)
        self.lock = threading.Lock()
        model, self.tokenizer = load_model(location)
        self.role = [f"role_{i}" for i in range(len(role_adapters))]
        paths = dict(zip(self.role, role_adapters)) | task_adapters
        self.folded: list[Folded] = []
        if paths:
            model = self._unwrap(model, paths)
        self.model = model
        self.merged: list[str] | None = [] if not paths else None  # the set folded into the weights
        self.stops = stop_token_ids(self.tokenizer, model)
        self.tool_format = parser_for(self.tokenizer)
        # a request's tool_choice is honoured by guiding it, where the model's format can be
        # guided; elsewhere it is left to the model, as before. --guided on another format fails here.
        self.guidable = self.tool_format in GUIDED_FORMATS
        if guided:
            from forge.models.guided import hf_layout

            hf_layout(self.tokenizer, self.tool_format)
        self.context = int(getattr(model.config, "max_position_embeddings", 0) or 0)

    def _unwrap(self, model: Any, paths: dict[str, str]) -> Any:
        """Load the adapters with PEFT, keep their factors, and return the plain model."""
        from peft import PeftModel

        names = list(paths)
        peft = PeftModel.from_pretrained(model, str(paths[names[0]]), adapter_name=names[0])
        for name in names[1:]:
            peft.load_adapter(str(paths[name]), adapter_name=name)
        m: Any  # a peft LoraLayer: its lora_A/lora_B ModuleDicts are untyped here
        for m in peft.modules():
            if not (hasattr(m, "lora_A") and hasattr(m, "base_layer")):
                continue
            if getattr(m, "fan_in_fan_out", False) or not hasattr(m.base_layer, "weight"):
                raise ForgeError(f"cannot fold a LoRA adapter on {type(m.base_layer).__name__} layers")
            factors = {
                n: (m.lora_B[n].weight.detach(), m.lora_A[n].weight.detach(), float(m.scaling[n])) for n in m.lora_A
            }
            self.folded.append(Folded(m.base_layer, m.base_layer.weight.detach().clone(), factors))
        return peft.unload().eval()  # the LoRA wrappers removed, the weights untouched

    def _activate(self, adapters: list[str]) -> None:
        """Fold role + `adapters` into the weights (W = W0 + sum B·A·scale, from the kept W0,
        so switching never drifts); nothing to do when that set is already folded in."""
        import torch

        names = self.role + adapters
        if names == self.merged:
            return
        with torch.no_grad():
            for f in self.folded:
                weight = f.w0.clone()
                for name in names:
                    if name in f.factors:
                        b, a, scale = f.factors[name]
                        weight += (b @ a) * scale
                f.linear.weight.copy_(weight)
        self.merged = list(names)

    def complete(
        self,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
        max_tokens: int,
        adapters: list[str],
        on_text: OnText | None = None,
        tool_choice: ToolChoice = AUTO,
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
        extra: dict[str, Any] = {}
        if self.guidable and ((self.guided and tools) or tool_choice != AUTO):
            from forge.models.loading import guided_logits

            extra["logits_processor"] = guided_logits(self.model, self.tokenizer, [tools], self.stops, enc, tool_choice)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.stops[0]
        with self.lock, torch.no_grad():
            self._activate(adapters)
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
                **extra,
            )
        stream.end()
        reason = "stop" if stream.stopped or stream.generated < max_tokens else "length"
        return Completion(stream.text, n_prompt, stream.generated, reason)

    def close(self) -> None:
        self.model = None
