"""The round-trip comparison (models/fidelity.py) on small hand-written templates: one that
carries everything, and ones that each lose one thing, so every loss kind is seen to fire."""

import json

from forge.models import fidelity as f

TOOL = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead.",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}}},
    },
}
ROW = {
    "id": "r1",
    "tools": [TOOL],
    "messages": [
        {"role": "system", "content": "You are the mayor."},
        {"role": "user", "content": "File a bead."},
        {
            "role": "assistant",
            "content": "Sure.",
            "tool_calls": [
                {"id": "toolu_1", "type": "function", "function": {"name": "bd_create", "arguments": '{"title": "x"}'}}
            ],
        },
        {"role": "tool", "tool_call_id": "toolu_1", "content": '{"id": "gt-1"}'},
        {"role": "assistant", "content": "Filed gt-1."},
    ],
}

# ChatML with Hermes calls: tools as JSON in the system turn, results in a tool turn.
FULL = (
    "{%- if tools %}<|im_start|>system\n<tools>{% for t in tools %}{{ t | tojson }}{% endfor %}"
    "</tools><|im_end|>\n{% endif %}"
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
    "{%- for c in m.tool_calls or [] %}\n<tool_call>\n"
    '{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}\n</tool_call>{% endfor %}'
    "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
NO_TOOLS = (
    "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def kinds(report):
    return {loss.kind for row in report.rows for loss in row.losses}


def test_a_template_that_carries_everything_round_trips():
    report = f.check_rows([ROW], FULL)
    assert report.format == "hermes" and report.renders_calls
    assert report.fidelity == 100.0 and kinds(report) == set()
    assert report.rows[0].checked == 1 + 2 + 1  # the tool, two assistant turns, one result
    assert report.advice()[0].startswith("every row round-trips")


def test_a_tool_less_template_loses_tools_and_calls_but_keeps_text_and_results():
    report = f.check_rows([ROW], NO_TOOLS)
    assert not report.renders_calls and report.fidelity == 0.0
    assert kinds(report) == {f.TOOLS_DROPPED, f.CALLS_DROPPED}
    assert report.rows_with_calls_lost() == 1
    dropped = [x for x in report.rows[0].losses if x.kind == f.CALLS_DROPPED]
    assert [(x.message, x.detail) for x in dropped] == [(2, "bd_create")]
    assert any("--template" in line for line in report.advice())


def test_content_beside_a_call_dropped_is_named_with_its_message():
    no_content_with_calls = FULL.replace("{{ m.content }}", "{% if not m.tool_calls %}{{ m.content }}{% endif %}")
    report = f.check_rows([ROW], no_content_with_calls)
    losses = report.rows[0].losses
    assert [(x.kind, x.message) for x in losses] == [(f.CONTENT_DROPPED, 2)]
    assert report.totals() == {f.CONTENT_DROPPED: 1}


def test_rewritten_content_changed_calls_dropped_results_and_template_errors():
    rewrites = FULL.replace("{{ m.content }}", "{{ m.content | upper }}")
    assert f.CONTENT_REWRITTEN in kinds(f.check_rows([ROW], rewrites))
    renames = FULL.replace('"{{ c.function.name }}"', '"other"')
    assert f.CALLS_CHANGED in kinds(f.check_rows([ROW], renames))
    no_results = FULL.replace("{{ m.content }}", "{% if m.role != 'tool' %}{{ m.content }}{% endif %}")
    assert kinds(f.check_rows([ROW], no_results)) == {f.RESULT_DROPPED}
    refuses = "{{ raise_exception('no system role') }}" + FULL
    report = f.check_rows([ROW], refuses)
    assert kinds(report) == {f.TEMPLATE_ERROR} and "no system role" in report.rows[0].losses[0].detail


def test_json_encoded_results_and_reasoning():
    tojson_results = FULL.replace(
        "{{ m.content }}", "{% if m.role == 'tool' %}{{ m.content | tojson }}{% else %}{{ m.content }}{% endif %}"
    )
    assert f.check_rows([ROW], tojson_results).fidelity == 100.0
    row = json.loads(json.dumps(ROW))
    row["messages"][4]["reasoning_content"] = "The bead id is gt-1."
    assert kinds(f.check_rows([row], FULL)) == {f.REASONING_DROPPED}
    thinks = FULL.replace(
        "{{ m.content }}",
        "{% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}{{ m.content }}",
    )
    assert f.check_rows([row], thinks).fidelity == 100.0


def test_report_dict_has_totals_percent_and_rows():
    report = f.check_rows([ROW, {**ROW, "id": "r2", "tools": []}], NO_TOOLS)
    d = report.as_dict()
    assert d["rows"] == 2 and d["exact_rows"] == 0 and d["fidelity_percent"] == 0.0
    assert d["losses_by_kind"] == {f.TOOLS_DROPPED: 1, f.CALLS_DROPPED: 2}
    assert [r["id"] for r in d["per_row"]] == ["r1", "r2"]
    assert f.rows_have_calls([ROW]) and not f.rows_have_calls([{"messages": [{"role": "user", "content": "x"}]}])


def test_a_turn_after_a_message_that_ends_differently_when_last_is_still_read():
    # Hermes 2 Pro's shape: a tool result ends "</tool_response><|im_end|>" when it is the last
    # message and "</tool_response>\n<|im_end|>" when a turn follows.
    shifting = FULL.replace(
        "<|im_end|>\n{% endfor %}",
        "{% if m.role == 'tool' and not loop.last %}{{ '\\n' }}{% endif %}<|im_end|>\n{% endfor %}",
    )
    assert '</tool_call><|im_end|>\n<|im_start|>tool\n{"id": "gt-1"}\n<|im_end|>' in f._Template(
        shifting, "", ""
    ).render(ROW["messages"][:5], None)
    assert f.check_rows([ROW], shifting).fidelity == 100.0
