"""Guided tool calls at generation time: logits processors that hold each reply to its prompt's
grammar (models/guided.py), one for transformers' batched `generate` and one for llama.cpp's
token loop. Both ask an llguidance matcher, token by token, which tokens may come next and set
every other logit to -inf; the matcher is told each token as it is chosen."""

from __future__ import annotations

import json
from typing import Any

from forge.errors import InputError
from forge.models.guided import AUTO, CallLayout, ToolChoice, hf_layout, lark_grammar


def _kept_on(owner: Any, key: Any, build: Any) -> Any:
    """llguidance's view of a vocabulary, built once per loaded tokenizer or model and kept on it
    (up to a second to build for 150k tokens; dies with its owner, so nothing accumulates in a
    long-running server)."""
    kept = getattr(owner, "_forge_ll_tokenizers", None)
    if kept is None:
        kept = {}
        owner._forge_ll_tokenizers = kept
    if key not in kept:
        kept[key] = build()
    return kept[key]


class Grammars:
    """llguidance's view of one vocabulary and the grammars compiled for it. A grammar is compiled
    once (a tool with a dozen keys takes a tenth of a second) and each reply gets a copy of the
    compiled matcher (microseconds): an eval suite or a server sees the same tools again and again."""

    KEEP = 64  # compiled grammars kept, least recently used dropped first

    def __init__(self, ll_tokenizer: Any):
        from collections import OrderedDict

        self.ll_tokenizer = ll_tokenizer
        self.compiled: OrderedDict[str, Any] = OrderedDict()
        self.texts: dict[str, str] = {}

    def grammar(self, tools: list[dict[str, Any]], layout: CallLayout, choice: ToolChoice) -> str:
        """The grammar for `tools` (its text for a dozen-key tool runs to 300 KB: built once too)."""
        key = json.dumps([tools, layout.__dict__, choice.__dict__], sort_keys=True, default=str)
        text = self.texts.get(key)
        if text is None:
            text = self.texts[key] = lark_grammar(tools, layout, choice)
            while len(self.texts) > self.KEEP:
                self.texts.pop(next(iter(self.texts)))
        return text

    def matcher(self, grammar: str) -> Any:
        import llguidance

        base = self.compiled.get(grammar)
        if base is None:
            base = llguidance.LLMatcher(self.ll_tokenizer, grammar, log_level=0)
            if base.is_error():
                raise InputError(
                    f"guided tool calls: the offered tool schemas do not compile: {base.get_error()[:300]}",
                    hint="fix the tool schema, or run without guided tool calls",
                )
            self.compiled[grammar] = base
            while len(self.compiled) > self.KEEP:
                self.compiled.popitem(last=False)
        else:
            self.compiled.move_to_end(grammar)
        return base.deep_copy()


class RowGuide:
    """One reply held to one grammar. `allowed(n)`: which of the n logits may be chosen next (a
    boolean numpy array), or None once the reply has ended or its matcher has failed (it cannot,
    unless the grammar itself is wrong: the reply then goes on unguided rather than being forced
    into nonsense)."""

    def __init__(self, grammars: Grammars, grammar: str, stops: list[int]):
        self.matcher = grammars.matcher(grammar)
        self.stops = set(stops)
        self.done = self.failed = False

    def consume(self, token: int) -> None:
        if self.done or self.failed:
            return
        if token in self.stops:
            self.done = True
        elif not self.matcher.consume_token(token):
            self.failed = True

    def allowed(self, n: int) -> Any:
        import numpy as np

        if self.done or self.failed:
            return None
        bits = np.frombuffer(self.matcher.compute_bitmask(), dtype=np.uint8)
        mask = np.unpackbits(bits, bitorder="little")[:n].astype(bool)
        if mask.shape[0] < n:
            mask = np.concatenate([mask, np.zeros(n - mask.shape[0], dtype=bool)])
        if not mask.any():
            self.failed = True
            return None
        return mask


class GuidedCalls:
    """A transformers logits processor for one left-padded batch: row i held to `grammars[i]`."""

    def __init__(self, compiled: Grammars, grammars: list[str], stops: list[int], prompt_len: int):
        self.rows = [RowGuide(compiled, g, stops) for g in grammars]
        self.prompt_len = prompt_len

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        generated = input_ids.shape[1] - self.prompt_len
        for i, row in enumerate(self.rows):
            if generated > 0:
                row.consume(int(input_ids[i, -1]))
            mask = row.allowed(scores.shape[1])
            if mask is not None:
                scores[i] = scores[i].masked_fill(~torch.from_numpy(mask).to(scores.device), float("-inf"))
        return scores


def guided_processor(
    tokenizer: Any,
    tools_per_row: list[list[dict[str, Any]]],
    fmt: str,
    stops: list[int],
    prompt_len: int,
    n_vocab: int,
    choice: ToolChoice = AUTO,
) -> GuidedCalls:
    import llguidance.hf

    layout = _kept_on(tokenizer, ("layout", fmt), lambda: hf_layout(tokenizer, fmt))  # renders the template
    compiled = _kept_on(
        tokenizer,
        (n_vocab, tuple(stops)),
        lambda: Grammars(llguidance.hf.from_tokenizer(tokenizer, n_vocab=n_vocab, eos_token=stops)),
    )
    return GuidedCalls(compiled, [compiled.grammar(t or [], layout, choice) for t in tools_per_row], stops, prompt_len)


class LlamaGuide:
    """A llama-cpp-python logits processor for one reply: it is handed the whole sequence (prompt
    included) and the next token's logits, as numpy arrays."""

    def __init__(self, row: RowGuide, prompt_len: int):
        self.row, self.seen = row, prompt_len

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import numpy as np

        for tok in input_ids[self.seen :]:
            self.row.consume(int(tok))
        self.seen = len(input_ids)
        mask = self.row.allowed(scores.shape[-1])
        if mask is not None:
            scores = np.where(mask, scores, -np.inf).astype(scores.dtype)
        return scores


def llama_guide(
    llm: Any,
    layout: CallLayout,
    tools: list[dict[str, Any]],
    stops: list[int],
    prompt_len: int,
    choice: ToolChoice = AUTO,
) -> LlamaGuide:
    """The processor for one llama.cpp reply to a prompt of `prompt_len` tokens offering `tools`."""
    import llama_cpp  # present: `llm` is a llama_cpp.Llama
    import llguidance.llamacpp

    n_vocab = int(llm.n_vocab())

    def build() -> Any:
        import warnings

        vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
        # it asks each token's attributes through a call llama-cpp-python marks deprecated: one
        # warning per token (150k for Qwen) otherwise, which also triples the build time
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return Grammars(llguidance.llamacpp.lltokenizer_from_vocab(vocab, n_vocab=n_vocab, eos_token=stops))

    # it tokenizes through the model's own vocabulary, which llama.cpp frees when the model is
    # closed: it must never outlive its model (a shared cache crashed on a closed one)
    compiled = _kept_on(llm, (n_vocab, tuple(stops)), build)
    return LlamaGuide(RowGuide(compiled, compiled.grammar(tools, layout, choice), stops), prompt_len)


def llama_layout(llm: Any, fmt: str, render: Any) -> CallLayout:
    """The layout of a GGUF model's calls: `render(messages, tools)` with its stored template."""
    from forge.models.guided import call_layout

    def single(text: str) -> int | None:
        ids = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        return int(ids[0]) if len(ids) == 1 else None

    return call_layout(fmt, render, single)
