"""A secret found in a file's text is found however a session shows that text: in a Markdown
code fence, a heredoc, a diff's added lines, grep -rn's output, the line after a sentence, a
numbered Read, indented by a tab, an application log's lines. Bare and inside a transcript line,
where line breaks and tabs are JSON escapes (\\n, \\t) that glue to the token after them. The
values are made up, in each format."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

PW = "Tr0ub4dor-x9Qz"
CASES = {
    "discord bot token": ("NzY1NDMyMTA5ODc2NTQzMjEw.Gh7kQz.Xq2W7eR4tY1uI8oP5aS3dF6gH0jK2lZ7xC4v", None),
    "mailchimp key": ("7c3e9a1f5b2d8e4a6c0f9b3d7e1a5c2f-us21", None),
    "salesforce session": (
        "00DE0X0A0M0PeLE!" + "Ab3dE5gH7jK9mN1pQ3sT5vW7yZ9aB1cD3eF5gH7jK9mN1pQ3sT5vW7yZ9aB1cD3eF5gH7jK9mN1pQ3sT5v",
        None,
    ),
    "env line": (PW, "DB_PASSWORD={}"),
    "name and value": (PW, "- name: DB_PASSWORD\n  value: {}"),
    "url": ("hN6nQYPpsja3", "ftp://deploy:{}@files.example.com:21"),
    "xml entry": (PW, "<entry>\n  <key>db_password</key>\n  <value>{}</value>\n</entry>"),
    "typed field": ("q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5", 'API_TOKEN: Final = "{}"'),
    "insert rows": ("q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5", "INSERT INTO api_keys (name, key)\nVALUES\n  ('ci', '{}');"),
    "setter": (PW, 'setPassword("{}");'),
    "block scalar": (PW, "db:\n  password: |\n    {}"),
    "args list": ("q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5", "args:\n  - --token\n  - {}"),
    "expect script": (PW, 'expect "Password:"\nsend "{}\\r"'),
}
SHOWN = {
    "fence": lambda t: "```\n" + t + "\n```",
    "heredoc": lambda t: "cat > .env <<'EOF'\n" + t + "\nEOF",
    "diff": lambda t: "\n".join("+" + line for line in t.split("\n")),
    "grep -rn": lambda t: "\n".join(f"deploy/app.conf:{i + 12}:{line}" for i, line in enumerate(t.split("\n"))),
    "after a sentence": lambda t: "I found this in the file:\n" + t + "\nShould I rotate it?",
    "numbered read": lambda t: "\n".join(f"{i + 1:>6}\u2192{line}" for i, line in enumerate(t.split("\n"))),
    "tab-indented": lambda t: "\n".join("\t" + line for line in t.split("\n")),
    "application log": lambda t: "\n".join("2026-05-01 12:00:00,123 DEBUG " + line for line in t.split("\n")),
}


@pytest.mark.parametrize("shown", sorted(SHOWN))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_secret_is_caught_however_its_text_is_shown(case, shown):
    secret, template = CASES[case]
    text = SHOWN[shown](template.format(secret) if template else secret)
    clean = Scrubber().scrub_text(text)
    assert secret not in clean
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert secret not in clean_line
    assert json.loads(clean_line)["message"]["content"][0]["content"] == clean


# Quotes escaped inside a shell's or code's string: in a transcript line each is escaped twice
# (\\\" in the JSON text), and the secret between them is still found.
ESCAPED_QUOTES = [
    (r'curl -X POST -d "{\"username\":\"admin\",\"password\":\"' + PW + r'\"}" http://localhost:8080/login', PW),
    (r'echo "API_KEY=\"q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5\"" >> .env', "q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5"),
    (r'print("{\"api_key\": \"q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5\"}")', "q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5"),
    (r'ssh db1 "mysql -u root -p\"' + PW + r'\" app"', PW),
]


@pytest.mark.parametrize(("text", "secret"), ESCAPED_QUOTES)
def test_a_secret_between_quotes_escaped_in_a_string_is_caught_in_a_transcript_line(text, secret):
    clean = Scrubber().scrub_text(text)
    assert secret not in clean
    line = json.dumps({"type": "assistant", "message": {"content": [{"type": "tool_use", "input": {"command": text}}]}})
    assert '\\\\\\"' in line  # (the quote escaped twice)
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert secret not in clean_line
    assert json.loads(clean_line)["message"]["content"][0]["input"]["command"] == clean
