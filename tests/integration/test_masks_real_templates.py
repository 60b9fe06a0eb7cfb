"""Assistant-token masks on real Hub chat templates (none has {% generation %} markers).

One conversation (a tool call with content, its result, two plain replies) goes through each
template; the learned tokens of every assistant turn are decoded and compared with the text
the template writes for that turn, written out here by hand from the template (not computed
by the code under test). Templates that are not prefix-stable learn each turn in a window of
its own (Qwen3), or drop the turns they cannot mask exactly, with the reason (Mistral Nemo).
"""

import json

import pytest

from forge.models.masks import HISTORY_CHANGES
from forge.models.windows import row_windows
from real_models import llama_models_dir, real_tokenizer

TOOL = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead.",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]},
    },
}
MESSAGES = [
    {"role": "system", "content": "You are the mayor."},
    {"role": "user", "content": "File a bead 'Fix login'."},
    {
        "role": "assistant",
        "content": "Sure.",
        "tool_calls": [
            {
                "id": "call00001",
                "type": "function",
                "function": {"name": "bd_create", "arguments": json.dumps({"title": "Fix login"})},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call00001", "content": '{"id": "gt-1"}'},
    {"role": "assistant", "content": "Filed gt-1."},
    {"role": "user", "content": "Thanks"},
    {"role": "assistant", "content": "You are welcome."},
]
CALL_JSON = '{"name": "bd_create", "arguments": {"title": "Fix login"}}'
# Mistral's control tokens (special in its tokenizers; added to a real BPE vocabulary here)
MISTRAL_CONTROL = [
    "</s>",
    "[INST]",
    "[/INST]",
    "[TOOL_CALLS]",
    "[AVAILABLE_TOOLS]",
    "[/AVAILABLE_TOOLS]",
    "[TOOL_RESULTS]",
    "[/TOOL_RESULTS]",
    "[TOOL_CONTENT]",
    "[SYSTEM_PROMPT]",
    "[/SYSTEM_PROMPT]",
    "[ARGS]",
    "[CALL_ID]",
]


def tokenizer_for(name):
    if name == "forge":
        from forge.models.chat_format import CHAT_TEMPLATE
        from forge.models.tiny_base import train_tokenizer
        from forge.models.tiny_corpus import pretraining_documents

        tok = train_tokenizer(pretraining_documents(60_000, 0.3, 0), 600)
        tok.chat_template = CHAT_TEMPLATE
        return tok
    if name.startswith("mistral"):
        tok = real_tokenizer("llama3")
        tok.add_special_tokens({"additional_special_tokens": MISTRAL_CONTROL})
        tok.eos_token = "</s>"
        template = {
            "mistral": "Mistral-Small-3.2-24B-Instruct-2506.jinja",
            "mistral-nemo": "mistralai-Mistral-Nemo-Instruct-2407.jinja",
        }[name]
        tok.chat_template = (llama_models_dir() / "templates" / template).read_text()
        return tok
    if name == "qwen3":
        tok = real_tokenizer("qwen2")
        tok.chat_template = (llama_models_dir() / "templates" / "Qwen-Qwen3-0.6B.jinja").read_text()
        return tok
    return real_tokenizer(name)


def learned_per_turn(tok, messages=MESSAGES, max_length=4096):
    """{assistant message index: decoded learned text}, and the row's windows."""
    got = row_windows(tok, messages, [TOOL], max_length)
    out = {}
    for w in got.windows:
        assert len(w.ids) == len(w.mask) <= max_length
        runs, current = [], []
        for t, m in zip(w.ids, w.mask, strict=False):
            if m:
                current.append(t)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        assert len(runs) == len(w.turns), "one contiguous span per learned turn"
        for turn, run in zip(sorted(w.turns), runs, strict=False):
            assert turn not in out, "every turn learned once"
            out[turn] = tok.decode(run)
    return out, got


EXPECTED = {
    # Qwen2.5: content then the call in <tool_call> JSON, <|im_end|> closes the turn
    "qwen2": {
        2: f"Sure.\n<tool_call>\n{CALL_JSON}\n</tool_call><|im_end|>",
        4: "Filed gt-1.<|im_end|>",
        6: "You are welcome.<|im_end|>",
    },
    # Llama 3.1: a call turn is the bare JSON call ("parameters"), content is not written
    "llama3": {
        2: '{"name": "bd_create", "parameters": {"title": "Fix login"}}<|eot_id|>',
        4: "Filed gt-1.<|eot_id|>",
        6: "You are welcome.<|eot_id|>",
    },
    # Phi-3.5 has no tool support: the call is not written, only the content
    "phi3": {2: "Sure.<|end|>", 4: "Filed gt-1.<|end|>", 6: "You are welcome.<|end|>"},
    # Gemma 4: the call, then the result inside the same model turn (not learned); the reply
    # after a result continues that turn. Turns that open a model turn are learned after the
    # generation prompt, which opens an empty thought channel the rendered history lacks
    "gemma4": {
        2: '<|tool_call>call:bd_create{title:<|"|>Fix login<|"|>}<tool_call|>',
        4: "Filed gt-1.<turn|>",
        6: "You are welcome.<turn|>",
    },
    # Mistral Small 3.2: [TOOL_CALLS]name[CALL_ID]id[ARGS]json, content with a call not written
    "mistral": {
        2: '[TOOL_CALLS]bd_create[CALL_ID]call00001[ARGS]{"title": "Fix login"}</s>',
        4: "Filed gt-1.</s>",
        6: "You are welcome.</s>",
    },
    # Forge's own template (ChatML with generation markers; masks come the same way)
    "forge": {
        2: f"Sure.\n<tool_call>\n{CALL_JSON}\n</tool_call><|im_end|>",
        4: "Filed gt-1.<|im_end|>",
        6: "You are welcome.<|im_end|>",
    },
    # Qwen3 writes an empty think block only into the last assistant turn: each turn is
    # learned as the last turn of a window of its own
    "qwen3": {
        2: f"<think>\n\n</think>\n\nSure.\n<tool_call>\n{CALL_JSON}\n</tool_call><|im_end|>",
        4: "<think>\n\n</think>\n\nFiled gt-1.<|im_end|>",
        6: "<think>\n\n</think>\n\nYou are welcome.<|im_end|>",
    },
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_masks_are_the_assistant_spans_the_template_renders(name):
    tok = tokenizer_for(name)
    learned, got = learned_per_turn(tok)
    assert learned == EXPECTED[name]
    assert got.turns == 3 and got.learned == 3 and not got.dropped
    if name == "qwen3":
        assert len(got.windows) == 3  # not prefix-stable: one row per assistant turn
    elif name == "gemma4":  # turns that open a model turn are learned after its generation prompt
        assert len(got.windows) == 3 and got.prompt_differs == 2
    elif name != "mistral":
        assert len(got.windows) == 1


@pytest.mark.parametrize("name", ["qwen2", "llama3", "gemma4", "mistral"])
def test_the_prompt_of_each_turn_is_the_inference_prompt_token_for_token(name):
    """What precedes a learned span is what the model is given at inference for that turn."""
    from forge.models.turns import template_messages

    tok = tokenizer_for(name)
    msgs = template_messages(MESSAGES)
    got = row_windows(tok, MESSAGES, [TOOL], 4096)
    whole = next(w for w in got.windows if 2 in w.turns)
    start = whole.mask.index(1)
    prompt = tok.apply_chat_template(msgs[:2], tools=[TOOL], tokenize=False, add_generation_prompt=True)
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    if name == "gemma4":  # its generation prompt opens an empty thought channel the history lacks
        assert prompt.endswith("<|turn>model\n<|channel>thought\n<channel|>")
    assert whole.ids[:start] == ids


def test_weight_zero_turns_are_context_not_learned():
    tok = tokenizer_for("qwen2")
    messages = [dict(m) for m in MESSAGES]
    messages[4]["weight"] = 0
    learned, got = learned_per_turn(tok, messages)
    assert sorted(learned) == [2, 6] and got.zero_weight == 1
    assert "Filed gt-1." in tok.decode(got.windows[0].ids)  # still in the context


def test_a_template_that_moves_the_system_prompt_learns_turns_after_the_prompt_inference_gives():
    """Mistral Nemo writes the system prompt and tools only into a last user turn, so a turn
    after a user message renders with another history than its prompt. Such a turn is learned
    after its own prompt, system prompt and tools where inference puts them, then exactly what the
    template writes for the turn (as Gemma 4's turns are); a turn after a tool result is learned
    in place (no system prompt: inference gives none there either)."""
    tok = tokenizer_for("mistral-nemo")
    learned, got = learned_per_turn(tok)
    assert learned == {
        2: '[TOOL_CALLS][{"name": "bd_create", "arguments": {"title": "Fix login"}, "id": "call00001"}]</s>',
        4: "Filed gt-1.</s>",
        6: "You are welcome.</s>",
    }
    assert got.dropped == {} and got.prompt_differs == 2
    for w in got.windows:
        text = tok.decode(w.ids)
        first = tok.decode([t for t, m in zip(w.ids, w.mask) if m])
        if 'Fix login"}, "id"' in first or "welcome" in first:  # learned after the inference prompt
            assert text.index("[AVAILABLE_TOOLS]") < text.index("You are the mayor.") < text.index(first)


def test_a_turn_whose_history_changes_when_later_messages_follow_is_never_learned_in_place():
    """Exact or nothing: rendered with a later user message after them, Nemo's history (tools
    before the last user message) differs from their prompts, so those turns have no span there
    (each gets a window of its own, ending with it); the last turn is learned after its prompt."""
    from forge.models.masks import render_turns

    rendering = render_turns(tokenizer_for("mistral-nemo"), MESSAGES, [TOOL])
    assert rendering.problems == {2: HISTORY_CHANGES, 4: HISTORY_CHANGES}
    assert [(s.message, s.prompt is not None) for s in rendering.spans] == [(6, True)]


TRICKY = [  # whitespace runs, tabs, accents and a character split into byte tokens, near turn ends
    {"role": "user", "content": "Rename  the file naïve café.txt 🎉\n\n  then\tindent   "},
    {"role": "assistant", "content": "  Done:\n\n\tcafé 🎉  "},
]


def stripping_tokenizer():
    """Qwen2's, with ChatML's markers made to eat the whitespace around them (as some Hub
    tokenizers' added tokens do)."""
    from tokenizers import AddedToken

    tok = real_tokenizer("qwen2")
    marks = [
        AddedToken(t, lstrip=True, rstrip=True, special=True, normalized=False) for t in ("<|im_start|>", "<|im_end|>")
    ]
    tok.add_special_tokens({"additional_special_tokens": marks})
    assert tok.added_tokens_decoder[tok.convert_tokens_to_ids("<|im_end|>")].lstrip
    return tok


@pytest.mark.parametrize("name", [*EXPECTED, "mistral-nemo", "stripping"])
def test_turn_boundaries_from_the_last_added_token_match_whole_prefix_encoding(name):
    """A boundary is found by encoding only the text after the last added token before it
    (masks._Boundaries); at every character of a real template's render it must give what
    encoding the whole prefix gives: F[:c]'s ids when they begin F's, else None."""
    from forge.models.masks import Renderer, _Boundaries
    from forge.models.turns import template_messages

    tok = stripping_tokenizer() if name == "stripping" else tokenizer_for(name)
    r = Renderer(tok)
    text = r.render(template_messages(MESSAGES + TRICKY), [TOOL])
    ids = r.encode(text)
    fast = _Boundaries(r, text, ids)
    if name != "forge":  # real tokenizers: the shortcut is taken (the template writes added tokens)
        assert len(fast.splits()[0]) >= 6
    for c in range(len(text) + 1):
        head = r.encode(text[:c])
        assert fast(c) == (len(head) if ids[: len(head)] == head else None), (c, text[max(0, c - 20) : c + 20])
