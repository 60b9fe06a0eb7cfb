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


def _start(chars: str) -> str:
    """Match start: not preceded by one of `chars` (or a backslash), or right after a \\n \\r \\t escape."""
    return rf"(?:(?<![{chars}\\])|(?<=\\[nrt]))"


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
    return rf"{prefix}(?:(?<![{chars}\\]{prefix})|(?<=\\[nrt]{prefix}))"


_ALNUM = "A-Za-z0-9"
_WORD = "A-Za-z0-9_"
_TOKEN_END = r"(?![A-Za-z0-9_\-])"


def _add(name: str, kind: str, pattern: str, *, priority: int, prefilter: tuple[str, ...] = (),
         group: int | str | tuple[str, ...] = "s", validator=None, anchor: str | None = None,
         window: tuple[int, int] = (0, 0), description: str = "") -> None:
    register_detector(Detector(name=name, kind=kind, pattern=re.compile(pattern),
                               validator=validator, group=group, prefilter=prefilter,
                               priority=priority, description=description, window=window,
                               anchor=re.compile(anchor) if anchor else None))


# --- whole-credential formats --------------------------------------------------------------

_PEM_LABEL = r"[A-Z0-9 ]{0,20}PRIVATE KEY(?: BLOCK)?-----"
_add("private_key", "private_key",
     rf"(?P<s>-----BEGIN {_PEM_LABEL}"
     # the whole block up to its END line (newlines real or JSON-escaped) ...
     rf"(?:[\s\S]{{1,20000}}?-----END {_PEM_LABEL}"
     # ... or, when the block was cut off, the base64 lines that follow BEGIN
     rf"|(?:(?:\s|\\+[nr])*+[A-Za-z0-9+/=]{{16,}}+)*+))",
     priority=100, prefilter=("-----BEGIN ",),
     description="PEM/OpenSSH/PGP private key blocks, also truncated or with JSON-escaped newlines")

# No prefilter on the next four: a regex that starts with a literal character finds its
# candidates faster than a scan of the text for each of several literal prefixes would.
_add("aws_access_key", "aws_access_key",
     r"(?P<s>" + _begin("A", _ALNUM) + r"(?:KIA|SIA|GPA|IDA|ROA|IPA|NPA|NVA|3T[A-Z0-9])[A-Z0-9]{16})(?![A-Za-z0-9])",
     priority=90, validator=v.not_mask, description="AWS access key ids")

_add("github_token", "github_token",
     r"(?P<s>" + _begin("g", _WORD) + r"(?:h[pousr]_[A-Za-z0-9]{36,251}+|ithub_pat_[A-Za-z0-9_]{22,244}+))(?![A-Za-z0-9_])",
     priority=90, validator=v.not_mask, description="GitHub classic and fine-grained tokens")

_add("gitlab_token", "gitlab_token",
     r"(?P<s>" + _begin("gl", _WORD + r"\-") + r"(?:pat|dt|rt|ptt|soat|cbt|ffct|imt)-"
     r"[A-Za-z0-9_\-]{20,200}+(?:\.[A-Za-z0-9_\-]{1,40})*)" + _TOKEN_END,
     priority=90, validator=v.not_mask, description="GitLab personal, deploy, runner and trigger tokens")

_add("slack_token", "slack_token",
     r"(?P<s>" + _begin("x", _WORD) + r"(?:ox(?:e\.xox)?[abeoprs]|app)-[A-Za-z0-9\-]{10,250}+)" + _TOKEN_END,
     priority=90, validator=v.mixed_token,
     description="Slack bot, user, config (xoxe.xoxp-) and app-level (xapp-) tokens")

_add("slack_webhook", "slack_webhook",
     r"(?P<s>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]{20,200}+)",
     priority=90, prefilter=("hooks.slack.com",), description="Slack incoming-webhook URLs")

