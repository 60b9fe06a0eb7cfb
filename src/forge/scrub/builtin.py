"""The built-in detectors, registered the way a plugin registers its own.

Every pattern is written to run in linear time on long inputs (bounded or possessive
quantifiers, a boundary look-behind before any leading run), and most carry literal
prefilters so the regex is skipped entirely when its prefix cannot occur.

Boundaries understand JSON escapes: a token right after a literal backslash-n (tool output
that was JSON-encoded twice) still starts at a boundary, and the escape is never consumed.

Priorities: whole-credential formats (private keys, provider tokens) beat key=value context,
which beats personal data (e-mail, IPs, user names).
"""

from __future__ import annotations

import re

from forge.scrub import validators as v
from forge.scrub.detectors import Detector, register_detector
from forge.scrub.engine import ENGINE_NAME, ENGINE_PACKAGE
from forge.scrub.gutters import BLANKS_ACROSS_LINES, GUTTER, WS_ACROSS_LINES
from forge.scrub.kubernetes import kubernetes_secret_values


def _start(chars: str) -> str:
    """Match start: not preceded by one of `chars` (or a backslash), or right after a \\n \\r \\t escape
    or a gutter's escaped arrow or edge (\\u2192, \\u2502)."""
    # (the escapes' last characters first, one cheap test: most starts tried fail the first test)
    return rf"(?:(?<![{chars}\\])|(?<=[nrt2])(?:(?<=\\[nrt])|(?<=\\u2192)|(?<=\\u2502)))"


# A command or key word at a word start, also right after a JSON-escaped \n, \r or \t ("\nsshpass")
# (and right after a line gutter's arrow or edge as JSON escapes them: \u2192define(...))
# (the escapes' last characters tested first, once: inside a word most starts fail there)
_WORD_START = r"(?:\b|(?<=[nrt2])(?:(?<=\\[nrt])|(?<=\\u2192)|(?<=\\u2502)))"


def _anchored_at_start(body: str) -> str:
    """An engine anchor that starts where the regex's _start allows: at a word boundary or after
    a \\n escape. The two starts are spelled out in full (\\b(?:body)|\\\\[nrt](?:body)): written as
    (?:\\b|\\\\[nrt])(?:body), the engine paid for each hit in proportion to its offset in the
    buffer (measured: 23 ms a hit at 5 MB, for UUIDs whose groups look like a card number)."""
    return rf"\b(?:{body})|\\[nrt](?:{body})"


def _cased(*specs: str) -> str:
    """Regex alternation of the spellings a key name really takes: lower, UPPER, Capitalised and
    camelCase, words joined by '_', '-' or nothing ("api key" → api_key, API-KEY, apiKey, ...).
    Cheaper than (?i:...), which stops the regex engine from skipping ahead on a first character."""
    out: set[str] = set()
    for spec in specs:
        words = spec.split()
        for join in ("_", "-", ""):
            out.add(join.join(words))
            out.add(join.join(words).upper())
            out.add(join.join(w.capitalize() for w in words))
        out.add(words[0] + "".join(w.capitalize() for w in words[1:]))
        if len(words) > 1:  # a leading acronym: X-API-Key, API_Key, APIKey
            for join in ("_", "-", ""):
                out.add(join.join([words[0].upper()] + [w.capitalize() for w in words[1:]]))
    return _trie(sorted(out))


def _trie(words: list[str]) -> str:
    """An alternation factored by shared prefixes (token|Token|tokens → (?:[Tt]oken...)): the regex
    engine then tests each branch one character at a time instead of each word from its start."""
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if ends else body

    return "(?:" + build(tree) + ")"


def _begin(prefix: str, chars: str) -> str:
    """`prefix` (a fixed-width regex) at a match start, as `_start` checks it, but written
    prefix-first so the regex engine can skip ahead to the prefix's first character."""
    return rf"{prefix}(?:(?<![{chars}\\]{prefix})|(?<=\\[nrt]{prefix})|(?<=\\u2192{prefix})|(?<=\\u2502{prefix}))"


_ALNUM = "A-Za-z0-9"
_WORD = "A-Za-z0-9_"
_TOKEN_END = r"(?![A-Za-z0-9_\-])"

# a shell line's continuation: a backslash at the line's end (JSON-escaped in a transcript line)
_CONT = r"(?:\\\r?\n|\\\\\\n)"
_WS = r"(?:\s|\\[nrt]|" + _CONT + r")+"  # whitespace, also JSON-escaped (tool output inside a JSON string)
_SP = BLANKS_ACROSS_LINES  # the same, or none: between a call's arguments, a JSON object's members
_BLANKS = r"(?:[ \t]|" + _CONT + r")+"  # between a command's arguments
# a command's other arguments before the one a rule reads: up to its end (a pipe, a ; or &, a line
# break that is not a continuation)
_CMD_GAP = r"(?:[^\n|;&]|" + _CONT + r"){{0,{n}}}?"


def _add(
    name: str,
    kind: str,
    pattern: str,
    *,
    priority: int,
    anchor: str,
    window: tuple[int, int],
    prefilter: tuple[str, ...] = (),
    group: int | str | tuple[str, ...] = "s",
    validator=None,
    context_check=None,
    engine_anchor: bool = True,
    finder=None,
    description: str = "",
) -> None:
    """Every built-in has an anchor the rule engine can run (see Detector.anchor). A pattern that
    opens at a word boundary (\\b) also opens right after a JSON-escaped \\n, \\r or \\t: in a
    transcript line the next line's first word follows the escape's letter, with no boundary."""
    if pattern.startswith(r"\b"):
        pattern = _WORD_START + pattern[2:]
    register_detector(
        Detector(
            name=name,
            kind=kind,
            pattern=re.compile(pattern),
            validator=validator,
            context_check=context_check,
            group=group,
            prefilter=prefilter,
            priority=priority,
            description=description,
            window=window,
            anchor=re.compile(anchor),
            engine_anchor=engine_anchor,
            finder=finder,
        )
    )


# --- the rule engine -----------------------------------------------------------------------
# Listed as a detector so it can be selected or left out like any other (ingest's
# scrub_detectors); it finds nothing itself: find.py hands its buffer to the engine.
register_detector(
    Detector(
        name=ENGINE_NAME,
        kind="secret",
        pattern=re.compile(r"(?!)"),
        finder=lambda text: iter(()),
        priority=90,
        description=f"the {ENGINE_NAME} rule engine ({ENGINE_PACKAGE}): provider credential "
        f"formats, each placeholder typed by its rule (github_token, sendgrid_api_token, ...)",
    )
)

# --- whole-credential formats --------------------------------------------------------------

_PEM_LABEL = r"[A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----"
_add(
    "private_key",
    "private_key",
    rf"(?P<s>-----BEGIN {_PEM_LABEL}"
    # the whole block up to its END line (newlines real or JSON-escaped) ...
    rf"(?:[\s\S]{{1,20000}}?-----END {_PEM_LABEL}"
    # ... or, when the block was cut off, the base64 lines that follow BEGIN
    rf"|(?:(?:\s|\\+[nr])*+[A-Za-z0-9+/=]{{16,}}+)*+))",
    priority=100,
    prefilter=("-----BEGIN ",),
    anchor="-----BEGIN ",
    window=(0, 20_100),
    description="PEM/OpenSSH/PGP private key blocks, also truncated or with JSON-escaped newlines",
)

# No prefilter on the next four: a regex that starts with a literal character finds its
# candidates faster than a scan of the text for each of several literal prefixes would.
_add(
    "aws_access_key",
    "aws_access_key",
    r"(?P<s>" + _begin("A", _ALNUM) + r"(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|3T[A-Z0-9])[A-Z0-9]{16})(?![A-Za-z0-9])",
    priority=90,
    validator=v.aws_access_key,
    anchor="A(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|3T[A-Z0-9])",
    window=(0, 24),
    description="AWS access key ids",
)

