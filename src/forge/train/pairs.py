"""DPO pairs as token ids, cut to max_length without losing what DPO learns from.

A pair is {"prompt": [messages], "chosen": [messages], "rejected": [messages], "tools": [...]}.
Each side is rendered by the base model's chat template (messages in the shape templates
expect, models/turns.py): the prompt with the generation prompt, the completion as what the
prompt + completion rendering adds after it (where the two stop agreeing, token for token).

Real prompts are long (a session's whole history) and completions short. Cutting at the end
(TRL's "keep_start") removes the completions, which are the only place chosen and rejected
differ: the loss stays log 2 and nothing is learned, silently. Here prompts lose their oldest
tokens instead (a leading BOS is kept) and completions stay whole. A completion longer than
the window on its own is cut at its end, after a prompt of at least `min_prompt` tokens. A pair
whose chosen and rejected are the same tokens after that (or before it) teaches nothing and is
dropped, and so is one left with an empty completion; both are counted with the reason.
Pure apart from the tokenizer passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from forge.models.masks import Renderer
from forge.models.turns import one_call_per_turn, prompts_after_tools, template_messages

IDENTICAL = "chosen and rejected are the same tokens"
IDENTICAL_AFTER_CUT = "chosen and rejected are the same tokens after truncation"
EMPTY = "a completion has no tokens left after truncation"
TEMPLATE_ERROR = "the chat template cannot render the pair"


@dataclass
class TokenizedPairs:
    items: list[dict[str, list[int]]] = field(default_factory=list)  # prompt_ids, chosen_ids, rejected_ids
    pairs: int = 0  # pairs read
    prompts_cut: int = 0  # prompts that lost their oldest tokens
    completions_cut: int = 0  # pairs whose completions were cut at their end as well
    dropped: dict[str, int] = field(default_factory=dict)  # reason → pairs

    def drop(self, why: str) -> None:
        self.dropped[why] = self.dropped.get(why, 0) + 1

    def summary(self) -> str:
        text = (
            f"{len(self.items)} of {self.pairs} pairs kept ({self.prompts_cut} prompts cut from "
            f"the left, {self.completions_cut} with completions cut"
        )
        if self.dropped:
            text += "; dropped: " + ", ".join(f"{n} ({why})" for why, n in sorted(self.dropped.items()))
        return text + ")"

    def report(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "kept": len(self.items),
            "prompts_cut": self.prompts_cut,
            "completions_cut": self.completions_cut,
            "dropped": dict(sorted(self.dropped.items())),
        }


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def pair_ids(
    tokenizer: Any, pair: dict[str, Any], single_call: bool = False, restart: bool = False
) -> tuple[list[int], list[int], list[int]]:
    """(prompt, chosen, rejected) token ids of one pair, before any truncation. `single_call`:
    the template takes one tool call per message (Renderer.single_call_only), so parallel calls
    are written one per message. `restart`: it refuses a user message right after a tool result
    (Renderer.prompt_after_tool_refused), so the prompt starts at the last such message, after
    the system prompt, as training windows do."""
    prompt, chosen, rejected = pair["prompt"], pair["chosen"], pair["rejected"]
    if single_call:
        prompt, chosen, rejected = (one_call_per_turn(m) for m in (prompt, chosen, rejected))
    cuts = prompts_after_tools(prompt) if restart and prompt else []
    if cuts:
        prompt = (prompt[:1] if prompt[0].get("role") == "system" else []) + prompt[cuts[-1] :]
    tools = pair.get("tools") or None
    # shaped together, so tool results in a completion keep pointing at their calls
    with_chosen = template_messages([*prompt, *chosen])
    with_rejected = template_messages([*prompt, *rejected])

    def encode(messages: list[dict[str, Any]], generation_prompt: bool = False) -> list[int]:
        text = tokenizer.apply_chat_template(
            messages, tools=tools, tokenize=False, add_generation_prompt=generation_prompt
        )
        return list(tokenizer(text, add_special_tokens=False)["input_ids"])

    prompt_ids = encode(with_chosen[: len(prompt)], generation_prompt=True)
    full_chosen, full_rejected = encode(with_chosen), encode(with_rejected)
    # the completion starts where prompt and prompt + completion part (as in TRL): normally
    # the prompt's end; earlier when the generation prompt differs from the rendered turn
    n = min(_common_prefix(prompt_ids, full_chosen), _common_prefix(prompt_ids, full_rejected))
    return prompt_ids[:n], full_chosen[n:], full_rejected[n:]


def tokenize_pairs(
    tokenizer: Any, pairs: list[dict[str, Any]], max_length: int, min_prompt: int = 16
) -> TokenizedPairs:
    """Every pair within max_length tokens (prompt + the longer completion), see the module
    docstring; pairs that teach nothing are dropped and counted."""
    out = TokenizedPairs()
    bos = tokenizer.bos_token_id
    renderer = Renderer(tokenizer)
    single_call, restart = renderer.single_call_only, renderer.prompt_after_tool_refused
    for pair in pairs:
        out.pairs += 1
        try:
            prompt, chosen, rejected = pair_ids(tokenizer, pair, single_call, restart)
        except Exception:  # Jinja raises anything (raise_exception in templates)
            out.drop(TEMPLATE_ERROR)
            continue
        if chosen == rejected:
            out.drop(IDENTICAL)
            continue
        longest = max(len(chosen), len(rejected))
        if len(prompt) + longest > max_length:
            keep_bos = bos is not None and prompt[:1] == [bos]
            room = max(max_length - longest, min(len(prompt), min_prompt, max_length // 2))
            head = prompt[:1] if keep_bos and room > 1 else []
            cut = head + prompt[len(prompt) - (room - len(head)) :] if room > len(head) else head
            out.prompts_cut += len(cut) < len(prompt)
            prompt = cut
            if len(prompt) + longest > max_length:
                limit = max_length - len(prompt)
                chosen, rejected = chosen[:limit], rejected[:limit]
                out.completions_cut += 1
                if not chosen or not rejected:
                    out.drop(EMPTY)
                    continue
                if chosen == rejected:
                    out.drop(IDENTICAL_AFTER_CUT)
                    continue
        out.items.append({"prompt_ids": prompt, "chosen_ids": chosen, "rejected_ids": rejected})
    return out
