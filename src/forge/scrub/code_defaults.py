"""Secrets that code writes next to the name of the setting they fill: a PHP constant
(wp-config.php's define('DB_PASSWORD', '...') and its salts), the fallback of an environment
lookup (os.getenv("DB_PASSWORD", "..."), env("API_TOKEN", default="..."), ENV.fetch(...),
process.env.DB_PASSWORD || "...", os.environ.get("API_TOKEN") or "..."), a setter
(props.setProperty("password", "..."), os.Setenv(...)) and a subscript (os.environ["DB_PASSWORD"]
= "...", ENV["API_TOKEN"] ||= "..."). The name says what the literal is, so a password there is
any value a password validator takes; a key, token, secret or salt must look random.

Registered like the built-ins (builtin.py has the conventions).
"""

from __future__ import annotations

from forge.scrub import validators as v
from forge.scrub.builtin import _QUOTED, _SP, _WORD_START, _add
from forge.scrub.gutters import GUTTER

# (a number may follow: static_password02; pwd and pass alone name a password only as the whole name)
_PASSWORD_NAME = r"(?:[A-Za-z0-9_.\-]{0,60}?(?i:password|passwd|passphrase|_pass|_pwd)|(?i:pwd|pass))[0-9]{0,2}"
_SECRET_NAME = r"[A-Za-z0-9_.\-]{0,60}?(?i:secret|token|key|salt|credentials?)[0-9]{0,2}"
_Q = r"\\?[\"']"  # a quote, maybe JSON-escaped (code inside a tool result)

# PHP: define('DB_PASSWORD', 'value'); define( "AUTH_KEY", "value" );
_DEFINE = _WORD_START + r"define\(" + _SP + _Q + "{name}" + _Q + _SP + "," + _SP + _QUOTED
# Python, Ruby, Django-environ: getenv("X", "value"), environ.get("X", "value"), env("X", default="value"),
# ENV.fetch("X", "value"), Java's System.getenv().getOrDefault("X", "value")
_LOOKUP = (
    _WORD_START
    + r"(?:getenv|environ\.get|ENV\.fetch|env|config|getOrDefault)\("
    + _SP
    + _Q
    + "{name}"
    + _Q
    + _SP
    + ","
    + _SP
    + r"(?:default\s*=\s*)?"
    + _QUOTED
)
# Setters: props.setProperty("password", "value"), os.Setenv("DB_PASSWORD", "value"),
# map.put("password", "value"), cfg.set("api_token", "value"), C#'s dict.Add("AccountKey", "value")
_SETTER = (
    _WORD_START
    + r"(?:set|put|Set|Put|setenv|putenv|store|add|Add)[A-Za-z]{0,12}\("
    + _SP
    + _Q
    + "{name}"
    + _Q
    + _SP
    + ","
    + _SP
    + _QUOTED
)
# A collection initializer's pair: C#'s new Dictionary<string, string> { { "AccountKey", "value" } }
_PAIR = r"\{" + _SP + _Q + "{name}" + _Q + _SP + "," + _SP + _QUOTED + _SP + r"\}"
# A test's check of a setting read back: assert.equal(parsed['AccountKey'], '...'),
# assertEqual(config["api_token"], "...")
_SUBSCRIPT_CHECKED = r"\[\s*" + _Q + "{name}" + _Q + r"\s*\]\s*\)?\s*,\s*" + _QUOTED
# Ruby's settings by symbol: Capistrano's and Sinatra's set :password, "value"
_RUBY_SET = _WORD_START + r"set\s+:{name},\s*" + _QUOTED
# A subscript assigned a literal: os.environ["DB_PASSWORD"] = "value", ENV['API_TOKEN'] = '...'
# (or given a default: ENV["API_TOKEN"] ||= "...", $cfg['key'] ??= '...')
_SUBSCRIPT = r"\[\s*" + _Q + "{name}" + _Q + r"\s*\]\s*(?:\|\||\?\?)?=(?!=)\s*" + _QUOTED
# JavaScript: process.env.X || "value", process.env.X ?? "value"
_JS_FALLBACK = _WORD_START + r"process\.env\.{name}\s*(?:\|\||\?\?)\s*" + _QUOTED
# Python and Ruby: os.environ.get("X") or "value", os.getenv("X") or "value", ENV["X"] || "value"
_OR_FALLBACK = (
    r"(?:getenv\(|environ\.get\(|environ\[|ENV\[)"
    + _SP
    + _Q
    + "{name}"
    + _Q
    + _SP
    + r"[)\]]\s*(?:or|\|\|)\s*"
    + _QUOTED
)