_add(
    "github_token",
    "github_token",
    r"(?P<s>"
    + _begin("g", _WORD)
    # (an app installation's token since April 2026: ghs_<app id>_<a JWT>, some 520 characters)
    + r"(?:hs_[0-9]{1,12}_[A-Za-z0-9_\-]{8,2000}+\.[A-Za-z0-9_\-]{8,2000}+\.[A-Za-z0-9_\-]{8,2000}+"
    + r"|h[pousr]_[A-Za-z0-9]{36,251}+|ithub_pat_[A-Za-z0-9_]{22,244}+))(?![A-Za-z0-9_])",
    priority=90,
    validator=v.not_mask,
    anchor="gh[pousr]_|github_pat_",
    window=(0, 6_100),
    description="GitHub classic, fine-grained and app installation tokens",
)

_add(
    "gitlab_token",
    "gitlab_token",
    r"(?P<s>" + _begin("gl", _WORD + r"\-") + r"(?:"
    r"(?:pat|dt|rt|ft|soat|cbt|ffct)-[A-Za-z0-9_\-]{20,200}+(?:\.[A-Za-z0-9_\-]{1,40})*"
    # the formats GitLab issues at one length: trigger tokens 40 characters (hex digits),
    # incoming-mail tokens 25, OAuth application secrets 64, agent tokens 50 or more
    r"|ptt-[A-Za-z0-9_\-]{40}|imt-[A-Za-z0-9_\-]{25}|oas-[A-Za-z0-9_\-]{64}"
    r"|agent-[A-Za-z0-9_\-]{50,1024}+))" + _TOKEN_END,
    priority=90,
    validator=v.not_mask,
    anchor="gl(?:pat|dt|rt|ft|ptt|soat|cbt|ffct|imt|oas|agent)-",
    window=(0, 1100),
    description="GitLab personal, deploy, runner, feed, trigger, mail, OAuth-application and agent tokens",
)

_add(
    "slack_token",
    "slack_token",
    r"(?P<s>" + _begin("x", _WORD) + r"(?:ox(?:e\.xox)?[abeoprs]|app)-[A-Za-z0-9\-]{10,250}+)" + _TOKEN_END,
    priority=90,
    validator=v.slack_token,
    anchor=r"xox(?:e\.xox)?[abeoprs]-|xapp-",
    window=(0, 270),
    description="Slack bot, user, config (xoxe.xoxp-) and app-level (xapp-) tokens",
)

_add(
    "slack_webhook",
    "slack_webhook",
    r"(?P<s>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{20,200}+)",
    priority=90,
    prefilter=("hooks.slack.com",),
    anchor=r"hooks\.slack\.com/",
    window=(8, 220),
    description="Slack incoming-webhook URLs",
)

_add(
    "anthropic_key",
    "anthropic_key",
    # every key names its type and version: sk-ant-api03-, sk-ant-admin01-, sk-ant-oat01-
    r"(?P<s>" + _begin("sk-", _WORD + r"\-") + r"ant-[a-z]{2,8}[0-9]{2,3}-[A-Za-z0-9_\-]{20,250}+)" + _TOKEN_END,
    priority=92,
    prefilter=("sk-ant-",),
    validator=v.mixed_token,
    anchor="sk-ant-",
    window=(0, 270),
    description="Anthropic API keys",
)

_add(
    "openai_key",
    "openai_key",
    r"(?P<s>"
    + _begin("sk-", _WORD + r"\-")
    + r"(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,250}+)"
    + _TOKEN_END,
    priority=90,
    prefilter=("sk-",),
    validator=v.openai_key,
    anchor="sk-",
    window=(0, 270),
    description="OpenAI API keys",
)

_add(
    "stripe_key",
    "stripe_key",
    r"(?P<s>" + _begin("[sr]k_", _WORD) + r"(?:live|test)_[A-Za-z0-9]{10,250}+)" + _TOKEN_END,
    priority=90,
    prefilter=("k_live_", "k_test_"),
    validator=v.mixed_token,
    anchor="[sr]k_(?:live|test)_",
    window=(0, 270),
    description="Stripe secret and restricted keys",
)

_add(
    "google_api_key",
    "google_api_key",
    r"(?P<s>" + _begin("AIza", _WORD + r"\-") + r"[0-9A-Za-z_\-]{35}"
    r"|" + _begin("GOCSPX-", _WORD + r"\-") + r"[A-Za-z0-9_\-]{28}"
    # (a service account's token has a short part first: ya29.c.b0AXv0z...)
    r"|" + _begin(r"ya29\.", _WORD + r"\-.") + r"(?:[A-Za-z0-9_\-]{1,8}\.)?[A-Za-z0-9_\-]{30,2000}+)" + _TOKEN_END,
    priority=90,
    prefilter=("AIza", "GOCSPX-", "ya29."),
    validator=v.not_mask,
    anchor=r"AIza|GOCSPX-|ya29\.",
    window=(0, 2010),
    description="Google API keys, OAuth client secrets (GOCSPX-) and access tokens (ya29.)",
)

_add(
    "huggingface_token",
    "huggingface_token",
    r"(?P<s>" + _begin("hf_", _WORD) + r"[A-Za-z0-9]{30,40}+)" + _TOKEN_END,
    priority=90,
    prefilter=("hf_",),
    validator=v.mixed_token,
    anchor="hf_",
    window=(0, 50),
    description="Hugging Face tokens",
)

_add(
    "npm_token",
    "npm_token",
    r"(?P<s>" + _begin("npm_", _WORD) + r"[A-Za-z0-9]{36})" + _TOKEN_END,
    priority=90,
    prefilter=("npm_",),
    validator=v.mixed_token,
    anchor="npm_",
    window=(0, 45),
    description="npm access tokens",
)

_add(
    "pypi_token",
    "pypi_token",
    r"(?P<s>" + _begin("pypi-", _WORD) + r"AgE[A-Za-z0-9_\-]{50,300}+)" + _TOKEN_END,
    priority=90,
    prefilter=("pypi-AgE",),
    anchor="pypi-AgE",
    window=(0, 320),
    description="PyPI upload tokens",
)

_add(
    "jwt",
    "jwt",
    # header, then 1-4 more parts: payload and signature (JWS; unsigned ones end after the
    # payload), or key, iv, ciphertext and tag (JWE). The header must decode to one.
    r"(?P<s>"
    + _begin("eyJ", _WORD + r"\-")
    + r"[A-Za-z0-9_\-]{5,4000}+(?:\.[A-Za-z0-9_\-]{3,8000}+)(?:\.[A-Za-z0-9_\-]{0,8000}+){0,3})"
    + r"(?![A-Za-z0-9_\-.])",
    priority=90,
    prefilter=("eyJ",),
    validator=v.jwt_header,
    anchor="eyJ",
    window=(0, 32_100),
    description="JSON Web Tokens: signed, unsigned and encrypted (the header decodes to JSON with alg or enc)",
)

# --- credentials identified by their context ----------------------------------------------

_add(
    "aws_secret_key",
    "aws_secret_key",
    _cased("aws secret access key", "aws secret key", "secret access key") + r"\\?[\"']?\s*(?:=>|:=|=|:)\s*\\?[\"']?"
    r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    priority=85,
    prefilter=("ecret", "ECRET"),
    validator=v.high_entropy,
    anchor="(?i)secret[_-]?(?:access[_-]?)?key",
    window=(4, 120),
    description="AWS secret access keys next to their key name",
)

