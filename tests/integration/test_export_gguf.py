"""GGUF export end to end: tiny Llama (GQA) and Qwen2 models that learned to make tool calls,
written to GGUF by our writer, loaded by llama.cpp (llama-cpp-python) and compared with HF.

The parity tests need llama-cpp-python. `make test` installs it and sets
FORGE_REQUIRE_LLAMA_CPP=1, so there a missing install fails instead of skipping.
"""

import json

import pytest

from forge.artifacts import ArtifactStore
from forge.models.chat_format import CHAT_TEMPLATE, IM_END, SPECIAL_TOKENS, TOOLS_POSTAMBLE, TOOLS_PREAMBLE
from helpers import llama_cpp_or_skip

pytestmark = pytest.mark.slow
# Training goes on until every answer token leads the runner-up by MARGIN logits. Q8_0 stores
# each block of 32 weights as 8-bit multiples of max|w|/127, an error of at most 1/254 of the
# block's largest weight; through two layers that moves these models' logits (|logit| ≲ 20) by
# a few tenths at most, so a 2-logit lead keeps every greedy choice (at a fixed 120 steps, one
# title flipped under Q8_0 — parity caught it).
MARGIN = 2.0
MIN_STEPS = {"llama": 200, "qwen2": 120}
MAX_STEPS = 600

# a small schema keeps the prompts short, so the tiny models learn them in a few seconds
CREATE = {
    "type": "function",
    "function": {
        "name": "bd_create",
        "parameters": {"type": "object", "properties": {"title": {"type": "string"}, "priority": {"type": "integer"}}},
    },
}


def _rows():
    rows = []
    for i, title in enumerate(["Fix login", "Add retries", "Drop cache"]):
        rows.append(
            {
                "id": f"bead-{i}",
                "task": "bead-creation",
                "agent_role": "mayor",
                "tools": [CREATE],
                "messages": [
                    {"role": "user", "content": f"File a bead: {title}."},
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {
                                "id": "c",
                                "type": "function",
                                "function": {
                                    "name": "bd_create",
                                    "arguments": json.dumps({"title": title, "priority": i}),
                                },
                            }
                        ],
                    },
                ],
            }
        )
    return rows


def _tokenizer(texts):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=700,
            special_tokens=SPECIAL_TOKENS,
            show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        ),
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=IM_END, pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )


