"""Validators: second opinions on a regex candidate, so precision does not rest on regexes alone.

Each takes the candidate secret (never its context) and returns True to keep it. They run
only on candidates, so plain Python is fine here.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import itertools
import json
import math
import re
from collections import Counter

# Values that sit where a secret would but are not one: references, templates, masks, docs.
_REFERENCE = re.compile(
    r"""[$<{\[]             # $VAR ${VAR} <your-token> {{ tmpl }} [REDACTED]
      | %(?:\(|\{|[sdr]\b|[A-Za-z_]\w*%(?![A-Za-z0-9]))  # %(x)s %{x} %s %APPDATA% (a password may start with %)
      | \#\{ | \(\(        # Ruby's "#{ENV['PW']}", Concourse's ((db-password))
      | `[^`]+`\Z           # `cat /run/secrets/pw`: a command's output (a password may start with `)
      | @Microsoft\.KeyVault\(
      # where a secret store or a tool reads it from: openssl's -pass env:VAR / file:PATH / fd:3,
      # 1Password's op://vault/item, Kubernetes and vals references
      | (?:env|file|fd|op|ssm|sops|secretref|secretsmanager|aws-secretsmanager|awssm|gcpsm|keyvault
          |azurekeyvault|ref\+[a-z0-9]+):[^\s:]
      | .*(?:os\.environ|process\.env|getenv|secrets\.|vault:|\.\.\.$)
    """,
    re.X | re.S,
)
# A template or placeholder inside a longer value: sk-<your-key>, prefix-${SUFFIX}, {{ x }}-y
# (and a format string's slot: "prefix_{}".format(x), "{0}:{1}" is a template, not a password)
_EMBEDDED_TEMPLATE = re.compile(r"\$\{[^}\s]+\}|\{\{[^}]*\}\}|<[A-Za-z][\w\- ]{0,40}>|\{[0-9]{0,2}\}")
_MASK = re.compile(r"[*xX•.#\-_]+")
# A provider prefix over a masked body: ghp_XXXXXXXXXXXX, sk-************, AKIAXXXXXXXXXXXXXXXX
_PREFIXED_MASK = re.compile(r"[A-Za-z0-9]{0,12}?[_\-.]?[*xX•]{6,}[*xX•_\-.]*")
# Words that hold a value's place in docs and examples: your_api_key_here, YourPassword,
# replace-me, insert-token-here (a real credential has no such words). Not "my": scanners'
# labels count myPassword in a connection-string sample as a secret, and a leak costs more.
_PLACEHOLDER = re.compile(
    r"(?i)(?:.*[_\-\s])?(?:your|enter|insert|put)[_\-\s]?(?:own[_\-\s]?)?(?:[a-z]+[_\-\s]?){0,2}?"
    r"(?:password|passwd|pass|pwd|secret|token|key|credentials?)(?:[_\-\s]?here)?[0-9]{0,4}"
    r"|(?:replace|change)[_\-\s]?(?:me|this|it)|.*placeholder.*"
)
_STOPWORDS = frozenset(
    [
        "none",
        "null",
        "nil",
        "true",
        "false",
        "undefined",
        "required",
        "optional",
        "string",
        "str",
        "bytes",
        "int",
        "bool",
        "password",
        "passwd",
        "passphrase",
        "secret",
        "token",
        "apikey",
        "api_key",
        "key",
        "value",
        "changeme",
        "redacted",
        "hidden",
        "empty",
        "example",
        "sample",
        "dummy",
        "test",
        "todo",
        "fixme",
        "your_password",
        "your_token",
        "your_api_key",
        # the password of public, documented logins (guest:guest@rabbitmq, ftp's anonymous);
        # not "pass": scanners' labels count user:pass@host as a credential
        "guest",
        "anonymous",
        "user",
        "username",
        "foobar",
        # what a setting says in place of a value: not applicable, to be decided, left out
        "n/a",
        "tbd",
        "unset",
        "notset",
        "blank",
        "disabled",
        "sensitive",
        "prompt",
        "stdin",
    ]
)
# "Password" in the languages of the i18n files that label a login form ("password": "Passwort")
_PASSWORD_TRANSLATIONS = frozenset(
    [
        "passwort",
        "kennwort",
        "contraseña",
        "contrasena",
        "senha",
        "wachtwoord",
        "lösenord",
        "losenord",
        "passord",
        "adgangskode",
        "salasana",
        "hasło",
        "haslo",
        "heslo",
        "jelszó",
        "parola",
        "şifre",
        "sifre",
        "пароль",
        "パスワード",
        "密码",
        "密碼",
        "비밀번호",
    ]
)
# Words and identifiers: lowercase, Capitalised or camelCase words joined by separators.
_WORD_PART = r"(?:(?:[A-Z]?[a-z]++)++|[A-Z]++)"  # possessive: one way to split, no backtracking blow-up
_WORDS = re.compile(rf"{_WORD_PART}(?:[ _\-./:]{_WORD_PART})*+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")
# A file path, not base64 that happens to start with '/' (that has '+' or '=' in it).
_PATH = re.compile(r"(?:/|\./|~/)[\w.\-/~@]*")
_FILE_SUFFIXES = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "svg",
        "webp",
        "ico",
        "bmp",
        "pdf",
        "js",
        "mjs",
        "ts",
        "tsx",
        "jsx",
        "py",
        "rs",
        "go",
        "rb",
        "java",
        "kt",
        "json",
        "yaml",
        "yml",
        "toml",
        "md",
        "txt",
        "css",
        "scss",
        "html",
        "lock",
        "sh",
    ]
)
_NOT_PERSONAL_LOCAL_PARTS = frozenset({"git", "noreply", "no-reply"})
# YAML tags where a value would be: the value is elsewhere (Ansible's encrypted block on the next
# lines, Home Assistant's secrets.yaml, a CloudFormation reference). A listed set: a password
# may start with '!'.
_YAML_TAG = re.compile(
    r"!(?:vault|secret|env_var|env|ENV|include|unsafe|reference|Ref|Sub|GetAtt|ImportValue|Join|Select|If"
    r"|FindInMap|Base64|Split)|!!(?:str|binary|python/\S*)"
)
# a tag and its argument: !Ref DbPassword, !Sub '${AWS::StackName}-pw' (CloudFormation's references)
_YAML_TAG_LEAD = re.compile(r"(?:" + _YAML_TAG.pattern + r")(?:\s|\Z)")
# Words a value is made of when it only names its place: @@PASSWORD@@, __SECRET_KEY__, fake-token.
# Masks that say what was done (***REMOVED***, [FILTERED]) and docs phrasing (REPLACE_WITH_PASSWORD,
# SET_ME, fill-me-in) too.
_PLACE_WORDS = _STOPWORDS | {
    "fake",
    "mock",
    "demo",
    "api",
    "access",
    "auth",
    "client",
    "private",
    "here",
    "db",
    "removed",
    "masked",
    "omitted",
    "filtered",
    "scrubbed",
    "sanitized",
    "censored",
    "replace",
    "with",
    "set",
    "me",
    "fill",
    "in",
    "not",
    "goes",
    "the",
}
_WORD_OR_NUMBER = re.compile(r"[A-Za-z]+|[0-9]+")


def shannon_entropy(value: str) -> float:
    """Bits per character of the value's own character distribution."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def is_reference_or_mask(value: str) -> bool:
    """$VAR, ${{ secrets.X }}, <your-key>, ****, xxxx, 'sk-...', stop words."""
    v = value.strip()
    return (
        not v
        or bool(_REFERENCE.match(v))
        or bool(_MASK.fullmatch(v))
        or bool(_PREFIXED_MASK.fullmatch(v))
        or bool(_PLACEHOLDER.fullmatch(v))
        or v.lower() in _STOPWORDS
        or len(set(v)) == 1
        or bool(_YAML_TAG_LEAD.match(v))
        or _only_place_words(v)
        or bool(_EMBEDDED_TEMPLATE.search(v))
    )


def _only_place_words(value: str) -> bool:
    """Every part of the value a placeholder word, none a number (dummy-password yes, test123 no)."""
    parts = _WORD_OR_NUMBER.findall(value)
    return bool(parts) and all(p.lower() in _PLACE_WORDS for p in parts)


# Code where a key-context value would be: a name or a chain of them (self._token,
# _sdk.api_key, options?.resumeToken, rsa.RSAPrivateKey), made of words with at most a two-digit
# number after one (mask2_token, c_int32). Random tokens interleave letters and digits.
_CODE_NAME = re.compile(r"[A-Za-z_$][\w$]*+(?:\??\.[A-Za-z_$][\w$]*+)*+")
_NAME_WORD = re.compile(r"[A-Z]?[a-z]+[0-9]{0,2}|[A-Z]+(?![a-z])")  # capitals with digits: random


def is_code_name(value: str) -> bool:
    """A variable, attribute chain or type name (see _CODE_NAME), not a credential. Without a
    '.', '_' or '$' and with a digit it is not taken for one (limited123, SuperSecret1); a
    number of up to four digits between its words is a year or a count (customer_id_2024_v2)."""
    if not _CODE_NAME.fullmatch(value):
        return False
    if not any(c in value for c in "._$") and any(c.isdigit() for c in value):
        return False
    parts = [p for p in re.split(r"[._$?]+", value) if p]
    for part in parts:
        if len(part) == 1:
            continue  # _t.AuthType, ctypes.c_int32
        if (part.isdigit() and len(part) <= 4) or (part[0] == "v" and part[1:].isdigit() and len(part) <= 3):
            continue  # a year, a count or a version between words: customer_id_2024_v2, layer_12_weight
        if len(part) >= 10 and not _word_like(part):
            return False  # PFRaMBwOKxlzQBgDoeNw: cases at random, not words
        words = _NAME_WORD.findall(part)
        if _LETTER_AND_NUMBER.fullmatch(part) and len(parts) > 1:
            continue  # a letter and a number between words, as a name has them: s3_connection, h2.client
        # a one-letter word only as a capital (OAuthToken, ApiKeyT), not a random token's a/x
        if "".join(words) != part or any(
            sum(c.isalpha() for c in w) < 2 and not (len(w) == 1 and w.isupper()) for w in words
        ):
            return False
    return True


_LETTER_AND_NUMBER = re.compile(r"[a-z][0-9]{1,2}")


def _word_like(value: str) -> bool:
    """Letters that split into words (SuperSecretPassword, my_app_secret), not a random run of
    cases (PFRaMBwOKxlzQBgDoeNw splits into pieces of one or two letters; SSVmFDNCFfOHKXQAEckx
    into capitals' runs, long enough to pass, and two-letter words no language has: Vm, Ff)."""
    parts = _NAME_WORD.findall(value)
    if not parts or sum(map(len, parts)) < 3 * len(parts):
        return False
    # a name's short words are words (Id, By, Of) or, once, an abbreviation (Db, Js)
    return sum(len(p) == 2 and p[1].islower() and not _VOWEL.search(p) for p in parts) < 2


_VOWEL = re.compile(r"[AEIOUYaeiouy]")


# A version where a token would be (token = "v1.2.3-beta")
_VERSION = re.compile(r"v?\d+(?:\.\d+){1,3}(?:[-+][0-9A-Za-z.\-]+)?")
# A resource name or path: lowercase words and numbers between '-' or '/' (my-k8s-secret,
# projects/123/secrets/db-password/versions/latest, prod/db/password)
_NAME_PART = re.compile(r"[a-z][a-z0-9_]*|[0-9]+")


def _resource_name(value: str) -> bool:
    """Lowercase words joined by '-' or '/', with at most two digits outside whole-number steps:
    Kubernetes and cloud resource names and paths. Random tokens mix cases or digits in more."""
    steps = value.split("/")
    parts = [p for step in steps for p in step.split("-")]
    if len(parts) < 2 or not all(_NAME_PART.fullmatch(p) for p in parts):
        return False
    words = [p for p in parts if not p.isdigit()]
    if sum(c.isdigit() for p in words for c in p) > 2 or not words:
        return False
    if any(p.isdigit() for p in parts) and len(steps) < 3:
        return False  # numbers between dashes (2024-01-15) are dates or ids; between slashes, steps
    letters = "-".join("".join(c for c in p if not c.isdigit()) for p in words)
    return _word_like(letters.replace("_", "-"))


def _counts_up(digits: str) -> bool:
    """123, 1234, 1234567890: each digit one more than the last (9 then 0)."""
    return all((int(a) + 1) % 10 == int(b) for a, b in itertools.pairwise(digits))


_FIXTURE_CHARS = re.compile(r"[A-Za-z0-9_\-.]+")


def docs_fixture(value: str) -> bool:
    """Placeholder words and a counting number (test_api_key_123, your-token-1234, token123):
    a test's or a tutorial's value, not a random key."""
    if not _FIXTURE_CHARS.fullmatch(value):
        return False
    parts = _WORD_OR_NUMBER.findall(value)
    words = [p for p in parts if p.isalpha()]
    numbers = [p for p in parts if p.isdigit()]
    return (
        bool(words and numbers)
        and all(w.lower() in _PLACE_WORDS or w.lower() in ("my", "your") for w in words)
        and all(len(d) >= 3 and _counts_up(d) for d in numbers)
    )


# A regular expression's own syntax (a group, a lookaround): HEX_PAT = "(?:[0-9a-f]...)" names a
# pattern, not a personal access token
_REGEX_SYNTAX = re.compile(r"\(\?(?:[:=!]|<[=!]|P<)")
# The alphabet typed in order, as docs and tests write a key's place (footer_key="0123456789abcdef")
_IN_ORDER = "0123456789abcdefghijklmnopqrstuvwxyz"


def _typed_in_order(value: str) -> bool:
    low = value.lower()
    return len(low) >= 10 and (low in _IN_ORDER or low in _IN_ORDER[::-1])


def looks_random(value: str, min_length: int = 8, min_entropy: float = 3.0) -> bool:
    """A key-context value that is a credential rather than a name, a word, code or a reference."""
    if len(value) < min_length or is_reference_or_mask(value):
        return False
    if _REGEX_SYNTAX.search(value) or _typed_in_order(value):
        return False
    if " " in value or _PATH.fullmatch(value) or _URL.match(value) or value.startswith("arn:"):
        return False
    if not any(c.isdigit() for c in value) and _WORDS.fullmatch(value) and _word_like(value):
        return False
    if is_code_name(value) or _VERSION.fullmatch(value) or _resource_name(value):
        return False
    if docs_fixture(value):
        return False
    return shannon_entropy(value) >= min_entropy


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_ID_OR_DIGEST = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # a UUID
    r"|(?:sha(?:1|224|256|384|512)|md5)[:\-][0-9a-fA-F]{32,128}"  # a typed digest
    r"|[0-9a-f]{40}|[0-9a-f]{64}"  # a git commit, a sha256
)


_WORDS_JOINED = re.compile(r"[a-z]{3,}[/\-][a-z]{3,}")  # arrow-datasets/nyc-taxi/...: a path or a name
_FILE_PATH = re.compile(r"\S*/[^\s/]*\.[A-Za-z0-9]{1,5}")  # uploads/2024/01/a8f9d0c1.png: an object key


def random_key(value: str) -> bool:
    """The value of a key named only *key: random (as looks_random), 15 characters or more and
    mixing letters and digits, as generated keys do (or, from 20 on, letters whose cases fall at
    random); names, words and ids of a lookup do not, nor do the ids and digests agents must keep
    seeing (UUIDs, git and sha256 hashes)."""
    return (
        len(value) >= 15
        and not _ID_OR_DIGEST.fullmatch(value)
        and not _WORDS_JOINED.search(value)
        and not _FILE_PATH.fullmatch(value)
        and (mixed_token(value) or _random_letters(value))
        and looks_random(value)
    )


_LETTERS = re.compile(r"[A-Za-z][A-Za-z_\-]{18,}[A-Za-z]")


def _random_letters(value: str) -> bool:
    """20 letters or more in both cases that split into no words (hfCnuVcYOgiRjlDEmAoRbN): a
    random token without a digit (20 base64 characters hold none about once in 30)."""
    return bool(_LETTERS.fullmatch(value)) and not value.islower() and not value.isupper() and not _word_like(value)


# Digits between lower-case letters, again and again (wdvnousa87acfxp9ioasrea4tbeasrfa, a prefix's
# sk_pr_fa02df705055df9e4d159fe3...): a random run of one case, whose letter runs read as words; a
# name carries a number once or twice (utf8mb4, python3_path)
_DIGITS_INSIDE = re.compile(r"(?<=[a-z])[0-9]+(?=[a-z])")
_ONE_CASE_RUN = re.compile(r"[a-z0-9]{16,}")


def _scattered_digits(value: str) -> bool:
    return any(len(_DIGITS_INSIDE.findall(run)) >= 3 for run in _ONE_CASE_RUN.findall(value))


def bare_key(value: str) -> bool:
    """An unquoted value under a bare *key (key = ..., key: ...): a random key (random_key), not
    a type or class name whose words carry a number (key: PositionalIndexer2D) nor an attribute
    chain (l2_key = accessor_info.l2_key)."""
    return (
        random_key(value) and (not _word_like(value) or _scattered_digits(value)) and not _MEMBER_CHAIN.fullmatch(value)
    )


def mixed_token(value: str) -> bool:
    """Provider tokens with loose prefixes (sk-, hf_): random bodies mix letters and digits."""
    return any(c.isdigit() for c in value) and any(c.isalpha() for c in value) and shannon_entropy(value) >= 3.0


_OPENAI_MARK = "T3BlbkFJ"  # "OpenAI" in base64


def openai_key(value: str) -> bool:
    """An sk- key (OpenAI's and others'); one that carries OpenAI's mark has it in the middle, 20
    characters or more on each side (sk-tooshortT3BlbkFJtooshort is a test's invalid key)."""
    if not mixed_token(value):
        return False
    at = value.find(_OPENAI_MARK)
    if at < 0:
        return True
    body = value.find("-", 3) + 1 if value.startswith(("sk-proj-", "sk-svcacct-", "sk-admin-")) else 3
    return at - body >= 20 and len(value) - at - len(_OPENAI_MARK) >= 20


def slack_token(value: str) -> bool:
    """Slack's prefixes are fixed (xoxb-, xoxp-, xapp-): a body with a digit that is no mask is a
    token, however many of its digits repeat (team and user ids: xoxa-2-511111111-...), while
    xoxb-your-bot-token has none."""
    return any(c.isdigit() for c in value[5:]) and not_mask(value)


def not_mask(value: str) -> bool:
    """Fixed-format provider tokens: ghp_xxxx..., AKIAXXXX..., glpat-XXXX... are documentation masks."""
    return shannon_entropy(value) >= 2.5


def aws_access_key(value: str) -> bool:
    """Not a mask, nor one of the key ids AWS's documentation writes (AKIAIOSFODNN7EXAMPLE): they
    all end in EXAMPLE, which an issued key id (random base32) does not spell by chance."""
    return not_mask(value) and not value.endswith("EXAMPLE")


def jwt_header(value: str) -> bool:
    """A JWT or JWE: its first part is base64url JSON naming an algorithm ({"alg": ...} or
    {"enc": ...}). Text that only starts like one (eyJhbGci.notapayload) does not decode."""
    head = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, binascii.Error):  # (a UnicodeDecodeError is a ValueError)
        return False
    return isinstance(decoded, dict) and ("alg" in decoded or "enc" in decoded)


def high_entropy(value: str) -> bool:
    """Fixed-length random keys in key context (AWS secret keys): just not a word or a mask."""
    return shannon_entropy(value) >= 3.5 and not is_reference_or_mask(value)


# Code where a value would be: string concatenation ('.$p[...]', "+ name") or the next field
# of a list ("Password:",rememberMe...), and ARNs, which name a policy or role rather than hold one.
_NOT_A_VALUE = re.compile(r"[,;:]|[.+]\s*[$\w]|arn:aws")


# A form's label or message where a password would be ("Forgot password?", "New Password",
# "Password:"): the word password and at most one other word, of letters only
_LABEL = re.compile(r"(?i)(?:[^\W\d_]+ )?(?:password|passphrase|passwort|kennwort)(?: [^\W\d_]+)?[?!.:…]?")
# Regex syntax: a character class with a range, a counted repeat, a group construct, an escape
# class, a repeated class or group, anchors at both ends. Two of them make a pattern, not a password.
_REGEX_PARTS = (
    re.compile(r"\[[^\]]*\w-\w[^\]]*\]"),
    re.compile(r"\{\d+,\d*\}"),
    re.compile(r"\(\?[:=!<P]"),
    re.compile(r"\\[dwsbDWS]"),
    re.compile(r"[\])][*+?]"),
    re.compile(r"\^.*\$\Z", re.S),
)
# Validation rules: Laravel's required|string|min:8, Go's validate:"required,min=8"
_RULE_ITEM = re.compile(r"[a-z_]+(?:[:=][^|,\s]*)?")
_RULE_NAMES = frozenset(
    ["required", "nullable", "sometimes", "confirmed", "string", "min", "max", "between", "size", "regex", "omitempty"]
)
# A URL without credentials, or a path of two or more steps: a route, an endpoint or a file
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s@]*")


