"""The tiny bases' pre-training text is the committed text, so every machine trains on the same
documents (it used to be the host Python's stdlib, which differs by install and patch release)."""

import hashlib
import json
import sysconfig

from forge.models.tiny_corpus import TEXT_DIR, pretraining_documents, read_texts, tldr_examples

# sha256 of json.dumps(pretraining_documents(80_000, 0.3, 0)), the tests' FAST_BASE corpus.
# Changing the text or tiny_corpus.py changes it on purpose; anything host-dependent would make
# it differ between machines, which CI (a fresh machine) would show.
FAST_CORPUS_SHA256 = "20d6d8edad8e04dbb9e5da9246f497d6a89dba1b30bd18bd4839038eaa9a6153"


def digest(docs):
    return hashlib.sha256(json.dumps(docs).encode()).hexdigest()


def test_corpus_is_the_committed_text_and_reads_nothing_from_the_host(monkeypatch, tmp_path):
    assert digest(pretraining_documents(80_000, 0.3, 0)) == FAST_CORPUS_SHA256
    # Point the interpreter's stdlib somewhere empty: nothing changes.
    monkeypatch.setattr(sysconfig, "get_paths", lambda *a, **k: {"stdlib": str(tmp_path)})
    read_texts.cache_clear()
    assert digest(pretraining_documents(80_000, 0.3, 0)) == FAST_CORPUS_SHA256


def test_corpus_mixes_shell_prose_chats_and_json_within_budget():
    docs = pretraining_documents(200_000, 0.3, 1)
    chats = [d for d in docs if d.startswith("<|im_start|>system")]
    schemas = [d for d in docs if d.startswith('{"type": "function"')]
    shell = [d for d in docs if d.startswith("# ")]
    assert chats and schemas and shell and len(docs) > len(chats) + len(schemas) + len(shell)  # + PEP prose
    chat_chars = sum(map(len, chats))
    assert 0.25 < chat_chars / 200_000 < 0.35
    assert not any("<tool_call>" in d for d in docs)  # the base has never seen a tool call
    assert (TEXT_DIR / "SOURCES.md").is_file()


def test_tldr_examples_pair_each_description_with_its_command():
    page = "# tar\n# Archiving utility.\n\n# Create an archive from files:\ntar cf target.tar file1 file2\n"
    assert list(tldr_examples(page)) == [("tar", "create an archive from files", "tar cf target.tar file1 file2")]
    assert sum(1 for p in read_texts("tldr") for _ in tldr_examples(p)) > 20_000