# Android's Gradle: buildConfigField "String", "API_KEY", "\"value\"" (Groovy, or Kotlin's call with
# parentheses): the value is a Java string literal inside a Gradle string, its inner quotes escaped
# (or '"value"' in single quotes)
_GRADLE_FIELD = (
    r"\bbuildConfigField\s*\(?"
    + _SP
    + _Q
    + r"[A-Za-z.]{1,40}"
    + _Q
    + _SP
    + ","
    + _SP
    + _Q
    + "{name}"
    + _Q
    + _SP
    + ","
    + _SP
    + r"""(?:\\?"\\{1,3}"(?P<dq>[^"\\\r\n]{1,256})\\{1,3}"\\?"|'\\?"(?P<sq>[^"'\\\r\n]{1,256})\\?"')"""
)

_PREFILTERS = {
    "define": ("define(",),
    "env_default": ("getenv(", "environ.get(", "ENV.fetch(", "env(", "config(", "getOrDefault("),
    "js_env_default": ("process.env.",),
    "setter": ("et", "ut", "ore", "dd"),
    "pair": ("{",),
    "checked_subscript": ("]",),
    "subscript": ("]",),
    "or_default": ("getenv(", "environ", "ENV["),
    "ruby_set": ("set :",),
    "gradle_field": ("buildConfigField",),
}
# how far before its anchor a match may start: a subscript's name stands before its `] =`
_BEFORE = {"subscript": 90, "checked_subscript": 90, "pair": 90}
for form, shape, anchor_at in (
    ("define", _DEFINE, r"define\("),
    ("env_default", _LOOKUP, r"(?:getenv|environ\.get|ENV\.fetch|env|config|getOrDefault)\("),
    ("js_env_default", _JS_FALLBACK, r"process\.env\."),
    # (the name in the anchor: setTimeout( and settings( are everywhere in code)
    (
        "setter",
        _SETTER,
        r"(?i)(?:set|put|store|add)[a-z]{0,12}\((?:\s|\\[nrt])*\\?[\"'][a-z0-9_.\-]{0,60}(?:pass|pwd|secret|token|key|salt|credential)",
    ),
    # (a name's end, its closing quote, then the comma, no colon: not a JSON object's
    # {"input_tokens": 5, ...}, on every line of a transcript)
    (
        "pair",
        _PAIR,
        r"(?i)(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|salt|credentials?)[0-9]{0,2}\\?[\"'][^,:\"']{0,40}?,",
    ),
    ("subscript", _SUBSCRIPT, r"\]\s*(?:\|\||\?\?)?="),
    (
        "checked_subscript",
        _SUBSCRIPT_CHECKED,
        r"(?i)(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|salt|credentials?)[0-9]{0,2}\\?[\"']\s*\]\s*\)?\s*,",
    ),
    ("or_default", _OR_FALLBACK, r"(?:getenv\(|environ\.get\(|environ\[|ENV\[)"),
    ("ruby_set", _RUBY_SET, r"set\s+:"),
    ("gradle_field", _GRADLE_FIELD, r"buildConfigField"),
):
    _add(
        f"{form}_password",
        "password",
        shape.replace("{name}", _PASSWORD_NAME),
        group=("dq", "sq"),
        priority=62,
        prefilter=_PREFILTERS[form],
        validator=v.quoted_password,
        anchor=anchor_at,
        window=(_BEFORE.get(form, 0), 600),
        description=f"{form}: a password literal under a name that says so",
    )
    _add(
        f"{form}_secret",
        "secret",
        shape.replace("{name}", _SECRET_NAME),
        group=("dq", "sq"),
        priority=60,
        prefilter=_PREFILTERS[form],
        validator=v.looks_random,
        anchor=anchor_at,
        window=(_BEFORE.get(form, 0), 2_100),
        description=f"{form}: a random key, token, secret or salt under a name that says so",
    )