def looks_like_regex(value: str) -> bool:
    return sum(1 for r in _REGEX_PARTS if r.search(value)) >= 2


def _validation_rules(value: str) -> bool:
    items = re.split(r"[|,]", value)
    return (
        len(items) >= 2
        and all(_RULE_ITEM.fullmatch(i) for i in items)
        and any(i.split(":")[0].split("=")[0] in _RULE_NAMES for i in items)
    )


def _not_a_password(value: str) -> bool:
    """Text that sits where a password would but says something else: a label, the word in
    another language, a pattern or rule that checks passwords, a route or a URL."""
    return (
        (bool(_LABEL.fullmatch(value)) and (" " in value or value.endswith(":")))
        or value.lower() in _PASSWORD_TRANSLATIONS
        or looks_like_regex(value)
        or _validation_rules(value)
        or bool(_URL.fullmatch(value))
        or (bool(_PATH.fullmatch(value)) and value.count("/") >= 2)
    )


def quoted_password(value: str) -> bool:
    """A quoted password value: almost anything but references, masks, stop words, prose, code
    and values too short to be one (`password = "123"` in a test is a fixture, not a secret)."""
    return (
        len(value) >= 4
        and not is_reference_or_mask(value)
        and value.count(" ") < 2
        and not _NOT_A_VALUE.match(value)
        and not _not_a_password(value)
    )