_add(
    "url_password",
    "password",
    # (a line's start also after a JSON escape or a diff's + or - marker: +ftp://user:password@host;
    # first a cheap test that fails inside a word, but after an escape's n, r, t or 2 or a sign;
    # then the scheme and :// ahead)
    r"(?<![A-Za-mo-qsu-z013-9.])(?=[A-Za-z][A-Za-z0-9+.\-]{1,30}+://)"
    r"(?:(?<![A-Za-z0-9+.\-])|(?<=[nrt2+\-])(?:(?<=\\[nrt])|(?<=\\u2192)|(?<=\\u2502)"
    r"|(?<=[\n\"][+\-])|(?<=\A[+\-])|(?<=\\n[+\-])))"
    r"[A-Za-z][A-Za-z0-9+.\-]{1,30}+://[^\s:/?#@'\"<>\\]{0,128}+:"
    r"(?P<s>[^\s/?#'\"<>\\]{1,256})@(?=[A-Za-z0-9\[])",
    priority=80,
    prefilter=("://",),
    anchor="://",
    # (no match reaches further than 388 characters past its "://": user, ':', password, '@')
    window=(32, 400),
    validator=v.url_password,
    description="the password in scheme://user:password@host (scheme, user and host are kept)",
)

# A token sent as a URL's user (https://TOKEN@github.com/o/r.git, and the older
# https://TOKEN:x-oauth-basic@github.com, whose password is a fixed word): url_password would
# take the fixed word and keep the token. A user name is a word; a token looks random.
_add(
    "url_token_user",
    "secret",
    r"(?:(?<![A-Za-z0-9+.\-])|(?<=\\[nrt]))(?:https?|git)://(?P<s>[A-Za-z0-9_\-]{20,128}+)(?::x-oauth-basic)?@(?=[A-Za-z0-9\[])",
    priority=81,
    prefilter=("://",),
    anchor=r"(?:https?|git)://[A-Za-z0-9_\-]{20,128}(?::x-oauth-basic)?@",  # (not every URL: url_password has those)
    window=(8, 160),
    validator=v.url_token_user,
    description="a token as a URL's user: https://TOKEN@host, https://TOKEN:x-oauth-basic@host",
)

_REMOTE_ADMIN_TOOLS = (
    "psexec",
    "sqlcmd",
    "winexe",
    "evil-winrm",
    "crackmapexec",
    "netexec",
    "nxc",
    "smbmap",
    "rdesktop",
)
_add(
    "cli_password",
    "password",
    # --password VALUE, and PowerShell's single-dash -Password VALUE / -Password:VALUE
    r"-(?<![\w\-]-)-?" + _cased("password", "passwd", "passphrase", "pass") + r"(?:[=:]|\s+)"
    r"(?:\\?\"(?P<dq>[^\"\\\r\n]{1,256})\\?\"|\\?'(?P<sq>[^'\\\r\n]{1,256})\\?'|(?P<bare>[^\s\"'`;&|<>()\\]{1,256}+))"
    # openssl -passin pass:VALUE
    r"|-(?<![\w\-]-)pass(?:in|out)?\s+pass:(?P<ossl>[^\s'\"\\`;&|<>]{1,256}+)"
    # Windows remote-admin tools: psexec \\HOST -u USER -p VALUE, sqlcmd -U sa -P VALUE
    r"|(?i:"
    + _WORD_START
    + r"(?:"
    + "|".join(_REMOTE_ADMIN_TOOLS)
    + r")(?:64)?(?:\.exe)?\b)"
    + _CMD_GAP.format(n=200)
    + r"\s-[uU]\s+(?:\\?\"[^\"\r\n]{1,128}\\?\"|'[^'\r\n]{1,128}'|[^\s'\"]{1,128})"
    + _WS
    + r"-[pP]\s+"
    r"(?:\\?\"(?P<wdq>[^\"\\\r\n]{1,256})\\?\"|\\?'(?P<wsq>[^'\\\r\n]{1,256})\\?'"
    r"|(?P<wbare>[^\s\"'`;&|<>()\\]{1,256}+))"
    # mysql -pSECRET: the password glued to -p
    r"|" + _begin("m", _WORD + r"\-") + r"(?:ysql(?:dump|admin)?|ariadb(?:-dump)?)\b" + _CMD_GAP.format(n=200) + r"\s-p"
    r"(?:(?P<glued>[^\s'\"\\`;&|<>]{3,128}+)|'(?P<gsq>[^'\\\r\n]{1,128})'|\\?\"(?P<gdq>[^\"\\\r\n]{1,128})\\?\")"
    # echo SECRET | docker login --password-stdin
    r"|"
    + _begin("echo", _WORD + r"\-")
    + r"\s+(?:-n\s+)?(?:'(?P<esq>[^'\\\r\n]{3,256})'|\\?\"(?P<edq>[^\"\\\r\n]{3,256})\\?\""
    r"|(?P<ebare>[^\s'\"`;&|<>()\\]{3,256}+))\s*\|\s*(?:sudo\s+)?"
    r"(?:docker|podman|nerdctl|helm(?:\s+registry)?|oras|skopeo)\s+login\b[^\n|;&]{0,200}?--password-stdin",
    group=("dq", "sq", "bare", "ossl", "wdq", "wsq", "wbare", "glued", "gsq", "gdq", "esq", "edq", "ebare"),
    priority=80,
    prefilter=(
        "-pass",
        "-Pass",
        "-PASS",
        "mysql",
        "mariadb",
        *sorted({f(t) for t in _REMOTE_ADMIN_TOOLS for f in (str.lower, str.upper, str.capitalize)} | {"PsExec"}),
    ),
    validator=v.flag_password,
    # echo VALUE | docker login ... --password-stdin starts up to ~560 chars before its anchor
    anchor="(?i)-pass|mysql|mariadb|" + "|".join(_REMOTE_ADMIN_TOOLS),
    window=(600, 700),
    description="--password VALUE, -Password VALUE, mysql -pVALUE (or -p'VALUE'), psexec -u USER -p VALUE, "
    "openssl pass:VALUE, echo VALUE | docker login --password-stdin",
)

_add(
    "cli_user_password",
    "password",
    # curl -u, httpie --auth, jenkins-cli -auth: user:password (not -a: rsync -a host:dir)
    # (and curl --proxy-user / -U user:password)
    r"-(?<![\w\-]-)(?:u\s*|-user[\s=]+|-?auth[\s=]+|-proxy-user[\s=]+|U\s+)['\"]?[^\s:'\"\\]{1,128}+:(?P<s>[^\s'\"\\]{1,256}+)",
    priority=80,
    prefilter=("-u", "-auth", "-AUTH", "-proxy-user", "-U"),
    validator=v.cli_user_password,
    anchor="-(?:u|-user|-?auth|-proxy-user|U)[\\s=]*['\"]?[^\\s:'\"\\\\]{1,128}:",
    window=(1, 400),
    description="curl -u user:password, http --auth user:password, jenkins-cli -auth user:token",
)

_COMPOUND_SECRET_FLAGS = (
    "token secret",
    "api secret",
    "app secret",
    "consumer secret",
    "secret key",
    "auth",
    "auth key",
)
_add(
    "cli_secret",
    "secret",
    r"-(?<![\w\-]-)-?"  # --token VALUE, PowerShell -AccessToken VALUE
    # (and compound flags named whole: modal's --token-secret, --consumer-secret, Netlify's --auth,
    # Tailscale's --authkey / --auth-key)
    + _cased("token", "api key", "secret", "auth token", "access token", "client secret", *_COMPOUND_SECRET_FLAGS)
    # (a blank or a shell continuation: a flag at a line's end takes nothing from the next line)
    + r"(?:=|(?:[ \t]|"
    + _CONT
    + r")+)"
    r"(?:\"(?P<dq>[^\"\\\r\n]{1,256})\"|'(?P<sq>[^'\\\r\n]{1,256})'|(?P<bare>[^\s\"'`;&|<>()\\]{1,256}+))",
    group=("dq", "sq", "bare"),
    priority=75,
    prefilter=("-",),
    validator=v.looks_random,
    anchor="(?i)-(?:token|api[_-]?key|secret|auth|access[_-]?token|client[_-]?secret|(?:api|app|consumer)[_-]?secret)",
    window=(1, 300),  # the anchor finds --token's second dash
    description="--token VALUE and friends on a command line",
)

