"""Credentials that only their context marks: env files, .NET app settings, Groovy/Gradle DSL
blocks, prose, and tokens that sit in a URL path or after a personal-access-token key.

Registered like the built-ins (builtin.py has the conventions). Each rule reads a value where a
file format or a sentence puts a password; the validators still reject references ($VAR,
${{ secrets.X }}), masks, stop words and code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from forge.scrub import validators as v
from forge.scrub.builtin import (
    _ARG,
    _LOOKUP_KEY_WORDS,
    _QUOTED,
    _SEP,
    _SP,
    _TOKEN_END,
    _WORD,
    _WORD_START,
    _WS,
    NUMBERED,
    _add,
    _begin,
    _not_after_words,
    _trie,
)
from forge.scrub.detectors import Detector, register_detector
from forge.scrub.gutters import BLANKS_ACROSS_LINES, GUTTER
from forge.scrub.tables import table_secret_values

# An env-file line (.env, docker --env-file, CI variables): KEY=value with no spaces, the key in
# UPPER_SNAKE_CASE ending in a password word. Env files hold literals, so a plain word is the
# password itself (REACT_APP_AUTH_PASS=whiteduke), where `password = word` in code is a variable.
_add(
    "env_file_password",
    "password",
    # (a line's start: also past a gutter, as Claude Code's Read or cat -n shows the file; gutters.py)
    # (and a Compose environment list's item: - POSTGRES_PASSWORD=postgres, - "KEY=value")
    r"(?m)(?<![^\n\"`n])(?:^|(?<=\\n)|(?<=\")|(?<=`)(?<![`\w]`))"
    + GUTTER
    + r"?(?:[ \t]|\\t)*(?:-[ \t]+(?:\\?[\"'])?)?(?:#[ \t]*)?(?:export[ \t]+)?"
    # (PGPASSWORD, MYSQL_PWD: a tool's own name glued to PASSWORD counts too)
    # (and sshpass -e's SSHPASS)
    r"(?:[A-Z][A-Z0-9]*_)*(?:[A-Z0-9]*(?:PASSWORD|PASSWD)|PASS|PWD|PASSPHRASE|SSHPASS)(?:_?[0-9]{1,2})?"
    r"=(?P<s>[^\s\"'`#\\]{1,256}+)",
    priority=62,
    prefilter=("PASS", "PWD"),
    validator=v.env_password,
    anchor=r"(?:PASS|PASSWORD|PASSWD|PWD|PASSPHRASE)(?:_?[0-9]{1,2})?=",
    window=(300, 260),
    description="env-file lines: DB_PASS=value, export ADMIN_PASSWORD=value, - POSTGRES_PASSWORD=value",
)
# The same assignment inside a line: a Dockerfile's ENV/ARG, cmd.exe's set, a process's
# environment as ps eww prints it (... HOME=/root DB_PASSWORD=value PATH=...), and the older
# space-separated forms: ENV DB_PASSWORD value, setx DB_PASSWORD value
# (PASS and PWD alone are a test run's counter and the working folder: only as a key's last word)
_ENV_PASSWORD_KEY = (
    r"(?:(?:[A-Z][A-Z0-9]*_)+(?:PASS|PWD)|(?:[A-Z][A-Z0-9]*_)*[A-Z0-9]*(?:PASSWORD|PASSWD|PASSPHRASE)|SSHPASS)"
    r"(?:_?[0-9]{1,2})?"
)
_add(
    "inline_env_password",
    "password",
    r"(?<=[ \t])" + _ENV_PASSWORD_KEY + r"=(?P<s>[^\s\"'`#\\]{1,256}+)"
    r"|"
    + _WORD_START
    + r"(?:ENV|setx)[ \t]+"
    + _ENV_PASSWORD_KEY
    + r"[ \t]+(?P<sp>[^\s\"'`#\\=]{1,256}+)(?=[ \t]*(?:$|\r?\n|\\[nr]|\\?\"))",
    group=("s", "sp"),
    priority=62,
    prefilter=("PASS", "PWD"),
    validator=v.env_password,
    anchor=r"(?:PASS|PASSWORD|PASSWD|PWD|PASSPHRASE)(?:_?[0-9]{1,2})?[= \t]",
    window=(60, 260),
    description="ENV/ARG DB_PASSWORD=value, set X_PASSWORD=value, a process environment's ... DB_PASS=value ...",
)

# The same assignment given to a command's environment: docker run -e POSTGRES_PASSWORD=postgres,
# --env KEY=value, env KEY=value cmd (a literal there too)
_add(
    "env_flag_password",
    "password",
    r"(?:(?<=[ \t])(?:-e|--env)(?:[ \t]+|=)|\benv[ \t]+(?:-[A-Za-z][ \t]+)*)\\?[\"']?(?:[A-Z][A-Z0-9]*_)*"
    r"(?:PASS|PASSWORD|PASSWD|PWD|PASSPHRASE)(?:_?[0-9]{1,2})?=(?P<s>[^\s\"'`#\\]{1,256}+)",
    priority=62,
    prefilter=("PASS", "PWD"),
    validator=v.env_password,
    anchor=r"(?:PASS|PASSWORD|PASSWD|PWD|PASSPHRASE)(?:_?[0-9]{1,2})?=",
    window=(120, 260),
    description="docker run -e DB_PASSWORD=value, --env KEY=value, env KEY=value cmd",
)

# A shell or compose default: ${DB_PASSWORD:-s3cret}, ${API_TOKEN:=abc123} (the variable is a
# reference, its fallback is the literal a run uses when the variable is unset)
_add(
    "shell_default_secret",
    "secret",
    r"\$\{[A-Za-z_][A-Za-z0-9_]{0,80}(?i:pass|passwd|password|pwd|secret|token|api_?key|passphrase)"
    r"[A-Za-z0-9_]{0,40}:?[-=](?P<s>[^\s}\\\"'`$]{1,256}+)\}",
    priority=62,
    prefilter=(":-", ":=", "-", "="),
    validator=v.env_password,
    anchor=r"\$\{",
    window=(0, 400),
    description="shell defaults: ${DB_PASSWORD:-value}, ${API_TOKEN:=value}",
)

# .NET app settings / web.config: <add key="SmtpPassword" value="..."/>
_add(
    "appsettings_secret",
    "password",
    r"<add\s+key=\\?\"[A-Za-z0-9_.:\-]{0,80}(?:[Pp]assword|PASSWORD|[Pp]wd|PWD|[Ss]ecret|SECRET|[Tt]oken|TOKEN)"
    r"\\?\"\s+value=\\?\"(?P<s>(?:[^\"\\\r\n]|\\[^\"\r\nnrt]){1,512})\\?\"",
    priority=65,
    prefilter=("<add",),
    validator=v.quoted_password,
    anchor=r"<add\s+key=",
    window=(0, 700),
    description='.NET settings: <add key="...Password" value="..."/>',
)

# Groovy / Gradle DSL credentials blocks (password "value" at a line's start), and prose (the
# password is 'value'). A finder: the rule reads from the word on, and checks what stands before
# it (a line's start and its indent, or a gutter) itself; a regex that began at the line's start
# tried every character of its window at each hit ("password": in pretty JSON, 180 µs a hit).
_PHRASE = re.compile(r"(?:[Pp]assword|PASSWORD)(?:(?P<gap>[ \t]+)|\s+is\s+)" + _QUOTED)
# (or a camelCase word ending in Password: Android's signingConfigs, storePassword "value")
_PHRASE_LEAD = re.compile(r"(?:" + GUTTER + r")?[ \t]*(?P<word>[a-z][A-Za-z0-9]*)?")
_PHRASE_ANCHOR = re.compile(r"(?i)password(?:\s+is)?[ \t]+\\?[\"']")


def password_phrases(text: str, hits: list[tuple[int, int]] | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each quoted value after `password` at a line's start (past its indent or a
    gutter) or after `password is` (hits: the anchor's, or None: searched here)."""
    for at, _ in hits if hits is not None else [m.span() for m in _PHRASE_ANCHOR.finditer(text)]:
        m = _PHRASE.match(text, at)
        if m is None:
            continue
        if m.group("gap") is None:  # password is '...': a word of its own
            if at and (text[at - 1].isalnum() or text[at - 1] == "_"):
                continue
        else:  # password '...': the first word of its line
            escaped = text.rfind("\\n", 0, at)
            line_start = max(text.rfind("\n", 0, at) + 1, escaped + 2 if escaped >= 0 else 0)
            lead = _PHRASE_LEAD.fullmatch(text, line_start, at)
            if lead is None or (lead.group("word") and text[at] != "P"):
                continue
        yield m.span("dq") if m.group("dq") is not None else m.span("sq")


register_detector(
    Detector(
        name="password_phrase",
        kind="password",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=password_phrases,
        finder_takes_hits=True,
        priority=55,
        prefilter=("assword", "ASSWORD"),
        validator=v.quoted_password,
        anchor=_PHRASE_ANCHOR,
        window=(0, 0),
        description='password "value" (Gradle credentials blocks), storePassword "value", the password is \'value\'',
    )
)

# Vault service tokens before the hvs. prefix: s. and a base64 protobuf body (CAES...)
_add(
    "vault_legacy_token",
    "vault_token",
    r"(?P<s>" + _begin(r"s\.", _WORD + ".") + r"CAES[A-Za-z0-9_\-]{60,400}+)" + _TOKEN_END,
    priority=90,
    prefilter=("s.CAES",),
    validator=v.not_mask,
    anchor=r"s\.CAES",
    window=(2, 420),
    description="HashiCorp Vault service tokens in the older s.CAES... form",
)

