"""Tokens a terminal split: colour codes inside one (grep --color highlights its match), or a
line cut at the pane's width (tmux capture-pane -p without -J, a `script` log).

Each is caught whole in plain text, in a Claude Code transcript line (codes and line breaks
JSON-escaped) and in a conversation; codes and lines around a token stay. Benign values split the
same way, and ordinary lines, stay as they are. All tokens below are made up.
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


# --- lines a terminal cut at its width -----------------------------------------------------------


def pane(text: str, width: int = 80) -> str:
    """text as a pane `width` columns wide shows it: each line cut every `width` characters."""
    return "\n".join(line[i : i + width] for line in text.split("\n") for i in range(0, max(len(line), 1), width))


def wrap_case(line: str, token: str, kind: str, width: int = 80, before: str = "$ ", after: str = "$ ") -> tuple:
    """(text, scrubbed): `line` (holding `token`) shown in a pane between two prompt lines; the
    token, with the breaks inside it, becomes its placeholder."""
    start = line.index(token)
    end = start + len(token)
    shown = pane(line, width)
    a, b = start + start // width, end - 1 + (end - 1) // width + 1  # (each cut adds a break)
    assert "\n" in shown[a:b], "the pane must cut the token"
    return f"{before}\n{shown}\n{after}", f"{before}\n{shown[:a]}<SECRET:{kind}>{shown[b:]}\n{after}"


def export_line(name: str, token: str, into: int, width: int = 80) -> str:
    """A shell line ending `export name=token`, the pane's edge `into` characters into the token."""
    # (a CI runner's prompt: its user is no person's, so the prompt stays as it is)
    head = "runner@ci-01:~/src/api$ cd ~/src/services/payments-api/deploy/staging/eu-west-1/current/infra/"
    tail = f" && export {name}={token}"
    return head[: width - into - len(tail) + len(token)] + tail


def service_account_line(pem: str) -> str:
    """`jq -c . sa.json`: the key's label is cut at column 80 (its newlines are the two
    characters \\n here, as in the file)."""
    key = pem.replace("\n", "\\n")
    head = '{"type":"service_account","project_id":"demo-'
    rest = '","private_key":"'
    fill = 80 - len(head) - len(rest) - len("-----BEGIN PRIV")
    return f'{head}{"1" * fill}{rest}{key}\\n","client_id":"104577212345678901234"}}'


def wrap_cases() -> list[tuple[str, str, str]]:
    t = TOKENS
    pem = f"-----BEGIN PRIVATE KEY-----\n{BODY}\n-----END PRIVATE KEY-----"
    cases = {
        "aws_access_key": wrap_case(
            export_line("AWS_ACCESS_KEY_ID", t["aws_access_key"], 8), t["aws_access_key"], "aws_access_key"
        ),
        "github_token": wrap_case(
            export_line("GITHUB_TOKEN", t["github_token"], 22), t["github_token"], "github_token"
        ),
        "slack_token": wrap_case(export_line("SLACK_BOT_TOKEN", t["slack_token"], 31), t["slack_token"], "slack_token"),
        # a pane of any width, where the value found before the break (a key's, `secret`) and
        # the next line make a provider's token
        "github_token-any-width": wrap_case(
            f"export GITHUB_TOKEN={t['github_token']}", t["github_token"], "github_token", width=42
        ),
        # bare on their own lines, long enough for a pane to cut twice: at 80 columns, and in a
        # narrow split pane (70 and 60 columns: any width, as the lines cut are as wide)
        "openai_key": wrap_case(t["openai_key"], t["openai_key"], "openai_key"),
        "openai_key-70": wrap_case(t["openai_key"], t["openai_key"], "openai_key", width=70),
        "jwt": wrap_case(t["jwt"], t["jwt"], "jwt", before="$ cat .token"),
        "jwt-60": wrap_case(t["jwt"], t["jwt"], "jwt", width=60, before="$ cat .token"),
        "private_key": wrap_case(service_account_line(pem), pem.replace("\n", "\\n"), "private_key"),
    }
    return [(name, *case) for name, case in cases.items()]


WRAPS = wrap_cases()


@pytest.mark.parametrize(("text", "clean"), [c[1:] for c in WRAPS], ids=[c[0] for c in WRAPS])
def test_a_token_a_terminal_cut_at_its_width_is_caught_whole_in_plain_text(text, clean):
    s = Scrubber()
    assert s.scrub_text(text) == clean
    assert s.scrub_text(clean) == clean


@pytest.mark.parametrize(("text", "clean"), [c[1:] for c in WRAPS], ids=[c[0] for c in WRAPS])
def test_a_token_a_terminal_cut_at_its_width_is_caught_in_a_transcript_line(tmp_path, text, clean):
    src, out, again = tmp_path / "s.jsonl", tmp_path / "out.jsonl", tmp_path / "again.jsonl"
    src.write_text(tool_result_line(text) + "\n")
    assert scrub_file(src, out, Scrubber()) >= 1
    assert content_of(out.read_text()) == clean
    assert scrub_file(out, again, Scrubber()) == 0 and again.read_text() == out.read_text()


def test_tokens_a_terminal_cut_are_caught_in_a_conversation():
    messages = [Message("tool", text, tool_call_id="t1", name="bash") for _, text, _ in WRAPS]
    clean, _ = Scrubber().scrub_conversation_tallied(Conversation("c", messages, SourceRef("x", 1)))
    assert [m.content for m in clean.messages] == [c for _, _, c in WRAPS]