_add("anthropic_key", "anthropic_key",
     r"(?P<s>" + _begin("sk-", _WORD + r"\-") + r"ant-[A-Za-z0-9_\-]{20,250}+)" + _TOKEN_END,
     priority=92, prefilter=("sk-ant-",), validator=v.mixed_token, description="Anthropic API keys")

_add("openai_key", "openai_key",
     r"(?P<s>" + _begin("sk-", _WORD + r"\-") + r"(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,250}+)" + _TOKEN_END,
     priority=90, prefilter=("sk-",), validator=v.mixed_token, description="OpenAI API keys")

_add("stripe_key", "stripe_key",
     r"(?P<s>" + _begin("[sr]k_", _WORD) + r"(?:live|test)_[A-Za-z0-9]{10,250}+)" + _TOKEN_END,
     priority=90, prefilter=("k_live_", "k_test_"), validator=v.mixed_token,
     description="Stripe secret and restricted keys")

_add("google_api_key", "google_api_key",
     r"(?P<s>" + _begin("AIza", _WORD + r"\-") + r"[0-9A-Za-z_\-]{35}"
     r"|" + _begin("GOCSPX-", _WORD + r"\-") + r"[A-Za-z0-9_\-]{28}"
     r"|" + _begin(r"ya29\.", _WORD + r"\-.") + r"[A-Za-z0-9_\-]{30,2000}+)" + _TOKEN_END,
     priority=90, prefilter=("AIza", "GOCSPX-", "ya29."), validator=v.not_mask,
     description="Google API keys, OAuth client secrets (GOCSPX-) and access tokens (ya29.)")

_add("huggingface_token", "huggingface_token",
     r"(?P<s>" + _begin("hf_", _WORD) + r"[A-Za-z0-9]{30,40}+)" + _TOKEN_END,
     priority=90, prefilter=("hf_",), validator=v.mixed_token, description="Hugging Face tokens")

_add("npm_token", "npm_token",
     r"(?P<s>" + _begin("npm_", _WORD) + r"[A-Za-z0-9]{36})" + _TOKEN_END,
     priority=90, prefilter=("npm_",), validator=v.mixed_token, description="npm access tokens")

_add("pypi_token", "pypi_token",
     r"(?P<s>" + _begin("pypi-", _WORD) + r"AgE[A-Za-z0-9_\-]{50,300}+)" + _TOKEN_END,
     priority=90, prefilter=("pypi-AgE",), description="PyPI upload tokens")

_add("jwt", "jwt",
     r"(?P<s>" + _begin("eyJ", _WORD + r"\-") + r"[A-Za-z0-9_\-]{5,4000}+\.eyJ[A-Za-z0-9_\-]{5,8000}+\.[A-Za-z0-9_\-]{0,4000}+)"
     + r"(?![A-Za-z0-9_\-.])",
     priority=90, prefilter=("eyJ",), description="JSON Web Tokens (header.payload.signature)")

# --- credentials identified by their context ----------------------------------------------

_add("aws_secret_key", "aws_secret_key",
     _cased("aws secret access key", "aws secret key", "secret access key")
     + r"\\?[\"']?\s*(?:=>|:=|=|:)\s*\\?[\"']?"
     r"(?P<s>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
     priority=85, prefilter=("ecret", "ECRET"), validator=v.high_entropy,
     description="AWS secret access keys next to their key name")

_add("url_password", "password",
     r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]{1,30}+://[^\s:/?#@'\"<>\\]{0,128}+:"
     r"(?P<s>[^\s/?#'\"<>\\]{1,256})@(?=[A-Za-z0-9\[])",
     priority=80, prefilter=("://",), anchor="://", window=(32, 1024), validator=v.url_password,
     description="the password in scheme://user:password@host (scheme, user and host are kept)")

