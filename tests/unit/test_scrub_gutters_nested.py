"""Files shown with a gutter (numbered, quoted, boxed, in a diff) and JSON held in JSON strings:
the rules that read a file line by line see through both (scrub/gutters.py, nested_json.py)."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines
from forge.scrub.gutters import gutter_style
from forge.scrub.nested_json import scrub_nested

# made-up values, in each file's format
NETRC = "machine api.example.dev\n  login deploy\n  password Zq8-u3XKhpimMHlJvX\n"
PGPASS = "db.internal:5432:beads:beads_rw:Pg-zu0HxlG7QVe7mr\n"
SECRET_YAML = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: refinery-db\ntype: Opaque\ndata:\n"
    "  username: J6GcPUFmS/ial8Gf==\n  password: c3VwZXItc2VjcmV0LXB3ZA==\n"
)
ENV = "DB_HOST=db.internal\nDB_PASS=sunshine\nREACT_APP_AUTH_PASSWORD=whiteduke\n"  # literals: plain words count
GRADLE = 'credentials {\n    username "deploy"\n    password "sunshine"\n}\n'
XML_ENTRY = "<entry>\n    <key>db_password</key>\n    <value>Zq8-u3XKhpimMHlJvX</value>\n</entry>\n"
LDAP_CALL = 'var entry = new DirectoryEntry("LDAP://corp.example.com",\n    "svc_ldap",\n    "Pg-zu0HxlG7QVe7mr");\n'
FILES = {
    "env": (ENV, ["sunshine", "whiteduke"]),
    "gradle": (GRADLE, ["sunshine"]),
    "ldap call": (LDAP_CALL, ["Pg-zu0HxlG7QVe7mr"]),
    "netrc": (NETRC, ["Zq8-u3XKhpimMHlJvX"]),
    "pgpass": (PGPASS, ["Pg-zu0HxlG7QVe7mr"]),
    "secret": (SECRET_YAML, ["J6GcPUFmS/ial8Gf==", "c3VwZXItc2VjcmV0LXB3ZA=="]),
    "xml entry": (XML_ENTRY, ["Zq8-u3XKhpimMHlJvX"]),
}
GUTTERS = {
    "Claude Code's Read": lambda i: f"{i + 1:>6}→",
    "cat -n": lambda i: f"{i + 1:>6}\t",
    "grep -n": lambda i: f"{i + 1}:",
    "a Markdown quote (Aider's log)": lambda i: "> ",
    "a panel's edge": lambda i: "│ ",
    "a diff": lambda i: "+",
}


def _shown(text: str, gutter) -> str:
    return "\n".join(gutter(i) + line for i, line in enumerate(text.rstrip("\n").split("\n")))


@pytest.mark.parametrize("gutter", sorted(GUTTERS))
@pytest.mark.parametrize("name", sorted(FILES))
def test_a_file_shown_with_a_gutter_loses_its_secrets_as_text_and_in_a_transcript_line(name, gutter):
    text, secrets = FILES[name]
    shown = _shown(text, GUTTERS[gutter])
    clean = Scrubber().scrub_text(shown)
    assert not [s for s in secrets if s in clean]
    assert clean.count("<SECRET:") == len(secrets)
    # the same output inside a Claude Code tool result (newlines, tabs and quotes JSON-escaped)
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": shown}]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert not [s for s in secrets if s in clean_line]
    assert json.loads(clean_line)["message"]["content"][0]["content"] == clean


def test_gutter_styles_are_read_off_the_first_line_and_nothing_else_is_one():
    assert gutter_style("     4→").fullmatch("    12→")
    assert gutter_style("> ").match(">   password: x").end() == 2
    for not_a_gutter in ("", "  ", "kind", "apiVersion: v1 "):
        assert gutter_style(not_a_gutter) is None


def test_a_secret_yaml_indented_under_a_gutter_keeps_its_keys_and_only_its_values_go():
    clean = Scrubber().scrub_text(_shown(SECRET_YAML, GUTTERS["Claude Code's Read"]))
    assert "     7→  username: <SECRET:kubernetes_secret>" in clean
    assert "     4→  name: refinery-db" in clean


def test_json_in_a_json_string_is_scrubbed_as_the_text_it_holds_and_the_line_stays_valid():
    """Codex writes a call's output as JSON in a string: a Secret manifest printed by the call is
    escaped twice in the rollout line."""
    output = json.dumps({"output": SECRET_YAML + "\n" + NETRC, "metadata": {"exit_code": 0}})
    line = json.dumps({"type": "response_item", "payload": {"type": "function_call_output", "output": output}})
    assert "\\\\n" in line  # the manifest's line breaks, escaped twice
    s = Scrubber()
    (clean,) = scrub_json_lines([line], s)
    for secret in ("J6GcPUFmS/ial8Gf==", "c3VwZXItc2VjcmV0LXB3ZA==", "Zq8-u3XKhpimMHlJvX"):
        assert secret not in clean
    inner = json.loads(json.loads(clean)["payload"]["output"])
    assert inner["metadata"] == {"exit_code": 0}
    assert "  username: <SECRET:kubernetes_secret>" in inner["output"]
    # idempotent, and a line with nothing in it is left byte for byte
    assert scrub_json_lines([clean], Scrubber()) == [clean]
    plain = json.dumps({"payload": {"output": json.dumps({"output": "ok\nall good\n"})}})
    assert scrub_json_lines([plain], Scrubber()) == [plain]


def test_nesting_is_followed_three_levels_deep_and_no_further():
    text = NETRC
    for _ in range(3):
        text = json.dumps({"out": text})
    clean = scrub_nested(text, Scrubber())
    assert "Zq8-u3XKhpimMHlJvX" not in clean
    for _ in range(3):
        clean = json.loads(clean)["out"]
    assert clean == NETRC.replace("Zq8-u3XKhpimMHlJvX", "<SECRET:password>")


# made-up tokens of real formats, each the first thing on its line
LINE_START_TOKENS = [
    "AKIA4QX7RZ2MNB5KLW3E",
    "ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6",
    "sk-proj-Vq7rT2mK9xLp4ZsW8nB3Vq7rT2mK9xLp4ZsW8nB3T3BlbkFJVq7rT2mK9xLp4ZsW8nB3",
    "hvs.CAESIVq7rT2mK9xLp4ZsW8nB3Vq7rT2mK9xLp4ZsW8nB3",
    "sk_live_51HVq7rT2mK9xLp4ZsW8nB3Vq7rT2mK9xLp4ZsW8nB3",
]


@pytest.mark.parametrize("token", LINE_START_TOKENS)
@pytest.mark.parametrize("mark", ["→", "│ "])
def test_a_token_right_after_a_json_escaped_gutter_mark_is_caught(token, mark):
    """A JSON writer that escapes non-ASCII writes Read's arrow as \\u2192: its last digit must not
    glue to the token after it (the rule engine wants a word boundary there)."""
    line = json.dumps({"content": f"     1{mark}# token\n     2{mark}{token}\n"})
    assert "\\u2192" in line or "\\u2502" in line
    assert token not in Scrubber().scrub_text(line)


def test_json_in_a_json_string_is_read_as_text_on_the_way_to_a_dataset_too():
    """A session file the agent read (a Codex rollout line whose output is JSON in a string) in a
    tool message: ingest scrubs the inner text as forge scrub does (it leaked the .netrc password)."""
    from forge.records import Conversation, Message, SourceRef, ToolCall

    netrc = "machine api.example.com\n  login deploy\n  password marmalade\n"
    inner = json.dumps({"output": netrc, "metadata": {"exit_code": 0}})
    line = json.dumps({"type": "response_item", "payload": {"type": "function_call_output", "output": inner}})
    conv = Conversation(
        id="c",
        source=SourceRef("s.jsonl", 1),
        messages=[
            Message("assistant", "", tool_calls=[ToolCall("t1", "Read", {"file_path": "rollout.jsonl"})]),
            Message("tool", line + "\n", tool_call_id="t1", name="Read"),
        ],
    )
    scrubber = Scrubber()
    clean = scrubber.scrub_conversation(conv).messages[1].content
    assert "marmalade" not in clean and json.loads(clean)["payload"]["type"] == "function_call_output"
    assert scrubber.report()["total"] == 1