def prose_password(value: str) -> bool:
    """An unquoted word after "password" in a sentence (the password is Tr0ub4dor-x9): only one
    that mixes letters and digits, six characters or more, is taken for one (the password is
    required, password reset-link, password v2 are words)."""
    return (
        len(value) >= 6
        and bare_password(value.rstrip(".,;:!?"))
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not _VERSION.fullmatch(value.rstrip(".,;:!?"))
    )


def prose_password_not_path(value: str) -> bool:
    """prose_password, and not a folder (a shell's `pwd: /home/x`)."""
    return prose_password(value) and "/" not in value and "\\" not in value and not value.startswith("~")


def quoted_non_path_password(value: str) -> bool:
    """A quoted password under a key that is also a working folder's name (pwd): not a path."""
    return quoted_password(value) and "/" not in value and "\\" not in value and not value.startswith("~")


# A YAML alias (password: *db_password): the value is set elsewhere, under its anchor
_YAML_ALIAS = re.compile(r"\*[A-Za-z_][\w\-]*")


# A PowerShell cmdlet where a value would be: $password = Read-Host -AsSecureString
_CMDLET = re.compile(
    r"(?:Get|Set|New|Read|ConvertTo|ConvertFrom|Import|Export|Invoke|Add|Remove|Out|Write|Select|Test|Start)"
    r"-[A-Z][A-Za-z]+"
)


