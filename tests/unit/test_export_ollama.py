"""The Ollama Modelfile: its Go template renders conversations as HF's chat template does.

Go templates are rendered by forge.export.gotemplate (Ollama itself is not installed here),
with the values Ollama hands a template (.System, .Messages, .Tools)."""

import json

import pytest

from forge.export.gotemplate import TemplateError, go_json, render
from forge.export.ollama import OLLAMA_TEMPLATE, OllamaConfig, modelfile_text, ollama_values, render_like_ollama
from forge.models.chat_format import CHAT_TEMPLATE

BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a shell command <safely>",
        "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}},
    },
}


@pytest.fixture(scope="module")
def hf_tokenizer():
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    return PreTrainedTokenizerFast(tokenizer_object=tok, chat_template=CHAT_TEMPLATE)


def _compact(args):  # how Go's encoding/json (and so Ollama) writes arguments
    return json.dumps(args, separators=(",", ":"), sort_keys=True)


def _call(cid, args):
    return {"id": cid, "type": "function", "function": {"name": "Bash", "arguments": _compact(args)}}


CONVERSATION = [
    {"role": "system", "content": "You are a polecat.\nWorking directory: /w"},
    {"role": "user", "content": "List files, then check git."},
    {"role": "assistant", "content": "", "tool_calls": [_call("a", {"command": "ls -la"})]},
    {"role": "tool", "tool_call_id": "a", "content": "a.py\nb.py"},
    {
        "role": "assistant",
        "content": "Two files. Checking git.",
        "tool_calls": [_call("b", {"command": "git status"}), _call("c", {"command": "git log -1"})],
    },
    {"role": "tool", "tool_call_id": "b", "content": "clean"},
    {"role": "assistant", "content": "All clean."},
    {"role": "user", "content": "Thanks"},
]


def test_tool_call_conversation_renders_exactly_like_hf(hf_tokenizer):
    """Every turn, tool call and tool response byte for byte (arguments arrive as the JSON
    string Ollama writes, which HF's template passes through unchanged)."""
    for messages in (CONVERSATION, CONVERSATION[1:], CONVERSATION[:-1]):
        hf = hf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        if messages[-1]["role"] == "assistant":  # Ollama continues a trailing assistant turn
            continue
        assert render_like_ollama(messages) == hf


def test_tools_block_renders_exactly_like_hf(hf_tokenizer):
    """With tools the whole prompt is byte for byte HF's: each tool a compact line, its
    arguments in the schema's declaration order (not sorted), optional ones marked '?'."""
    edit = {
        "type": "function",
        "function": {
            "name": "Edit",
            "description": "Replace a string",
            "parameters": {
                "type": "object",
                "required": ["old_string", "file_path"],
                "properties": {"file_path": {"type": "string"}, "old_string": {}, "replace_all": {"type": "boolean"}},
            },
        },
    }
    bare = {"type": "function", "function": {"name": "Now"}}  # no description, no parameters
    tools = [BASH, edit, bare]
    hf = hf_tokenizer.apply_chat_template(CONVERSATION, tools=tools, tokenize=False, add_generation_prompt=True)
    assert render_like_ollama(CONVERSATION, tools) == hf
    assert (
        '\n{"name": "Bash", "arguments": {"command": "string"}, "description": "Run a shell command <safely>"}'
        '\n{"name": "Edit", "arguments": {"file_path": "string", "old_string": "any", "replace_all?": "boolean"}, '
        '"description": "Replace a string"}\n{"name": "Now", "arguments": {}}\n</tools>'
    ) in hf


def test_generation_prompt_and_system_only(hf_tokenizer):
    for messages in (
        [{"role": "user", "content": "hi"}],
        [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}],
    ):
        hf = hf_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        assert render_like_ollama(messages) == hf


def test_modelfile_has_from_template_stops_and_parameters():
    text = modelfile_text("model-q8_0.gguf", OllamaConfig(name="polecat", system="Be brief.", parameters={"top_k": 1}))
    lines = text.splitlines()
    assert lines[0] == "FROM ./model-q8_0.gguf"
    assert f'TEMPLATE """{OLLAMA_TEMPLATE}"""' in text
    assert 'SYSTEM """Be brief."""' in text
    assert 'PARAMETER stop "<|im_end|>"' in lines and 'PARAMETER stop "<|endoftext|>"' in lines
    assert "PARAMETER temperature 0.0" in lines and "PARAMETER top_k 1" in lines
    assert OllamaConfig(name="has space").problems()


def test_ollama_values_collect_system_and_calls():
    v = ollama_values(CONVERSATION, [BASH])
    assert v["System"] == CONVERSATION[0]["content"]
    assert v["Messages"][2]["ToolCalls"] == [{"Function": {"Name": "Bash", "Arguments": {"command": "ls -la"}}}]
    assert v["Tools"] == [BASH]


# ---- the Go template subset -----------------------------------------------------------------


def test_go_template_subset():
    data = {"Items": [{"N": "a", "Ok": True}, {"N": "b", "Ok": False}], "Empty": [], "Zero": 0, "S": "x"}
    assert (
        render("{{ range $i, $it := .Items }}{{ $i }}{{ .N }}{{ if .Ok }}+{{ else }}-{{ end }}{{ end }}", data)
        == "0a+1b-"
    )
    assert render("{{ if .Empty }}y{{ else if .Zero }}z{{ else }}n{{ end }}", data) == "n"
    assert render("a  {{- .S -}}  b", data) == "axb"
    assert render('{{ $v := "" }}{{ range .Items }}{{ $v = .N }}{{ end }}{{ $v }}', data) == "b"
    assert render('{{ if and (eq .S "x") (ne .Zero 1) }}ok{{ end }}{{ len .Items }}', data) == "ok2"
    assert render("{{ or .Empty .S }}", data) == "x"
    assert go_json({"b": [1, "<&>"], "a": None}) == '{"a":null,"b":[1,"\\u003c\\u0026\\u003e"]}'
    with pytest.raises(TemplateError):
        render("{{ if .S }}never closed", data)
    with pytest.raises(TemplateError):
        render("{{ $nope }}", data)