# ThingsBoard device access tokens travel in the URL path of its device API
_add(
    "thingsboard_device_token",
    "secret",
    r"/api/v1/(?P<s>[A-Za-z0-9]{20})/(?:telemetry|attributes|rpc|claim|firmware|software)\b",
    priority=85,
    prefilter=("/api/v1/",),
    validator=v.mixed_token,
    anchor=r"/api/v1/[A-Za-z0-9]{20}/",
    window=(0, 60),
    description="ThingsBoard device tokens: /api/v1/TOKEN/telemetry",
)

# Terraform: variable "db_password" { default = "..." } — the name says what the default holds
_add(
    "terraform_variable_default",
    "secret",
    _WORD_START + r"variable\s+\\?\"[A-Za-z0-9_\-]{0,60}"
    r"(?:password|passwd|secret|token|api_key|apikey|private_key|credential)"
    r"[A-Za-z0-9_\-]{0,30}\\?\"\s*\{[^{}]{0,300}?\bdefault\s*=\s*\\?\"(?P<s>[^\"\\\r\n]{8,512})\\?\"",
    priority=60,
    prefilter=("variable",),
    validator=v.looks_random,
    anchor=r"(?i)variable\s+\\?\"[^\"]{0,60}(?:passw|secret|token|api_?key|private_key|credential)",
    window=(0, 900),
    description='Terraform variable "…_token" { default = "value" }',
)

# Azure AD tenant, client (application) and subscription ids: not secrets, but they name the
# organisation and its apps, so they go with the credentials they sit beside
_add(
    "azure_identifier",
    "azure_id",
    _WORD_START + r"(?:(?:[Aa][Zz][Uu][Rr][Ee]|[Aa]{1,2}[Dd]|ARM|arm)[_\-]?)?(?:[Tt]enant|TENANT|[Cc]lient|CLIENT|"
    r"[Ss]ubscription|SUBSCRIPTION)[_\-]?(?:[Ii][Dd])\\?[\"']?\s*[:=]\s*\\?[\"']?"
    r"(?P<s>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\b",
    priority=50,
    prefilter=("enant", "ENANT", "lient", "LIENT", "ubscription", "UBSCRIPTION"),
    anchor=r"(?i)(?:tenant|client|subscription)[_\-]?id\\?[\"']?\s*[:=]",
    window=(12, 60),
    description="Azure tenant, client and subscription ids under their key (AZURE_TENANT_ID=uuid)",
)

# MQTT clients: the password after -P, and a ThingsBoard device's access token, which its MQTT
# API takes as the user name (-u TOKEN, topic v1/devices/me/...)
_MQTT_CLIENT_NAME = r"mosquitto_(?:pub|sub|rr)\b"  # the engine's anchor (it has no look-behind)
_MQTT_CLIENT = _WORD_START + _MQTT_CLIENT_NAME
_add(
    "mqtt_password",
    "password",
    _MQTT_CLIENT + r"[^\r\n|;&]{0,400}?\s(?:-P|--pw)" + _WS + _ARG,
    group=("dq", "sq", "bare"),
    priority=70,
    prefilter=("mosquitto_",),
    validator=v.quoted_password,
    anchor=_MQTT_CLIENT_NAME,
    window=(0, 700),
    description="mosquitto_pub/sub -P password",
)
_add(
    "thingsboard_mqtt_token",
    "secret",
    _MQTT_CLIENT
    + r"(?=[^\r\n|;&]{0,400}(?:v1/devices/me|thingsboard))[^\r\n|;&]{0,400}?\s(?:-u|--username)"
    + _WS
    + _ARG,
    group=("dq", "sq", "bare"),
    priority=70,
    prefilter=("mosquitto_",),
    validator=v.mixed_token,
    anchor=_MQTT_CLIENT_NAME,
    window=(0, 900),
    description="ThingsBoard device tokens given as the MQTT user name (-u TOKEN, topic v1/devices/me/...)",
)


# HTTP cookies: a session cookie is the login itself (Cookie: sessionid=..., Set-Cookie:
# session=...; curl -b 'sid=...'). Each value of the header that looks random is one; names,
# attributes (Path, Expires, HttpOnly) and short or worded values stay.
_add(
    "cookie_value",
    "secret",
    r"(?:" + _WORD_START + r"(?i:(?:set-)?cookie)\\?\"?[ \t]*[:=][ \t]*\\?\"?"
    r"|(?:(?<![\w\-])|(?<=\\[nrt]))(?:-b|--cookie)[ \t]+['\"]?)"
    r"(?:[^\r\n\"'\\]{0,400}?;[ \t]*)?[A-Za-z0-9_.\-]{1,64}=(?P<s>[^\s;,\"'\\]{16,4096}+)",
    priority=70,
    prefilter=("ookie", "OOKIE", "-b"),
    validator=v.looks_random,
    anchor=r"(?i:cookie)|-b\s",
    window=(0, 800),
    description="Cookie: and Set-Cookie: values, curl -b / --cookie",
)

# Wi-Fi pre-shared keys: wpa_supplicant's psk="passphrase" (or 64 hex digits), hostapd's
# wpa_passphrase=..., NetworkManager's psk=
_add(
    "wifi_psk",
    "password",
    _WORD_START + r"(?:psk|wpa_passphrase|wpa_psk)[ \t]*=[ \t]*" + _ARG,
    group=("dq", "sq", "bare"),
    priority=70,
    prefilter=("psk", "wpa_passphrase"),
    validator=v.env_password,  # a config file holds literals: a plain word is the passphrase
    anchor=r"(?:psk|wpa_passphrase|wpa_psk)[ \t]*=",
    window=(0, 300),
    description='wpa_supplicant psk="...", hostapd wpa_passphrase=...',
)


# `pass` and `pwd` alone as a key, with a quoted value: nodemailer's auth {user, pass}, MongoDB's
# createUser({user, pwd}). Alone they are also a shell's working folder (pwd: "/home/x") and a
# verb, so only a quoted value that is not a path counts.
_add(
    "password_bare_key_quoted",
    "password",
    r"(?<![\w\-.$])(?:pass|pwd|PASS|PWD|Pass|Pwd)" + _SEP + _QUOTED,
    group=("dq", "sq"),
    priority=60,
    prefilter=("pass", "pwd", "PASS", "PWD", "Pass", "Pwd"),
    validator=v.quoted_non_path_password,
    anchor=r"(?i:pass|pwd)\\?[\"']?\s*[:=]",
    window=(1, 2_100),
    description='pass: "value", pwd: "value" (a quoted value that is not a path)',
)

# SQL: CREATE USER ... IDENTIFIED BY 'pw', CREATE/ALTER ROLE|USER ... PASSWORD 'pw',
# SET PASSWORD FOR ... = 'pw' (MySQL, MariaDB, PostgreSQL, Oracle)
_SQL_VALUE = r"(?:'(?P<sq>[^'\\\r\n]{1,256})'|\\?\"(?P<dq>[^\"\\\r\n]{1,256})\\?\")"
_add(
    "sql_password",
    "password",
    r"(?i:\bIDENTIFIED\b[^;\n]{0,60}?\bBY(?:[ \t]+PASSWORD)?"
    r"|\b(?:CREATE|ALTER)[ \t]+(?:USER|ROLE)\b[^;\n]{0,200}?\bPASSWORD(?:[ \t]*=)?"
    r"|\bSET[ \t]+PASSWORD\b[^;\n]{0,120}?=[ \t]*(?:PASSWORD[ \t]*\([ \t]*)?)[ \t]*" + _SQL_VALUE,
    group=("sq", "dq"),
    priority=75,
    prefilter=("IDENTIFIED", "identified", "PASSWORD", "password", "Password"),
    validator=v.quoted_password,
    anchor=r"(?i:identified|password)",
    window=(300, 300),
    description="SQL: IDENTIFIED BY 'pw', CREATE/ALTER ROLE ... PASSWORD 'pw', SET PASSWORD ... = 'pw'",
)

# Redis: requirepass / masterauth in redis.conf or CONFIG SET, ACL SETUSER ... >password, and
# AUTH [USER] PASSWORD typed at redis-cli's prompt (127.0.0.1:6379> AUTH ..., redis> AUTH ...)
_add(
    "redis_password",
    "password",
    _WORD_START
    + r"(?:(?:requirepass|masterauth)[ \t]+|ACL[ \t]+SETUSER\b[^\n;]{0,200}?[ \t]>)"
    + _ARG
    # (redis-cli is no shell: & and ; are the password's there)
    + r"|(?:\bredis|[\w.\-]{1,253}:[0-9]{2,5}(?:\[[0-9]{1,2}\])?)>[ \t]*(?:AUTH|auth)[ \t]+"
    + r"(?:[^\s\"'\\]{1,64}[ \t]+(?=\S))?"  # (AUTH USER PASSWORD: the user)
    + r"(?:\\?\"(?P<rdq>[^\"\\\r\n]{1,256})\\?\"|(?P<rbare>[^\s\"'\\]{1,256}+))",
    group=("dq", "sq", "bare", "rdq", "rbare"),
    priority=75,
    prefilter=("requirepass", "masterauth", "SETUSER", "AUTH", "auth"),
    validator=v.flag_password,
    anchor=r"requirepass|masterauth|SETUSER|>[ \t]*(?:AUTH|auth)[ \t]",
    window=(280, 300),
    description="redis requirepass / masterauth PASSWORD, ACL SETUSER ... >PASSWORD, redis-cli> AUTH PASSWORD",
)