def bare_password(value: str) -> bool:
    """An unquoted password value: as quoted, but plain identifiers are variable names, not secrets."""
    return (
        quoted_password(value)
        and not _IDENTIFIER.fullmatch(value)
        and not _YAML_ALIAS.fullmatch(value)
        and not _PATH.fullmatch(value)
        and not _CMDLET.fullmatch(value)
        # -flag; and ${DB_PASSWORD:?unset} / ${PW:+x}: a shell expansion's message or alternative
        and not value.startswith(("-", "?", "+"))
    )


# Words that go on a sentence about a password flag (use --password when ..., the --password
# option), where a command line would hold the password itself
_FLAG_PROSE_WORDS = (
    "when with from that this then than also only must will would should could flag option options "
    "argument arguments parameter parameters value values instead here there again into onto once "
    "unless until while where which what after before every each both either neither other others "
    "given used uses using more less like just even still have has been being does done"
)
_FLAG_PROSE = frozenset(_FLAG_PROSE_WORDS.split())


_LOWER_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_\-.+/][a-z0-9]+)+")  # number_generated_tokens-1, q_length


def prose_secret(value: str) -> bool:
    """A key or token in a sentence: random, 15 characters or more, mixing letters and digits
    (random_key: not a UUID, a commit id or a digest), and not a code name made of lower-case
    words (the tokens `number_generated_tokens-1` in a docstring)."""
    return random_key(value) and (not _LOWER_NAME.fullmatch(value) or _scattered_digits(value))


