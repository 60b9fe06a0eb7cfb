"""End to end: a tiny random Llama with a locally trained tokenizer, scored by run_evaluate."""

import json
import shutil

import pytest

from forge.artifacts import ArtifactStore
from forge.evaluate import EvalConfig, gate, load_report, run_evaluate
from forge.evaluate.gastown import GASTOWN_CHECKS
from forge.models.chat_format import CHAT_TEMPLATE, IM_END, SPECIAL_TOKENS
from forge.models.tool_calls import parse_reply

pytestmark = pytest.mark.slow

BASH = {
    "type": "function",
    "function": {
        "name": "Bash",
        "description": "Run a shell command",
        "parameters": {"type": "object", "required": ["command"], "properties": {"command": {"type": "string"}}},
    },
}
CREATE = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "description": "Create a bead",
        "parameters": {
            "type": "object",
            "required": ["title", "priority"],
            "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}},
        },
    },
}


def _call(cid, name, args):
    return {"id": cid, "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}


def _rows():
    rows = []
    for i in range(3):
        rows.append(
            {
                "id": f"git-{i}",
                "task": "git-workflow",
                "agent_role": "polecat",
                "tools": [BASH, CREATE],
                "messages": [
                    {"role": "system", "content": "You are a polecat."},
                    {"role": "user", "content": f"Commit the fix for issue {i}."},
                    {"role": "assistant", "content": "", "tool_calls": [_call("a", "Bash", {"command": "git status"})]},
                    {"role": "tool", "tool_call_id": "a", "content": "clean"},
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [_call("b", "Bash", {"command": f"git commit -m 'fix {i}'"})],
                    },
                    {"role": "tool", "tool_call_id": "b", "content": "ok"},
                    {"role": "assistant", "content": "Committed."},
                ],
            }
        )
        rows.append(
            {
                "id": f"bead-{i}",
                "task": "bead-creation",
                "agent_role": "mayor",
                "tools": [BASH, CREATE],
                "messages": [
                    {"role": "user", "content": f"File a bead for bug {i}."},
                    {
                        "role": "assistant",
                        "content": "Filing it.",
                        "tool_calls": [_call("c", "bd_create", {"title": f"Bug {i}", "priority": 1})],
                    },
                    {"role": "tool", "tool_call_id": "c", "content": "created gt-1"},
                ],
            }
        )
    return rows


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A 2-layer, hidden-32 LlamaForCausalLM with a byte-level BPE trained on a few KB."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    root = tmp_path_factory.mktemp("tiny")
    text = [json.dumps(r) for r in _rows()] + [json.dumps([BASH, CREATE])] * 3
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        text,
        trainers.BpeTrainer(
            vocab_size=400, special_tokens=SPECIAL_TOKENS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=IM_END, pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.save_pretrained(root / "model")
    tokenizer.save_pretrained(root / "model")
    return root / "model"


@pytest.fixture()
def dataset(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("dataset")
    (staging / "sft_eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    return store, store.commit(staging, kind="dataset", aid="dataset-test", config={}, inputs=[])


def test_generate_batches_like_single_prompts_and_keeps_special_tokens(tiny_model):
    from forge.models.loading import _decode_until_stop, generate, load_model, stop_token_ids

    model, tokenizer = load_model(tiny_model)
    from forge.evaluate.suite import prompts_from_row

    prompts = [p for r in _rows() for p in prompts_from_row(r)][:5]
    convs, tools = [p.messages for p in prompts], [p.tools for p in prompts]
    batched = generate(model, tokenizer, convs, tools, max_new_tokens=12, batch_size=4)
    single = generate(model, tokenizer, convs, tools, max_new_tokens=12, batch_size=1)
    assert batched == single
    assert len(batched) == 5 and all(isinstance(r, str) for r in batched)

    stops = stop_token_ids(tokenizer)
    assert tokenizer.convert_tokens_to_ids(IM_END) in stops
    body = '<tool_call>\n{"name": "Bash", "arguments": {"command": "ls"}}\n</tool_call>'
    ids = tokenizer(body, add_special_tokens=False)["input_ids"]
    pad = tokenizer.pad_token_id
    text = _decode_until_stop(tokenizer, ids + [stops[-1]] + ids + [pad, pad], stops, pad)
    assert text == body
    assert parse_reply(text).calls == [{"name": "Bash", "arguments": {"command": "ls"}}]


def _memorize(model_dir, out_dir, conversations, steps=150):
    """Full fine-tune the tiny model to reproduce a few reference replies exactly."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    texts = [tokenizer.apply_chat_template(c, tools=[BASH, CREATE], tokenize=False) for c in conversations]
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    torch.manual_seed(0)
    model.train()
    for _ in range(steps):
        loss = model(**enc, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return loss.item()


def test_memorized_model_passes_its_prompts(tiny_model, dataset, tmp_path):
    """The whole path — template, generation, stop token, decode, parse, check — on a model
    that learned the reference replies: a broken link anywhere drops the score below 1."""
    store, _ds = dataset
    bead_rows = [r for r in _rows() if r["task"] == "bead-creation"]
    convs = [r["messages"][:2] for r in bead_rows]
    loss = _memorize(tiny_model, tmp_path / "memorized", convs)
    assert loss < 0.05
    suite = tmp_path / "suite.jsonl"
    suite.write_text("".join(json.dumps({**r, "id": "s-" + r["id"]}) + "\n" for r in bead_rows))
    art = run_evaluate(
        store, tmp_path / "memorized", None, EvalConfig(suite=str(suite), max_new_tokens=48, device="cpu")
    )
    report = load_report(art)
    assert report["n_prompts"] == 3
    assert report["score"] == 1.0, report["failures"]
    # Copying the bug number from the prompt takes a longer training run; the constant
    # priority is learned, so every reply reproduces at least half of its arguments.
    assert report["argument_match"] >= 0.5
    # the gate weighs argument match (x2): the uncopied bug number keeps it under 90%, and
    # says so; with at least half the arguments right it clears 80% ((1+1+1+2*0.5)/5)
    ok, why = gate(report, 0.9)
    assert not ok and "argument_match" in why, why
    assert gate(report, 0.8)[0]


def test_run_evaluate_end_to_end(tiny_model, dataset):
    store, ds = dataset
    config = EvalConfig(max_prompts=7, max_new_tokens=16, batch_size=4, device="cpu")
    art = run_evaluate(store, tiny_model, ds, config)
    assert art.kind == "eval_report"
    art.verify()
    report = load_report(art)
    assert report["model"] == str(tiny_model) and report["adapters"] == []
    assert report["n_prompts"] == 7  # 9 available, capped
    assert 0.0 <= report["score"] <= 1.0
    # the Gas Town categories the reference calls exercise are scored besides the defaults
    assert {"tool_choice", "tool_call_validity", "argument_match"} <= set(report["categories"])
    assert set(report["categories"]) <= {"tool_choice", "tool_call_validity", "argument_match", *GASTOWN_CHECKS}
    assert report["categories"]["tool_call_validity"]["total"] == 7
    assert set(report["by_task"]) == {"git-workflow", "bead-creation"}
    assert sum(t["total"] for t in report["by_task"].values()) == 7
    assert set(report["by_role"]) == {"polecat", "mayor"}
    samples = [json.loads(line) for line in art.file("samples.jsonl").read_text().splitlines()]
    assert len(samples) == 7 and len({s["id"] for s in samples}) == 7
    assert all({"reply", "passed", "reasons", "checks"} <= s.keys() for s in samples)
    assert len(report["failures"]) == sum(not s["passed"] for s in samples)
    assert art.manifest["inputs"][0]["id"] == ds.id

    again = run_evaluate(store, tiny_model, ds, config)
    assert again.id == art.id and again.manifest["created_at"] == art.manifest["created_at"]
    other = run_evaluate(store, tiny_model, ds, EvalConfig(max_prompts=2, max_new_tokens=4, device="cpu"))
    assert other.id != art.id
    assert not list((store.root / ".staging").iterdir())


def test_model_artifacts_and_stacked_adapters_decide_the_id(tiny_model, dataset, tmp_path):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    from forge.models.loading import load_model

    store, ds = dataset
    staging = store.staging("base_model")
    shutil.copytree(tiny_model, staging, dirs_exist_ok=True)
    base = store.commit(staging, kind="base_model", aid="base_model-tiny", config={}, inputs=[])
    adapters = []
    for i in range(2):
        torch.manual_seed(10 + i)
        lora = LoraConfig(
            r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False
        )  # random B: the adapter changes outputs
        get_peft_model(AutoModelForCausalLM.from_pretrained(base.path), lora).save_pretrained(tmp_path / f"adapter{i}")
        adapters.append(tmp_path / f"adapter{i}")

    # Both adapters active at once == merging them into the base one after the other.
    ids = torch.tensor([[1, 5, 9, 20, 33]])
    stacked, _ = load_model(base.path, adapters)
    merged = AutoModelForCausalLM.from_pretrained(base.path)
    for a in adapters:
        merged = PeftModel.from_pretrained(merged, a).merge_and_unload()
    one, _ = load_model(base.path, adapters[:1])
    with torch.no_grad():
        got, want, single = (m(ids).logits for m in (stacked, merged.eval(), one))
    assert torch.allclose(got, want, atol=1e-5)
    assert not torch.allclose(got, single, atol=1e-3)

    config = EvalConfig(max_prompts=2, max_new_tokens=4, device="cpu")
    plain = run_evaluate(store, base.path, ds, config, input_artifacts=[base])
    assert plain.config["model"] == "artifact:base_model-tiny"
    assert {i["id"] for i in plain.manifest["inputs"]} == {ds.id, base.id}
    with_adapters = run_evaluate(store, base.path, ds, config, adapters=adapters, input_artifacts=[base])
    assert with_adapters.id != plain.id
    assert load_report(with_adapters)["adapters"] == [str(a) for a in adapters]


def test_prompts_longer_than_the_trained_context_are_cut_like_training_windows(tiny_model, dataset):
    """Later-turn prompts past the context lose their oldest history (head and tools kept) and
    are counted; the others go in whole."""
    from transformers import AutoTokenizer

    from forge.evaluate.stage import collect_prompts

    store, _ = dataset
    calls = [_call(f"k{n}", "Bash", {"command": f"git log -{n}"}) for n in range(4)]
    long_session = {
        "id": "long",
        "task": "git-workflow",
        "agent_role": "polecat",
        "tools": [BASH, CREATE],
        "messages": [
            {"role": "system", "content": "You are a polecat."},
            {"role": "user", "content": "Commit the fix for issue 9."},
        ]
        + [
            m
            for n, call in enumerate(calls)
            for m in (
                {"role": "assistant", "content": "", "tool_calls": [call]},
                {"role": "tool", "tool_call_id": f"k{n}", "content": f"ok {n}"},
            )
        ]
        + [{"role": "assistant", "content": "Done."}],
    }
    staging = store.staging("dataset")
    (staging / "sft_eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*_rows(), long_session]))
    ds = store.commit(staging, kind="dataset", aid="dataset-long", config={}, inputs=[])
    tok = AutoTokenizer.from_pretrained(str(tiny_model))
    prompts = collect_prompts(ds, EvalConfig(max_prompts=13))
    lengths = {
        p.id: len(
            tok(
                tok.apply_chat_template(p.messages, tools=p.tools, add_generation_prompt=True, tokenize=False),
                add_special_tokens=False,
            )["input_ids"]
        )
        for p in prompts
    }
    # the later turns of the long session do not fit, the rest do
    budget = max(n for pid, n in lengths.items() if pid not in ("long#6", "long#8"))
    over = {pid for pid, n in lengths.items() if n > budget}
    assert over == {"long#6", "long#8"}
    config = EvalConfig(max_prompts=13, max_new_tokens=8, batch_size=4, device="cpu", context_length=budget + 8)
    report = load_report(art := run_evaluate(store, tiny_model, ds, config))
    assert report["context"]["context_length"] == budget + 8
    assert report["context"]["prompts_cut"] == len(over) and report["context"]["prompts_over_context"] == 0
    samples = {s["id"]: s for s in map(json.loads, art.file("samples.jsonl").read_text().splitlines())}
    for pid, s in samples.items():
        assert s.get("prompt_cut", False) == (pid in over)
        if pid in over:
            assert s["prompt_tokens"] <= budget and s["messages_dropped"] >= 2
    assert report["context"]["messages_dropped"] == sum(s.get("messages_dropped", 0) for s in samples.values())
    whole = load_report(run_evaluate(store, tiny_model, ds, EvalConfig(max_prompts=13, max_new_tokens=8, device="cpu")))
    assert whole["context"]["context_length"] is None and whole["context"]["prompts_cut"] == 0


def test_the_trained_context_is_read_from_the_adapter_behind_a_merged_model(tmp_path):
    from forge.evaluate.stage import trained_context

    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("adapter")
    (staging / "train_log.json").write_text("{}")
    adapter = store.commit(staging, kind="adapter", aid="adapter-ctx1", config={"max_seq_length": 640}, inputs=[])
    staging = store.staging("merged_model")
    (staging / "config.json").write_text("{}")
    merged = store.commit(staging, kind="merged_model", aid="merged_model-ctx1", config={}, inputs=[adapter])
    assert trained_context(store, merged.path, [], [merged]) == 640
    assert trained_context(store, merged.path, [], []) == 640  # found from the model folder's manifest
    assert trained_context(store, tmp_path, [adapter.path], []) == 640
    assert trained_context(store, tmp_path, [], []) is None  # a base Forge did not train: no cut