# the password for the staging db is ...: a clause of up to 40 characters (a dot inside it is a
# host's or a file's: the password for root@10.0.0.5 is ...)
_FOR_CLAUSE = r"(?:[ \t]+(?:for|of|on)[ \t]+(?:[^\n\"'`.;:=]|\.(?=\w)){1,40}?)"
# Prose without quotes: "the admin password is Tr0ub4dor-x9", "log in with password Tr0ub4dor-x9"
# (a prompt a user typed). Only a word that mixes letters and digits counts (prose_password).
_add(
    "password_in_prose",
    "password",
    # (the password for root is ..., the password of the db was ...)
    r"\b(?:[Pp]ass(?:word|phrase)|PASS(?:WORD|PHRASE))"
    # (or the password for admin: ..., the colon only after such a clause: password: X is a key's)
    r"(?P<fc>" + _FOR_CLAUSE + r"(?=[ \t]+(?:is|was)[ \t]|:))?"
    # (or an arrow: password -> X)
    r"(?(fc)(?::[ \t]*|[ \t]+(?:(?:is|was)[ \t]+)?)|(?:[ \t]*(?:-{1,2}>|=>))?[ \t]+(?:(?:is|was)[ \t]+)?)"
    r"(?:(?:now|still)[ \t]+)?"
    r"(?:(?:(?:set|changed|reset|updated)[ \t]+)?to(?:[ \t]*:)?[ \t]+)?"  # (reset to: X)
    # (an ampersand inside the word is the password's: Tr0ub4dor&3; a shell's && ends it)
    r"(?P<s>(?:[^\s\"'`,;&|<>(){}\[\]\\=]|&(?![&\s])){6,256}?)(?=[.,;:!?]?(?:\s|\\[nrt]|\\?\"|'|$))",
    priority=50,
    prefilter=("assword", "ASSWORD", "assphrase", "ASSPHRASE"),
    validator=v.prose_password,
    anchor=r"(?i)pass(?:word|phrase)[ \t]",
    window=(0, 300),
    description="the password is Tr0ub4dor-x9 (unquoted, in a sentence: letters and digits)",
)

# The short words for a password in a sentence or a label: "the admin pass is X" (pass only
# with is/was: alone it is a word, and PASS: a test runner's), "root pw: X", "pwd is X", "the pw
# for the db is X". Only a word that mixes letters and digits and is no path (`pwd: /home/x` is
# a shell's folder).
_add(
    "short_password_in_prose",
    "password",
    r"\b(?:(?:[Pp]ass|[Pp]wd?|PWD?)" + _FOR_CLAUSE + r"?[ \t]+(?:is|was)[ \t]+"
    r"|(?:[Pp]wd?|PWD?)[ \t]*:[ \t]*)"
    r"(?P<s>(?:[^\s\"'`,;&|<>(){}\[\]\\=]|&(?![&\s])){6,256}?)(?=[.,;:!?]?(?:\s|\\[nrt]|\\?\"|'|$))",
    priority=49,
    prefilter=("ass", "pw", "Pw", "PW"),
    validator=v.prose_password_not_path,
    anchor=r"(?:[Pp]ass|[Pp]wd?|PWD?)[ \t]+(?:is|was|for|of|on)[ \t]|(?:[Pp]wd?|PWD?)[ \t]*:",
    window=(0, 300),
    description="the admin pass is Tr0ub4dor-x9, root pw: Tr0ub4dor-x9 (short words; letters and digits)",
)

# The word password in other languages, as a label before its value: Passwort: X, mot de passe : X,
# contraseña: X, пароль: X, パスワード：X (full-width colon too). As for password_in_prose, only a
# word that mixes letters and digits counts (an interface's text holds the word, not a password).
_I18N_PASSWORD_WORDS = (
    "Passwort", "passwort", "Kennwort", "kennwort", "Mot de passe", "mot de passe", "Contraseña",
    "contraseña", "Senha", "senha", "Пароль", "пароль", "Wachtwoord", "wachtwoord", "Hasło", "hasło",
    "Şifre", "şifre", "Lösenord", "lösenord", "Adgangskode", "adgangskode", "Salasana", "salasana",
    "パスワード", "密码", "密碼", "비밀번호",
)  # fmt: skip
# each as itself and as a JSON writer that escapes what is not ASCII writes it (\\u00f1)
_I18N_SPELLINGS = sorted({f for w in _I18N_PASSWORD_WORDS for f in (w, json.dumps(w)[1:-1])})
_I18N_PASSWORD = "(?:" + "|".join(re.escape(w) for w in _I18N_SPELLINGS) + ")"
_I18N_COLON = "(?::|\uff1a|\\\\uff1a)"  # (a full-width colon, or its escape)
_add(
    "password_in_other_languages",
    "password",
    _I18N_PASSWORD + "[ \t]*" + _I18N_COLON + "[ \t]*"
    r"(?P<s>(?:[^\s\"'`,;&|<>(){}\[\]\\=]|&(?![&\s])){6,256}?)(?=[.,;!?]?(?:\s|\\[nrt]|\\?\"|'|$))",
    priority=49,
    prefilter=tuple(sorted({w[:4] for w in _I18N_SPELLINGS})),
    validator=v.prose_password,
    anchor=_I18N_PASSWORD + "[ \t]*" + _I18N_COLON,  # (non-ASCII as itself: both engines read it)
    window=(0, 300),
    description="Passwort: X, mot de passe : X, contraseña: X, パスワード：X (letters and digits)",
)

# Prose with the password quoted: the password for the db is "marmalade", use password `hunter`,
# the admin password: 'bluebird' (Markdown's backticks too). Quoted, any word counts.
_add(
    "password_in_prose_quoted",
    "password",
    r"\b(?:[Pp]ass(?:word|phrase)|PASS(?:WORD|PHRASE))(?:[ \t]+(?:for|of|to|on)[ \t]+[^\n\"'`.;:=]{1,40}?)?"
    r"[ \t]*(?:\*\*|__)?[ \t]*(?:(?:is|was|:)[ \t]*(?:\*\*|__)?[ \t]*)?(?:(?:now|still)[ \t]+)?"
    r"(?:(?:(?:set|changed|reset|updated)[ \t]+)?to[ \t]+)?"
    r"(?:\\?\"(?P<dq>[^\s\"'`\\]{4,128})\\?\"|'(?P<sq>[^\s\"'`\\]{4,128})'|`(?P<bq>[^\s\"'`\\]{4,128})`)",
    group=("dq", "sq", "bq"),
    priority=52,
    prefilter=("assword", "ASSWORD", "assphrase", "ASSPHRASE"),
    validator=v.flag_password,
    anchor=r"(?i)pass(?:word|phrase)[ \t:*_]",
    window=(0, 240),
    description='the password for the db is "marmalade", use password `hunter` (quoted, in a sentence)',
)


# A user name and its password given as a pair after a login word: "Login with admin / X",
# "the default credentials are admin:X", "log in as `admin` with `X`". Unquoted, only a word
# that mixes letters and digits counts (prose_password); quoted, any literal (flag_password).
_LOGIN_WORDS = (
    r"\b(?:[Cc]redentials?|CREDENTIALS?|[Cc]reds|CREDS"
    r"|[Ll]og(?:[ \t]?[Ii]n|[Oo]n)|LOG(?:[ \t]?IN|ON)|[Ss]ign[ \t]?[Ii]n)\b"
)
_USER_NAME = r"(?:`[A-Za-z0-9_.@\-]{2,40}`|[A-Za-z0-9_.@\-]{2,40})"
# (a user and password joined by / or :, or "as USER with|and [the password] PASSWORD")
_PAIR = (
    r"[^\n\\\"'`]{0,40}?[ \t](?:" + _USER_NAME + r"(?:[ \t]*/[ \t]*|:)"
    r"|as[ \t]+" + _USER_NAME + r"[ \t]+(?:with|and)[ \t]+(?:(?:the[ \t]+)?password[ \t]+)?)"
)
_add(
    "credential_pair_in_prose",
    "password",
    _LOGIN_WORDS + _PAIR + r"(?P<s>[^\s\"'`\\/:,;]{6,64}?)(?=[.,;!?)]?(?:\s|\\[nrt]|\\?\"|$))",
    priority=50,
    prefilter=("redential", "REDENTIAL", "reds", "REDS", "og", "OG", "ign", "IGN"),
    validator=v.prose_password,
    anchor=r"(?i)credential|creds|log ?in|logon|sign ?in",
    window=(0, 160),
    description="Login with admin / Tr0ub4dor-x9, the credentials are admin:Tr0ub4dor-x9 (a user and password pair)",
)
_add(
    "credential_pair_in_prose_quoted",
    "password",
    _LOGIN_WORDS
    + _PAIR
    + r"(?:`(?P<bq>[^\s\"'`\\()]{4,64})`|\\?\"(?P<dq>[^\s\"'`\\()]{4,64})\\?\"|'(?P<sq>[^\s\"'`\\()]{4,64})')",
    group=("bq", "dq", "sq"),
    priority=52,
    prefilter=("redential", "REDENTIAL", "og", "OG", "ign", "IGN"),
    validator=v.flag_password,
    anchor=r"(?i)credential|log ?in|logon|sign ?in",
    window=(0, 160),
    description="log in as `admin` with `marmalade` (a user and a quoted password)",
)

