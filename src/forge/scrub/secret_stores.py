"""Values an agent gives a command that stores them as an app's secrets or environment.

Deploying, agents set what an app needs: `fly secrets set STRIPE=... SESSION=...`, `supabase
secrets set`, `doppler secrets set`, `infisical secrets set`, `vault kv put secret/app key=...`,
`kubectl create secret generic app --from-literal=key=...`; or its environment: `heroku
config:set`, `railway variables --set`, `eb setenv`, `firebase functions:config:set`, `kubectl
set env`, `gcloud run deploy --set-env-vars A=1,B=2`, `az webapp config appsettings set
--settings`, `aws lambda ... --environment Variables={...}`, `docker run -e`, `netlify env:set
NAME VALUE`, `cf set-env APP NAME VALUE`, `dotenv set NAME VALUE`, `setx NAME VALUE`; or an MCP
server's, as an agent's CLI adds it (`claude mcp add -e NAME=VALUE`). The names are the app's own
(MY_APP_CONFIG, UPSTREAM), so the rules that read a secret by its key's name do not see them.

A secret store holds secrets: every literal value given to one is taken (a plain word too, as a
password flag's is; references, masks, paths and flags are not). An environment holds settings as
well (NODE_ENV=production, PORT=8080): there only a value that looks generated is taken, as a key
in prose is (validators.prose_secret). Each tool's syntax is from its own documentation.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector

_W = r"[ \t]+"
# where a command's arguments end: a line break (raw, or JSON-escaped and not a continuation), a
# pipe, ; or & (a backslash that escapes a quote or is a continuation goes on)
_ARGS = re.compile(r"(?:\\\r?\n|\\\\\\n|\\(?![nr])|[^\n\r\\|;&]){0,4000}")
_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]{0,127}"
_VALUE_QUOTED = r"\\?\"(?P<dq>[^\"\\\r\n]{1,512})\\?\"|'(?P<sq>[^'\r\n]{1,512})'"
# a pair that is a whole argument: NAME=VALUE, NAME="VALUE", NAME='VALUE', "NAME=VALUE"; where
# pairs are joined by commas (gcloud's --set-env-vars, Lambda's Variables={...}), a comma ends one
_PAIR = (
    r"(?<![^\s\"'=,{{])(?:\\?\"{name}=(?P<qdq>[^\"\\\r\n]{{1,512}})\\?\"|'{name}=(?P<qsq>[^'\r\n]{{1,512}})'"
    r"|{name}=(?:{quoted}|(?P<bare>[^\s\"'`;&|<>(){{}}\\{comma}]{{1,512}})))"
)
_PAIR_ANY = re.compile(_PAIR.format(name=_NAME, quoted=_VALUE_QUOTED, comma=""))
_PAIR_COMMA = re.compile(_PAIR.format(name=_NAME, quoted=_VALUE_QUOTED, comma=","))
_GROUPS = ("qdq", "qsq", "dq", "sq", "bare")


def _pairs(args: str, pattern: re.Pattern[str], after: re.Pattern[str] | None) -> Iterator[tuple[int, int]]:
    """Spans (in args) of the values of NAME=VALUE arguments; with `after`, only of those right
    after a match of it (a flag such as -e), or after a comma that follows such a pair."""
    last_end = -1
    for m in pattern.finditer(args):
        if after is not None:
            before = args[: m.start()]
            chained = last_end >= 0 and before[last_end:].strip("\"'\\") == ","
            if not chained and not after.search(before[-80:]):
                continue
        for g in _GROUPS:
            if m.group(g) is not None:
                last_end = m.end()
                yield m.span(g)
                break


def _positional(args: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    m = pattern.match(args)
    if m is not None:
        for g in ("dq", "sq", "bare"):
            if m.group(g) is not None:
                yield m.span(g)
                return


_POSITIONAL_VALUE = (
    r"(?:\\?\"(?P<dq>[^\"\\\r\n]{1,512})\\?\"|'(?P<sq>[^'\r\n]{1,512})'|(?P<bare>[^\s\"'`;&|<>()\\]{1,512}))"
)
# NAME VALUE right after the command (netlify env:set, dotenv set); cf set-env has the app first
_NAME_THEN_VALUE = re.compile(_W + r"(?:\\?[\"']?)" + _NAME + r"(?:\\?[\"']?)" + _W + _POSITIONAL_VALUE)
_APP_NAME_THEN_VALUE = re.compile(_W + r"[^\s\-]\S*" + _NAME_THEN_VALUE.pattern)


def _pairs_after(flag: str | None, comma: bool = False) -> Callable[[str], Iterator[tuple[int, int]]]:
    after = re.compile(r"(?<![\w\-])" + flag + r"\s*$") if flag is not None else None
    pattern = _PAIR_COMMA if comma else _PAIR_ANY
    return lambda args: _pairs(args, pattern, after)


_CMD = r"(?:(?<![^\s\"'(|;&`])|(?<=\\[nrt]))(?:npx[ \t]+|bunx[ \t]+|sudo[ \t]+)?"  # a command's start
# (head, whether the tool stores secrets, how its values are read from the arguments after the
# head); each head starts where the anchor hits, give or take an npx or sudo before it
_TOOLS: tuple[tuple[str, bool, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    (_CMD + r"(?:fly|flyctl|supabase|doppler|infisical)" + _W + r"secrets" + _W + r"set\b", True, _pairs_after(None)),
    (_CMD + r"vault" + _W + r"kv" + _W + r"(?:put|patch)\b", True, _pairs_after(None)),
    (
        _CMD + r"kubectl" + _W + r"create" + _W + r"secret" + _W + r"generic\b",
        True,
        _pairs_after(r"--from-literal(?:=|[ \t]+)"),
    ),
    (_CMD + r"heroku" + _W + r"config:set\b", False, _pairs_after(None)),
    (_CMD + r"railway" + _W + r"variables?\b", False, _pairs_after(r"(?:--set|set)(?:=|[ \t]+)\\?[\"']?")),
    (_CMD + r"eb" + _W + r"setenv\b", False, _pairs_after(None)),
    (_CMD + r"firebase" + _W + r"functions:config:set\b", False, _pairs_after(None)),
    (_CMD + r"kubectl" + _W + r"set" + _W + r"env\b", False, _pairs_after(None)),
    (
        _CMD + r"(?:docker|podman|nerdctl)(?:" + _W + r"compose|" + _W + r"container)?" + _W + r"(?:run|create|exec)\b",
        False,
        _pairs_after(r"(?:-e|--env)(?:=|[ \t]+)"),
    ),
    # an MCP server's environment, given as the agent CLI adds the server: claude mcp add -e K=V
    (
        _CMD + r"(?:claude|gemini|codex|qwen)" + _W + r"mcp" + _W + r"add\b",
        False,
        _pairs_after(r"(?:-e|--env)(?:=|[ \t]+)"),
    ),
    (_CMD + r"netlify" + _W + r"env:set\b", False, lambda a: _positional(a, _NAME_THEN_VALUE)),
    (_CMD + r"cf" + _W + r"set-env\b", False, lambda a: _positional(a, _APP_NAME_THEN_VALUE)),
    (_CMD + r"(?:dotenv|dotenvx)" + _W + r"set\b", False, lambda a: _positional(a, _NAME_THEN_VALUE)),
    (_CMD + r"setx(?:" + _W + r"/[Mm])?", False, lambda a: _positional(a, _NAME_THEN_VALUE)),  # (Windows)
    # flags of longer commands: gcloud run deploy ... --set-env-vars A=1,B=2; az webapp config
    # appsettings set ... --settings A=1 B=2; aws lambda ... --environment "Variables={A=1,B=2}"
    (
        r"--(?:set|update)-(?:build-)?env-vars(?:=|[ \t]+)\\?[\"']?(?:\^[^^\s]\^)?",
        False,
        _pairs_after(None, comma=True),
    ),
    (r"appsettings" + _W + r"set\b", False, _pairs_after(None)),
    (r"Variables=\{", False, _pairs_after(None, comma=True)),
)
# each head, and the same without the command's start: tried first at the hit itself, where it
# fails on a character or two for all but the tool the anchor found
_HEADS = [(re.compile(head), re.compile(head.removeprefix(_CMD)), store, read) for head, store, read in _TOOLS]
_NETLIFY = next(head for head, _, _, _ in _HEADS if "netlify" in head.pattern)
_SECRET_FLAG = re.compile(r"(?<![\w\-])--secret\b")


# the name before a value (NAME=, NAME VALUE), and the last words of a secret's name: an environment
# variable named API_KEY, DB_PASSWORD or upstream.token holds one whatever it looks like
_NAME_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]{0,127})\\?[\"']?(?:=|[ \t]+)\\?[\"']?$")
_SECRET_LAST_WORDS = frozenset(("key", "token", "secret", "password", "passwd", "pass", "pwd", "credentials", "apikey"))


def _secret_name(body: str, start: int) -> bool:
    m = _NAME_BEFORE.search(body, max(0, start - 140), start)
    return m is not None and re.split(r"[_.\-]", m.group(1))[-1].lower() in _SECRET_LAST_WORDS


def _takes(value: str, store: bool) -> bool:
    return v.flag_password(value) if store else v.prose_secret(value) and not v.is_reference_or_mask(value)


def store_values(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each value given to a secret store or an app's environment on a command
    line. hits: where such a command may start (the rule engine's anchor hits); None: searched here."""
    spans = hits if hits is not None else [m.span() for m in _ANCHOR.finditer(text)]
    seen: set[tuple[int, int]] = set()
    for hit_start, _ in spans:
        at = max(0, hit_start - 6)  # (an npx, bunx or sudo before the tool)
        for i, (head, at_hit, store, read) in enumerate(_HEADS):
            tool = at_hit.match(text, hit_start)
            if tool is None:
                continue
            m = head.search(text, at, tool.end())
            if m is None or m.end() != tool.end() or (i, m.start()) in seen:
                continue
            seen.add((i, m.start()))
            body = _ARGS.match(text, m.end()).group()  # type: ignore[union-attr]  # (it matches "")
            secret = store or (head is _NETLIFY and bool(_SECRET_FLAG.search(body)))
            for start, end in read(body):
                if _takes(body[start:end], secret or _secret_name(body, start)):
                    yield m.end() + start, m.end() + end