# Connect calls whose signature puts the password third, after the host (or DSN) and the user:
# PHP's new mysqli(HOST, USER, PASSWORD, DB), mysqli_connect, mysql_connect, new PDO(DSN, USER,
# PASSWORD), and Python's pymysql.connect / MySQLdb.connect(HOST, USER, PASSWORD, DB)
_POSITIONAL_ARG = r"(?:" + _Q + r"[^\"'\\\r\n]{0,200}" + _Q + r"|\$?[A-Za-z_][\w.\->\[\]]{0,80})"
_add(
    "connect_call_password",
    "password",
    _WORD_START
    + r"(?:new[ \t]+(?:mysqli|PDO)|mysqli_connect|mysql_p?connect|(?:pymysql|MySQLdb)\.connect)\("
    + _SP
    + _POSITIONAL_ARG
    + _SP
    + ","
    + _SP
    + _POSITIONAL_ARG
    + _SP
    + ","
    + _SP
    + _QUOTED,
    group=("dq", "sq"),
    priority=62,
    prefilter=("mysqli", "PDO", "mysql_", "connect("),
    validator=v.quoted_password,
    anchor=r"new[ \t]+(?:mysqli|PDO)\(|mysqli_connect\(|mysql_p?connect\(|(?:pymysql|MySQLdb)\.connect\(",
    window=(4, 700),
    description="new mysqli(HOST, USER, PASSWORD), new PDO(DSN, USER, PASSWORD), pymysql.connect(HOST, USER, PASSWORD)",
)

# A method named for what it takes: builders and setters (DataSourceBuilder's .password("..."),
# Testcontainers' .withPassword("..."), Laravel's ->setPassword('...'), Django's
# user.set_password('...'), an SDK's .apiKey("...")), a setter called bare inside its class
# (setPassword("...")), and Rust's reqwest .basic_auth(USER, Some(PASSWORD)) / .bearer_auth(TOKEN)
_SETTER = r"(?:(?:\.|->)(?:set_?|with_?)?|" + _WORD_START + r"(?:set_?|with_?))"
_add(
    "method_password",
    "password",
    _SETTER + r"(?:[Pp]assword|PASSWORD|[Pp]asswd|[Pp]assphrase)\(" + _SP + _QUOTED + _SP + r"\)"
    r"|\.basic_auth\("
    + _SP
    + _Q
    + r"[^\"'\\\r\n]{0,128}"
    + _Q
    + _SP
    + ","
    + _SP
    + r"Some\("
    + _SP
    + _QUOTED.replace("?P<dq>", "?P<rdq>").replace("?P<sq>", "?P<rsq>"),
    group=("dq", "sq", "rdq", "rsq"),
    priority=62,
    prefilter=("assword(", "asswd(", "assphrase(", "basic_auth("),
    validator=v.quoted_password,
    anchor=r"(?i)(?:passw(?:or)?d|passphrase)\(|\.basic_auth\(",
    window=(12, 400),
    description='.password("..."), .withPassword("..."), ->setPassword(\'...\'), set_password("..."), '
    '.basic_auth(USER, Some("..."))',
)
_add(
    "method_secret",
    "secret",
    _SETTER + r"(?:[Aa]pi_?[Kk]ey|API_?KEY|[Aa]ccess_?[Tt]oken|[Aa]uth_?[Tt]oken|[Cc]lient_?[Ss]ecret"
    r"|[Ss]ecret_?[Kk]ey|[Ss]ecret|[Tt]oken|bearer_auth)\(" + _SP + _QUOTED + _SP + r"\)",
    group=("dq", "sq"),
    priority=60,
    prefilter=("ey(", "EY(", "oken(", "ecret(", "bearer_auth("),
    validator=v.properties_key,  # (random, and not a name made of words)
    anchor=r"(?i)(?:api_?key|token|secret|secret_?key|bearer_auth)\(",
    window=(30, 400),
    description='.apiKey("..."), .withToken("..."), ->setSecret(\'...\'), .bearer_auth("...") (random values)',
)

