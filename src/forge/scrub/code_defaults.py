"""Secrets that code writes next to the name of the setting they fill: a PHP constant
(wp-config.php's define('DB_PASSWORD', '...') and its salts), the fallback of an environment
lookup (os.getenv("DB_PASSWORD", "..."), env("API_TOKEN", default="..."), ENV.fetch(...),
process.env.DB_PASSWORD || "..."). The name says what the literal is, so a password there is any
value a password validator takes; a key, token, secret or salt must look random.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _QUOTED, _WORD_START, _add

_PASSWORD_NAME = r"[A-Za-z0-9_.\-]{0,60}?(?i:password|passwd|passphrase|_pass|_pwd)"
_SECRET_NAME = r"[A-Za-z0-9_.\-]{0,60}?(?i:secret|token|key|salt|credentials?)"
_Q = r"\\?[\"']"  # a quote, maybe JSON-escaped (code inside a tool result)

# PHP: define('DB_PASSWORD', 'value'); define( "AUTH_KEY", "value" );
_DEFINE = _WORD_START + r"define\(\s*" + _Q + "{name}" + _Q + r"\s*,\s*" + _QUOTED
# Python, Ruby, Django-environ: getenv("X", "value"), environ.get("X", "value"), env("X", default="value"),
# ENV.fetch("X", "value")
_LOOKUP = (
    _WORD_START
    + r"(?:getenv|environ\.get|ENV\.fetch|env|config)\(\s*"
    + _Q
    + "{name}"
    + _Q
    + r"\s*,\s*(?:default\s*=\s*)?"
    + _QUOTED
)
# JavaScript: process.env.X || "value", process.env.X ?? "value"
_JS_FALLBACK = _WORD_START + r"process\.env\.{name}\s*(?:\|\||\?\?)\s*" + _QUOTED

for form, shape, anchor_at in (
    ("define", _DEFINE, r"define\("),
    ("env_default", _LOOKUP, r"(?:getenv|environ\.get|ENV\.fetch|env|config)\("),
    ("js_env_default", _JS_FALLBACK, r"process\.env\."),
):
    _add(
        f"{form}_password",
        "password",
        shape.replace("{name}", _PASSWORD_NAME),
        group=("dq", "sq"),
        priority=62,
        prefilter=("define(", "getenv(", "environ.get(", "ENV.fetch(", "env(", "config(", "process.env.")
        if form != "js_env_default"
        else ("process.env.",),
        validator=v.quoted_password,
        anchor=anchor_at,
        window=(0, 600),
        description=f"{form}: a password literal under a name that says so",
    )
    _add(
        f"{form}_secret",
        "secret",
        shape.replace("{name}", _SECRET_NAME),
        group=("dq", "sq"),
        priority=60,
        prefilter=("define(", "getenv(", "environ.get(", "ENV.fetch(", "env(", "config(", "process.env.")
        if form != "js_env_default"
        else ("process.env.",),
        validator=v.looks_random,
        anchor=anchor_at,
        window=(0, 2_100),
        description=f"{form}: a random key, token, secret or salt under a name that says so",
    )
