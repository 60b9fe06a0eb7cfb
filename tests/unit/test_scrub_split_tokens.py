"""Tokens a terminal split: colour codes inside one (grep --color highlights its match).

Each is caught whole in plain text, in a Claude Code transcript line (the codes JSON-escaped, as
\\u001b) and in a conversation; codes around a token stay. Benign values split the same way stay
as they are. All tokens below are made up.
"""

from __future__ import annotations

import json

import pytest

from forge.records import Conversation, Message, SourceRef
from forge.scrub import Scrubber
from forge.scrub.files import scrub_file

BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"
TOKENS = {  # kind: token
    "aws_access_key": "AKIAUQ2A3Q81998Z5VX3",
    "github_token": "ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6",
    "slack_token": "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "openai_key": "sk-proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3" * 2 + "T3BlbkFJ" + "Zz9Yy8Xx7Ww6Vv5Uu4Tt3" * 3,
    "jwt": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0Ijox"
    "NTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "private_key": f"-----BEGIN PRIVATE KEY-----\n{BODY}\n{BODY}\n-----END PRIVATE KEY-----",
}
HI, LO = "\x1b[01;31m\x1b[K", "\x1b[m\x1b[K"  # what grep --color=always puts around a match


def grep_colour(token: str, start: int, end: int) -> str:
    return f"{token[:start]}{HI}{token[start:end]}{LO}{token[end:]}"


def cases() -> list[tuple[str, str, str]]:
    """(id, text, scrubbed) for each kind: grep's match at the token's start (its pattern: the
    first four characters) and inside it; the codes before the token stay."""
    out = []
    for kind, token in TOKENS.items():
        first = token.index("BEGIN") if kind == "private_key" else 0
        kept = HI if first == 0 else ""
        at_start = grep_colour(token, first, first + 4)
        out.append((f"{kind}-match-at-start", f"a.env:{at_start} # prod\n", f"a.env:{kept}<SECRET:{kind}> # prod\n"))
        inside = grep_colour(token, first + 12, first + 17)
        out.append((f"{kind}-match-inside", f"out: {inside} done", f"out: <SECRET:{kind}> done"))
    return out


CASES = cases()


def tool_result_line(text: str) -> str:
    """A Claude Code transcript line holding a tool's output (json.dumps writes ESC as \\u001b)."""
    return json.dumps(
        {
            "type": "user",
            "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": text}]},
        }
    )


def content_of(line: str) -> str:
    return json.loads(line)["message"]["content"][0]["content"]


@pytest.mark.parametrize(("text", "clean"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_token_split_by_colour_codes_is_caught_whole_in_plain_text(text, clean):
    s = Scrubber()
    assert s.scrub_text(text) == clean
    assert s.scrub_text(clean) == clean


@pytest.mark.parametrize(("text", "clean"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_token_split_by_colour_codes_is_caught_in_a_transcript_line(tmp_path, text, clean):
    src, out, again = tmp_path / "s.jsonl", tmp_path / "out.jsonl", tmp_path / "again.jsonl"
    line = tool_result_line(text)
    assert "\\u001b[" in line
    src.write_text(line + "\n" + json.dumps({"type": "summary"}) + "\n")
    assert scrub_file(src, out, Scrubber()) == 1
    lines = out.read_text().splitlines()
    assert content_of(lines[0]) == clean and json.loads(lines[1]) == {"type": "summary"}
    assert scrub_file(out, again, Scrubber()) == 0 and again.read_text() == out.read_text()


def test_tokens_split_by_colour_codes_are_caught_in_a_conversation():
    texts = [text for _, text, _ in CASES]
    conv = Conversation(
        "c", [Message("tool", text, tool_call_id="t1", name="bash") for text in texts], SourceRef("x", 1)
    )
    clean, tally = Scrubber().scrub_conversation_tallied(conv)
    assert [m.content for m in clean.messages] == [c for _, _, c in CASES]
    assert sum(tally.by_kind.values()) == len(CASES)


KEPT = [
    # git log --color: a commit's hash is no secret, whatever splits it
    "\x1b[33mcommit 9fceb02d0ae598e95dc970b74767f19372d61af8\x1b[m\nAuthor: A <a@example.com>",
    f"\x1b[33mcommit 9fceb02d0ae{HI}598e95dc{LO}970b74767f19372d61af8\x1b[m\x1b[33m (\x1b[1;36mHEAD\x1b[m)",
    # words in colour: ls --color, a test runner
    "\x1b[0m\x1b[01;34msrc\x1b[0m  \x1b[01;32mbuild.sh\x1b[0m  README.md",
    "tests/test_api.py::test_login \x1b[32mPASSED\x1b[0m\x1b[32m [ 50%]\x1b[0m",
    "\x1b[1mpassword\x1b[0m: \x1b[2m(not set)\x1b[0m",
]


@pytest.mark.parametrize("text", KEPT)
def test_benign_values_split_by_colour_codes_stay(text):
    assert Scrubber().scrub_text(text) == text
    line = tool_result_line(text)
    assert Scrubber().scrub_text(line) == line


def test_a_code_right_before_a_token_is_still_a_boundary():
    """Shown, ABCDEF and the token touch; read as it is, the code parts them: either finds it."""
    token = TOKENS["github_token"]
    for code in ("\x1b[1G", "\x1b[31m"):  # a cursor move (to column 1), a colour
        assert Scrubber().scrub_text(f"ABCDEF{code}{token}") == f"ABCDEF{code}<SECRET:github_token>"


def test_an_allowlisted_token_split_by_colour_codes_stays():
    token = TOKENS["github_token"]
    text = f"out: {grep_colour(token, 4, 9)} done"
    assert Scrubber(allowlist=[token]).scrub_text(text) == text