# --key VALUE: a key file's path, a cache key or a key's name as often as a secret, so only a
# random value that is no commit id, digest or UUID (smithery run ... --key VALUE)
_add(
    "cli_key",
    "secret",
    r"-(?<![\w\-]-)-(?:key|KEY|Key)(?:=|\s+)"
    r"(?:\"(?P<dq>[^\"\\\r\n]{16,256})\"|'(?P<sq>[^'\\\r\n]{16,256})'|(?P<bare>[^\s\"'`;&|<>()\\]{16,256}+))",
    group=("dq", "sq", "bare"),
    priority=74,
    prefilter=("-key", "-KEY", "-Key"),
    validator=v.prose_secret,
    anchor="--(?:key|KEY|Key)[=\\s]",
    window=(1, 300),
    description="--key VALUE on a command line (a random value, not a digest)",
)

_add(
    "bearer_token",
    "bearer_token",
    r"(?:\b(?:bearer|Bearer|BEARER)\s+|"
    + _cased("authorization")
    + r"\\?[\"']?\s*[:=]\s*\\?[\"']?"
    + _cased("basic", "token", "digest")
    + r"\s+)"
    # (a colon or an '=' inside it too: Asana's tokens are 1/<user id>:<secret>, Capsule's hold
    # base64 padding mid-way)
    r"(?P<s>[A-Za-z0-9._~+/\-]{8,4000}+(?:[:=]++[A-Za-z0-9._~+/\-]++)*+=*)",
    priority=75,
    prefilter=("earer", "EARER", "uthorization", "UTHORIZATION"),
    validator=v.looks_random,
    anchor="(?i)bearer\\s|authorization",
    window=(0, 4_200),
    description="HTTP Authorization header credentials",
)

# Other schemes a service names in its Authorization header: Bot (Discord), SSWS (Okta), Splunk
# and GenieKey (a UUID), ApiKey (Elastic), Key, OAuth, sso-key, Zoho-oauthtoken ...
_add(
    "auth_scheme_credential",
    "bearer_token",
    _cased("authorization")
    + r"\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"  # (on one line: `authorization:` then code is a Python block)
    + r"(?!(?i:basic|bearer|token|digest)\s)[A-Za-z][A-Za-z0-9_\-]{1,30}[ \t]+"  # (those: bearer_token)
    r"(?P<s>[A-Za-z0-9._~+/:\-]{16,4000}+(?:=++[A-Za-z0-9._~+/:\-]++)*+=*)",
    priority=74,
    prefilter=("uthorization", "UTHORIZATION"),
    validator=v.auth_credential,
    anchor="(?i)authorization",
    window=(0, 4_200),
    description="Authorization: <scheme> <credential> for schemes other than Basic and Bearer (Bot, SSWS, Splunk, ...)",
)

# A credential sent as the whole Authorization value, no scheme before it (Linear's and some
# internal APIs' keys): Authorization: <random value>, {"Authorization": "<random value>"}
_add(
    "authorization_raw",
    "bearer_token",
    _cased("authorization")
    + r"\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?"
    + r"(?P<s>[A-Za-z0-9._~+/\-]{20,4000}+=*)(?![A-Za-z0-9._~+/\-=(\[])",
    priority=73,
    prefilter=("uthorization", "UTHORIZATION"),
    validator=v.looks_random,
    anchor="(?i)authorization",
    window=(0, 4_200),
    description="Authorization: <credential> with no scheme word before it (a random value)",
)

# key = value, "key": "value", key: value. The key ends in the keyword (DB_PASSWORD,
# slackToken); '==' is a comparison and '::'/':/' are not separators.
# (R assigns with <-: password <- "..."; Ruby and JavaScript assign a default with ||= and ??=;
# C++ initializes with braces: std::string apiKey{"..."}, a '{' that opens a string)
_SEP = r"\\?[\"']?\s*(?::=|=>|<-|\|\|=|\?\?=|=(?!=)|:(?![:/])|\{(?=\s*\\?[\"']))\s*"
# the same, with the value on the key's line: an unquoted value is never the next line's first
# word (`TOKEN=` then a line `export X=...` below it)
_SEP_INLINE = r"\\?[\"']?\s*(?::=|=>|<-|\|\|=|\?\?=|=(?!=)|:(?![:/]))[ \t]*"
_SEP_ANCHOR = r"\\?[\"']?\s*(?:[:=]|<-|\|\|=|\?\?=|\{)"  # the same, in the engine's syntax (a superset)
# Inside the quotes, escaped characters are part of the value (pa\\`ss): all but an escaped
# quote (the string's end, in JSON written inside JSON) and \n, \r, \t (a line break ends it).
# A Python bytes string's prefix may stand before the quote (Flask's app.secret_key = b'...'); not
# a raw string's r, which mostly holds a regex (key_or_pass = r'(?:key|pwd)')
# (an f-string only without a field: f"{host}-{n}" is computed; f"literal" is a literal)
_STRING_PREFIX = r"(?:[bBuU]|[bB][rR]|[rR][bB]|[fF](?=\\?[\"'][^\"'{}\\\r\n]*+\\?[\"']))?"


def _quoted(longest: int) -> str:
    """A quoted value of up to `longest` characters, in group dq or sq."""
    most = "{1," + str(longest) + "}+"
    return (
        r"(?:" + _STRING_PREFIX + r"\\?\"(?P<dq>(?:[^\"\\\r\n]|\\[^\"\r\nnrt])" + most + r")\\?\""
        r"|" + _STRING_PREFIX + r"\\?'(?P<sq>(?:[^'\\\r\n]|\\[^'\r\nnrt])" + most + r")\\?')"
    )


_QUOTED = _quoted(2048)
# A token's value may be longer: a registry's auth that holds a whole service-account key (3 KB of
# base64 in a Docker config), an identity provider's access token
_QUOTED_LONG = _quoted(8192)
_LONG_WINDOW = (0, 8_300)
# Unquoted: stops at quotes, separators, brackets and '=' (base64 padding aside); a value
# followed by ( or [ is code.
# (base64 padding may join two parts: Tableau's token secret is base64==:base64)
_BARE = (
    r"(?P<bare>[^\s\"'`,;&|<>(){}\[\]\\=]{1,2048}+={0,3}+"
    r"(?:(?<==):[^\s\"'`,;&|<>(){}\[\]\\=:]{8,2048}+={0,3}+)?)(?![(\[])"
)
_PASSWORD_WORDS = ("password", "passwd", "passphrase")
_SECRET_WORDS = (
    "api key",
    "secret",
    "secret key",
    "token",
    "access key",
    "private key",
    "private key id",
    "signing key",
    "encryption key",
    "credential",
    "credentials",
    "auth",
    "pat",  # personal access tokens: azure_devops_pat, GITHUB_PAT
    "personal access token",
    "deploy key",
    "crumb",  # Jenkins-Crumb: a CSRF token tied to the user's session
    "encrypt",  # Consul and Nomad gossip keys: encrypt = "<base64>"
    "secret key base",  # Rails' secret_key_base signs and encrypts every session cookie
    "secret id",  # Vault AppRole secret_id (ARNs and names are not random: see looks_random)
    "license key",  # New Relic, Datadog ... license keys
    "test reporter id",  # Code Climate's CC_TEST_REPORTER_ID uploads coverage as the repository
    # keys that are a service's own password: SUPABASE_SERVICE_ROLE_KEY, MEILI_MASTER_KEY,
    # ALGOLIA_ADMIN_KEY, a client or session key
    "role key",
    "service key",
    "master key",
    "admin key",
    "client key",
    "session key",
    "bw session",  # Bitwarden's CLI session key: bw unlock prints export BW_SESSION="..."
    "primary key",  # Azure's primaryKey/secondaryKey (a table's primary_key = "id" is a word)
    "secondary key",
    "subscription key",  # Azure API Management and Cognitive Services: Ocp-Apim-Subscription-Key
)
# a numbered password field (password1/password2 of a sign-up form, DB_PASSWORD_2, password01)
# is one too
NUMBERED = r"(?:[_\-]?[0-9]{1,2})?"
_PASSWORD_KEY = _cased(*_PASSWORD_WORDS) + NUMBERED
_PASSWORD_ANCHOR = _cased(*_PASSWORD_WORDS) + NUMBERED + _SEP_ANCHOR
_SECRET_KEY = _cased(*_SECRET_WORDS) + NUMBERED  # (token1, api_key_2: one of several)