_ANCHOR = re.compile(
    r"(?:fly|flyctl|supabase|doppler|infisical)\s+secrets\s+set|vault\s+kv\s+p|kubectl\s+(?:create\s+secret|set\s+env)"
    r"|heroku\s+config:set|firebase\s+functions:config:set|railway\s+variable|eb\s+setenv|(?:docker|podman|nerdctl)\s+(?:compose\s+|container\s+)?(?:run|create|exec)"
    r"|(?:claude|gemini|codex|qwen)\s+mcp\s+add|netlify\s+env:set|cf\s+set-env|dotenvx?\s+set|setx\s|--(?:set|update)-(?:build-)?env-vars|appsettings\s+set|Variables=\{"
)

register_detector(
    Detector(
        name="secret_store_value",
        kind="secret",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=store_values,
        finder_takes_hits=True,
        priority=50,  # (below the rules that read a value by its name: they type it better, password or key)
        prefilter=("secrets", "vault", "kubectl", "config:set", "railway", "setenv", "env-vars", "appsettings")
        + (
            "Variables=",
            "functions:config",
            "setx",
            "mcp add",
            "docker",
            "podman",
            "nerdctl",
            "env:set",
            "set-env",
            "dotenv",
        ),
        anchor=_ANCHOR,
        window=(0, 0),
        description="values given to secret stores (fly/supabase/doppler/infisical secrets set, vault kv put, "
        "kubectl create secret --from-literal) and generated values given to an app's environment "
        "(heroku config:set, gcloud --set-env-vars, docker run -e, netlify env:set ...)",
    )
)