# A short password key after a user key on one line: "user: admin  pass: X", "login=bob, pwd=X",
# "login: admin / pass: X" (pass, pwd and pw alone are too common a word or name to count anywhere else).
_add(
    "pass_after_user",
    "password",
    r"\b(?i:user(?:name)?|login)[ \t]*[:=][ \t]*[^\s,;|]{1,64}[ \t]*(?:[,;|]|(?<=[ \t])/)?"
    r"[ \t]+(?i:pass|pwd|pw)[ \t]*[:=][ \t]*"
    r"(?P<s>[^\s\"'`,;\\]{4,128})(?=[,;]?(?:\s|\\[nrt]|\\?\"|$))",
    priority=52,
    validator=v.flag_password,
    anchor=r"(?i)(?:pass|pwd|pw)[ \t]*[:=]",
    window=(120, 140),
    description="user: admin  pass: marmalade (a short password key after a user key)",
)


def _spelled(*specs: str) -> str:
    """The ways a sentence writes these words (api key, API key, API-key, apiKey, Api_Key ...),
    spelled out rather than (?i:...): the regex engine then skips to their first letters."""
    out: set[str] = set()
    for spec in specs:
        words = spec.split()
        for join in (" ", "_", "-", ""):
            for cased in (
                [w.lower() for w in words],
                [w.upper() for w in words],
                [w.capitalize() for w in words],
                [words[0].upper()] + [w.lower() for w in words[1:]],
                [words[0].upper()] + [w.capitalize() for w in words[1:]],
                [words[0].lower()] + [w.capitalize() for w in words[1:]],
            ):
                out.add(join.join(cased))
    return _trie(sorted(out))


# (token and secret alone are common words: a connector must follow them, my token is ..., token: ...)
_PROSE_SECRET_WORDS = _spelled(
    "api key",
    "access key",
    "secret access key",
    "access token",
    "auth token",
    "secret key",
    "bearer token",
    "bot token",
    "client secret",
    "private key",
)
_PROSE_WEAK_WORDS = _spelled("token", "secret")

_PROSE_FOR = r"(?:[ \t]+(?:for|of|on)[ \t]+[^\n\"'`.;:=]{1,40}?)?"  # the token for the staging db ...
_BOLD = r"[ \t]*(?:\*\*|__)?[ \t]*"  # Markdown's bold around a label: **API key:** ...
# what a tool says before the value it shows: the key is: X, token created: X, secret generated: X
# (and an arrow or a spaced dash pointing at it: API secret -> X, Bot token - X)
_SAID = (
    r"(?:(?:is|was)(?:[ \t]*:)?|(?:created|generated|issued|rotated|regenerated|reset|updated|saved)[ \t]*:|:|="
    r"|-{1,2}>|=>|-(?=[ \t]))"
)

# A key or token a user pastes into a sentence: my API key is 8f2c..., API key: kT9x..., the
# token for staging is Zx81.... Only a value that looks random counts (prose_secret): the words
# after "the token" in prose, a name or a path, are not one.
_add(
    "secret_in_prose",
    "secret",
    r"\b(?:" + _PROSE_SECRET_WORDS + r"s?" + _PROSE_FOR + _BOLD + r"(?:" + _SAID + _BOLD + r")?"
    r"|" + _PROSE_WEAK_WORDS + r"s?" + _PROSE_FOR + _BOLD + r"(?:" + _SAID + _BOLD + r"|(?=`)|[ \t]+(?=\S{20})))"
    r"(?:(?:now|still)[ \t]+)?"
    r"(?:\\?[\"'`])?(?P<s>[A-Za-z0-9+/_\-.~]{16,256}={0,2})(?=\\?[\"'`]|[.,;:!?)]?(?:\s|\\[nrt]|$))",
    priority=48,
    prefilter=("key", "KEY", "Key", "oken", "OKEN", "ecret", "ECRET"),
    validator=v.prose_secret,
    context_check=v.not_named_by_key,
    anchor=_PROSE_SECRET_WORDS
    + r"s?[ \t:=*_]|"
    + _PROSE_WEAK_WORDS
    + r"s?(?:[ \t*_]*[:=]|[ \t]+(?:is|was|for|of|on)[ \t:]|[ \t]*`|[ \t]+[A-Za-z0-9+/_\-.~]{20}"
    + r"|[ \t]*(?:-{1,2}>|=>)|[ \t]+-[ \t]"
    + r"|[ \t]+(?:created|generated|issued|rotated|regenerated|reset|updated|saved)[ \t]*:)",
    window=(0, 330),
    description="my API key is 8f2c..., API key: kT9x..., my token is Zx81... (a random value in a sentence)",
)

# A tool's message names the token, says more, and shows it after a colon, on the same line:
# "Copy this token now, you won't see it again: X", "Your new access token (copy it now): X".
# Only a random value of 20 or more characters ends such a line (prose_secret).
_add(
    "secret_after_mention",
    "secret",
    r"\b(?:"
    + _PROSE_SECRET_WORDS
    + r"|"
    + _PROSE_WEAK_WORDS
    + r")s?\b(?:[^\n\\:=\"'`]|(?<=[A-Za-z])'(?=[a-z])){1,60}?:[ \t]*"
    r"(?P<s>[A-Za-z0-9+/_\-.~]{20,256}={0,2})(?=[.,;!?)]?(?:\s|\\[nrt\"]|\"|$))",
    priority=47,
    prefilter=("key", "KEY", "Key", "oken", "OKEN", "ecret", "ECRET"),
    validator=v.prose_secret,
    anchor=r"(?:" + _PROSE_SECRET_WORDS + r"|" + _PROSE_WEAK_WORDS + r")s?[ \t(,.]",
    window=(0, 360),
    description="Copy this token now, you won't see it again: X (a token named, then shown after a colon)",
)

# The bare word key in a user's sentence, after a word that makes it one particular key: "here's
# my openai key X", "Here's the key: X", "Generated key X", "Can you add this key to the env: X".
# (Alone, key is too common a word: only a random value of 20 or more characters counts.)
_KEY_OWNER = r"(?:[Tt]he|[Tt]his|[Mm]y|[Yy]our|[Oo]ur|[Nn]ew|[Gg]enerated|[Cc]reated)"
_add(
    "key_in_prose",
    "secret",
    r"\b" + _KEY_OWNER + r"[ \t]+(?:[A-Za-z][A-Za-z0-9.\-]{1,30}[ \t]+)?(?:[Kk]ey|KEY)\b"
    r"(?:[^\n\\:=\"'`]{0,60}?:|[ \t]*(?:-{1,2}>|=>)|[ \t]+(?:is|was)(?:[ \t]*:)?)?[ \t]*"
    r"(?:\\?[\"'`])?(?P<s>[A-Za-z0-9+/_\-.~]{20,256}={0,2})(?=\\?[\"'`]|[.,;!?)]?(?:\s|\\[nrt]|$))",
    priority=46,
    prefilter=("key", "Key", "KEY"),
    validator=v.prose_secret,
    anchor=_KEY_OWNER + r"[ \t]+(?:[A-Za-z][A-Za-z0-9.\-]{1,30}[ \t]+)?(?:[Kk]ey|KEY)\b",
    window=(0, 400),
    description="here's my openai key X, Here's the key: X, Generated key X (a random value after a particular key)",
)

# An environment variable's name in a sentence or a listing, then its value with no = or colon:
# "set OPENAI_API_KEY to X", "STRIPE_SECRET is now X", "SECRET_KEY_BASE X" (a `fly secrets` or
# `heroku config` row with one space). The UPPER_SNAKE name says what the value is; a key or
# token must look random (prose_secret), a password mix letters and digits (prose_password).
_ENV_NAME_SAID = r"(?:[ \t]+(?:is|was)\b)?(?:[ \t]+(?:now|still)\b)?(?:[ \t]+(?:set|changed)\b)?(?:[ \t]+(?:to|as)\b)?"
_ENV_NAME_VALUE = r"[ \t]+(?:\\?[\"'`])?(?P<s>[^\s\"'`\\()\[\]{}<>,;=]{1,256}?)(?=\\?[\"'`]|[.,;!?)]?(?:\s|\\[nrt]|$))"
_ENV_NAME_START = r"(?:(?<![\w$.\-])|(?<=\\[nt]))\$?"
# (the words "the env var" say the same when "is" or "to" follows: the env var is set to X)
_ENV_VAR_WORDS = r"[Ee]nv(?:ironment)?[ \t]+[Vv]ar(?:iable)?"
for _env_name, _env_kind, _env_words, _env_anchor, _env_check, _env_pre, _env_what in (
    (
        "env_name_in_prose",
        "secret",
        r"(?:[A-Z0-9]+_)*[A-Z0-9]*(?:KEY|TOKEN|SECRET)(?:_[A-Z0-9]+)*"
        + r"|"
        + _ENV_VAR_WORDS
        + r"(?=[ \t]+(?:is|was|to)[ \t])",
        r"(?:KEY|TOKEN|SECRET)(?:_[A-Z0-9]+)*`?[ \t]|" + _ENV_VAR_WORDS + r"[ \t]+(?:is|was|to)[ \t]",
        v.prose_secret,
        ("KEY", "TOKEN", "SECRET", "nv var", "nvironment var"),
        "set OPENAI_API_KEY to X, SECRET_KEY_BASE X, the env var is set to X (a random value after a key's name)",
    ),
    (
        "env_name_password_in_prose",
        "password",
        r"(?:[A-Z0-9]+_)*[A-Z0-9]*(?:PASSWORD|PASSWD|PASSPHRASE)(?:_[A-Z0-9]+)*",
        r"(?:PASSWORD|PASSWD|PASSPHRASE)(?:_[A-Z0-9]+)*`?[ \t]",
        v.prose_password_not_path,
        ("PASSWORD", "PASSWD", "PASSPHRASE"),
        "set DB_PASSWORD to X, POSTGRES_PASSWORD is now X (letters and digits after a password's name)",
    ),
):
    _add(
        _env_name,
        _env_kind,
        _ENV_NAME_START + "(?:" + _env_words + r")\b`?(?![=:\-])" + _ENV_NAME_SAID + _ENV_NAME_VALUE,
        priority=45,
        prefilter=_env_pre,
        validator=_env_check,
        anchor=_env_anchor,
        window=(80, 340),
        description=_env_what,
    )