def _key_anchor(*specs: str) -> str:
    """The spellings of the key names the detector's regex takes (_cased), then a separator."""
    # Spelled out, not (?i): the same hits, and the rule engine scans the secret words' anchor in
    # a third of the time (measured on the example generator's sessions: 12.8 ms → 4.5 ms of 5.8 MB)
    return _cased(*specs) + NUMBERED + _SEP_ANCHOR


_add(
    "password_quoted",
    "password",
    _PASSWORD_KEY + _SEP + _QUOTED,
    group=("dq", "sq"),
    priority=60,
    prefilter=("pass", "Pass", "PASS"),
    validator=v.quoted_password,
    anchor=_PASSWORD_ANCHOR,
    window=(0, 2_100),
    description='password = "value", "password": "value"',
)
# A Google app password, as Google shows it: four groups of four lower-case letters with spaces
# between (EMAIL_HOST_PASSWORD = 'abcd efgh ijkl mnop'; Apple's app-specific ones with dashes);
# the other password rules stop at a space. (Named in a sentence: provider_formats.app_password.)
_APP_PASSWORD = r"[a-z]{4}(?: [a-z]{4}){3}|[a-z]{4}(?:-[a-z]{4}){3}"
_add(
    "app_password_spaced",
    "password",
    # quoted, or after '=', or after the colon of a prefixed key (smtp_password: ...); not after
    # a bare "Password:" in prose ("Password: this code does what")
    r"(?:"
    + _PASSWORD_KEY
    + r"\\?[\"']?\s*(?::=|=>|=(?!=))\s*(?:\\?[\"'])?(?P<eq>"
    + _APP_PASSWORD
    + r")|"
    + _PASSWORD_KEY
    + r"\\?[\"']?\s*:\s*\\?[\"'](?P<q>"
    + _APP_PASSWORD
    + r")|(?<=[\w\-.])"
    + _PASSWORD_KEY
    + r"[ \t]*:[ \t]*(?P<y>"
    + _APP_PASSWORD
    + r"))(?![\w \-])",
    group=("eq", "q", "y"),
    priority=61,
    prefilter=("pass", "Pass", "PASS"),
    validator=v.app_password,
    anchor=_PASSWORD_ANCHOR,
    window=(0, 200),
    description="Google app passwords written as shown (four groups of four letters) under a password key",
)
_add(
    "password_bare",
    "password",
    _PASSWORD_KEY + _SEP_INLINE + _BARE,
    group="bare",
    priority=60,
    prefilter=("pass", "Pass", "PASS"),
    validator=v.bare_password,
    anchor=_PASSWORD_ANCHOR,
    window=(0, 2_100),
    description="PASSWORD=value, password: value (not plain identifiers)",
)
# pw / pwd as the last word of a longer key (db_pw, cloudant_pw, MYSQL_PWD, admin-pwd): short
# forms of password. Never alone: PWD and OLDPWD are the shell's working folders, and `pwd` a command
# (and pass: db_pass, smtp_pass, default_pass). pwd glued to a word is one too (DBPWD, ACRPWD,
# adminpwd: no word ends so), but never OLDPWD.
_SHORT_PASSWORD_KEY = (
    r"(?<=[A-Za-z0-9])(?:[_\-](?:pwd?|PWD?|Pwd?|pass|PASS|Pass)"
    r"|(?<=[A-Za-z]{2})(?<![Oo][Ll][Dd])(?:pwd|PWD|Pwd))(?![A-Za-z0-9])"
)
_SHORT_PASSWORD_PREFILTER = (
    "_pw", "-pw", "_PW", "-PW", "_Pw", "-Pw", "pwd", "PWD", "Pwd", "_pass", "-pass", "_PASS", "-PASS", "_Pass", "-Pass"
)  # fmt: skip
_SHORT_PASSWORD_ANCHOR = r"(?i)[a-z0-9](?:[_\-](?:pwd?|pass)|[a-z]pwd)\\?[\"']?\s*[:=]"
_add(
    "password_short_key_quoted",
    "password",
    _SHORT_PASSWORD_KEY + _SEP + _QUOTED,
    group=("dq", "sq"),
    priority=60,
    prefilter=_SHORT_PASSWORD_PREFILTER,
    validator=v.quoted_password,
    anchor=_SHORT_PASSWORD_ANCHOR,
    window=(2, 2_100),
    description='db_pw = "value", admin-pwd: "value" (pw/pwd ending a longer key)',
)
_add(
    "password_short_key",
    "password",
    _SHORT_PASSWORD_KEY + _SEP_INLINE + _BARE,
    group="bare",
    priority=60,
    prefilter=_SHORT_PASSWORD_PREFILTER,
    validator=v.bare_password,
    anchor=_SHORT_PASSWORD_ANCHOR,
    window=(2, 2_100),
    description="DB_PW=value, MYSQL_PWD: value (pw/pwd ending a longer key; not plain identifiers)",
)
# <password>value</password> (Maven's settings.xml, NuGet, .NET configs): the element names the value
_XML_TAG_CHARS = r"[A-Za-z0-9_:.\-]"
_add(
    "password_xml",
    "password",
    # (or named in the plural: <test_passwords>value</test_passwords>)
    r"<(?P<tag>" + _XML_TAG_CHARS + r"{0,40}(?:" + _cased(*_PASSWORD_WORDS) + "s?" + NUMBERED + r"))>"
    r"(?P<s>[^<>\r\n]{1,2048})</(?P=tag)>",
    priority=60,
    prefilter=("pass", "Pass", "PASS"),
    validator=v.quoted_password,
    anchor="(?i)<" + _XML_TAG_CHARS + "{0,40}(?:passw(?:or)?d|passphrase)s?" + NUMBERED + ">",
    window=(0, 2_200),
    description="<password>value</password>, <dbPassword>value</dbPassword>",
)
_XML_SECRET_WORDS = (
    "secret", "token", "api key", "access key", "account key", "secret key", "private key", "credential",
)  # fmt: skip
_add(
    "secret_xml",
    "secret",
    r"<(?P<tag>" + _XML_TAG_CHARS + r"{0,40}(?:" + _cased(*_XML_SECRET_WORDS) + r"))>"
    r"(?P<s>[^<>\s]{1,2048})</(?P=tag)>",
    priority=60,
    prefilter=("ecret", "ECRET", "oken", "OKEN", "ey>", "EY>", "redential", "REDENTIAL"),
    validator=v.looks_random,
    anchor="(?i)<" + _XML_TAG_CHARS + "{0,40}(?:secret|token|key|credential)>",
    window=(0, 2_200),
    description="<apiKey>value</apiKey>, <token>value</token> (high-entropy values only)",
)