# The AWS CDK's SecretValue.unsafePlainText("...") (and the older plainText): the call says a
# secret is written there in the clear
_add(
    "cdk_plaintext_secret",
    "password",
    r"\bSecretValue\.(?:unsafePlainText|plainText)\(" + _SP + _QUOTED + _SP + r"\)",
    group=("dq", "sq"),
    priority=62,
    prefilter=("SecretValue.",),
    validator=v.quoted_password,
    anchor=r"SecretValue\.(?:unsafePlainText|plainText)\(",
    window=(0, 400),
    description="SecretValue.unsafePlainText('...') (the AWS CDK)",
)

# A typed declaration, where the type stands between the name and its literal: TypeScript's
# const apiKey: string = "...", Kotlin's and Swift's password: String = "...", Rust's
# const API_KEY: &str = "...", Go's var password string = "..."; and C's #define NAME "..."
# A class's field needs no keyword: TypeScript's private apiKey: string = "...", and a line that
# starts with the annotated name (Python's password: str = "...", API_TOKEN: Final = "...").
_BINDING = (
    r"(?:"
    + _WORD_START
    + r"(?:const|let|var|val|static|readonly)\s+(?:mut\s+)?(?:private\s+)?{name}"
    + r"(?:\s*:\s*(?:&(?:'static\s+)?)?(?:str|String|string)|\s+string)\s*=(?!=)"
    # (a line's start, or a JSON string's: also past a gutter, a file shown numbered or as a diff;
    # first one cheap test that fails at most starts: what stands before is a break, a quote or an n)
    + r"|(?:"
    + _WORD_START
    + r"(?:public|private|protected|readonly|static)[ \t]+|(?<![^\n\"n])(?:(?m:^)|(?<=\\n)|(?<=\"))(?:"
    + GUTTER
    + r")?(?:[ \t]|\\t)*){name}"
    + r"[ \t]*:[ \t]*(?:str|String|string|(?:Final|ClassVar)(?:\[str\])?)[ \t]*=(?!=)"
    + r"|#define\s+{name}\s)"
    + _SP
    + _QUOTED
)
for _kind, _name, _check, _pre in (
    ("password", _PASSWORD_NAME, v.quoted_password, ("ass", "ASS", "wd", "WD")),
    ("secret", _SECRET_NAME, v.looks_random, ("ecret", "ECRET", "oken", "OKEN", "ey", "EY", "alt", "ALT")),
):
    _add(
        f"typed_binding_{_kind}",
        _kind,
        _BINDING.replace("{name}", _name),
        group=("dq", "sq"),
        priority=62 if _kind == "password" else 60,
        prefilter=_pre,
        validator=_check,
        # (the binding's type or #define, then the literal: where a name alone is everywhere)
        anchor=r"(?:\s*:\s*(?:&(?:'static\s+)?)?(?:str|String|string|(?:Final|ClassVar)(?:\[str\])?)|\s+string)\s*=\s*\\?[\"']"
        r"|#define\s",
        window=(100, 2_100),
        description=f"const NAME: string = '...', #define NAME \"...\" (a {_kind} under a name that says so)",
    )