# The value first, then what it is: "use X as the API key", "I've put X in as the token", "try
# X as the password". A key or token must look random (prose_secret), a password mix letters and
# digits (prose_password).
_AS_VERB = r"\b(?:[Uu]se|[Uu]sing|[Pp]ut|[Aa]dd(?:ed)?|[Ss]et|[Pp]aste[d]?|[Tt]ry|[Gg]ave)[ \t]+"
_AS_WHAT = (
    r"(?:\\?[\"'`])?[ \t]+(?:in[ \t]+)?as[ \t]+(?:(?:the|my|our|your|a|an)[ \t]+)?(?:[A-Za-z][\w.\-]{0,30}[ \t]+)?"
)
for _as_name, _as_kind, _as_value, _as_words, _as_check, _as_what in (
    (
        "secret_before_its_name",
        "secret",
        r"(?P<s>[A-Za-z0-9+/_\-.~]{16,256}={0,2})",
        r"(?:API[ \t]+key|[Aa]pi[ \t]+key|key|token|secret)",
        v.prose_secret,
        "use X as the API key, I've put X in as the token (a random value, then what it is)",
    ),
    (
        "password_before_its_name",
        "password",
        r"(?P<s>(?:(?![\"'`,;&|<>(){}\[\]\\=])[!-~]|&(?![&\s])){6,128})",
        r"(?:password|passphrase|pass|pw)",
        v.prose_password,
        "try X as the password (letters and digits, then what it is)",
    ),
):
    _add(
        _as_name,
        _as_kind,
        _AS_VERB + r"(?:\\?[\"'`])?" + _as_value + _AS_WHAT + _as_words + r"\b",
        priority=44,
        prefilter=(" as ",),
        validator=_as_check,
        anchor=r"[ \t]as[ \t]+(?:(?:the|my|our|your|a|an)[ \t]+)?(?:[A-Za-z][\w.\-]{0,30}[ \t]+)?" + _as_words + r"\b",
        window=(300, 20),
        description=_as_what,
    )

# Markdown names a setting and its value, each in backticks: set `DB_PASSWORD` to `...`,
# `API_TOKEN`: `...`. A password is any literal there; a key or token must look random.
_MD_LINK = r"`[ \t]*(?::|=)[ \t]*`|`[ \t]+(?:to|is|as)[ \t]+`"
_MD_VALUE = r"(?P<s>[^\s`\\]{1,256})`"
for _name, _kind, _word, _check, _pre in (
    (
        "markdown_setting_password",
        "password",
        r"(?i:password|passwd|passphrase|_pass|_pwd)",
        v.flag_password,
        ("ass", "ASS", "wd", "WD"),
    ),
    (
        "markdown_setting_secret",
        "secret",
        r"(?i:secret|token|key)",
        v.properties_key,
        ("ey", "EY", "oken", "OKEN", "ecret", "ECRET"),
    ),
):
    _add(
        _name,
        _kind,
        r"`[A-Za-z0-9_.\-]{0,60}?" + _word + r"[A-Za-z0-9_]{0,20}(?:" + _MD_LINK + r")" + _MD_VALUE,
        priority=55,
        prefilter=_pre,
        validator=_check,
        anchor=_word + r"[A-Za-z0-9_]{0,20}`[ \t]*(?:[:=]|to|is|as)",
        window=(70, 300),
        description=f"set `NAME` to `VALUE` in Markdown ({_kind} names)",
    )

# A label, then the key alone on a line below it (in a code block, as agents show a new key):
# "Here's your new API token:" ``` kT9x... ```. Only a value that looks random counts.
_BELOW = r"(?:\r?\n|(?:\\r)?\\n)"
_add(
    "secret_below_label",
    "secret",
    r"\b(?:"
    + _PROSE_SECRET_WORDS
    + r"|"
    + _PROSE_WEAK_WORDS
    + r")s?(?:\*\*|__)?:(?:\*\*|__)?[ \t]*"
    + _BELOW
    + r"(?:[ \t]*"
    + _BELOW
    + r")?(?:[ \t]*```[A-Za-z]{0,12}[ \t]*"
    + _BELOW
    + r")?[ \t]*(?P<s>[A-Za-z0-9+/_\-.~]{16,256}={0,2})[ \t]*(?="
    + _BELOW
    + r"|$|\\?\")",
    priority=47,
    prefilter=("key", "KEY", "Key", "oken", "OKEN", "ecret", "ECRET"),
    validator=v.prose_secret,
    anchor=r"(?i)(?:key|token|secret)s?(?:\*\*|__)?:(?:\*\*|__)?[ \t]*(?:\r?\n|\\[rn])",
    window=(30, 330),
    description="API token: then the token alone on a line below (a code block's)",
)

# A password in a URL's query: ?user=deploy&pass=..., &pwd=...
_add(
    "query_password",
    "password",
    r"[?&;](?:(?:user|db|admin|login|account|auth|proxy|smtp|mail)[_\-]?)?(?:pass|pwd|passwd|password|passphrase)="
    r"(?P<s>[^\s&#;\"'`<>\\]{1,256}+)",
    priority=65,
    prefilter=("pass=", "pwd=", "passwd=", "password=", "passphrase="),
    validator=v.env_password,  # a URL holds literals: a plain word there is the password
    anchor=r"[?&;][a-z_\-]{0,8}(?:pass|pwd|passwd|password|passphrase)=",
    window=(0, 300),
    description="?user=...&pass=VALUE, &userpass=VALUE in a URL",
)

# A presigned URL's signature: whoever holds the URL reads the object until it expires (S3's and
# Google Cloud Storage's V4 signatures; CloudFront's, with its key pair named beside it)
_add(
    "presigned_url_signature",
    "secret",
    r"[?&](?:X-Amz-Signature|X-Goog-Signature|x-goog-signature)=(?P<s>[0-9a-f]{64}(?:[0-9a-f]{192,448})?)(?![0-9a-f])"
    r"|[?&]Signature=(?P<cf>[A-Za-z0-9~_\-]{40,1024}={0,2})(?=[^\s\"'<>]{0,2048}[?&]Key-Pair-Id=)",
    group=("s", "cf"),
    priority=64,
    prefilter=("Signature=", "signature="),
    validator=v.not_mask,
    anchor=r"[?&](?:X-Amz-Signature|X-Goog-Signature|x-goog-signature|Signature)=",
    window=(0, 1_100),
    description="presigned URLs' signatures (S3 X-Amz-Signature, GCS X-Goog-Signature, CloudFront Signature)",
)

# Other query parameters that carry a credential: a signed URL's signature, a session id, an
# OAuth authorization code or a one-time auth value (random values only: ?code=en is a language)
_add(
    "query_credential",
    "secret",
    r"[?&;](?:signature|Signature|sig|session_?id|sessionId|SESSIONID|PHPSESSID|JSESSIONID|code|auth|otp)="
    r"(?P<s>[A-Za-z0-9_\-.~%]{20,1024}+)(?![A-Za-z0-9_\-.~%/])",
    priority=63,
    prefilter=("signature=", "Signature=", "sig=", "ession", "ESSION", "code=", "auth=", "otp=", "SESSIONID="),
    validator=v.properties_key,
    anchor=r"[?&;](?:signature|Signature|sig|session_?id|sessionId|SESSIONID|PHPSESSID|JSESSIONID|code|auth|otp)=",
    window=(0, 1_100),
    description="?signature=, ?session_id=, ?code=, ?auth= in a URL (random values only)",
)

# A URL's ?key=VALUE (Steam's, Trello's, Bing Maps' and many APIs' key parameter; Google's
# key=AIza... has its own rule; OpenWeatherMap's ?appid=, Datadog's ?application_key=): random
# values of 20 or more only (?key=uploads/a.png names an object; a numeric app id is shorter)
_QUERY_KEYS = r"(?:key|apiKey|apikey|api-key|appkey|app_key|appid|appId|application_key|applicationKey)"
_add(
    "query_key",
    "secret",
    r"[?&;]" + _QUERY_KEYS + r"=(?P<s>[A-Za-z0-9_\-.~%]{20,512}+)(?![A-Za-z0-9_\-.~%/])",
    priority=64,
    prefilter=("key=", "Key=", "appid=", "appId="),
    validator=v.properties_key,  # (random, and not a name made of words: ?key=user_profile_v2)
    anchor=r"[?&;]" + _QUERY_KEYS + "=",
    window=(0, 540),
    description="?key=VALUE, ?appid=VALUE in a URL (random values)",
)

# YAML block scalar: password: |  (the value on the next, indented line)
_add(
    "password_block_scalar",
    "password",
    r"\b(?:[A-Za-z0-9]+[_\-])*(?:[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Ss]ecret|SECRET)[ \t]*:[ \t]*[|>][+\-]?[ \t]*"
    # (the next line past its gutter, in a file shown numbered or as a diff)
    r"(?:\r?\n|(?:\\r)?\\n)(?:" + GUTTER + r")?(?:[ \t]|\\t)+(?P<s>[^\s\\]{1,256}+)",
    priority=60,
    prefilter=("assword", "ASSWORD", "asswd", "ASSWD", "ecret", "ECRET"),
    validator=v.env_password,
    anchor=r"(?i)(?:passw(?:or)?d|secret)[ \t]*:[ \t]*[|>]",
    window=(0, 400),
    description="password: | then the value on the next line (YAML block scalar)",
)