# Tokens that page through or resume an API call (NextToken, nextPageToken, continuation_token,
# resumeToken, AWS's idempotency tokens): opaque and random, but they grant nothing
# (and .NET's publicKeyToken: a hash of an assembly's public key, printed in every config)
_NOT_CREDENTIAL_TOKEN_WORDS = ("next", "page", "continuation", "pagination", "resume", "idempotency", "publicKey")


def _not_a_paging_token(words: tuple[str, ...]) -> str:
    """At a key's start: not `token` right after one of the words (any casing, joined with '_',
    '-' or nothing), so nextToken, NEXT_TOKEN and page-token are not keys here."""
    spellings = {
        f(w) + join for w in words for f in (str, str.lower, str.capitalize, str.upper) for join in ("", "_", "-")
    }
    return "(?:" + "".join(f"(?<!{re.escape(sp)})" for sp in sorted(spellings)) + "|(?!token|Token|TOKEN))"


_add(
    "secret_assignment",
    "secret",
    _not_a_paging_token(_NOT_CREDENTIAL_TOKEN_WORDS)
    + _SECRET_KEY
    + r"(?:"
    + _SEP
    + _QUOTED_LONG
    + "|"
    + _SEP_INLINE
    + _BARE
    + ")",
    group=("dq", "sq", "bare"),
    priority=60,
    prefilter=(
        "ey",
        "EY",
        "ecret",
        "ECRET",
        "oken",
        "OKEN",
        "redential",
        "REDENTIAL",
        "uth",
        "UTH",
        "pat",
        "Pat",
        "PAT",
        "rumb",
        "RUMB",
        "eporter",
        "EPORTER",
        "ncrypt",
        "NCRYPT",
        "icense",
        "ICENSE",
        "ession",
        "ESSION",
    ),
    validator=v.looks_random,
    context_check=v.not_named_by_key,
    anchor=_key_anchor(*_SECRET_WORDS),
    window=_LONG_WINDOW,
    description="high-entropy values of keys named *token, *secret, *api_key, *credentials, private_key_id ...",
)

# The 1Password CLI's session token: `op signin` prints export OP_SESSION_<account>="..." (the
# name ends with the account, so secret_assignment's last word is no secret word)
_add(
    "op_session_token",
    "secret",
    r"\bOP_SESSION_[A-Za-z0-9_]{1,64}(?:" + _SEP + _QUOTED + "|" + _SEP_INLINE + _BARE + ")",
    group=("dq", "sq", "bare"),
    priority=60,
    prefilter=("OP_SESSION_",),
    validator=v.looks_random,
    anchor="OP_SESSION_",
    window=(0, 2_100),
    description="1Password CLI session tokens: OP_SESSION_account=...",
)

# Any other *key (APP_KEY, clientKey, 'key', ['dict_key']): a key is often a credential, as
# often an index or a name, so only a long random value counts, and never after the words that
# name a lookup key. (Keys named as secrets, api_key, secret_key, are secret_assignment's.)
_LOOKUP_KEY_WORDS = (
    "primary", "foreign", "sort", "partition", "cache", "hash", "range", "idempotency", "dedup",
    "dedupe", "lookup", "row", "registry", "group", "index", "unique", "composite", "shard",
    "routing", "translation", "i18n", "public", "pub",
)  # fmt: skip


def _not_after_words(words: tuple[str, ...], last: str) -> str:
    """Right after a key name's `last` word: that word did not follow one of the words (as
    written in snake, camel, Pascal or upper case, joined with '_', '-', '.' or nothing), so
    sort_key, cacheKey and PRIMARY-KEY are not keys here. Checked after the word, so the regex
    engine can skip ahead to it; one lookbehind per length (a lookbehind has a fixed width)."""
    low, cap, up = str.lower, str.capitalize, str.upper
    cases = ((low, low), (low, cap), (cap, cap), (cap, low), (up, up))
    spellings = {a(w) + join + b(last) for w in words for a, b in cases for join in ("", "_", "-", ".")}
    by_length: dict[int, list[str]] = {}
    for sp in sorted(spellings):
        by_length.setdefault(len(sp), []).append(re.escape(sp))
    return "".join(f"(?<!{'|'.join(alts)})" for _, alts in sorted(by_length.items()))


_KEY_SEP = r"\\?[\"']?\]?\s*(?::=|=>|=(?!=)|:(?![:/]))\s*"  # as _SEP, and ['dict_key'] = ...
_add(
    "key_assignment",
    "secret",
    # quoted values only: unquoted ones are code (key: PositionalIndexer2D, l2_key = info.l2_key)
    _cased("key") + _not_after_words(_LOOKUP_KEY_WORDS, "key") + NUMBERED + _KEY_SEP + _QUOTED_LONG,
    group=("dq", "sq"),
    priority=55,
    prefilter=("ey", "EY"),
    validator=v.random_key,
    context_check=v.not_named_by_key,
    anchor="(?i)key(?:[_\\-]?[0-9]{1,2})?\\\\?[\"']?\\]?\\s*[:=]",
    window=_LONG_WINDOW,
    description='long random quoted values of other keys named *key (APP_KEY = "..."); never sort_key, cacheKey ...',
)

# if creds.Secret != 'open-sesame': the literal a password or secret is checked against is it
_COMPARED_WORDS = ("password", "passwd", "passphrase", "secret", "api key")
_add(
    "compared_secret",
    "password",
    _cased(*_COMPARED_WORDS) + r"\s*(?:===?|!==?)\s*" + _QUOTED,
    group=("dq", "sq"),
    priority=55,
    prefilter=("pass", "Pass", "PASS", "ecret", "ECRET", "ey", "EY"),
    validator=v.quoted_password,
    anchor="(?i)(?:passw(?:or)?d|passphrase|secret|api[_-]?key)\\s*[=!]==?",
    window=(0, 2_100),
    description="password == \"value\", secret != 'value' (a comparison with a literal)",
)

# --- passwords in shell and config context -----------------------------------------------

# A quoted value's quotes may be JSON-escaped (\"value\" inside a JSON string). A placeholder
# (an earlier scrub's) is a value too, of no group: a pattern that allows words between its
# command and flag then stops at it, and does not reach on to a later flag of the same name
# (docker login -p <SECRET:password> ... -p mydb), so a second scrub finds what the first found.
_ARG = (
    r"(?:<SECRET:[a-z0-9_]{1,40}>|\\?\"(?P<dq>[^\"\\\r\n]{1,256})\\?\"|\\?'(?P<sq>[^'\\\r\n]{1,256})\\?'"
    r"|(?P<bare>[^\s\"'`;&|<>()\\]{1,256}+))"
)

_add(
    "netrc_password",
    "password",
    # (across lines, past a gutter: `cat -n ~/.netrc`, Claude Code's Read, a diff; gutters.py)
    r"\b(?:login|user)"
    + WS_ACROSS_LINES
    + r"[^\s\\]{1,128}"
    + WS_ACROSS_LINES
    + r"(?:password|passwd)"
    + WS_ACROSS_LINES
    + r"(?P<s>[^\s\\]{1,256}+)",
    priority=80,
    validator=v.quoted_password,
    anchor=r"(?:login|user)(?:\s|\\[nrt])+[^\s\\]{1,128}(?:\s|\\[nrt]|[0-9:>+\-]|→|│|\\u2192|\\u2502)+passw",
    window=(0, 420),
    description=".netrc / .authinfo lines: machine HOST login USER password PASS",
)

