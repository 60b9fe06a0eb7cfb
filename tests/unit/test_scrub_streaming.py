"""`forge scrub` streams big files in blocks: a secret across a block boundary is still caught."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_file

BODY = [
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
    "5Bf2aQ8vHCk3pL0nR7xJm4sT9wYc2uE6gIoKbD1fVh3ZqN8yXrA5tMjWlPeO0iSd",
] * 8
PEM = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(BODY) + "\n-----END RSA PRIVATE KEY-----"
TOKEN = "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefABCDEFghijklmnopQRSTUVwxyz012345"
BLOCK, OVERLAP = 4096, 2048  # small blocks so that the file has several; the overlap > the PEM


def _filler(n: int) -> str:
    line = "INFO build step ok, nothing secret here at all\n"
    return (line * (n // len(line) + 1))[:n]


def _scrub(tmp_path, text: str, name: str = "log.txt") -> tuple[str, int]:
    src, dest = tmp_path / name, tmp_path / ("out-" + name)
    src.write_text(text, encoding="utf-8", newline="")
    n = scrub_file(src, dest, Scrubber(), block_chars=BLOCK, overlap=OVERLAP)
    return dest.read_text(encoding="utf-8"), n


@pytest.mark.parametrize("into", [0, 1, 31, 200, len(PEM) // 2, len(PEM) - 30, len(PEM) - 1])
def test_pem_key_across_the_block_boundary(tmp_path, into):
    # the boundary (BLOCK characters from the start) falls `into` characters inside the key
    before = _filler(BLOCK - into)
    text = before + PEM + "\n" + _filler(3 * BLOCK)
    out, n = _scrub(tmp_path, text)
    assert not any(line in out for line in BODY) and "END RSA" not in out
    assert out == before + "<SECRET:private_key>\n" + _filler(3 * BLOCK) and n == 1


@pytest.mark.parametrize("into", [0, 1, 11, 40, len(TOKEN) - 1])
def test_long_token_across_the_block_boundary(tmp_path, into):
    before = _filler(BLOCK - into)[:-1] + " "
    text = before + TOKEN + " more\n" + _filler(2 * BLOCK)
    out, n = _scrub(tmp_path, text)
    assert TOKEN[:20] not in out and TOKEN[-20:] not in out
    assert out == before + "<SECRET:github_token> more\n" + _filler(2 * BLOCK) and n == 1


def test_one_long_line_many_blocks(tmp_path):
    # no newline anywhere: cuts fall wherever, and still never inside a secret
    pieces = [f"k{i}=v " * 97 + TOKEN + " " for i in range(12)]
    out, n = _scrub(tmp_path, "".join(pieces))
    assert TOKEN[:20] not in out and out.count("<SECRET:github_token>") == 12 == n


def test_jsonl_lines_are_whole_records(tmp_path):
    rows = [{"i": i, "out": f"line {i}\n{PEM if i % 7 == 3 else ''}\nexport T={TOKEN}"} for i in range(40)]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    out, n = _scrub(tmp_path, text, "s.jsonl")
    back = [json.loads(x) for x in out.splitlines()]
    assert [r["i"] for r in back] == list(range(40))
    assert all(TOKEN not in r["out"] and "MIIEow" not in r["out"] for r in back)
    assert n == 40 + sum(1 for i in range(40) if i % 7 == 3)


def test_default_blocks_pem_across_the_stream_block_boundary(tmp_path):
    # with the default sizes: text streams in STREAM_BLOCK_CHARS blocks, and a key on the first
    # boundary is still seen whole
    from forge.scrub.files import STREAM_BLOCK_CHARS

    before = _filler(STREAM_BLOCK_CHARS - len(PEM) // 2)
    text = before + PEM + "\n" + _filler(STREAM_BLOCK_CHARS)
    src, dest = tmp_path / "big.log", tmp_path / "out.log"
    src.write_text(text, encoding="utf-8", newline="")
    assert scrub_file(src, dest, Scrubber()) == 1
    assert dest.read_text(encoding="utf-8") == before + "<SECRET:private_key>\n" + _filler(STREAM_BLOCK_CHARS)