def flag_password(value: str) -> bool:
    """The value of a command's password flag (--password VALUE, -p VALUE): a command line holds
    literals, so a plain word is the password; references, masks, paths, flags and the words of
    a sentence about the flag are not."""
    return (
        quoted_password(value)
        and not value.startswith("-")
        and not _PATH.fullmatch(value)
        and value.lower() not in _FLAG_PROSE
    )


# Common four-letter English words: an app password's groups are random letters, so two such
# words among its four groups make it a sentence ("then sign into your mail")
_FOUR_LETTER_WORDS = frozenset(
    """able also area away back been best body book both call came care case city come cost
    data days does done door down each else even ever eyes face fact feel felt file find fine
    five form four free from full gave give goes gone good half hand hard have head hear help
    here high hold home hope idea into item just keep kind knew know last late left less life
    like line list live long look lost love made mail main make many mind more most move much
    must name near need next nice none note once only open over page part pass past plan play
    read real rest room rule said same save says seen self send sent show side sign size some
    soon step stop such sure take talk team tell test than that them then they this time told
    took true turn type unit used user very view wait want week well went were what when will
    with word work year your zero code link copy fill text shut date paid sets gets puts runs
    uses""".split()  # noqa: SIM905 (a word list reads best as text)
)


def app_password(value: str) -> bool:
    """Four groups of four letters (abcd efgh ijkl mnop): not a mask (xxxx xxxx ...), not a
    repeated pattern, and not a sentence (two or more of its groups common English words)."""
    groups = value.split(value[4])
    letters = "".join(groups)
    return len(set(letters)) >= 6 and len(set(groups)) == 4 and sum(g in _FOUR_LETTER_WORDS for g in groups) < 2


def env_password(value: str) -> bool:
    """The value of an env-file password (DB_PASS=hunter2): env files hold literals, so a plain
    word is the password itself; references, masks and stop words are not."""
    return quoted_password(value) and not value.startswith("-")


# What a typed field's annotation names where a YAML line would hold a value (password: str,
# password: SecretStr in a dataclass, password: string in a TypeScript interface)
_TYPE_NAMES = frozenset(
    ("str", "string", "int", "integer", "bool", "boolean", "bytes", "any", "number", "none", "null", "object")
    + ("secret", "password", "optional")
)


_MEMBER_CHAIN = re.compile(r"[A-Za-z_$][\w$]*(?:\??\.[A-Za-z_$][\w$]*)+")