_add("cli_password", "password",
     r"-(?<![\w\-]-)-" + _cased("password", "passwd", "pass") + r"(?:=|\s+)"
     r"(?:\"(?P<dq>[^\"\\\r\n]{1,256})\"|'(?P<sq>[^'\\\r\n]{1,256})'|(?P<bare>[^\s\"'`;&|<>()\\]{1,256}+))"
     # mysql -pSECRET: the password glued to -p
     r"|" + _begin("m", _WORD + r"\-") + r"(?:ysql(?:dump|admin)?|ariadb(?:-dump)?)\b[^\n|;&]{0,200}?\s-p"
     r"(?P<glued>[^\s'\"\\`;&|<>]{3,128}+)"
     # echo SECRET | docker login --password-stdin
     r"|" + _begin("echo", _WORD + r"\-") + r"\s+(?:-n\s+)?(?:'(?P<esq>[^'\\\r\n]{3,256})'|\"(?P<edq>[^\"\\\r\n]{3,256})\""
     r"|(?P<ebare>[^\s'\"`;&|<>()\\]{3,256}+))\s*\|\s*(?:sudo\s+)?"
     r"(?:docker|podman|nerdctl|helm(?:\s+registry)?|oras|skopeo)\s+login\b[^\n|;&]{0,200}?--password-stdin",
     group=("dq", "sq", "bare", "glued", "esq", "edq", "ebare"), priority=80,
     prefilter=("--pass", "--Pass", "--PASS", "mysql", "mariadb"), validator=v.bare_password,
     description="--password VALUE, mysql -pVALUE, echo VALUE | docker login --password-stdin")

_add("cli_user_password", "password",
     r"-(?<![\w\-]-)(?:u|-user)\s*['\"]?[^\s:'\"\\]{1,128}+:(?P<s>[^\s'\"\\]{1,256}+)",
     priority=80, prefilter=("-u",), validator=v.cli_user_password,
     description="curl -u user:password")

_add("cli_secret", "secret",
     r"-(?<![\w\-]-)-" + _cased("token", "api key", "secret", "auth token", "access token", "client secret")
     + r"(?:=|\s+)"
     r"(?:\"(?P<dq>[^\"\\\r\n]{1,256})\"|'(?P<sq>[^'\\\r\n]{1,256})'|(?P<bare>[^\s\"'`;&|<>()\\]{1,256}+))",
     group=("dq", "sq", "bare"), priority=75, prefilter=("--",), validator=v.looks_random,
     description="--token VALUE and friends on a command line")

_add("bearer_token", "bearer_token",
     r"(?:\b(?:bearer|Bearer|BEARER)\s+|" + _cased("authorization")
     + r"\\?[\"']?\s*[:=]\s*\\?[\"']?" + _cased("basic", "token", "digest") + r"\s+)"
     r"(?P<s>[A-Za-z0-9._~+/\-]{8,4000}+=*)",
     priority=75, prefilter=("earer", "EARER", "uthorization", "UTHORIZATION"), validator=v.looks_random,
     description="HTTP Authorization header credentials")

# key = value, "key": "value", key: value. The key ends in the keyword (DB_PASSWORD,
# slackToken); '==' is a comparison and '::'/':/' are not separators.
_SEP = r"\\?[\"']?\s*(?::=|=>|=(?!=)|:(?![:/]))\s*"
_QUOTED = r"(?:\\?\"(?P<dq>[^\"\\\r\n]{1,2048})\\?\"|\\?'(?P<sq>[^'\\\r\n]{1,2048})\\?')"
# Unquoted: stops at quotes, separators, brackets and '=' (base64 padding aside); a value
# followed by ( or [ is code.
_BARE = r"(?P<bare>[^\s\"'`,;&|<>(){}\[\]\\=]{1,2048}+={0,3}+)(?![(\[])"
_PASSWORD_KEY = _cased("password", "passwd", "passphrase")
_SECRET_KEY = _cased("api key", "secret", "secret key", "token", "access key", "private key", "signing key",
                     "encryption key", "credential", "credentials", "auth")

