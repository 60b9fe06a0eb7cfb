"""A user who answers a call's result themselves (a permission refused, a command cancelled,
then what to do instead) writes a prompt right after a tool result. Real Crush sessions
(fixtures/real/crush, SOURCES.md) have three. Mistral's templates refuse that ("roles must
alternate"): every window holding one was dropped, 50 of the real sessions' 68 turns. Such a prompt
now opens a part of its own; Qwen2.5's template takes it in place."""

from __future__ import annotations

import itertools
from pathlib import Path

from test_masks_real_templates import tokenizer_for

from forge.ingest.readers import detect_reader, read_head
from forge.models.masks import Renderer
from forge.models.turns import prompts_after_tools, refuses_prompt_after_tool
from forge.models.windows import row_windows
from forge.train.rows import tokenize_rows

CRUSH = Path(__file__).resolve().parents[1] / "fixtures/real/crush/.crush/crush.db"


def _session() -> list[dict]:
    reader = detect_reader(CRUSH, read_head(CRUSH))
    conv = next(iter(reader.read(CRUSH, lambda line, reason: None)))
    return [{"role": "system", "content": "You are Crush."}] + [m.to_openai() for m in conv.messages]


def test_every_turn_of_a_real_session_is_learned_under_mistral_with_prompts_after_tool_results():
    messages = _session()
    cuts = prompts_after_tools(messages)
    # after "Permission denied" (three times), and after a result whose next reply failed (twice)
    assert len(cuts) == 5
    tok = tokenizer_for("mistral")
    r = Renderer(tok)
    assert r.prompt_after_tool_refused
    got = row_windows(tok, messages, None, 16384, renderer=r)
    assert got.dropped == {} and got.learned == got.turns == sum(m["role"] == "assistant" for m in messages)
    assert got.restarted == sum(1 for m in messages[cuts[0] :] if m["role"] == "assistant")
    # no window shows the template a prompt right after a tool result
    for w in got.windows:
        text = tok.decode(w.ids)
        assert "[/TOOL_RESULTS][INST]" not in text.replace(" ", "")
    # the job log says so
    report = tokenize_rows(tok, [{"messages": messages}], 16384)
    assert report.report()["turns_after_refused_history"] == got.restarted
    assert "follows a tool result" in report.summary()


def test_a_template_that_takes_the_prompt_in_place_keeps_the_history():
    tok = tokenizer_for("qwen2")
    r = Renderer(tok)
    assert not r.prompt_after_tool_refused
    got = row_windows(tok, _session(), None, 16384, renderer=r)
    assert got.restarted == 0 and got.dropped == {} and got.learned == got.turns


def test_the_probe_asks_only_about_a_prompt_right_after_a_tool_result():
    def strict(messages):
        roles = [m["role"] for m in messages]
        if ("tool", "user") in set(itertools.pairwise(roles)):
            raise ValueError("roles must alternate")

    def refuses_all_tools(messages):
        if any(m["role"] == "tool" for m in messages):
            raise ValueError("no tools")

    assert refuses_prompt_after_tool(strict)
    assert not refuses_prompt_after_tool(lambda messages: None)
    assert not refuses_prompt_after_tool(refuses_all_tools)  # refuses more than that: not this case


def test_an_inference_prompt_starts_where_training_started_it():
    from forge.models.turns import template_messages
    from forge.models.windows import trim_prompt

    messages = template_messages(_session())
    last_reply = max(n for n, m in enumerate(messages) if m["role"] == "assistant")
    prompt = messages[:last_reply]
    cuts = prompts_after_tools(prompt)
    r = Renderer(tokenizer_for("mistral"))
    trimmed = trim_prompt(r, prompt, None, 16384)
    assert trimmed.messages == [prompt[0], *prompt[cuts[-1] :]] and trimmed.cut
    assert trimmed.dropped == cuts[-1] - 1 and trimmed.tokens > 0  # rendered: the template took it


def test_a_preference_pair_after_such_a_prompt_is_kept():
    from forge.train.pairs import tokenize_pairs

    messages = _session()
    last_reply = max(n for n, m in enumerate(messages) if m["role"] == "assistant")
    pair = {
        "prompt": messages[:last_reply],
        "chosen": [messages[last_reply]],
        "rejected": [{"role": "assistant", "content": "I cannot help with that."}],
    }
    got = tokenize_pairs(tokenizer_for("mistral"), [pair], 16384)
    assert len(got.items) == 1 and got.dropped == {}


def test_the_dataset_check_reads_such_a_row_back_in_its_parts():
    from forge.models.fidelity import check_rows
    from real_models import llama_models_dir

    template = (llama_models_dir() / "templates" / "Mistral-Small-3.2-24B-Instruct-2506.jinja").read_text()
    messages = _session()
    report = check_rows([{"id": "crush", "messages": messages}], template)
    (row,) = report.rows
    assert [loss for loss in row.losses if loss.kind == "template_error"] == []
    assert row.checked == sum(1 for m in messages if m["role"] in ("assistant", "tool"))
