"""GGUF export of the real families: Qwen2.5 (byte-level BPE, ChatML, tied embeddings), Llama
3.1 (byte-level BPE, header tokens, Llama 3.1 RoPE scaling) and Phi-3.5 (SentencePiece-style
BPE with byte fallback, fused qkv/gate-up, untied output) — tiny random-weight models with the
real tokenizers and templates (tests/real_models.py), converted by Forge's writer and run by
llama.cpp.

The tokenizer checks use llama.cpp's own tokenizer test vectors for each vocabulary
(`ggml-vocab-*.gguf.inp/.out`, made from the original HF tokenizers), run through the GGUF
Forge wrote. Parity compares llama.cpp's logits with HF's (export/parity.py has the derived
tolerances); broken conversions must fail it.
"""

import json

import pytest

from forge.artifacts import ArtifactStore
from forge.models.gguf_metadata import gguf_metadata
from helpers import llama_cpp_or_skip
from real_models import GGUF_FAMILIES, family_base, template_text, tokenizer_vectors

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """F32 GGUF of each family base, written once for the module."""
    from forge.export.gguf_writer import write_gguf

    root = tmp_path_factory.mktemp("gguf")
    out = {}
    for family in GGUF_FAMILIES:
        path = root / f"{family}-f32.gguf"
        out[family] = (family_base(family), path, write_gguf(family_base(family), path, "f32"))
    return out


@pytest.mark.parametrize("family", GGUF_FAMILIES)
def test_gguf_carries_the_real_tokenizer_template_and_stops(exported, family):
    llama_cpp_or_skip()
    from transformers import AutoTokenizer, GenerationConfig

    from forge.export.gguf_writer import inference_template
    from forge.export.parity import llama_stop_ids, open_llama

    base, path, summary = exported[family]
    expected = {"qwen2": ("gpt2", "qwen2"), "llama3": ("gpt2", "llama-bpe"), "phi3": ("llama", None)}[family]
    assert (summary["tokenizer"], summary["pre_tokenizer"]) == expected
    fields = gguf_metadata(path, {"tokenizer.chat_template", "tokenizer.ggml.eos_token_id"})
    assert fields["tokenizer.chat_template"] == inference_template(template_text(family))
    tok = AutoTokenizer.from_pretrained(str(base))
    assert fields["tokenizer.ggml.eos_token_id"] == tok.eos_token_id
    llm = open_llama(path, 256)
    try:
        # every stop token of the HF model ends generation in llama.cpp too
        hf_stops = set(GenerationConfig.from_pretrained(str(base)).eos_token_id)
        missing = hf_stops - set(llama_stop_ids(llm))
        if family == "phi3":  # Phi-3.5 also stops on <|assistant|>; llama.cpp has no such rule
            assert missing == {tok.convert_tokens_to_ids("<|assistant|>")}
        else:
            assert not missing
        # llama.cpp's tokenizer test vectors, through the vocabulary Forge wrote
        vectors = tokenizer_vectors(family)
        wrong = [
            text for text, ids in vectors if llm.tokenize(text.encode("utf-8"), add_bos=False, special=False) != ids
        ]
        assert not wrong, wrong[:3]
        assert len(vectors) > 40
    finally:
        llm.close()


@pytest.fixture()
def store(tmp_path):
    return ArtifactStore(tmp_path / "store")


@pytest.mark.parametrize("quant", ["f32", "f16"])
@pytest.mark.parametrize("family", GGUF_FAMILIES)
def test_parity_on_the_family_base(store, family, quant):
    """Through the export stage: the family's tool-call format is used, every prompt is
    tokenized alike, and llama.cpp's logits stay within the type's tolerance."""
    llama_cpp_or_skip()
    from forge.export.gguf import GGUFConfig, run_gguf_export
    from forge.export.parity import LOGIT_TOLERANCE

    art = run_gguf_export(
        store, family_base(family), GGUFConfig(quant=quant, parity_prompts=3, parity_max_new_tokens=24)
    )
    report = json.loads(art.file("parity.json").read_text())
    assert report["passed"] and report["level"] == "tokens"
    assert report["same_tokenization"] == report["n_prompts"] == 3
    assert report["relative_logit_diff"] <= LOGIT_TOLERANCE[quant]
    assert report["tool_call_format"] == {"qwen2": "hermes", "llama3": "llama3", "phi3": "hermes"}[family]
    # a greedy difference only ever at a near tie: HF's own margin below the logits' error
    for row in report["prompts"]:
        for tie in row["disagreements"]:
            assert tie["hf_margin"] <= 2 * row["max_logit_diff"]
    print(
        f"\n{family} {quant}: relative logit diff {report['relative_logit_diff']:.2e}, "
        f"same greedy tokens {report['same_tokens']}/3, near ties {report['disagreements']}"
    )


BROKEN = {
    "llama3-rope-layout": ("llama3", "permute_rope"),
    "llama3-rope-scaling": ("llama3", "freq_factors"),
    "qwen2-biases": ("qwen2", "biases"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_conversion_fails_parity(store, monkeypatch, case):
    """Each of these loads and runs in llama.cpp, and answers differently: parity must say so."""
    llama_cpp_or_skip()
    import numpy as np

    import forge.export.gguf_writer as writer
    from forge.export.gguf import GGUFConfig, run_gguf_export
    from forge.export.parity import ParityError

    family, what = BROKEN[case]
    if what == "permute_rope":
        monkeypatch.setattr(writer, "permute_rope", lambda w, n: w)
    elif what == "freq_factors":
        monkeypatch.setattr(writer.RopeScaling, "freq_factors", lambda self, d, t: [1.0] * (d // 2))
    else:
        tensors = writer._tensors
        monkeypatch.setattr(
            writer,
            "_tensors",
            lambda d, f: ((n, np.zeros_like(a) if n.endswith(".bias") else a) for n, a in tensors(d, f)),
        )
    with pytest.raises(ParityError, match="logits differ by"):
        run_gguf_export(store, family_base(family), GGUFConfig(quant="f16", parity_prompts=1, parity_max_new_tokens=8))


@pytest.mark.parametrize("family", ["qwen2", "llama3"])
def test_infer_from_the_gguf_answers_like_hf(exported, family):
    """`forge infer --mode gguf` renders the template stored in the GGUF and stops on
    llama.cpp's end-of-generation tokens: the same reply text as HF generation (F16 near ties
    aside: the file here is F32)."""
    llama_cpp_or_skip()
    from forge.export.infer import infer_gguf, infer_hf, tool_format

    base, path, _ = exported[family]
    messages = [
        {"role": "system", "content": "You are a polecat."},
        {"role": "user", "content": "List the open beads."},
    ]
    tools = [
        {
            "type": "function",
            "function": {
                "name": "bd_list",
                "description": "List beads.",
                "parameters": {"type": "object", "properties": {"status": {"type": "string"}}},
            },
        }
    ]
    assert infer_gguf(path, messages, tools, 12) == infer_hf(str(base), [], messages, tools, 12)
    want = {"qwen2": "hermes", "llama3": "llama3"}[family]
    assert tool_format("gguf", path) == tool_format("hf", base) == want