# A YAML mapping line whose key names a password (password: hunter2x, db_password: s3cret,
# SSHpassword: ..., - password: ...): a YAML file holds literals, so a plain word is the password.
# The value runs to the line's end (or a comment); code that looks alike (password: str in a
# dataclass, password: userPassword in an object literal) fails yaml_password.
# (a line's start: also inside a string, and at inline code's start: `DB_PASS=sunshine` in a sentence;
# first one cheap test that fails at most starts a search tries: what stands before is one of these)
_LINE_START = r"(?m)(?<![^\n\"`n])(?:^|(?<=\\n)|(?<=\")|(?<=`)(?<![`\w]`))" + GUTTER + r"?(?:[ \t]|\\t)*(?:-[ \t]+)?"
_PASSWORD_KEY_END = (
    r"[A-Za-z0-9_.\-]{0,60}?(?:[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Pp]assphrase|PASSPHRASE)" + NUMBERED
)
_LINE_END = r"(?=[ \t]*(?:[ \t]#[^\n]*)?(?:$|\r?\n|\\[nr]|\\?\"|`(?![`\w])))"  # ($ alone: the text's end)
_add(
    "yaml_password",
    "password",
    # (YAML's !!str tag says the value is a string: password: !!str 0123)
    _LINE_START + _PASSWORD_KEY_END + r"[ \t]*:[ \t]+(?:!!str[ \t]+)?(?P<s>[^\s\"'`#\\,;(){}\[\]]{1,256}+)" + _LINE_END,
    priority=61,
    prefilter=("assword", "ASSWORD", "asswd", "ASSWD", "assphrase", "ASSPHRASE"),
    validator=v.yaml_password,
    anchor=r"(?i)(?:passw(?:or)?d|passphrase)" + NUMBERED + r"[ \t]*:[ \t]",
    window=(200, 300),
    description="YAML lines: password: value, db_password: value (a plain word counts; types and code names do not)",
)

# Where the key itself says the file is config, a code-like value is still the literal: a YAML
# map's UPPER_SNAKE key (Compose's environment: MYSQL_PASSWORD: MySQLPassword; an object literal's
# keys are camelCase) and a dotted properties key (spring.datasource.password=SQLSpringPassword)
_add(
    "config_key_password",
    "password",
    _LINE_START
    + r"(?:[A-Z0-9]+_)*(?:PASSWORD|PASSWD|PASSPHRASE|PASS|PWD)(?:_[A-Z0-9]+)*[ \t]*:[ \t]+(?:\\?[\"'])?"
    + r"(?P<y>[A-Za-z][A-Za-z0-9_]{3,127})(?:\\?[\"'])?"
    + _LINE_END
    + r"|"
    + _LINE_START.replace("(?m)", "")  # (one flag group, at the start)
    + r"[a-z][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*\.(?:[a-z]+[_\-]?)?(?:password|passwd|passphrase)"
    + r"=(?P<p>[A-Za-z][A-Za-z0-9_]{3,127})(?=[ \t]*(?:$|\r?\n|\\[nr]|\\?\"))",
    group=("y", "p"),
    priority=60,
    prefilter=("ASS", "WD", "assw", "assphrase"),
    validator=v.config_key_password,
    anchor=r"(?:PASSWORD|PASSWD|PASSPHRASE|PASS|PWD)(?:_[A-Z0-9]+)*[ \t]*:[ \t]"
    r"|\.(?:[a-z]+[_\-]?)?(?:password|passwd|passphrase)=",
    window=(200, 200),
    description="MYSQL_PASSWORD: MySQLPassword (a YAML map's UPPER_SNAKE key), spring.datasource.password=Word",
)

# A properties line: keyPassword=word, signing.password=word, spring.datasource.password=word
# (gradle.properties, Android's keystore.properties, Spring's application.properties). No spaces
# around the '=' and nothing after the value: Python's keyword argument password=password, ends
# with a comma or a parenthesis, or names a variable (yaml_password rules code names out).
_add(
    "properties_password",
    "password",
    _LINE_START
    + r"[A-Za-z0-9_.\-]{0,60}?(?:[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Pp]assphrase|PASSPHRASE)[0-9]{0,2}"
    + r"=(?P<s>[^\s\"'`#\\,;(){}\[\]]{1,256}+)"
    + r"(?=[ \t]*(?:$|\r?\n|\\[nr]|\\?\"|`(?![`\w])))"
    + r"(?![ \t]*(?:\r?\n|(?:\\r)?\\n)[ \t]*\))",  # (a call's last argument: its ')' on the next line)
    priority=61,
    prefilter=("assword=", "ASSWORD=", "asswd=", "ASSWD=", "assphrase=", "ASSPHRASE="),
    validator=v.yaml_password,
    anchor=r"(?i)(?:passw(?:or)?d|passphrase)[0-9]{0,2}=",
    window=(200, 300),
    description="properties lines: keyPassword=word, spring.datasource.password=word",
)

# A name and a value in two fields (Kubernetes and Compose env lists, ECS task definitions,
# key/value config entries): the name says it is a password, the value field holds it.
_PAIR_NAME = (
    r"(?:[A-Za-z0-9_.\-]{0,60}?(?:[Pp]assword|PASSWORD|[Pp]asswd|PASSWD|[Pp]assphrase|PASSPHRASE)"
    r"|(?:[A-Za-z0-9]+[_.\-])*(?:PASS|[Pp]ass|PWD|[Pp]wd))"
)
_PAIR_PREFILTER = ("ass", "ASS", "wd", "WD")
# the JSON form's two members; a JavaScript object's keys may be bare or single-quoted
# ({ key: 'api_token', value: '...' } in a MongoDB shell)
_PAIR_KEY = r"(?:\\?\"|(?<![\w$.])'?)(?:[Nn]ame|[Kk]ey)(?:\\?\"|'?)\s*:\s*(?P<nq>\\?[\"'])"
_PAIR_VALUE = r"(?P=nq)" + _SP + "," + _SP + r"(?:\\?\"|'?)[Vv]alue(?:\\?\"|'?)\s*:\s*" + _QUOTED
_add(
    "name_value_password_yaml",
    "password",
    r"\b(?:name|key)[ \t]*:[ \t]*(?:\\?[\"'])?"
    + _PAIR_NAME
    + r"(?:\\?[\"'])?[ \t]*(?:\r?\n|(?:\\r)?\\n)"
    + GUTTER
    + r"?(?:[ \t]|\\t)*value[ \t]*:[ \t]*(?:"
    + _QUOTED
    + r"|(?P<bare>[^\s\"'`#\\,;(){}\[\]]{1,256}+)"
    + _LINE_END
    + ")",
    group=("dq", "sq", "bare"),
    priority=62,
    prefilter=_PAIR_PREFILTER,
    validator=v.env_password,
    anchor=r"(?i)(?:name|key)[ \t]*:[ \t]*\\?[\"']?[A-Za-z0-9_.\-]{0,60}?(?:passw(?:or)?d|passphrase|pass|pwd)\b",
    window=(0, 400),
    description="- name: DB_PASSWORD / value: ... (Kubernetes env, key/value lists)",
)
_add(
    "name_value_password_json",
    "password",
    _PAIR_KEY + _PAIR_NAME + _PAIR_VALUE,
    group=("dq", "sq"),
    priority=62,
    prefilter=_PAIR_PREFILTER,
    validator=v.env_password,
    anchor=r"(?i)(?:name|key)\\?[\"']?\s*:\s*\\?[\"'][A-Za-z0-9_.\-]{0,60}?(?:passw(?:or)?d|passphrase|pass|pwd)\\?[\"']",
    window=(2, 400),
    description='{"name": "DB_PASSWORD", "value": "..."} (ECS task definitions, key/value lists)',
)
# (an Apple property list writes its value as <string>: Info.plist, GoogleService-Info.plist)
_XML_PAIR_VALUE = (
    BLANKS_ACROSS_LINES + r"(?:<value>(?P<s>[^<>\r\n]{1,512})</value>|<string>(?P<p>[^<>\r\n]{1,512})</string>)"
)
_add(
    "name_value_password_xml",
    "password",
    r"<(?P<tag>key|name)>" + _PAIR_NAME + r"</(?P=tag)>" + _XML_PAIR_VALUE,
    group=("s", "p"),
    priority=62,
    prefilter=_PAIR_PREFILTER,
    validator=v.env_password,
    anchor=r"(?i)<(?:key|name)>[A-Za-z0-9_.\-]{0,60}?(?:passw(?:or)?d|passphrase|pass|pwd)</",
    window=(0, 600),
    description="<key>password</key> <value>...</value>, a property list's <key>Password</key> <string>...</string>",
)