_add(
    "pgpass_line",
    "password",
    r"(?:(?<![^\n])|(?<=\\n)|(?<=\"))" + GUTTER + r"?[ \t]*"
    r"(?:[A-Za-z0-9._\-]{1,253}|\*|\[[0-9A-Fa-f:]{2,45}\]):(?:[0-9]{1,5}|\*):"
    r"[^:\s\\]{1,64}:[^:\s\\]{1,64}:(?P<s>[^\s\\]{1,256}+)",
    priority=70,
    validator=v.bare_password,
    # a line start (also a JSON-escaped one, or a JSON string's start: `cat ~/.pgpass` output in a
    # transcript), then host:port:database:user:. The engine looks for :port:database:user: alone
    # and the regex checks the start: an anchor that opened at every '"' cost the engine 17% more
    # time on Claude Code JSONL (measured)
    anchor=r":(?:[0-9]{1,5}|\*):[^:\s\\\",]{1,64}:[^:\s\\\",]{1,64}:",
    window=(256, 400),
    description="~/.pgpass lines: host:port:database:user:password",
)

_add(
    "sshpass",
    "password",
    _WORD_START + r"sshpass" + _WS + r"(?:-[A-Za-z](?:\s+[^\s\\-][^\s]{0,200})?" + _WS + r"){0,3}?-p\s*" + _ARG,
    group=("dq", "sq", "bare"),
    priority=80,
    validator=v.quoted_password,
    anchor="sshpass",
    window=(0, 700),
    description="sshpass -p PASSWORD",
)

_add(
    "redis_cli",
    "password",
    _WORD_START + r"redis-cli\b" + _CMD_GAP.format(n=200) + r"\s(?:-a|--pass|--askpass\s+no)\s+" + _ARG,
    group=("dq", "sq", "bare"),
    priority=80,
    validator=v.quoted_password,
    anchor="redis-cli",
    window=(0, 520),
    description="redis-cli -a PASSWORD",
)

_add(
    "azure_account_key",
    "azure_storage_key",
    _WORD_START + r"(?:AccountKey|SharedAccessKey|SharedKey|AccessKey)=(?P<s>[A-Za-z0-9+/]{20,200}={0,2})",
    priority=85,
    validator=v.high_entropy,
    anchor="(?:AccountKey|SharedAccessKey|SharedKey|AccessKey)=",
    window=(10, 220),
    description="Azure connection strings: AccountKey=, SharedAccessKey=",
)

_add(
    "sas_signature",
    "sas_signature",
    r"[?&;](?:amp;)?sig=(?P<s>(?:[A-Za-z0-9+/]|%2[BbFf]){16,256}(?:=|%3[Dd]){0,2})",
    priority=85,
    validator=v.not_mask,
    anchor="sig=",
    window=(6, 300),
    description="the signature of an Azure SAS URL or token (sig=)",
)

register_detector(
    Detector(
        name="kubernetes_secret",
        kind="kubernetes_secret",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=kubernetes_secret_values,
        priority=70,
        prefilter=("Secret",),
        anchor=re.compile(r"kind\\?[\"']?\s*:\s*\\?[\"']?Secret"),
        window=(0, 0),
        description="the values under data:/stringData: of a Kubernetes Secret manifest (YAML or JSON)",
    )
)

# --- personal data -------------------------------------------------------------------------

_add(
    "card_number",
    "card_number",
    _start(r"\w.\-/+") + r"(?P<s>[2-6][0-9]{3}(?:[ \-]?[0-9]{4}){2}[ \-]?[0-9]{1,7}"
    r"|3[47][0-9]{2}[ \-]?[0-9]{6}[ \-]?[0-9]{5}|3[068][0-9]{2}[ \-]?[0-9]{6}[ \-]?[0-9]{4})"
    r"(?![\w\-/]|\.[0-9])",
    priority=45,
    validator=v.card_number,
    # at a word start (or after a \\n escape), as the regex: a digit run inside a longer one is
    # not a card, and without the boundary the engine tries every digit (measured: 6% of its time)
    anchor=_anchored_at_start(
        r"[2-6][0-9]{12,18}|[2-6][0-9]{3}[ \-][0-9]{4}[ \-][0-9]{4}|3[0-9]{3}[ \-][0-9]{6}[ \-][0-9]{4}"
    ),
    window=(0, 30),
    description="payment card numbers (a known issuer prefix and length, and the Luhn checksum)",
)

_add(
    "phone",
    "phone",
    _start(r"\w.\-/+") + r"(?P<s>\+[1-9][0-9]{0,2}(?:[ .\-]?\(?[0-9]{1,4}\)?){1,2}(?:[ .\-]?[0-9]{2,4}){2,4}"
    r"|\([0-9]{3}\)[ .\-]?[0-9]{3}[ .\-][0-9]{4}|[0-9]{3}[.\-][0-9]{3}[.\-][0-9]{4})"
    r"(?![\w\-/]|\.[0-9])",
    priority=42,
    validator=v.phone,
    anchor=r"\+[1-9][0-9]{0,2}[ .\-(]{0,2}[0-9]{2}|\([0-9]{3}\)[ .\-]?[0-9]{3}|[0-9]{3}[.\-][0-9]{3}[.\-][0-9]{4}",
    window=(0, 30),
    description="phone numbers: +international, (NNN) NNN-NNNN, NNN-NNN-NNNN",
)

# A US Social Security number where its name stands before it (SSN: 123-45-6789, social security
# number 123-45-6789): nine digits in that grouping are also dates, ids and part numbers elsewhere
_add(
    "ssn",
    "ssn",
    r"\b(?:SSN|ssn|Ssn|[Ss]ocial[ \t_\-][Ss]ecurity(?:[ \t_\-](?:[Nn]umber|[Nn]o\.?|#))?)s?#?"
    r"[^\n0-9]{0,24}?(?<![0-9\-])(?P<s>[0-9]{3}-[0-9]{2}-[0-9]{4})(?![0-9\-])",
    priority=45,
    validator=v.ssn,
    anchor=r"SSN|ssn|Ssn|[Ss]ocial[ \t_\-][Ss]ecurity",
    window=(0, 90),
    description="US Social Security numbers after their name (SSN: 123-45-6789)",
)

_add(
    "email",
    "email",
    # not $TOKEN@host (a shell variable in a URL's user info); after a diff's + or - at a line's start
    # (first a cheap test that fails inside a word, but after an escape's n, r, t or 2 or a sign)
    r"(?<![A-Za-mo-qsu-z013-9._%$])(?:"
    + _start(r"A-Za-z0-9._%+\-$")
    + r"|(?<=[\n\"][+\-])|(?<=\A[+\-])|(?<=\\n[+\-]))"
    # not the password@host of scheme://user:password@host (a URL's user info), but mailto:a@b
    # and headers written without a space (From:a@b)
    + r"(?:(?<![:])|(?<=mailto:)|(?<=[Ff]rom:)|(?<=[Tt]o:)|(?<=[Cc]c:)|(?<=[Ee]mail:)|(?<=[Aa]uthor:))"
    # (a local part starts with a letter, a digit, _ or %: +@app.route in a diff is no address)
    + r"(?P<s>[A-Za-z0-9_%][A-Za-z0-9._%+\-]{0,63}+@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})"
    r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
    priority=40,
    prefilter=("@",),
    anchor=r"[A-Za-z0-9._%+\-]@[A-Za-z0-9]",
    window=(64, 260),
    validator=v.email,
    description="e-mail addresses",
)

