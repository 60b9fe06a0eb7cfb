"""A flag and its value as two elements of a list: a command written as an argument vector.

Agents write these every day: an MCP server's `"args": ["server", "--api-key", "VALUE"]` in
.mcp.json or claude_desktop_config.json, a Dockerfile's `CMD ["app", "--token", "VALUE"]`, a
Kubernetes container's `args:` (a flow list or one item per line), Python's
`subprocess.run(["psql", "--password", "VALUE"])`. The flag and its value are separate quoted
strings, so the command-line rules (`--token VALUE`) do not see them. A password flag's value
may be a plain word (a list of literals holds literals); a key's or a token's must look random.
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _add
from forge.scrub.gutters import GUTTER

_PASSWORD_FLAG = r"(?:[a-z]+[_-])*(?:password|passwd|passphrase)"
_SECRET_FLAG = r"(?:[a-z]+[_-])*(?:token|api[_-]?key|apikey|secret|secret[_-]key|client[_-]secret)"
_VALUE = r"[^\s\"'\\,\[\]]{1,256}+"
# "--flag", "VALUE" in a flow list (JSON, Python, a YAML [..] list); the quotes may be escaped
# as a transcript line holds them
_FLOW = (
    r"(?P<q>\\?[\"'])--?{flag}(?P=q)(?:\s|\\[nrt]){0,40},(?:\s|\\[nrt]){0,40}(?P<q2>\\?[\"'])(?P<s>"
    + _VALUE
    + r")(?P=q2)"
)
# - --flag / - VALUE, one YAML list item per line
_BREAK = r"(?:\r?\n|(?:\\r)?\\n)"
_BLOCK = (
    r"-[ \t]+(?P<bq>[\"']?)--?{flag}(?P=bq)[ \t]*"
    + _BREAK
    + r"(?:"  # (the next line past its gutter: a manifest shown numbered, in grep -rn, as a diff)
    + GUTTER
    + r")?(?:[ \t]|\\t)*-[ \t]+(?P<vq>[\"']?)(?P<v>"
    + _VALUE
    + r")(?P=vq)[ \t]*(?=$|\r?\n|\\[nr]|\\?\")"
)


def _pattern(flag: str) -> str:
    return "(?m)(?:" + _FLOW.replace("{flag}", flag) + "|" + _BLOCK.replace("{flag}", flag) + ")"


def _anchor(flag: str) -> str:
    return r"(?i)-" + flag + r"\\?[\"']?[ \t]*(?:,|\r?\n|\\n)"


_add(
    "argv_password",
    "password",
    _pattern(_PASSWORD_FLAG),
    group=("s", "v"),
    priority=74,
    prefilter=("assword", "asswd", "assphrase"),
    validator=v.flag_password,
    anchor=_anchor(_PASSWORD_FLAG),
    window=(64, 300),
    description='a password flag and its value as list items: ["--password", "VALUE"], - --password / - VALUE',
)

_add(
    "argv_secret",
    "secret",
    _pattern(_SECRET_FLAG),
    group=("s", "v"),
    priority=74,
    prefilter=("oken", "key", "Key", "KEY", "ecret"),
    validator=v.looks_random,
    anchor=_anchor(_SECRET_FLAG),
    window=(64, 300),
    description='a token or key flag and its value as list items: ["--api-key", "VALUE"], - --token / - VALUE',
)
