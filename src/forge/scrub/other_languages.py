"""A password or a key said in a sentence in another language: users of coding agents write their
prompts in their own language. "mi contraseña es X", "mein Passwort ist X", "la password è X",
"我的密码是X", "パスワードはXです", "мой пароль X", "la clave de API es X", "APIキー：X".

The word (or its English loan: la password è X), then a colon, a dash, the language's "is", a
CJK particle (は, 是, 는) or nothing, then the value. As in English prose, only a value that mixes
letters and digits is taken for a password (validators.prose_password), and only a random one for
a key or a token (validators.prose_secret): the words after "mein Passwort" in a sentence are not.
A value glued to the next CJK word (パスワードはXです) ends where that script starts.

Each word is matched as itself and as a JSON writer that escapes what is not ASCII writes it
(\\u00e8), the way a transcript line may hold it. Registered like the built-ins (builtin.py has
the conventions); the labels alone (Passwort: X) are config_formats' password_in_other_languages.
"""

from __future__ import annotations

import json
import re

from forge.scrub import validators as v
from forge.scrub.builtin import _add

_PASSWORD_WORDS = (
    "contraseña", "Contraseña", "Passwort", "passwort", "Kennwort", "kennwort", "mot de passe",
    "Mot de passe", "senha", "Senha", "пароль", "Пароль", "wachtwoord", "Wachtwoord", "hasło",
    "Hasło", "şifre", "Şifre", "lösenord", "Lösenord", "adgangskode", "Adgangskode", "salasana",
    "Salasana",
)  # fmt: skip
_CJK_PASSWORD_WORDS = ("パスワード", "密码", "密碼", "비밀번호")  # (no word boundary in these scripts)
_KEY_WORDS = (
    "clave de API", "clave de la API", "clave API", "API-Schlüssel", "API-Key", "API-Token",
    "Schlüssel", "clé API", "clé d'API", "clé de l'API", "chave de API", "chave da API", "chave API",
    "chiave API", "ключ API", "API-ключ", "API ключ", "токен", "Токен", "jeton", "APIキー", "API キー",
    "トークン", "API密钥", "API 密钥", "API密鑰", "密钥", "令牌", "API키", "API 키", "토큰",
)  # fmt: skip
# the language's "is" (es, ist, lautet, est, é, è, is, jest, to, är, er, on) or a dash; a colon;
# or a CJK particle right after the word (は, が, 是, 为, 為, 는, 은)
_COPULAS = ("es", "era", "ist", "lautet", "war", "est", "était", "é", "è", "is", "jest", "to", "är", "er", "on", "oli")
_PARTICLES = ("は", "が", "是", "为", "為", "는", "은")


def _spellings(words: tuple[str, ...]) -> str:
    """An alternation of the words as written and JSON-escaped, longest first (so "clave de API"
    wins over "clave"), in a fixed order: the engine caches its rules by their text."""
    forms = {f for w in words for f in (w, json.dumps(w)[1:-1])}
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f))) + ")"


# a word's start: not inside another word, or after a line break or a tab escaped in a transcript
# line (\n), or after a character of a script with no spaces (我的密码是)
_WORD_START = r"(?:(?<![\w\-])|(?<=\\[nt])|(?<=[^\x00-\x7f]))"


def _prefixes(words: tuple[str, ...]) -> tuple[str, ...]:
    """Each word's first three characters, as itself and JSON-escaped (the cheap test first)."""
    return tuple(sorted({f[:3] for w in words for f in (w, json.dumps(w)[1:-1])}))


_COLON = "(?::|\uff1a|\\\\uff1a)"
_SAID = (
    r"(?:[ \t]*" + _COLON + r"[ \t]*"
    r"|[ \t]+(?:—|–|-|\\u201[34])[ \t]+"
    r"|[ \t]+" + _spellings(_COPULAS) + r"[ \t]+"
    r"|" + _spellings(_PARTICLES) + r"[ \t]*)"
)
# Russian needs no "is" (мой пароль X); elsewhere a word after the bare word is the sentence's
# (Passwort eingegeben, contraseña para, hasło do: 5 such values on 30 MB of translations)
_SAID_OR_NOTHING = "(?:" + _SAID + r"|[ \t]+)"
# (where the value ends: a space, punctuation, a quote, a line's end, or the next word of a script
# written without spaces: パスワードはXです; a Latin letter with an accent is the value's word going on)
_CJK = (
    r"[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]"
    r"|\\u(?:[3-9][0-9a-fA-F]{3}|[aA][c-fC-F][0-9a-fA-F]{2}|[fF]{2}[0-9a-fA-F]{2})"  # (JSON-escaped)
)
_END = r"(?=[.,;!?。、，]?(?:\s|\\[nrt]|\\?\"|'|$|" + _CJK + "))"
# (ASCII only: パスワードは8文字以上に is a rule, not a password)
_PASSWORD_VALUE = r"(?P<s>(?:(?![\"'`,;&|<>(){}\[\]\\=])[!-~]|&(?![&\s])){6,256}?)" + _END
_KEY_VALUE = r"(?P<s>[A-Za-z0-9+/_\-.~]{16,256}={0,2})(?![A-Za-z0-9+/_\-.~=])"

# (the English loan needs the other language's "is": "password is" is English prose's rule)
_LOAN_IS = _spellings(("è", "é", "es", "est", "ist", "lautet", "är", "jest"))
_PASSWORD_SAID = (
    "(?:" + _WORD_START + _spellings(_PASSWORD_WORDS) + _SAID
    + "|" + _WORD_START + _spellings(("пароль", "Пароль")) + r"[ \t]+"
    + "|" + _WORD_START + r"[Pp]assword[ \t]+" + _LOAN_IS + r"[ \t]+"
    + "|" + _spellings(_CJK_PASSWORD_WORDS) + _SAID_OR_NOTHING + ")"
)  # fmt: skip
_add(
    "password_said_in_other_languages",
    "password",
    _PASSWORD_SAID + _PASSWORD_VALUE,
    priority=49,
    prefilter=_prefixes(_PASSWORD_WORDS + _CJK_PASSWORD_WORDS + ("assword",)),
    validator=v.prose_password,
    anchor=_spellings(_PASSWORD_WORDS + _CJK_PASSWORD_WORDS) + r"|[Pp]assword[ \t]+" + _LOAN_IS,
    window=(0, 300),
    description="mi contraseña es X, mein Passwort ist X, 我的密码是X, パスワードはXです (letters and digits)",
)
_add(
    "key_said_in_other_languages",
    "secret",
    _WORD_START + _spellings(_KEY_WORDS) + _SAID + r"(?:\\?[\"'`])?" + _KEY_VALUE,
    priority=47,
    prefilter=_prefixes(_KEY_WORDS),
    validator=v.prose_secret,
    anchor=_spellings(_KEY_WORDS),
    window=(0, 300),
    description="la clave de API es X, API-Schlüssel: X, APIキーはXです, токен: X (a random value)",
)
