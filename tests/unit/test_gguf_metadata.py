"""Reading a GGUF file's metadata without parsing the file whole (forge/models/gguf_metadata.py),
checked against the gguf package's own reader on llama.cpp's real vocabulary files (from the
llama-cpp-python sdist, MIT; `make llama-models`), and on broken files."""

from __future__ import annotations

import struct

import pytest

from forge.errors import InputError
from forge.models.gguf_metadata import gguf_metadata
from forge.models.templates import read_template
from real_models import llama_models_dir

# small enough for gguf's reader to parse in a second or two (Phi-3's 32k tokens, SentencePiece
# Llama's), one with a chat template and one without, scores (float arrays) and token types
FILES = ("ggml-vocab-phi-3.gguf", "ggml-vocab-llama-spm.gguf")


@pytest.mark.parametrize("name", FILES)
def test_every_value_is_what_the_gguf_package_reads(name):
    import gguf

    path = llama_models_dir() / name
    expected = {k: f.contents() for k, f in gguf.GGUFReader(str(path)).fields.items() if not k.startswith("GGUF.")}
    assert len(expected) > 15
    got = gguf_metadata(path, set(expected))
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, float):  # (stored as float32 both ways: the same float)
            assert got[key] == pytest.approx(value, rel=0, abs=0), key
        else:
            assert got[key] == value, key


def test_a_real_template_is_read_and_a_missing_key_left_out():
    path = llama_models_dir() / "ggml-vocab-qwen2.gguf"
    template = read_template(path)
    assert template is not None and "<|im_start|>" in template
    assert gguf_metadata(path, {"no.such.key", "general.architecture"}) == {"general.architecture": "qwen2"}
    assert read_template(llama_models_dir() / "ggml-vocab-llama-spm.gguf") is None


def _header(version: int = 3, kv: int = 1) -> bytes:
    return b"GGUF" + struct.pack("<IQQ", version, 0, kv)


def _string(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def test_small_written_file_with_every_kind_of_value(tmp_path):
    body = (
        _string("a.u32") + struct.pack("<II", 4, 7)
        + _string("a.names") + struct.pack("<IIQ", 9, 8, 2) + _string("x") + _string("yz")
        + _string("a.nested") + struct.pack("<IIQ", 9, 9, 2)
        + struct.pack("<IQ", 0, 1) + b"\x05" + struct.pack("<IQ", 0, 0)
        + _string("a.flag") + struct.pack("<I?", 7, True)
        + _string("a.text") + struct.pack("<I", 8) + _string("héllo")
    )  # fmt: skip
    path = tmp_path / "m.gguf"
    path.write_bytes(_header(kv=5) + body)
    assert gguf_metadata(path, {"a.u32", "a.text", "a.flag"}) == {"a.u32": 7, "a.text": "héllo", "a.flag": True}
    assert gguf_metadata(path, {"a.names", "a.nested"}) == {"a.names": ["x", "yz"], "a.nested": [[5], []]}


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"", "it is empty"),
        (b"PK\x03\x04" + bytes(30), "no GGUF magic"),
        (_header(version=1), "GGUF version 1"),
        (b"GGUF" + struct.pack(">IQQ", 3, 0, 1), "big-endian"),
        (_header() + _string("tokenizer.chat_template")[:-4], "cut off"),
        (_header() + _string("k") + struct.pack("<IIQ", 9, 8, 1000) + _string("only one"), "cut off"),
        (_header() + _string("k") + struct.pack("<I", 42), "unknown type 42"),
    ],
    ids=["empty", "zip", "v1", "big-endian", "cut-in-key", "cut-in-array", "unknown-type"],
)
def test_broken_files_are_refused_naming_the_file(tmp_path, data, problem):
    path = tmp_path / "broken.gguf"
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        gguf_metadata(path, {"tokenizer.chat_template", "k"})
    assert problem in str(err.value) and str(path) in str(err.value)