# The same two fields where the name says token, secret or key (- name: API_TOKEN / value: ...,
# {"name": "STRIPE_SECRET", "value": ...}): a long random value only, as for any *key line
_SECRET_PAIR_NAME = r"[A-Za-z0-9_.\-]{0,60}?(?:[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Kk]ey|KEY)"
_SECRET_PAIR_PREFILTER = ("oken", "OKEN", "ecret", "ECRET", "ey", "EY")
_SECRET_PAIR_ANCHOR = r"[A-Za-z0-9_.\-]{0,60}?(?:token|secret|key)"
_add(
    "name_value_secret_yaml",
    "secret",
    r"\b(?:name|key)[ \t]*:[ \t]*(?:\\?[\"'])?"
    + _SECRET_PAIR_NAME
    + r"(?:\\?[\"'])?[ \t]*(?:\r?\n|(?:\\r)?\\n)"
    + GUTTER
    + r"?(?:[ \t]|\\t)*value[ \t]*:[ \t]*(?:"
    + _QUOTED
    + r"|(?P<bare>[^\s\"'`#\\,;(){}\[\]]{1,1024}+)"
    + _LINE_END
    + ")",
    group=("dq", "sq", "bare"),
    priority=57,
    prefilter=_SECRET_PAIR_PREFILTER,
    validator=v.properties_key,
    anchor=r"(?i)(?:name|key)[ \t]*:[ \t]*\\?[\"']?" + _SECRET_PAIR_ANCHOR + r"\\?[\"']?[ \t]*(?:\r?\n|\\[rn])",
    window=(0, 1_200),
    description="- name: API_TOKEN / value: ... (a long random value)",
)
_add(
    "name_value_secret_json",
    "secret",
    _PAIR_KEY + _SECRET_PAIR_NAME + _PAIR_VALUE,
    group=("dq", "sq"),
    priority=57,
    prefilter=_SECRET_PAIR_PREFILTER,
    validator=v.properties_key,
    anchor=r"(?i)(?:name|key)\\?[\"']?\s*:\s*\\?[\"']" + _SECRET_PAIR_ANCHOR + r"\\?[\"']",
    window=(2, 1_200),
    description='{"name": "STRIPE_SECRET", "value": "..."} (a long random value)',
)
_add(
    "name_value_secret_xml",
    "secret",
    r"<(?P<tag>key|name)>" + _SECRET_PAIR_NAME + r"</(?P=tag)>" + _XML_PAIR_VALUE,
    group=("s", "p"),
    priority=57,
    prefilter=_SECRET_PAIR_PREFILTER,
    validator=v.properties_key,
    anchor=r"(?i)<(?:key|name)>" + _SECRET_PAIR_ANCHOR + r"</",
    window=(0, 1_200),
    description="<key>APIKey</key> <string>...</string> (a property list; a long random value)",
)

# .NET's appSettings (<add key="ApiKey" value="..." />) and Java's properties XML (<entry
# key="db.password">...</entry>): the key attribute names the secret
_XML_Q = r"\\?[\"']"
for _name, _kind, _pair, _check, _pre, _hint in (
    (
        "xml_attribute_password",
        "password",
        _PAIR_NAME,
        v.env_password,
        _PAIR_PREFILTER,
        r"passw(?:or)?d|passphrase|pass|pwd",
    ),
    (
        "xml_attribute_secret",
        "secret",
        _SECRET_PAIR_NAME,
        v.properties_key,
        _SECRET_PAIR_PREFILTER,
        r"token|secret|key",
    ),
):
    _add(
        _name,
        _kind,
        r"<(?:add|entry)\s+key\s*=\s*"
        + _XML_Q
        + _pair
        + _XML_Q
        + r"(?:\s+value\s*=\s*"
        + _XML_Q
        + r"(?P<a>[^\"'<>\r\n\\]{1,1024})"
        + _XML_Q
        + r"|\s*>(?P<e>[^<>\r\n]{1,1024})</entry>)",
        group=("a", "e"),
        priority=62 if _kind == "password" else 57,
        prefilter=tuple(p for p in _pre),
        validator=_check,
        anchor=r"(?i)<(?:add|entry)\s+key\s*=\s*\\?[\"'][A-Za-z0-9_.\-]{0,60}?(?:" + _hint + r")",
        window=(0, 1_200),
        description=f'<add key="..." value="..."/>, <entry key="...">...</entry> ({_kind} names)',
    )

# Android's res/values/strings.xml: <string name="api_key" translatable="false">...</string>
_XML_ATTRS = r"(?:\s+[\w:\-]{1,40}\s*=\s*" + _XML_Q + r"[^\"'<>\r\n\\]{0,200}" + _XML_Q + r")*"
for _name, _kind, _pair, _check, _pre, _hint in (
    (
        "android_string_password",
        "password",
        _PAIR_NAME,
        v.env_password,
        _PAIR_PREFILTER,
        r"passw(?:or)?d|passphrase|pass|pwd",
    ),
    (
        "android_string_secret",
        "secret",
        _SECRET_PAIR_NAME,
        v.properties_key,
        _SECRET_PAIR_PREFILTER,
        r"token|secret|key",
    ),
):
    _add(
        _name,
        _kind,
        r"<string\s+name\s*=\s*" + _XML_Q + _pair + _XML_Q + _XML_ATTRS + r"\s*>(?P<s>[^<>\r\n]{1,1024})</string>",
        priority=62 if _kind == "password" else 57,
        prefilter=tuple(p for p in _pre),
        validator=_check,
        anchor=r"(?i)<string\s+name\s*=\s*\\?[\"'][A-Za-z0-9_.\-]{0,60}?(?:" + _hint + r")",
        window=(0, 1_500),
        description=f'Android string resources: <string name="...">...</string> ({_kind} names)',
    )

# .npmrc: //registry/:_authToken=..., _auth=..., _password=... hold the credential whatever its
# shape (legacy npm tokens are UUIDs); only a reference (${NPM_TOKEN}) is not one.
_add(
    "npmrc_auth",
    "secret",
    # (not an attribute: self._auth = ... is code)
    r"(?<![A-Za-z0-9_.$])_(?:authToken|auth|password)[ \t]*=[ \t]*(?P<s>[^\s\"'`\\#()]{1,1024}+)",
    priority=70,
    prefilter=("_auth", "_password"),
    validator=v.env_password,
    anchor=r"_(?:authToken|auth|password)[ \t]*=",
    window=(1, 1_100),
    description=".npmrc _authToken=..., _auth=..., _password=...",
)

# A Kubernetes docker-registry Secret's data, wherever it stands (a manifest cut out of its
# `kind: Secret`, a helm values file): .dockerconfigjson: <base64 of {"auths": ...}>
_add(
    "dockerconfig_data",
    "secret",
    r"\.(?:dockerconfigjson|dockercfg)\\?[\"']?[ \t]*:[ \t]*\|?[ \t]*\\?[\"']?"
    r"(?P<s>e[yw][A-Za-z0-9/+]{8,65536}+={0,2})",
    priority=70,
    prefilter=(".dockerc",),
    validator=v.not_mask,
    anchor=r"\.docker(?:configjson|cfg)",
    window=(0, 65_600),
    description=".dockerconfigjson: / .dockercfg: data (base64 of a registry login)",
)

# Composer's auth.json (and COMPOSER_AUTH): a token per host, the host as its key:
# "bearer": {"repo.example.org": "TOKEN"}, "github-oauth": {"github.com": "TOKEN"}
_add(
    "composer_host_token",
    "secret",
    (
        r"\\?\"(?:bearer|github-oauth|gitlab-token|gitlab-oauth)\\?\"{sp}:{sp}\{{{sp}\\?\"[A-Za-z0-9.\-:]{{1,253}}\\?\"{sp}:{sp}"
        r"\\?\"(?P<s>[^\"\\\s]{{8,512}}+)\\?\""
    ).format(sp=r"(?:\s|\\[nrt])*"),  # (white space, or a line break escaped in a transcript line)
    priority=70,
    prefilter=("bearer", "-oauth", "gitlab-token"),
    validator=v.looks_random,
    anchor=r"(?:bearer|github-oauth|gitlab-token|gitlab-oauth)\\?\"\s*:\s*\{",
    window=(2, 700),
    description='Composer auth.json: "bearer": {"HOST": "TOKEN"}, "github-oauth": {"github.com": "TOKEN"}',
)

# `pass` or `pwd` alone as a line's key, unquoted (an INI or rclone section's pass = ..., a YAML
# pass: ...): a config line holds a literal. `pass = x` is no Python (pass is a statement) and
# `pwd: /home/me` is a folder, which the validator turns down.
_add(
    "password_short_key_line",
    "password",
    _LINE_START + r"(?:pass|pwd|PASS|PWD|Pass|Pwd)[ \t]*[=:][ \t]*(?P<s>[^\s\"'`#\\,;(){}\[\]]{1,256}+)" + _LINE_END,
    priority=60,
    prefilter=("pass", "pwd", "PASS", "PWD", "Pass", "Pwd"),
    validator=v.line_password_not_path,
    anchor=r"(?i)(?:pass|pwd)[ \t]*[=:]",
    window=(200, 300),
    description="pass = value, pwd: value as a config line's whole key (not a path)",
)

# A user:password pair a package manager keeps under a host: Yarn Berry's npmAuthIdent, Bundler's
# BUNDLE_GEMS__EXAMPLE__COM (a host's dots written as __), the password after the colon.
_add(
    "package_manager_user_password",
    "password",
    r"(?:npmAuthIdent|BUNDLE_[A-Z0-9_]*__[A-Z0-9_]+)[ \t]*[:=][ \t]*(?:\\?[\"'])?[^\s:\"'\\]{1,128}:"
    r"(?P<s>[^\s\"'\\]{1,512}+)",
    priority=70,
    prefilter=("npmAuthIdent", "BUNDLE_"),
    validator=v.env_password,
    anchor=r"npmAuthIdent|BUNDLE_[A-Z0-9_]*__",
    window=(0, 700),
    description='npmAuthIdent: "user:password", BUNDLE_GEMS__HOST__COM: "user:password"',
)