# Starts on a digit, then checks what came before it.
_add(
    "ipv4",
    "ipv4",
    r"(?P<s>[0-9](?:(?<![\w.\\][0-9])|(?<=\\[nrt][0-9]))[0-9]{0,2}\.(?:[0-9]{1,3}\.){2}[0-9]{1,3})"
    r"(?![\w]|\.[0-9])",
    # searched only around ".d." (the first dot of an address), which is far rarer than a digit
    priority=35,
    prefilter=(".",),
    anchor=r"[0-9]\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]",
    window=(3, 12),
    validator=v.ipv4,
    context_check=v.not_numbering_something_else,
    description=(
        "IPv4 host addresses (not loopback, 0.x, 224+ or netmasks, x.y.z.0; 1.2.3 and 1.2.3.4.5 are not addresses)"
    ),
)

_add(
    "ipv6",
    "ipv6",
    _start(r"\w:.") + r"(?P<s>(?:[0-9A-Fa-f]{0,4}:){2,7}+"
    r"(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?(?:%[A-Za-z0-9]{1,16})?)(?![\w:.])",
    priority=35,
    prefilter=(":",),
    window=(40, 64),
    validator=v.ipv6,
    # '::' between hex groups, or five groups in a row (timestamps have three); addresses that
    # start or end with '::' and are not loopback (::ffff:..., 2001:db8::) are not anchored.
    # Whole hex groups around '::': Rust and C++ paths (std::fs) are not anchored; checking each
    # of their '::' cost the engine half its time on real transcripts (measured)
    anchor=_anchored_at_start(r"[0-9A-Fa-f]{1,4}::[0-9A-Fa-f]{1,4}\b")
    + r"|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:",
    description="IPv6 addresses (not :: or ::1)",
)

_HOME_USER = re.compile(r"/(?:(?<![\w.\-\\]/)|(?<=\\[nrt]/))(?:home|Users)/(?P<s>[A-Za-z0-9._\-]{1,64}+)")


def _home_user_spans(text: str) -> list[tuple[int, int]]:
    return [m.span("s") for m in _HOME_USER.finditer(text)]


_add(
    "home_user",
    "user",
    _HOME_USER.pattern,
    priority=30,
    prefilter=("/home/", "/Users/"),
    validator=v.home_user,
    # Python finds these itself, in one pass over the text: in Claude Code JSONL every line's
    # "cwd" holds one, and a plain-literal search costs less per hit than the engine's (measured)
    anchor="/(?:home|Users)/",
    window=(0, 80),
    engine_anchor=False,
    finder=_home_user_spans,
    description="the user name in /home/NAME and /Users/NAME (the path shape is kept)",
)

_add(
    "claude_project_user",
    "user",
    # Claude Code names a project's folder after its path with '/' (and '.', '_') as '-':
    # ~/.claude/projects/-home-alice-acme; on Windows ':' and '\' too: C--Users-alice-acme. The
    # user is the segment after home/Users.
    r"(?:(?<![\w.\-])|(?<=[A-Za-z]-)(?<![\w.\-][A-Za-z]-))-(?:home|Users)-(?P<s>[A-Za-z0-9]{1,64}+)",
    priority=30,
    validator=v.home_user,
    anchor="-(?:home|Users)-",
    window=(0, 80),
    description="the user name in Claude Code's project folder names (-home-NAME-, -Users-NAME-, C--Users-NAME-)",
)

_add(
    "windows_user",
    "user",
    _start(r"\w.\-") + r"[A-Za-z]:\\{1,2}Users\\{1,2}(?P<s>[A-Za-z0-9._\-]{1,64}+)",
    priority=30,
    prefilter=("\\Users\\",),
    validator=v.home_user,
    anchor=r":\\{1,2}Users\\",
    window=(2, 80),
    description="the user name in C:\\Users\\NAME (also JSON-escaped)",
)

# `ls -l` lines: mode, links, then the owner and group columns (a login name; on Linux the group
# is the user's own group of the same name). Mode strings are specific enough to anchor on.
_LS_MODE = r"[-dlcbps][-r][-w][-xsStT][-r][-w][-xsStT][-r][-w][-xtT][@+.]?"
_LS_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]{0,31}"
_add(
    "ls_owner",
    "user",
    _start(r"\w\-") + _LS_MODE + r" +\d+ +(?P<s>" + _LS_NAME + r") +" + _LS_NAME + r" +\d",
    priority=30,
    validator=v.file_owner,
    anchor=_LS_MODE + r" +\d+ +[A-Za-z_]",
    window=(0, 120),
    description="the owner in `ls -l` output (drwxr-xr-x 9 NAME staff ...), not a system account",
)
_add(
    "ls_group",
    "user",
    _start(r"\w\-") + _LS_MODE + r" +\d+ +(?P<o>" + _LS_NAME + r") +(?P<s>(?P=o)) +\d",
    priority=30,
    validator=v.file_owner,
    anchor=_LS_MODE + r" +\d+ +[A-Za-z_]",
    window=(0, 120),
    description="the group in `ls -l` output where it is the owner's own (alice alice)",
)

# A dict key that names a credential ("password", "AWS_SECRET_ACCESS_KEY", "slackToken"): the
# Scrubber gives such a key's string value the key as context, as if it were written key: "value".
CREDENTIAL_KEY_NAME = re.compile(rf"(?:{_PASSWORD_KEY}|{_SECRET_KEY})\Z")

_add(
    "password_hash",
    "password_hash",
    # crypt(3) hashes (bcrypt $2a$, sha-crypt $5$/$6$, yescrypt $y$, scrypt $7$/$8$) and the
    # Kerberos / NTLM hash formats that cracking tools print: offline-crackable, so secrets
    _start(r"\w$") + r"(?P<s>\$(?:2[abxy]?|5|6|7|8|y|gy|krb5(?:asrep|tgs|pa)|NT)\$[A-Za-z0-9./$=+:@_\-]{16,4000}+"
    # md5-crypt and Apache's apr1 have a fixed shape ($1$ alone also starts shell text: "$1$HOME/x")
    r"|\$(?:1|apr1)\$[A-Za-z0-9./]{1,8}\$[A-Za-z0-9./]{22}(?![A-Za-z0-9./])"
    r"|\$argon2(?:id|i|d)\$(?:v=[0-9]{1,3}\$)?m=[0-9]{1,8},t=[0-9]{1,4},p=[0-9]{1,3}\$[A-Za-z0-9+/]{8,128}\$[A-Za-z0-9+/]{16,512}"
    # LDAP and htpasswd -s ({SSHA}base64), Django's PBKDF2 (pbkdf2_sha256$iterations$salt$hash)
    # and Werkzeug's (pbkdf2:sha256:600000$salt$hex, scrypt:32768:8:1$salt$hex)
    r"|\{(?:S?SHA(?:256|384|512)?|S?MD5|PBKDF2(?:-SHA(?:256|512))?)\}[A-Za-z0-9+/.$]{20,700}={0,2}"
    r"|pbkdf2_sha(?:1|256)\$[0-9]{4,7}\$[A-Za-z0-9./+]{1,64}\$[A-Za-z0-9+/]{27,86}={0,2}"
    r"|(?:pbkdf2:sha(?:1|256|512)(?::[0-9]{1,7})?|scrypt:[0-9]{1,7}:[0-9]{1,3}:[0-9]{1,3})\$[A-Za-z0-9]{1,64}\$[0-9a-f]{40,128})",
    priority=80,
    validator=v.not_mask,
    anchor=r"\$(?:2[abxy]?|5|6|7|8|y|gy|krb5asrep|krb5tgs|krb5pa|NT|1|apr1|argon2id|argon2i|argon2d)\$"
    r"|\{(?:SSHA|SHA|SMD5|MD5|PBKDF2)|pbkdf2_sha|pbkdf2:sha|scrypt:[0-9]",
    window=(2, 4100),
    description="password hashes: bcrypt, sha-crypt, md5-crypt, apr1, yescrypt, scrypt, Argon2, Kerberos AS-REP/TGS, "
    "LDAP {SSHA}, Django and Werkzeug PBKDF2",
)
