"""A real family end to end through the stage functions: SFT (a few LoRA steps), merge, GGUF
export with llama.cpp parity (Qwen2.5, Llama 3.1, Phi-3.5), and eval scored in the model's own
tool-call format — on each family test base (tests/real_models.py: real tokenizer, real
template, tiny random weights).

Two templates per family:
- "family": the model's own Hub template, which has no {% generation %} markers: the
  assistant-token masks come from rendering the conversation prefix by prefix
  (models/masks.py), and every assistant turn of every row is learned.
- "forge": the same model with Forge's own template swapped in (ChatML with generation
  markers): every stage runs today on the real architecture and vocabulary.
A family template that cannot write tool calls (Phi-3.5) is refused by the train stage for
these rows (they have calls); the run then passes Forge's template explicitly (chat_template).
"""

import dataclasses
import json
import random
import shutil

import pytest

from forge.artifacts import ArtifactStore, artifact_id
from forge.errors import InputError
from real_models import GGUF_FAMILIES, family_base

pytestmark = pytest.mark.slow
FAMILY_FORMAT = {"qwen2": "hermes", "llama3": "llama3", "phi3": "hermes", "gemma4": "gemma4"}
TOOL = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead.",
        "parameters": {
            "type": "object",
            "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}},
            "required": ["title", "priority"],
        },
    },
}
TITLES = ["Fix login", "Add cache", "Speed up search", "Write docs", "Remove dead code"]


def bead_row(i, rng):
    title, prio = rng.choice(TITLES), rng.randrange(5)
    return {
        "id": f"bead-{i}",
        "task": "bead-creation",
        "agent_role": "mayor",
        "tools": [TOOL],
        "messages": [
            {"role": "system", "content": "You are the mayor."},
            {"role": "user", "content": f"File a bead '{title}' at priority {prio}."},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call00001",
                        "type": "function",
                        "function": {"name": "bd_create", "arguments": json.dumps({"title": title, "priority": prio})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call00001", "content": '{"id": "gt-1"}'},
            {"role": "assistant", "content": "Filed gt-1."},
        ],
    }


def make_dataset(store):
    rng = random.Random(0)
    staging = store.staging("dataset")
    for name, n in (("sft_train.jsonl", 8), ("sft_eval.jsonl", 4)):
        (staging / name).write_text("".join(json.dumps(bead_row(i, rng)) + "\n" for i in range(n)))
    return store.commit(
        staging, kind="dataset", aid=artifact_id("dataset", {"family-pipeline": 1}, []), config={}, inputs=[]
    )


def base_with_template(family, template, tmp_path):
    base = family_base(family)
    if template == "family":
        return base
    from transformers import AutoTokenizer

    from forge.models.chat_format import CHAT_TEMPLATE

    copy = tmp_path / f"{family}-forge-template"
    shutil.copytree(base, copy)
    tok = AutoTokenizer.from_pretrained(str(copy))
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(str(copy))
    return copy


@pytest.mark.parametrize("template", ["family", "forge"])
@pytest.mark.parametrize("family", ["qwen2", "llama3", "phi3", "gemma4"])
def test_sft_merge_export_eval(tmp_path, family, template):
    from transformers import AutoTokenizer

    from forge.evaluate.stage import EvalConfig, gate, load_report, run_evaluate
    from forge.models.chat_format import CHAT_TEMPLATE
    from forge.models.merge import run_merge
    from forge.models.tool_calls import detect_format
    from forge.train.config import TrainConfig
    from forge.train.methods import train_adapter
    from forge.train.rows import read_rows, tokenize_rows

    store = ArtifactStore(tmp_path / "store")
    dataset = make_dataset(store)
    base = base_with_template(family, template, tmp_path)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    rows = tokenize_rows(tokenizer, read_rows(dataset.path / "sft_train.jsonl"), 1024)
    assert rows.turns == 16 and rows.turns_learned == 16 and rows.assistant_tokens > 0, rows.summary()

    config = TrainConfig(
        max_steps=3,
        batch_size=2,
        max_seq_length=1024,
        logging_steps=1,
        eval_at_end=False,
        lora_r=8,
        lora_alpha=16,
        warmup_steps=0,
    )
    if not detect_format(tokenizer).renders_calls:  # Phi-3.5: its template drops tool calls
        with pytest.raises(InputError, match="cannot carry tool calls"):
            train_adapter(store, dataset, str(base), config)
        explicit = tmp_path / "chat_template.jinja"
        explicit.write_text(CHAT_TEMPLATE)
        config = dataclasses.replace(config, chat_template=str(explicit))
    adapter = train_adapter(store, dataset, str(base), config)
    log = json.loads(adapter.file("train_log.json").read_text())
    assert log["steps"] == 3 and log["train_rows"] == 8 and log["assistant_tokens"] > 0

    merged = run_merge(store, adapter, str(base))
    if family in GGUF_FAMILIES:
        from forge.export.gguf import GGUFConfig, run_gguf_export

        gguf = run_gguf_export(
            store, merged, GGUFConfig(quant="f32", parity_prompts=2, parity_max_new_tokens=16), dataset=dataset
        )
        parity = json.loads(gguf.file("parity.json").read_text())
        assert parity["passed"] and parity["same_tokenization"] == 2

    report_art = run_evaluate(
        store,
        merged.path,
        dataset,
        EvalConfig(max_prompts=4, max_new_tokens=24, batch_size=4),
        input_artifacts=[merged],
    )
    report = load_report(report_art)
    assert report["n_prompts"] == 4
    samples = [json.loads(line) for line in report_art.file("samples.jsonl").read_text().splitlines()]
    want = FAMILY_FORMAT[family] if template == "family" else "hermes"
    assert {s["tool_call_format"] for s in samples} == {want}
    assert gate(report, 0.0)[0]