def test_a_token_cut_with_colour_codes_in_its_line_is_caught_whole():
    """tmux capture-pane -p -e: the codes take no room, so the line is still the pane's width."""
    token = TOKENS["github_token"]
    text, clean = wrap_case(export_line("GITHUB_TOKEN", token, 22), token, "github_token")
    coloured, expected = (x.replace("runner@ci-01", "\x1b[1;32mrunner@ci-01\x1b[0m") for x in (text, clean))
    assert Scrubber().scrub_text(coloured) == expected


WRAP_KEPT = [
    # a line that is not the pane's width: what follows it is no part of its value (joined, no
    # stronger candidate shows than the one that ended at the break)
    "password = hunter2secret\nnext line",
    f"export GITHUB_TOKEN={TOKENS['github_token']}\nDone",
    f"SLACK_BOT_TOKEN={TOKENS['slack_token']}\nrestarting bot",
    # full-width lines of prose, a table, a listing: nothing in them is a secret, joined or not
    "The migration rewrites every row of the accounts table and takes about ten minu\ntes on staging",
    "\n".join(f"api-7d9f8b6c5-x2x4{i}        1/1     Running   0          41d" for i in range(4)),
    "\n".join(f"deploy/worker-{i}   3/3     3            3           12d     worker-{i}-v2" for i in range(4)),
]


@pytest.mark.parametrize("text", WRAP_KEPT)
def test_ordinary_lines_keep_what_follows_them(text):
    clean = Scrubber().scrub_text(text)
    assert clean.split("\n")[1:] == text.split("\n")[1:]
    line = tool_result_line(text)
    assert content_of(Scrubber().scrub_text(line)).split("\n")[1:] == text.split("\n")[1:]


def test_once_a_pane_shows_its_width_every_line_of_it_is_read_so():
    """A token whose prefix the pane cut (sk|-proj-...) shows no anchor on its line; the text is
    a pane's (a JWT cut at 80 columns above it), so every line as wide is joined."""
    jwt, key = TOKENS["jwt"], TOKENS["openai_key"]
    prompt = f"{'$ echo $OPENAI_API_KEY':<78}"  # the key starts two columns before the edge
    text = pane(f"$ cat .token\n{jwt}\n{prompt}{key}\n$ ")
    assert "sk\n-proj" in text
    assert Scrubber().scrub_text(text) == f"$ cat .token\n<SECRET:jwt>\n{prompt}<SECRET:openai_key>\n$ "


def test_a_line_that_starts_with_a_token_of_its_own_is_not_joined_to_the_one_before():
    """A full line that happens to end with a whole token, then a line that starts another
    (its prefix an anchor): two tokens, neither eats the other's start."""
    slack, github = TOKENS["slack_token"], TOKENS["github_token"]
    line = f"{'SLACK_BOT_TOKEN':<26}{slack}"
    assert len(line) == 80
    text = f"{line}\n{github}\n"
    assert Scrubber().scrub_text(text) == f"{'SLACK_BOT_TOKEN':<26}<SECRET:slack_token>\n<SECRET:github_token>\n"


def test_a_tab_takes_the_columns_to_the_next_tab_stop():
    """A line indented with a tab is as wide on screen as the pane though shorter in the text."""
    token = TOKENS["github_token"]
    line = f"\t{'x' * 54} {token}"  # 8 + 55 columns, then 17 of the token to the pane's edge
    text = f"{line[:73]}\n{line[73:]}\n$ "
    clean = f"{line[:56]}<SECRET:github_token>\n$ "
    assert Scrubber().scrub_text(text) == clean
    assert content_of(Scrubber().scrub_text(tool_result_line(text))) == clean


def test_scrubbing_again_joins_no_line_the_first_scrub_kept_apart():
    """A placeholder is shorter than the token it stands for: a line 99 columns wide as shown is
    80 once scrubbed, and must not then read as a pane's, joining the next line to its end."""
    token = TOKENS["github_token"]
    head = f"gh-tool --token {token} run "
    pad = 80 - len(head) + len(token) - len("<SECRET:github_token>") - len(" @SKIP_PASS=true")
    text = f"{head}{'x' * pad} @SKIP_PASS=true\nDB_PASSWORD=${{DB_PASSWORD}}\nBYPASS=on"
    s = Scrubber()
    once = s.scrub_text(text)
    assert len(once.split("\n")[0]) == 80 and once.endswith("@SKIP_PASS=true\nDB_PASSWORD=${DB_PASSWORD}\nBYPASS=on")
    assert s.scrub_text(once) == once


def test_an_env_file_line_that_fills_the_width_keeps_the_next_setting_apart():
    """A 64-character value under a 16-character name fills 80 columns: the next line sets the
    next variable (TOTP_VAULT_KEY=...), no token's tail; its name stays, its value is its own."""
    value = "HVQfbCVjuLNALmESj8PZlNarTeENR4+clBor02ABd+Lh6oL8nPlCKUEIhVxO6ncQ"  # made up (hash-derived)
    text = f"SECRET_KEY_BASE={value}\nTOTP_VAULT_KEY=iPP5P7gD80oaoUusyvt3kxV/8G43HiItwNchVxBIT8M=\nPORT=8000"
    assert len(text.split("\n")[0]) == 80
    expected = "SECRET_KEY_BASE=<SECRET:secret>\nTOTP_VAULT_KEY=<SECRET:secret>\nPORT=8000"
    assert Scrubber().scrub_text(text) == expected
    assert content_of(Scrubber().scrub_text(tool_result_line(text))) == expected
