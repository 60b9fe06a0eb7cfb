"""Eval prompts cut to the trained context the way training windows cut history."""

from forge.models.masks import Renderer
from forge.models.windows import trim_prompt


class WordTokenizer:
    """One token per whitespace-separated word of a ChatML rendering: lengths easy to reason about."""

    def apply_chat_template(self, messages, tools=None, tokenize=False, add_generation_prompt=False):
        text = "".join(f"<{m['role']}> {m['content']} " for m in messages)
        if tools:
            text = "<tools> " + " ".join(t["function"]["name"] for t in tools) + " " + text
        return text + ("<assistant> " if add_generation_prompt else "")

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": list(range(len(text.split())))}


TOOLS = [{"type": "function", "function": {"name": "bash"}}]


def session(turns):
    msgs = [{"role": "system", "content": "sys"}, {"role": "user", "content": "task words here"}]
    for i in range(turns):
        msgs.append({"role": "assistant", "content": f"call {i}", "tool_calls": None})
        msgs.append({"role": "tool", "content": f"result {i} " + "x " * 8})
    return msgs


def test_a_prompt_that_fits_is_kept_whole():
    msgs = session(2)
    got = trim_prompt(Renderer(WordTokenizer()), msgs, TOOLS, 1000)
    assert got.messages == msgs and not got.cut and not got.over and got.dropped == 0


def test_a_long_prompt_keeps_head_and_tools_and_drops_the_oldest_turns():
    msgs = session(6)
    r = Renderer(WordTokenizer())
    whole = trim_prompt(r, msgs, TOOLS, 10_000).tokens
    got = trim_prompt(r, msgs, TOOLS, whole // 2)
    assert got.cut and got.tokens <= whole // 2
    assert got.messages[:2] == msgs[:2]  # system prompt and task stay
    assert got.messages[2]["role"] == "assistant"  # history starts at a call, so results follow calls
    assert got.messages[-1] == msgs[-1]  # the newest history stays
    assert got.dropped == len(msgs) - len(got.messages) > 0
    # the longest tail that fits: one more turn would not
    start = len(msgs) - len(got.messages) + 2
    longer = msgs[:2] + msgs[start - 2 :]
    assert trim_prompt(r, longer, TOOLS, 10_000).tokens > whole // 2


def test_nothing_fits_keeps_head_and_the_last_turn():
    msgs = session(4)
    got = trim_prompt(Renderer(WordTokenizer()), msgs, TOOLS, 5)
    assert got.cut and got.over and got.messages == msgs[:2] + msgs[-2:]
    one_turn = session(1)  # history starts at the only call: nothing can go
    got = trim_prompt(Renderer(WordTokenizer()), one_turn, TOOLS, 5)
    assert not got.cut and got.over and got.messages == one_turn
