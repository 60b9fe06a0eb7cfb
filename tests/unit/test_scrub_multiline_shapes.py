"""A secret whose statement spans lines: a shell command continued with a backslash, a call with
one argument per line, pretty-printed JSON. `forge scrub` reads a transcript's raw JSONL line,
where each line break is the two characters \\n and a continuation's backslash is escaped too,
so every rule must read both spellings. Each shape here was caught as printed and missed in a
transcript line, or the other way round, or took the wrong word (htpasswd's user name) before.
"""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

PW = "marmalade42"
KEY = "q8X7kT9zLm2pR4vW6yB1nC3d"

# (text, the secret, words that must stay)
SHAPES = {
    # a shell command continued over lines
    "sshpass": (f"sshpass \\\n  -p {PW} \\\n  ssh root@host", PW, ["root"]),
    "mysql -p glued": (f"mysql \\\n  -uroot \\\n  -p{PW} app", PW, ["app"]),
    "sqlcmd -U -P": (f"sqlcmd -S localhost \\\n  -U sa \\\n  -P {PW}", PW, ["sa"]),
    "redis-cli -a": (f"redis-cli \\\n  -a {PW} ping", PW, ["ping"]),
    "htpasswd -b": (f"htpasswd -b \\\n  /etc/nginx/.htpasswd admin {PW}", PW, ["admin"]),
    "docker login -p": (f"docker login \\\n  -u alice \\\n  -p {PW} registry.example.com", PW, ["alice"]),
    # a call with one argument per line
    "getenv default": (f'os.getenv(\n    "DB_PASSWORD",\n    "{PW}",\n)', PW, ["DB_PASSWORD"]),
    "php define": (f'define(\n  "DB_PASSWORD",\n  "{PW}"\n);', PW, ["DB_PASSWORD"]),
    "setProperty": (f'props.setProperty(\n  "password",\n  "{PW}");', PW, []),
    "jwt.encode": (f'token = jwt.encode(\n    payload,\n    "{KEY}",\n    algorithm="HS256",\n)', KEY, ["HS256"]),
    "createHmac": (f"crypto\n  .createHmac(\n    'sha256',\n    '{KEY}'\n  )", KEY, ["sha256"]),
    "subprocess argv": (f'subprocess.run([\n    "psql",\n    "--password",\n    "{PW}",\n])', PW, ["psql"]),
    # pretty-printed JSON
    "name/value list": (f'[\n  {{\n    "name": "DB_PASSWORD",\n    "value": "{PW}"\n  }}\n]', PW, []),
    "mcp args": (
        f'{{"mcpServers": {{"search": {{"command": "npx", "args": [\n  "-y", "search-mcp", "--api-key",\n'
        f'  "{KEY}"]}}}}}}',
        KEY,
        ["search-mcp"],
    ),
    "composer bearer": (f'{{\n  "bearer": {{\n    "repo.example.org": "{KEY}"\n  }}\n}}', KEY, ["repo.example.org"]),
    "terraform sensitive": (
        f'{{\n  "db_password": {{\n    "sensitive": true,\n    "type": "string",\n    "value": "{PW}"\n  }}\n}}',
        PW,
        ["db_password"],
    ),
}


def _as_printed_and_in_a_line(text: str) -> dict[str, str]:
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    scrubbed = json.loads(scrub_json_lines([line], Scrubber())[0])
    return {"printed": Scrubber().scrub_text(text), "jsonl": scrubbed["message"]["content"][0]["content"]}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_a_secret_over_several_lines_is_replaced_in_both_spellings(name):
    text, secret, kept = SHAPES[name]
    for shape, out in _as_printed_and_in_a_line(text).items():
        assert secret not in out, f"{name} ({shape}) kept the secret: {out!r}"
        for word in kept:
            assert word in out, f"{name} ({shape}) replaced {word!r}: {out!r}"