def yaml_password(value: str) -> bool:
    """A bare value on a `password: value` line: a YAML file holds literals, so a plain word is
    the password; a type name or a code name (SecretStr, userPassword, db_password) is a field's
    annotation or a variable in an object literal, not one."""
    if not env_password(value) or value.lower() in _TYPE_NAMES or value.startswith(("!", "*", "&")):
        return False
    if _MEMBER_CHAIN.fullmatch(value):
        return False  # proxy.password, credentials.password: an object's field
    if value.isidentifier() and not any(c.isdigit() for c in value):
        return value.islower() and "_" not in value  # a plain lower-case word
    return True


# A name made of words (user_profile_v2_data, SESSION-CACHE-V1, com.example.release): each part a
# word in one casing, with at most a two-digit number after it
_WORDS_NAME = re.compile(r"(?:[a-z]+|[A-Z]+|[A-Z][a-z]+)[0-9]{0,2}(?:[_.\-](?:[a-z]+|[A-Z]+|[A-Z][a-z]+)[0-9]{0,2})+")


def config_key_password(value: str) -> bool:
    """A code-like word under a key that says the file is config (MYSQL_PASSWORD: MySQLPassword):
    a literal, unless it names a type (a settings class's DB_PASSWORD: SecretStr)."""
    return (
        env_password(value)
        and value.lower() not in _TYPE_NAMES
        and not value.startswith("Secret")
        and not value.endswith(("Str", "String", "Bytes", "Type", "Field"))
    )


def properties_key(value: str) -> bool:
    """The value of a properties or env line's *key, *token or *secret: random, not a name."""
    return (
        looks_random(value, min_length=16) and not _WORDS_NAME.fullmatch(value) and not _MEMBER_CHAIN.fullmatch(value)
    )


def line_password_not_path(value: str) -> bool:
    """A config line's pass/pwd value: a literal (as env_password), but not a folder."""
    return (
        env_password(value)
        and not _PATH.fullmatch(value)
        and not value.startswith("~")
        and not _MEMBER_CHAIN.fullmatch(value)
    )


def cli_user_password(value: str) -> bool:
    """The part after user: in curl -u user:pass; -u 1000:1000 (docker uid:gid) is not one."""
    return quoted_password(value) and not value.isdigit()


def url_password(value: str) -> bool:
    # (x-oauth-basic: the fixed password of a token sent as the user, see url_token_user)
    return not is_reference_or_mask(value) and value != "x-oauth-basic"


def auth_credential(value: str) -> bool:
    """What follows an Authorization header's scheme: random, or a UUID (Splunk's and Opsgenie's
    keys are UUIDs; in this place a UUID is a key, not an id)."""
    return bool(_UUID.fullmatch(value)) or looks_random(value, min_length=16)


def url_token_user(value: str) -> bool:
    """A URL's user that is a token: random, with digits (a user name is a word or a name); a
    classic GitHub token is 40 hex digits, so a commit-like value counts here."""
    return any(c.isdigit() for c in value) and (
        re.fullmatch(r"[0-9a-f]{40}", value) is not None or looks_random(value, min_length=20)
    )