_add("password_quoted", "password", _PASSWORD_KEY + _SEP + _QUOTED, group=("dq", "sq"),
     priority=60, prefilter=("pass", "Pass", "PASS"), validator=v.quoted_password,
     description='password = "value", "password": "value"')
_add("password_bare", "password", _PASSWORD_KEY + _SEP + _BARE, group="bare",
     priority=60, prefilter=("pass", "Pass", "PASS"), validator=v.bare_password,
     description="PASSWORD=value, password: value (not plain identifiers)")
_add("secret_assignment", "secret", _SECRET_KEY + _SEP + r"(?:" + _QUOTED + "|" + _BARE + ")",
     group=("dq", "sq", "bare"), priority=60,
     prefilter=("ey", "EY", "ecret", "ECRET", "oken", "OKEN", "redential", "REDENTIAL", "uth", "UTH"),
     validator=v.looks_random,
     description="high-entropy values of keys named *token, *secret, *api_key, *credentials ...")

# --- personal and network data ------------------------------------------------------------

_add("email", "email",
     _start(r"A-Za-z0-9._%+\-") + r"(?P<s>[A-Za-z0-9._%+\-]{1,64}+@"
     r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24})"
     r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
     priority=40, prefilter=("@",), anchor=r"(?<=[A-Za-z0-9._%+\-])@(?=[A-Za-z0-9])", window=(64, 260),
     validator=v.email,
     description="e-mail addresses")

# Starts on a digit, then checks what came before it.
_add("ipv4", "ipv4",
     r"(?P<s>[0-9](?:(?<![\w.\\][0-9])|(?<=\\[nrt][0-9]))[0-9]{0,2}\.(?:[0-9]{1,3}\.){2}[0-9]{1,3})"
     r"(?![\w]|\.[0-9])",
     # searched only around ".d." (the first dot of an address), which is far rarer than a digit
     priority=35, prefilter=(".",), anchor=r"\.[0-9]{1,3}\.", window=(3, 12), validator=v.ipv4,
     description="IPv4 host addresses (not loopback, 0.x, 224+ or netmasks, x.y.z.0; 1.2.3 and 1.2.3.4.5 are not addresses)")

_add("ipv6", "ipv6",
     _start(r"\w:.") + r"(?P<s>(?:[0-9A-Fa-f]{0,4}:){2,7}+"
     r"(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?(?:%[A-Za-z0-9]{1,16})?)(?![\w:.])",
     priority=35, prefilter=(":",), window=(5, 64), validator=v.ipv6,
     # any two colons a hex group apart, but not the hh:mm:ss of a timestamp
     anchor=r":(?![0-9]{2}:[0-9]{2}(?![0-9A-Fa-f]))[0-9A-Fa-f]{0,4}:",
     description="IPv6 addresses (not :: or ::1)")

_add("home_user", "user",
     r"/(?:(?<![\w.\-\\]/)|(?<=\\[nrt]/))(?:home|Users)/(?P<s>[A-Za-z0-9._\-]{1,64}+)",
     priority=30, prefilter=("/home/", "/Users/"), validator=v.home_user,
     description="the user name in /home/NAME and /Users/NAME (the path shape is kept)")

_add("windows_user", "user",
     _start(r"\w.\-") + r"[A-Za-z]:\\{1,2}Users\\{1,2}(?P<s>[A-Za-z0-9._\-]{1,64}+)",
     priority=30, prefilter=("\\Users\\",), validator=v.home_user,
     description="the user name in C:\\Users\\NAME (also JSON-escaped)")

# A dict key that names a credential ("password", "AWS_SECRET_ACCESS_KEY", "slackToken"): the
# Scrubber gives such a key's string value the key as context, as if it were written key: "value".
CREDENTIAL_KEY_NAME = re.compile(rf"(?:{_PASSWORD_KEY}|{_SECRET_KEY})\Z")
