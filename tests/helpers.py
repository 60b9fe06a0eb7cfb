"""Helpers shared by the tests (fixtures live in conftest.py): tiny-base sizes, free ports, llama.cpp."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from forge.models.tiny_base import TinyBaseConfig

# The tiny base the training tests share: big enough that a few LoRA steps visibly learn,
# small enough to pretrain in seconds on CPU (cached per FORGE_HOME like any base).
FAST_BASE = TinyBaseConfig(
    vocab_size=700, corpus_chars=80_000, pretrain_steps=20, pretrain_batch=4, pretrain_seq_len=64
)
# Smaller still, for tests that only need a loadable model (merge, serve), not one that learns.
SMALL_BASE = TinyBaseConfig(
    vocab_size=600, corpus_chars=60_000, pretrain_steps=8, pretrain_batch=2, pretrain_seq_len=64
)


def free_port() -> int:
    """A port nothing listens on right now, for a server the test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def llama_cpp_or_skip() -> None:
    """Skip without llama-cpp-python; fail instead under FORGE_REQUIRE_LLAMA_CPP=1 (CI)."""
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        if os.environ.get("FORGE_REQUIRE_LLAMA_CPP"):
            pytest.fail("llama-cpp-python is required here (FORGE_REQUIRE_LLAMA_CPP=1): make llama-cpp")
        pytest.skip("llama-cpp-python is not installed (make llama-cpp)")


def scrubbed_in_transcript_lines(tmp_path: Path, text: str) -> dict[str, str]:
    """text as a Claude Code tool result in three places of a JSONL line (the string's start,
    after a line, indented after a line), scrubbed as `forge scrub` reads the file: as JSON text,
    where quotes are \\", newlines \\n and tabs \\t. Returns place -> the scrubbed text."""
    from forge.scrub import Scrubber
    from forge.scrub.files import scrub_file

    places = {"string start": text, "after a line": "$ cat creds\n" + text, "indented": "out:\n\t" + text}
    src, out = tmp_path / "session.jsonl", tmp_path / "out.jsonl"
    src.write_text(
        "".join(
            json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": t}]}}) + "\n"
            for t in places.values()
        )
    )
    scrub_file(src, out, Scrubber())
    lines = out.read_text().splitlines()
    assert len(lines) == len(places)
    return {place: json.loads(line)["message"]["content"][0]["content"] for place, line in zip(places, lines)}