# The user info of a URL in a finding: scheme://user:password@
_URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@]*:(?P<pw>[^\s/?#@]+)@")


def placeholder_credential_uri(span: str) -> bool:
    """A connection string whose password is a placeholder (mongodb://root:{password}@host,
    mongodb://root:example@mongo): the rest of a URI (scheme, user, host) is not a secret."""
    m = _URL_USERINFO.search(span)
    return m is not None and not url_password(m["pw"])


# Address blocks reserved for documentation (RFC 5737, RFC 3849, RFC 9637): no host has one
_IPV4_DOCUMENTATION = frozenset({(192, 0, 2), (198, 51, 100), (203, 0, 113)})
_IPV6_DOCUMENTATION = (ipaddress.IPv6Network("2001:db8::/32"), ipaddress.IPv6Network("3fff::/20"))


def ipv4(value: str) -> bool:
    """Four valid octets, no leading zeros. Loopback and 0.x identify no one, nor do 224.0.0.0 and
    up (multicast, reserved, netmasks like 255.255.255.0), a network address ending in .0,
    which is also what four-part versions look like (AssemblyVersion 1.0.0.0), or the blocks
    set aside for examples in documentation (192.0.2.x, 198.51.100.x, 203.0.113.x)."""
    octets = value.split(".")
    if len(octets) != 4 or any(len(o) > 1 and o[0] == "0" for o in octets):
        return False
    nums = [int(o) for o in octets]
    if any(n > 255 for n in nums):
        return False
    if tuple(nums[:3]) in _IPV4_DOCUMENTATION:
        return False
    return nums[0] not in (0, 127) and nums[0] < 224 and nums[3] != 0


def ipv6(value: str) -> bool:
    """A parseable IPv6 address with a digit (hex words like cafe::beef are rarely addresses)."""
    if not any(c.isdigit() for c in value):
        return False
    try:
        addr = ipaddress.IPv6Address(value.split("%", 1)[0])
    except ValueError:
        return False
    if addr.is_reserved and addr.ipv4_mapped is None:
        # outside every assigned block (global 2000::/3, fc00::/7, fe80::/10, ff00::/8): code, not
        # an address, as Python's slices rows[1::2] and x[10::3] are
        return False
    if any(addr in net for net in _IPV6_DOCUMENTATION):
        return False  # 2001:db8::/32 and 3fff::/20 are for examples in documentation
    return not (addr.is_loopback or addr.is_unspecified)


# The second-level domains set aside for examples (RFC 2606): an address there reaches no one,
# and code and docs are full of them (assert is_valid_email("user@example.com")). The reserved
# top-level .example is left to the detector: Forge's example corpus names its stand-ins for real
# people with it, and the scrubber is tested on them
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
# Top-level names no mail is delivered to: the special-use names of RFC 6761, the localdomain
# of a machine's own /etc/hosts (root@localhost.localdomain), and docs' "domain.tld". (Not
# .local, .internal, .corp or .lan: a company's own mail may be a person's there. Not .example:
# generated sessions and tests plant personal addresses at *.example, standing for real ones.)
_UNDELIVERABLE_TLDS = frozenset(["test", "invalid", "localhost", "localdomain", "tld"])
# Local parts that hold a person's place in docs and forms (your.email@gmail.com,
# john.doe@company.com): no one's address.
_PLACEHOLDER_LOCAL_PARTS = frozenset(
    ["email", "e-mail", "mail", "your.email", "youremail", "your_email", "your-email", "you", "yourname"]
    + ["your.name", "your_name", "your-name", "name", "username", "user.name", "user", "someone"]
    + ["somebody", "john.doe", "jane.doe", "johndoe", "janedoe", "john.smith", "foo", "foo.bar", "test"]
)


def email(value: str) -> bool:
    """Not ssh's git@host, not noreply addresses, not asset names like icon@2x.png, not the
    documentation domains example.com/.net/.org (as for IP addresses, their documentation blocks),
    not an address no mail reaches or a placeholder's (see above)."""
    local, _, domain = value.rpartition("@")
    if local.lower() in _NOT_PERSONAL_LOCAL_PARTS or local.lower() in _PLACEHOLDER_LOCAL_PARTS:
        return False
    domain = domain.lower()
    if domain in _EXAMPLE_DOMAINS or domain.endswith(tuple("." + d for d in _EXAMPLE_DOMAINS)):
        return False
    if domain.rsplit(".", 1)[-1] in _UNDELIVERABLE_TLDS:
        return False
    return domain.rsplit(".", 1)[-1] not in _FILE_SUFFIXES


# Home folders that name no person: system folders, the default accounts of cloud images, CI
# runners and containers, and the names docs write for "your user name"
_IMPERSONAL_USERS = frozenset(
    [
        ".",
        "..",
        "shared",
        "public",
        "default",
        "all users",
        "user",
        "username",
        "user-name",
        "user_name",
        "yourname",
        "your-name",
        "your_name",
        "yourusername",
        "your-username",
        "your_username",
        "you",
        "me",
        "myuser",
        "name",
        "someone",
        "somebody",
        "example",
        "test",
        "guest",
        "root",
        "admin",
        "ubuntu",
        "ec2-user",
        "centos",
        "debian",
        "fedora",
        "azureuser",
        "opc",
        "vagrant",
        "pi",
        "runner",
        "runneradmin",
        "circleci",
        "travis",
        "jenkins",
        "gitlab-runner",
        "buildkite-agent",
        "codespace",
        "coder",  # code-server's and Coder workspaces' default user
        "gitpod",
        "vscode",
        "node",
        "app",
        "appuser",
        "jovyan",
        "www-data",
        "nobody",
        "linuxbrew",
    ]
)


def home_user(value: str) -> bool:
    return value.lower() not in _IMPERSONAL_USERS


# Accounts and groups that own files on every machine of a kind (macOS's staff and _www, Linux
# daemons): not a person
_SYSTEM_ACCOUNTS = frozenset(
    ["staff", "wheel", "daemon", "bin", "sys", "adm", "users", "nogroup", "docker", "everyone", "admin"]
    + ["postgres", "mysql", "redis", "syslog", "messagebus", "man", "mail", "sshd", "git", "nginx", "apache"]
)


def file_owner(value: str) -> bool:
    """An `ls -l` owner or group that is a person's login: not a shared or system account
    (macOS names its own with a leading underscore: _www, _spotlight)."""
    return home_user(value) and value.lower() not in _SYSTEM_ACCOUNTS and not value.startswith("_")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# Issuer prefixes and lengths (ISO/IEC 7812 as the networks publish them): (prefix ranges, lengths)
_CARD_NETWORKS = (
    (((4, 4),), (13, 16, 19)),  # Visa
    (((51, 55), (2221, 2720)), (16,)),  # Mastercard
    (((34, 34), (37, 37)), (15,)),  # American Express
    (((6011, 6011), (644, 649), (65, 65)), (16, 19)),  # Discover
    (((3528, 3589),), (16, 19)),  # JCB
    (((300, 305), (36, 36), (38, 39)), (14, 16)),  # Diners Club
    (((62, 62),), (16, 17, 18, 19)),  # UnionPay
)


def card_number(value: str) -> bool:
    """A payment card number: a known network's prefix and length, and a valid Luhn checksum.
    A run of digits that passes by chance (1 in 10) must also start like a card, which the
    numbers tools print (sizes, counters, millisecond timestamps starting with 1) rarely do."""
    sep = {c for c in value if not c.isdigit()}
    if len(sep) > 1:
        return False  # mixed separators: not how a card number is written
    digits = "".join(c for c in value if c.isdigit())
    if len(set(digits)) < 4:
        return False  # 4444 4444 4444 4444 and the like are masks
    for ranges, lengths in _CARD_NETWORKS:
        if len(digits) not in lengths:
            continue
        for lo, hi in ranges:
            n = len(str(lo))
            if lo <= int(digits[:n]) <= hi:
                return luhn(digits)
    return False


def ssn(value: str) -> bool:
    """A US Social Security number as the SSA issues them: no area 000, 666 or 900-999, no group
    00, no serial 0000."""
    area, group, serial = value.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


_DOTTED_QUAD = re.compile(r"\+?[0-9]{1,4}(?:\.[0-9]{1,4}){2}\.[0-9]{1,3}")  # (a phone ends in 4 digits)


# A signed decimal (+1.4142135623731, +1.12345679j) and an ISO date (+1980-02-29 01:02:03, a
# year with its sign): numbers that a phone number's groups would also match
_SIGNED_DECIMAL = re.compile(r"\+[0-9]{1,3}\.[0-9]{5,}")
_ISO_DATE = re.compile(r"[0-9]{4}-[01][0-9]-[0-3][0-9]")


def phone(value: str) -> bool:
    """7 to 15 digits (E.164's maximum), not all one digit; +international needs 8 or more. Not
    four dotted groups of one to four digits: an address or a version (after a diff's +:
    +105.0.5195.102); not a signed decimal or date (above)."""
    digits = [c for c in value if c.isdigit()]
    if not 7 <= len(digits) <= 15 or len(set(digits)) < 3 or _DOTTED_QUAD.fullmatch(value):
        return False
    if _SIGNED_DECIMAL.match(value) or _ISO_DATE.search(value):
        return False
    if value.startswith("+"):
        return len(digits) >= 8 and (" " in value or "-" in value or "." in value or "(" in value or len(digits) >= 10)
    return True


# --- a value that names its own key ---------------------------------------------------------------
# `private_key: Ed25519PrivateKey` (a type annotation), `IMAGE_TOKEN = "]<]image[>["` (a marker),
# `mapToken = mapToken2`, `_INIT_FACTORY_PAT = "__attr_factory_%s"`: code names a thing after
# what it is, and a generated credential never spells its key's words. The key is read back
# from before the value (NAME, a separator, quotes), matched on the reversed text from the value
# back: the same pattern written forwards and ending at the value (a search) tried each of the 160
# starts before it, 0.1 ms a value, an eighth of the time on text packed with secrets. Either
# way the longest key is read (tests/unit/test_scrub_key_lookback.py holds them to the same).
_KEY_BEFORE_VALUE_REVERSED = re.compile(
    r"[\"'`\\rRbBuUfF]{0,4}[ \t]*(?:=:|>=|-<|=|:)[ \t]*[\"'`\]\\]*(?P<key>[\w$.\-]{0,100}[A-Za-z_$])"
)


def key_before_value(text: str, start: int) -> str | None:
    """The key written right before the value at text[start:] (within 160 characters), if any."""
    m = _KEY_BEFORE_VALUE_REVERSED.match(text[max(0, start - 160) : start][::-1])
    return m["key"][::-1] if m is not None else None


_KEY_WORD = re.compile(r"[A-Z]+(?![a-z])[0-9]*|[A-Z]?[a-z]+[0-9]*|[0-9]+")
# Words that every kind of credential's key has, or a provider's prefix may spell: alone, they
# say nothing (Plaid's access-sandbox-..., Notion's secret_...); two of them joined still do
# (PrivateKey, AccessToken: a type's name)
_GENERIC_KEY_WORDS = frozenset(
    ["secret", "secrets", "token", "tokens", "key", "keys", "access", "auth", "pass", "passwd", "password"]
    + ["pwd", "private", "public", "api", "apikey", "client", "session", "bearer", "refresh", "credential"]
    + ["credentials", "cred", "creds", "app", "service", "account", "master", "admin", "user", "value"]
    + ["test", "live", "prod", "dev", "staging", "sandbox", "default", "new", "old", "main", "primary"]
)


def not_named_by_key(text: str, start: int, end: int) -> bool:
    """False when the value at text[start:end] repeats its key's name (see above): the key
    itself with a number after it, the key's object (exports2.X = exports2.Y), a word of the
    key's own (not a credential's) inside the value, or two of its words joined as a type name
    is. A word at the value's start may be a provider's prefix (JINA_API_KEY = "jina_..."), so
    only later ones count."""
    key = key_before_value(text, start)
    if key is None:
        return True
    value = text[start:end]
    low = value.lower()
    last = re.split(r"[.$]", key)[-1]
    if last and low.rstrip("0123456789") == last.lower():
        return False
    if "." in key and value.startswith(key.rsplit(".", 1)[0] + "."):
        return False
    words = [w.lower() for w in _KEY_WORD.findall(last)]
    for w in words:
        if len(w) >= 4 and w not in _GENERIC_KEY_WORDS and low.find(w, 1) > 0:
            return False
    # two joined as a type's name is (PrivateKey in Ed25519PrivateKey; not my_api_key_4f9b2c, a
    # key someone named)
    return not any(a.capitalize() + b.capitalize() in value[1:] for a, b in itertools.pairwise(words))


# --- a dotted quad that numbers something else --------------------------------------------------
# Right after the word that says what it numbers, four dotted numbers are an object identifier
# (ObjectIdentifier("2.5.4.3"), OID 1.3.101.112), a document's section (section 7.2.1.1, §4.2.3.2,
# rfc6749#section-4.1.2.1) or a release (__version__ = "3.5.0.1", OS-release: 5.10.102.1), not
# a host's address. (A host's version line, "version: 10.0.0.5", loses its address: rare.)
_NUMBERS_SOMETHING_ELSE = re.compile(
    r"(?:(?:ObjectIdentifier|\b[Oo][Ii][Dd]s?|[Ss]ection|SECTION|§)[\s:=#(\[\-\"'`_]{0,12}"
    # (a release's program named between: Project-Id-Version: man-db 2.7.6.1)
    r"|(?:[Vv]ersion|VERSION|[Rr]elease|RELEASE)[\s:=#(\[\-\"'`_]{0,12}(?:[A-Za-z][\w\-]{0,30}[ \t]+)?)\Z"
)


def not_numbering_something_else(text: str, start: int, end: int) -> bool:
    """False when what comes right before text[start:end] names an OID, a section or a release."""
    return _NUMBERS_SOMETHING_ELSE.search(text, max(0, start - 60), start) is None