# A command's key/value output, a row per setting: columns padded with spaces (vault read,
# kubectl describe), or drawn (│ KEY │ value │ in railway variables, | KEY | value | in Markdown).
# The row's name says what its value is: a password there is a literal, a key or token must look
# random (the header row, Key / Value, does not).
_BOX = r"(?:[│┃║|]|\\u250[23]|\\u2551)"  # (also as JSON escapes them: \u2502, \u2503, \u2551)
_ROW_START = _LINE_START + r"(?:" + _BOX + r"[ \t]*)?"
_ROW_SEP = r"(?:[ \t]{2,}|\t|[ \t]*" + _BOX + r"[ \t]*)"
# (Markdown writes a value in backticks: | Password | `value` |)
_ROW_VALUE = r"`?(?P<s>[^\s│┃║|\"'`\\]{1,512}+)`?(?=[ \t]*(?:" + _BOX + r"[ \t]*)?(?:$|\\[nr]|\\?\"))"
# (a drawn row's name may be words: | API Key |, | Secret Access Key |)
_add(
    "key_value_row_password",
    "password",
    _ROW_START + _PASSWORD_KEY_END + _ROW_SEP + _ROW_VALUE,
    priority=60,
    prefilter=("assword", "ASSWORD", "asswd", "ASSWD", "assphrase", "ASSPHRASE"),
    validator=v.env_password,
    # (the engine's regex takes no multi-byte character in a class: the box edges as alternatives)
    anchor=r"(?i)(?:passw(?:or)?d|passphrase)(?:[ \t]{2}|\t|[ \t]*(?:│|┃|║|\||\\u250[23]|\\u2551))",
    window=(200, 600),
    description="password   value (a command's key/value rows, padded or drawn)",
)
_add(
    "key_value_row_secret",
    "secret",
    _ROW_START
    + r"(?:(?:[A-Za-z0-9_.\-]{1,30} ){1,3}(?=[A-Za-z0-9_.\-]{0,60}?(?:[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Kk]ey|KEY)"
    + r"[ \t]*"
    + _BOX
    + r"))?[A-Za-z0-9_.\-]{0,60}?(?:[Tt]oken|TOKEN|[Ss]ecret|SECRET|[Kk]ey|KEY)"
    + _ROW_SEP
    + _ROW_VALUE,
    priority=58,
    prefilter=("oken", "OKEN", "ecret", "ECRET", "ey", "EY"),
    validator=v.properties_key,
    anchor=r"(?i)(?:token|secret|key)(?:[ \t]{2}|\t|[ \t]*(?:│|┃|║|\||\\u250[23]|\\u2551))",
    window=(200, 600),
    description="api_token   value, │ OPENAI_API_KEY │ value │ (random values only)",
)

# fish sets variables with a command, not `=`: set -x DB_PASSWORD value, set -gx API_TOKEN value
_add(
    "fish_set_secret",
    "password",
    # (with a scope flag, or an UPPER_CASE name: "set secret keys" in prose is no command)
    _WORD_START + r"set(?:(?:[ \t]+-[A-Za-z]+)+[ \t]+[A-Za-z0-9_]{0,60}?"
    r"(?i:password|passwd|passphrase|_pass|_pwd|secret|token)"
    r"|[ \t]+[A-Z0-9_]{0,60}?(?:PASSWORD|PASSWD|PASSPHRASE|_PASS|_PWD|SECRET|TOKEN))"
    r"[ \t]+(?P<s>[^\s\"'`#\\;|&()]{1,256}+)",
    priority=62,
    prefilter=("set ",),
    validator=v.line_password_not_path,
    anchor=r"set(?:[ \t]+-[A-Za-z]+)*[ \t]+[A-Za-z0-9_]{0,60}",
    window=(0, 400),
    description="fish: set -x DB_PASSWORD value",
)

# Go's MySQL driver names the server in its DSN: user:password@tcp(host:3306)/db
_add(
    "go_mysql_dsn_password",
    "password",
    r"(?<![A-Za-z0-9_.\-])[A-Za-z0-9_.\-]{1,64}:(?P<s>[^\s@\"'`:/\\]{1,256})@(?:tcp|unix|udp)\(",
    priority=75,
    prefilter=("@tcp(", "@unix(", "@udp("),
    validator=v.env_password,
    anchor=r"@(?:tcp|unix|udp)\(",
    window=(330, 8),
    description="user:password@tcp(host)/db (Go MySQL DSN)",
)

# A properties or env line whose key ends in KEY, TOKEN or SECRET (api.key=..., GITHUBKEY=...):
# unquoted, no space around '=', to the line's end; a long random value only, as for any *key.
_add(
    "properties_key",
    "secret",
    # (to the line's end: `key=value,` and `key=f(x)` are a call's arguments)
    _LINE_START + r"(?:export[ \t]+)?[A-Za-z0-9_.\-]{0,80}?"
    r"(?:[Kk]ey|KEY|[Tt]oken|TOKEN|[Ss]ecret|SECRET)=(?P<s>[^\s\"'`#\\,;(){}\[\]]{16,1024}+)" + _LINE_END,
    priority=58,
    prefilter=("ey=", "EY=", "oken=", "OKEN=", "ecret=", "ECRET="),
    validator=v.properties_key,
    anchor=r"(?i)(?:key|token|secret)=",
    window=(200, 1_100),
    description="api.key=..., GITHUBKEY=... (properties and env lines; long random values only)",
)

# An LDAP client's or server's bind password, by its own key: nslcd.conf's and ldap.conf's
# `bindpw X`, slapd.conf's `rootpw X`, cn=config's `olcRootPW: X`, sssd.conf's
# `ldap_default_authtok = X` (none of them a *password key)
_add(
    "ldap_bind_password",
    "password",
    _LINE_START
    + r"(?:bindpw|BINDPW|rootpw|olcRootPW[ \t]*:|ldap_default_authtok[ \t]*=)[ \t]*(?P<s>[^\s\"'#\\]{1,256})"
    + _LINE_END,
    priority=60,
    prefilter=("bindpw", "BINDPW", "rootpw", "olcRootPW", "ldap_default_authtok"),
    validator=v.env_password,
    anchor=r"bindpw|BINDPW|rootpw|olcRootPW|ldap_default_authtok",
    window=(200, 300),
    description="bindpw X, rootpw X, olcRootPW: X, ldap_default_authtok = X (LDAP client and server configs)",
)

# An INI, TOML or YAML line whose key is a bare *key, spaced or after a colon: rclone's B2
# `key = K001...`, `[api]` then `key = ...`, `key: ...` (quoted values are key_assignment's). A
# long random value to the line's end that mixes letters and digits and is no id, digest or
# class name (bare_key); never after the words that name a lookup key (sort_key, cache-key ...),
# nor a WebSocket handshake's Sec-WebSocket-Key.
_add(
    "ini_key",
    "secret",
    _LINE_START
    + r"[A-Za-z0-9_.\-]{0,80}?(?:[Kk]ey|KEY)"
    + _not_after_words(_LOOKUP_KEY_WORDS, "key")
    + r"(?<![Ww]eb[Ss]ocket-[Kk]ey)"  # (an HTTP handshake's nonce, no credential)
    + r"[ \t]*[=:][ \t]*(?P<s>[^\s\"'`#\\,;(){}\[\]]{15,1024}+)"
    + _LINE_END,
    priority=56,
    prefilter=("ey", "EY"),
    validator=v.bare_key,
    context_check=v.not_named_by_key,
    anchor=r"(?i)key[ \t]*[=:][ \t]*[A-Za-z0-9+/_\-]",
    window=(200, 1_100),
    description="key = K001..., key: ... (INI, TOML and YAML lines under a bare *key; long random values only)",
)

# key=value inside a line, as a log or a command prints it (`[DEBUG] Using Key=...`, `api
# key=...`): an unspaced = after a word ending in key, the value to a blank or the line's end.
# Long random values only (bare_key), never a lookup key's (sort_key=..., cacheKey=...).
_add(
    "inline_key",
    "secret",
    r"(?<=[ \t])[A-Za-z0-9_.\-]{0,40}?(?:[Kk]ey|KEY)"
    + _not_after_words(_LOOKUP_KEY_WORDS, "key")
    + r"=(?P<s>[A-Za-z0-9+/_\-.]{20,512}+={0,2})(?=[ \t]|$|\r?\n|\\[nrt])",
    priority=55,
    prefilter=("ey=", "EY="),
    validator=v.bare_key,
    context_check=v.not_named_by_key,
    anchor=r"(?i)key=[A-Za-z0-9+/_\-]",
    window=(60, 600),
    description="Key=... inside a log or output line (long random values only)",
)

# A table's column: CSV, TSV or Markdown with a header cell naming a password, secret, token or
# key; each value under it (tables.py)
register_detector(
    Detector(
        name="table_column_secret",
        kind="password",
        pattern=re.compile(r"(?!)"),  # unused: see finder
        finder=table_secret_values,
        finder_takes_hits=True,
        priority=55,
        prefilter=("ass", "ASS", "wd", "WD", "ecret", "ECRET", "oken", "OKEN", "ey", "EY"),
        # a header cell: the word, then a separator or the line's end (the word first, so the
        # engine looks for few literals; a separator-first branch cost a sixth of its speed)
        anchor=re.compile(
            r"(?i)(?:passw(?:or)?d|pwd|pass|passphrase|secret|token|api[_\- ]?key|apikey|access[_\- ]?key"
            r"|private[_\- ]?key)[ \t\"'\\]*(?:,|;|\t|\||\\t|\r|\n|\\n|│|┃|║|\\u25(?:0[23]|51))"
        ),
        window=(0, 0),
        description="values under a password, secret, token or key column of a CSV, TSV, Markdown or "
        "bordered table (psql, MySQL, rich)",
    )
)