def _memorized_model(out, arch):
    """A hidden-64 model (4 query heads, 2 KV heads) fully fine-tuned to answer each row's
    prompt with its tool call, until every answer token wins by MARGIN logits (so greedy
    decoding has no near-ties that 8-bit weights could flip)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    rows = _rows()
    tokenizer = _tokenizer([json.dumps(r) for r in rows] * 3 + [TOOLS_PREAMBLE + TOOLS_POSTAMBLE] * 9)
    common = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": 1024,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
    }
    torch.manual_seed(0)
    model = (
        LlamaForCausalLM(LlamaConfig(**common))
        if arch == "llama"
        else Qwen2ForCausalLM(Qwen2Config(**common, tie_word_embeddings=True))
    )
    texts = [tokenizer.apply_chat_template(r["messages"], tools=r["tools"], tokenize=False) for r in rows]
    enc = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    answer = torch.zeros_like(labels, dtype=torch.bool)  # the reply's tokens: what parity decodes
    for n, r in enumerate(rows):
        prompt = tokenizer.apply_chat_template(
            r["messages"][:-1], tools=r["tools"], tokenize=False, add_generation_prompt=True
        )
        answer[n, len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) :] = True
    answer &= enc["attention_mask"].bool()
    # (lr 1e-2 left two titles tied at the answer's first word for 4 of 8 seeds: which seed got
    # through depended on the machine's arithmetic, and one machine's seed 0 did not; at 3e-3 all
    # 24 tried got their margin within 280 steps: 16 Llama seeds, on AVX-512 and on generic
    # kernels, and 8 Qwen2)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    margin = 0.0
    for step in range(MAX_STEPS):
        loss = model(**enc, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step + 1 >= MIN_STEPS[arch] and (step + 1) % 20 == 0:
            with torch.no_grad():  # the weights as they are now, which are the ones saved on a break
                margin = _smallest_margin(model(**enc).logits, enc["input_ids"], answer)
            if loss.item() < 0.1 and margin >= MARGIN:
                break
    assert margin >= MARGIN, f"{arch}: smallest answer margin {margin:.2f} after {step + 1} steps"
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _smallest_margin(logits, ids, answer):
    """The smallest lead of the right token over the best other one, over the answer tokens
    (logits at position t predict token t + 1)."""
    import torch

    pred, target, where = logits[:, :-1], ids[:, 1:], answer[:, 1:]
    right = pred.gather(-1, target.unsqueeze(-1)).squeeze(-1)
    others = pred.scatter(-1, target.unsqueeze(-1), float("-inf")).max(-1).values
    return float(torch.where(where, right - others, torch.full_like(right, float("inf"))).min())


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {arch: _memorized_model(root / arch, arch) for arch in ("llama", "qwen2")}


@pytest.fixture()
def store_and_dataset(tmp_path):
    store = ArtifactStore(tmp_path / "store")
    staging = store.staging("dataset")
    (staging / "sft_eval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    return store, store.commit(staging, kind="dataset", aid="dataset-test", config={}, inputs=[])


def test_writer_layout_tokenizer_and_template(models, tmp_path):
    """Names from gguf's tensor map, norms F32, Llama Q/K permuted (GQA: K by KV heads),
    every token id and type as in HF, chat template without the training markers."""
    import numpy as np
    from gguf import GGUFReader
    from safetensors.torch import load_file

    from forge.export.gguf_writer import permute_rope, write_gguf

    out = tmp_path / "m.gguf"
    summary = write_gguf(models["llama"], out, "f16")
    assert summary["arch"] == "llama" and summary["pre_tokenizer"] == "gpt-2"
    reader = GGUFReader(str(out))
    tensors = {t.name: t for t in reader.tensors}
    assert {
        "token_embd.weight",
        "output_norm.weight",
        "blk.1.attn_q.weight",
        "blk.1.attn_k.weight",
        "blk.0.ffn_down.weight",
        "output.weight",
    } <= set(tensors)
    assert tensors["blk.0.attn_norm.weight"].tensor_type.name == "F32"
    assert tensors["blk.0.attn_q.weight"].tensor_type.name == "F16"
    hf = load_file(str(models["llama"] / "model.safetensors"))
    k_hf = hf["model.layers.0.self_attn.k_proj.weight"].numpy()
    k_gguf = np.asarray(tensors["blk.0.attn_k.weight"].data, dtype=np.float32).reshape(k_hf.shape)
    assert np.allclose(k_gguf, permute_rope(k_hf, 2), atol=1e-2)
    assert not np.allclose(k_gguf, k_hf, atol=1e-2)

    fields = reader.fields
    tokens = fields["tokenizer.ggml.tokens"].contents()
    tok = json.loads((models["llama"] / "tokenizer.json").read_text())
    by_id = {i: t for t, i in tok["model"]["vocab"].items()}
    by_id.update({a["id"]: a["content"] for a in tok["added_tokens"]})
    assert [str(t) for t in tokens] == [by_id[i] for i in range(len(tokens))]
    im_end = next(a["id"] for a in tok["added_tokens"] if a["content"] == IM_END)
    assert fields["tokenizer.ggml.token_type"].contents()[im_end] == 3  # CONTROL
    assert fields["tokenizer.ggml.eos_token_id"].contents() == im_end
    template = fields["tokenizer.chat_template"].contents()
    assert "{% generation %}" not in template and "endgeneration" not in template and "<tool_call>" in template


def test_q8_0_and_bf16_write_quantized_tensors(models, tmp_path):
    from gguf import GGUFReader

    from forge.export.gguf_writer import write_gguf

    for quant, name in (("q8_0", "Q8_0"), ("bf16", "BF16")):
        out = tmp_path / f"m-{quant}.gguf"
        write_gguf(models["qwen2"], out, quant)
        types = {t.name: t.tensor_type.name for t in GGUFReader(str(out)).tensors}
        assert types["blk.0.attn_q.weight"] == name
        assert types["blk.0.attn_q.bias"] == "F32"  # Qwen2's biases stay F32
        assert "output.weight" not in types  # tied: llama.cpp reuses token_embd


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_f16_parity_identical_tokens(models, store_and_dataset, arch):
    llama_cpp_or_skip()
    from forge.export.gguf import GGUFConfig, open_gguf, run_gguf_export

    store, ds = store_and_dataset
    art = run_gguf_export(store, models[arch], GGUFConfig(quant="f16", parity_prompts=3), dataset=ds)
    report = json.loads(art.file("parity.json").read_text())
    assert report["passed"] and report["level"] == "tokens"
    assert report["same_tokens"] == report["n_prompts"] == 3
    assert report["same_tokenization"] == 3
    # the model answers with its tool call, and llama.cpp says the same
    assert all('"bd_create"' in p["gguf"] for p in report["prompts"]), report["prompts"]
    assert set(art.manifest["files"]) == {"model-f16.gguf", "parity.json", "export.json"}
    assert open_gguf(art) == art.file("model-f16.gguf")


def test_q8_0_parity_same_tool_calls_and_reuse(models, store_and_dataset):
    llama_cpp_or_skip()
    from forge.export.gguf import GGUFConfig, run_gguf_export

    store, ds = store_and_dataset
    config = GGUFConfig(quant="q8_0", parity_prompts=3)
    art = run_gguf_export(store, models["llama"], config, dataset=ds)
    report = json.loads(art.file("parity.json").read_text())
    assert report["passed"] and report["level"] == "tool_calls"
    assert report["same_tool_calls"] == 3
    again = run_gguf_export(store, models["llama"], config, dataset=ds)
    assert again.path == art.path and again.manifest["created_at"] == art.manifest["created_at"]


def test_broken_conversion_fails_parity_naming_the_prompt(models, store_and_dataset, monkeypatch):
    """Without the RoPE permutation the file loads but answers differently: the export fails,
    names the first differing prompt, and leaves nothing behind."""
    llama_cpp_or_skip()
    import forge.export.gguf_writer as writer
    from forge.export.gguf import GGUFConfig, run_gguf_export
    from forge.export.parity import ParityError

    store, ds = store_and_dataset
    monkeypatch.setattr(writer, "permute_rope", lambda w, n: w)
    with pytest.raises(ParityError, match=r"parity failed on prompt 'bead-\d#1'"):
        run_gguf_export(store, models["llama"], GGUFConfig(quant="f16", parity_prompts=3), dataset=ds)
    assert not list(store.root.glob("gguf/*"))
    assert not list((store.root / ".staging").iterdir())


def test_tampered_gguf_is_refused(models, store_and_dataset):
    from forge.errors import IntegrityError
    from forge.export.gguf import GGUFConfig, open_gguf, run_gguf_export

    store, _ds = store_and_dataset
    art = run_gguf_export(store, models["qwen2"], GGUFConfig(quant="q8_0", parity=False))
    assert art.manifest["parity"] == "skipped"
    with open(art.file("model-q8_0.gguf"), "r+b") as f:
        f.seek(-4, 2)
        f.write(b"\x00\x01\x02\x03")
    with pytest.raises(IntegrityError, match="model-q8_0.gguf"):
        open_gguf(art)


def test_q4_k_m_through_llama_cpp(models, store_and_dataset):
    llama_cpp_or_skip()
    from gguf import GGUFReader

    from forge.export.gguf import GGUFConfig, run_gguf_export

    store, ds = store_and_dataset
    art = run_gguf_export(store, models["llama"], GGUFConfig(quant="q4_k_m", parity_prompts=2), dataset=ds)
    reader = GGUFReader(str(art.file("model-q4_k_m.gguf")))
    assert reader.fields["general.file_type"].contents() == 15  # MOSTLY_Q4_K_M
    report = json.loads(art.file("parity.json").read_text())
    assert report["level"] == "report" and report["n_prompts"] == 2
    assert not list(art.path.glob(".f16*"))


def test_ollama_package_from_gguf(models, store_and_dataset):
    from forge.export.gguf import GGUFConfig, run_gguf_export
    from forge.export.ollama import OllamaConfig, run_ollama_export

    store, _ds = store_and_dataset
    gguf = run_gguf_export(store, models["qwen2"], GGUFConfig(quant="f16", parity=False))
    art = run_ollama_export(store, gguf, OllamaConfig(name="polecat-test"))
    art.verify()
    modelfile = art.file("Modelfile").read_text()
    assert modelfile.startswith("FROM ./model-f16.gguf\n")
    assert 'PARAMETER stop "<|im_end|>"' in modelfile
    assert art.file("model-f16.gguf").read_bytes() == gguf.file("model-f16.gguf").read_bytes()
    status = json.loads(art.file("ollama.json").read_text())
    if status["created"] is False:  # no ollama binary here: the skip says what to run
        assert "no `ollama` binary on PATH" in status["skipped"]
