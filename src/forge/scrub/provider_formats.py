"""More credential formats: provider tokens the rule engine's catalogue misses or spells
narrower than the providers issue them, and credentials in connection-string and CLI context.

Registered like the built-ins (builtin.py has the conventions: linear-time patterns, literal
prefilters, an anchor for the rule engine). Each format comes from the provider's documentation
of its token shape; the validators reject documentation masks (all-x bodies) and references.
"""

from __future__ import annotations

import base64
import binascii

from forge.scrub import validators as v
from forge.scrub.builtin import _ARG, _SP, _TOKEN_END, _WORD, _WORD_START, _WS, _add, _begin, _start


def _token(
    name: str,
    kind: str,
    prefix: str,
    body: str,
    *,
    width: int,
    description: str,
    validator=v.not_mask,
    anchor="",
    prefilter=(),
    not_after=_WORD,
):
    """A token that starts with a fixed `prefix` (escaped regex) followed by `body`, where the
    character before is none of `not_after`."""
    literal = prefix.replace("\\", "")
    _add(
        name,
        kind,
        r"(?P<s>" + _begin(prefix, not_after) + body + r")" + _TOKEN_END,
        priority=90,
        prefilter=prefilter or (literal,),
        validator=validator,
        anchor=anchor or prefix,
        window=(0, width),
        description=description,
    )


_token(
    "newrelic_key",
    "newrelic_key",
    "NR",
    r"(?:AK-[A-Z0-9]{27}|AA-[a-f0-9]{27}|I[IQ]-[A-Za-z0-9_\-]{32}|JS-[a-f0-9]{19})",
    width=40,
    anchor="NR(?:AK|AA|II|IQ|JS)-",
    description="New Relic user (NRAK-), admin (NRAA-), insights insert and query (NRII-, NRIQ-) and browser "
    "(NRJS-) keys",
)
_add(
    "newrelic_license_key",
    "newrelic_key",
    _start("A-Za-z0-9") + r"(?P<s>(?:[a-f0-9]{36}|eu01xx[a-f0-9]{30})NRAL)" + _TOKEN_END,
    priority=90,
    prefilter=("NRAL",),
    validator=v.not_mask,
    anchor="NRAL",
    window=(40, 4),
    description="New Relic license keys (40 characters ending in NRAL)",
)
_add(
    "newrelic_mobile_token",
    "newrelic_key",
    _start("A-Za-z0-9") + r"(?P<s>(?:AA[a-f0-9]{40}|eu01xx[a-f0-9]{36})-NRMA)" + _TOKEN_END,
    priority=90,
    prefilter=("-NRMA",),
    validator=v.not_mask,
    anchor="-NRMA",
    window=(44, 5),
    description="New Relic mobile app tokens (AA or eu01xx, hex, then -NRMA)",
)
_add(
    "plaid_access_token",
    "plaid_token",
    _start("A-Za-z0-9_\\-") + r"(?P<s>(?:access|processor)-(?:sandbox|development|production)-"
    r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12})" + _TOKEN_END,
    priority=90,
    prefilter=("access-", "processor-"),
    validator=v.not_mask,
    anchor="(?:access|processor)-(?:sandbox|development|production)-",
    window=(0, 60),
    description="Plaid access and processor tokens (access-production-<uuid>)",
)
_token(
    "atlassian_admin_key",
    "atlassian_token",
    "ATCTT3xFfG",
    # 192 characters as issued; the body may hold '=': the checksum is the 8 after the last one
    r"[A-Za-z0-9+/=_\-]{100,400}?=[A-Za-z0-9]{8}",
    width=430,
    validator=v.mixed_token,
    description="Atlassian organization admin API keys (ATCTT3xFfG..., a checksum after the last '=')",
)
_token(
    "doppler_token",
    "doppler_token",
    r"dp\.",
    r"(?:ct|pt|st(?:\.[a-z0-9_\-]{2,35})?|sa|scim|audit)\.[A-Za-z0-9]{40,44}",
    width=90,
    validator=v.mixed_token,
    description="Doppler tokens: dp.ct., dp.pt., dp.st.[config.], dp.sa., dp.scim., dp.audit.",
)
_token(
    "twitch_stream_key",
    "twitch_stream_key",
    "live_",
    r"[0-9]{6,12}_[A-Za-z0-9]{30}",
    width=50,
    validator=v.mixed_token,
    description="Twitch stream keys (live_<user id>_<30 characters>)",
)
_token(
    "sourcegraph_token",
    "sourcegraph_token",
    "sgp_",
    r"(?:[a-f0-9]{16}_)?[a-f0-9]{40}",
    width=65,
    description="Sourcegraph access tokens (sgp_)",
)
_token(
    "dependency_track_key",
    "dependency_track_key",
    "odt_",
    r"[A-Za-z0-9]{32}",
    width=40,
    validator=v.mixed_token,
    description="Dependency-Track API keys (odt_)",
)
_token(
    "adafruit_io_key",
    "adafruit_io_key",
    "aio_",
    r"[A-Za-z0-9]{28}",
    width=35,
    validator=v.mixed_token,
    description="Adafruit IO keys (aio_)",
)
_token(
    "databricks_token",
    "databricks_token",
    "dapi",
    r"[a-fA-F0-9]{32}(?:-[0-9])?",
    width=40,
    description="Databricks personal access tokens (dapi + 32 hex)",
)
_token(
    "groq_key",
    "groq_key",
    "gsk_",
    r"[A-Za-z0-9]{52}",
    width=60,
    validator=v.mixed_token,
    description="Groq API keys (gsk_)",
)
_token(
    "grafana_service_account_token",
    "grafana_token",
    "glsa_",
    r"[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
    width=50,
    description="Grafana service account tokens (glsa_)",
)
_token(
    "shopify_token",
    "shopify_token",
    "shp",
    r"(?:ss|at|ca|pa)_[A-Za-z0-9]{32,64}",  # 32 hex once; Shopify announced longer ones
    width=72,
    validator=v.mixed_token,
    description="Shopify app secrets and access tokens (shpss_, shpat_, shpca_, shppa_)",
)
_add(
    "salesforce_session_id",
    "salesforce_token",
    _start("A-Za-z0-9") + r"(?P<s>00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]{80,120})" + _TOKEN_END,
    priority=90,
    prefilter=("00D",),
    validator=v.mixed_token,
    anchor="00D[A-Za-z0-9]{12,15}!",
    window=(0, 140),
    description="Salesforce session ids / access tokens (00D<org id>!<token>)",
)
_add(
    "truenas_api_key",
    "truenas_api_key",
    _start("A-Za-z0-9\\-") + r"(?P<s>[0-9]{1,4}-[A-Za-z0-9]{64})(?![A-Za-z0-9\-])",
    priority=85,
    # a number, a dash and 64 mixed-case characters (a hex digest is never mixed-case)
    validator=lambda s: v.mixed_token(s) and s != s.lower() and s != s.upper(),
    anchor=r"\b[0-9]{1,4}-[A-Za-z0-9]{64}",  # at a word start, as the regex
    window=(4, 66),
    description="TrueNAS API keys (<id>-<64 characters>)",
)
_add(
    "wireguard_key",
    "wireguard_key",
    r"\b(?:PrivateKey|PresharedKey)\s*=\s*(?P<s>[A-Za-z0-9+/]{42,43}=)",
    priority=85,
    validator=v.high_entropy,
    anchor="(?:PrivateKey|PresharedKey)\\s*=",
    window=(0, 70),
    description="WireGuard PrivateKey = / PresharedKey = (base64 keys)",
)
# What az prints for `... keys list`: a storage account's key1/key2 as a table row or as JSON
# ("keyName": "key1", ..., "value": "<88 base64>"), and Cognitive Services' {"key1": "<32 hex>"}.
# The value's key name is "value" or "key1", so the key-name rules cannot know it.
_AZURE_KEY = r"(?P<s>[A-Za-z0-9+/]{86}==|[0-9a-f]{32})(?![A-Za-z0-9+/=])"
_add(
    "azure_key_list",
    "azure_storage_key",
    r"(?m)(?:^|(?<=\\n))[ \t]*key[12][ \t]+(?:FULL|Full|READ|Read)[ \t]+"
    + _AZURE_KEY
    + r"|\\?\"keyName\\?\"[ \t]*:[ \t]*\\?\"key[12]\\?\"[^{}]{0,200}?\\?\"value\\?\"[ \t]*:[ \t]*\\?\""
    + _AZURE_KEY.replace("(?P<s>", "(?P<j>")
    + r"|\\?\"key[12]\\?\"[ \t]*:[ \t]*\\?\""
    + _AZURE_KEY.replace("(?P<s>", "(?P<c>"),
    group=("s", "j", "c"),
    priority=85,
    validator=v.high_entropy,
    anchor=r"key[12]",
    window=(64, 400),
    description="az ... keys list: a storage account's key1/key2 (table or JSON), Cognitive Services' key1/key2",
)
_add(
    "kubernetes_bootstrap_token",
    "kubernetes_token",
    r"(?:bootstrap-token|--token|token:)" + _WS + r"(?P<s>[a-z0-9]{6}\.[a-z0-9]{16})(?![A-Za-z0-9])",
    priority=85,
    validator=v.not_mask,
    anchor="(?:bootstrap-token|--token|token:)",
    window=(0, 60),
    description="Kubernetes bootstrap tokens (abcdef.0123456789abcdef after --token)",
)


def _base64_private_key(value: str) -> bool:
    """A base64-encoded PEM block whose header names a private key."""
    try:
        head = base64.b64decode(value[:64] + "=" * (-len(value[:64]) % 4), validate=False)
    except (binascii.Error, ValueError):
        return False
    return b"PRIVATE KEY" in head


_add(
    "private_key_base64",
    "private_key",
    _start("A-Za-z0-9+/") + r"(?P<s>LS0tLS1CRUdJTi[A-Za-z0-9+/]{40,20000}={0,2})",
    priority=95,
    prefilter=("LS0tLS1CRUdJTi",),
    validator=_base64_private_key,
    anchor="LS0tLS1CRUdJTi",
    window=(0, 20_100),
    description="a PEM private key encoded in base64 (PRIVATE_KEY_B64=LS0tLS1CRUdJTi...)",
)

# --- credentials in connection-string and CLI context ------------------------------------------

_CONN_KEY = (
    r"(?:[Uu]ser ?[Ii][Dd]|UID|[Uu]id|[Ss]erver|SERVER|[Dd]ata [Ss]ource|[Dd]atabase|DATABASE|[Ii]nitial [Cc]atalog)"
)
# libpq's keyword form: psql "host=db user=app password=VALUE dbname=app" (space-separated; the
# password before or after the other keywords)
_LIBPQ_KEY = r"(?:host|hostaddr|port|dbname|user|sslmode|connect_timeout|application_name)=[^\s'\"\\]{1,200}"
_add(
    "libpq_password",
    "password",
    r"(?:" + _LIBPQ_KEY + r"[ \t]+){1,8}password=(?P<s>[^\s'\"\\]{1,256}+)"
    r"|\bpassword=(?P<b>[^\s'\"\\]{1,256}+)(?=(?:[ \t]+" + _LIBPQ_KEY + r"){1,8})",
    group=("s", "b"),
    priority=75,
    prefilter=("password=",),
    validator=v.flag_password,
    anchor="password=",
    window=(1_700, 1_800),
    description='libpq keyword strings: psql "host=db user=app password=VALUE dbname=app"',
)
_add(
    "connection_string_password",
    "password",
    # Password=VALUE or Pwd=VALUE inside an ADO.NET / ODBC / JDBC-style key=value; string: after
    # a ';'-separated element that names the server, database or user.
    _CONN_KEY + r"\s*=[^;\r\n\"]{0,200};\s*(?:[A-Za-z][A-Za-z ]{0,30}=[^;\r\n\"]{0,200};\s*){0,6}?"
    r"(?:[Pp]assword|PASSWORD|[Pp]wd|PWD)\s*=\s*(?P<s>[^;\"'\r\n]{1,256}?)\s*(?=[;\"'\r\n]|\Z)",
    priority=75,
    prefilter=("assword", "ASSWORD", "wd", "WD"),
    validator=v.quoted_password,
    anchor="(?i)(?:password|pwd)\\s*=",
    window=(1_600, 300),
    description="Password=/Pwd= in a connection string (Server=...;User ID=...;Password=...)",
)
_add(
    "softlayer_api_key",
    "softlayer_key",
    # IBM Cloud classic infrastructure (SoftLayer) API keys: 64 lower-case characters, under a
    # key that names SoftLayer (softlayer_api_key, sl_pass, --softlayer-api-key) or in the path
    # of its API's URL (api.softlayer.com/soap/v3.1/KEY). The bare value is any hex digest.
    r"(?i:(?:softlayer|" + _WORD_START + r"sl)[a-z_\-.]{0,20}?(?:key|pwd|pass(?:word)?|token|secret)\\?[\"']?"
    r"\s*(?::=|=>|=|:|\s)\s*\\?[\"']?)(?P<s>[a-z0-9]{64})(?![A-Za-z0-9])"
    r"|api\.softlayer\.com/(?:soap|rest|mobile)/v3(?:\.1)?/(?P<u>[a-z0-9]{64})(?![A-Za-z0-9])",
    group=("s", "u"),
    priority=80,
    prefilter=("oftlayer", "OFTLAYER", "sl", "SL", "Sl"),
    validator=v.not_mask,
    anchor=r"(?i)softlayer|\bsl[_\-.]",
    window=(4, 160),
    description="SoftLayer (IBM Cloud classic) API keys under a key that names SoftLayer, or in its API URL",
)
_add(
    "psexec_password",
    "password",
    r"(?i:" + _WORD_START + r"psexec(?:64)?(?:\.exe)?)\b[^\n|;&]{0,300}?\s-p\s+" + _ARG,
    group=("dq", "sq", "bare"),
    priority=80,
    validator=v.quoted_password,
    anchor="(?i)psexec",
    window=(0, 620),
    description="PsExec ... -u USER -p PASSWORD",
)

# --- tokens that need no key beside them ----------------------------------------------------------

_token(
    "notion_token",
    "notion_token",
    "ntn_",
    r"[0-9]{11}[A-Za-z0-9]{35}",
    width=55,
    validator=v.mixed_token,
    description="Notion integration tokens (ntn_)",
)
_token(
    "flyio_token",
    "flyio_token",
    "fo1_",
    r"[A-Za-z0-9_\-]{43}",
    width=50,
    validator=v.mixed_token,
    description="Fly.io access tokens (fo1_)",
)
_token(
    "vault_token",
    "vault_token",
    r"hv[sbr]\.",
    r"[A-Za-z0-9_\-]{24,}+",
    width=400,
    validator=v.mixed_token,
    anchor=r"hv[sbr]\.[A-Za-z0-9_\-]{24}",
    prefilter=("hvs.", "hvb.", "hvr."),
    description="HashiCorp Vault service, batch and recovery tokens (hvs., hvb., hvr.)",
)
_add(
    "telegram_bot_token",
    "telegram_bot_token",
    # in a Bot API URL the token follows "bot" with no break: api.telegram.org/bot<id>:<secret>/
    # (33 characters after AA as issued now; BotFather's own example has 32, older bots' ids are shorter)
    r"(?:(?<=\bbot)|" + _start("A-Za-z0-9_:") + r")(?P<s>[0-9]{6,12}:AA[A-Za-z0-9_\-]{32,33})(?![A-Za-z0-9_\-])",
    priority=90,
    prefilter=(":AA",),
    validator=v.mixed_token,
    anchor="[0-9]{6,12}:AA[A-Za-z0-9_\\-]{32}",
    window=(0, 48),
    description="Telegram bot tokens (<bot id>:AA<33 characters>), also in api.telegram.org/bot... URLs",
)
_add(
    "discord_bot_token",
    "discord_bot_token",
    _start("A-Za-z0-9_\\-.")
    + r"(?P<s>[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38})(?![A-Za-z0-9_\-.])",
    priority=90,
    validator=v.mixed_token,
    anchor="[MNO][A-Za-z0-9_\\-]{23,25}\\.[A-Za-z0-9_\\-]{6}\\.",
    window=(0, 80),
    description="Discord bot tokens (base64 user id . timestamp . HMAC)",
)
_add(
    "azure_ad_client_secret",
    "azure_client_secret",
    _start("A-Za-z0-9_~.\\-") + r"(?P<s>[A-Za-z0-9_~.\-]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34})(?![A-Za-z0-9_~.\-])",
    priority=90,
    prefilter=("Q~",),
    validator=v.mixed_token,
    anchor="[0-9]Q~[A-Za-z0-9_~.\\-]{31}",
    window=(4, 36),
    description="Microsoft Entra ID (Azure AD) client secrets (...Q~...)",
)
_add(
    "teams_webhook",
    "microsoft_teams_webhook",
    # The whole path after the host carries the credential (tenant, connector id and key).
    # Connector URLs on the tenant's webhook.office.com host, and the older outlook.office.com ones.
    r"(?P<s>https://(?:[A-Za-z0-9\-]{1,63}\.webhook\.office\.com/webhookb2|outlook\.office(?:365)?\.com/webhook)"
    r"/[A-Za-z0-9\-@/]{40,300}+)",
    priority=95,
    prefilter=("webhook.office.com", "outlook.office"),
    anchor="webhook\\.office\\.com/webhookb2/|outlook\\.office(?:365)?\\.com/webhook/",
    window=(80, 300),
    description="Microsoft Teams incoming-webhook URLs",
)

# Twilio auth tokens are 32 lowercase hex with no prefix of their own; the account SID (AC + 32
# hex) written just before one says what it is: Client("AC…", "…"), "account AC…, auth token …".
# The SID is an identifier and stays. (A SID's own hex, or a message SID's, follows a letter.)
_add(
    "twilio_auth_token",
    "twilio_auth_token",
    r"\bAC[0-9a-f]{32}\b[^\r\n]{0,160}?(?<![0-9A-Za-z])(?P<s>[0-9a-f]{32})(?![0-9A-Za-z])",
    priority=70,
    prefilter=("AC",),
    validator=v.mixed_token,
    anchor=r"\bAC[0-9a-f]{32}\b",
    window=(0, 240),
    description="Twilio auth tokens written after their account SID (AC...)",
)

# --- passwords passed by position to a login API ---------------------------------------------
# new NetworkCredential("svc", "Pa55w0rd"), server.login(user, "hunter22"), HTTPBasicAuth("u", "p"),
# req.SetBasicAuth("u", "p"),
# requests.get(url, auth=("u", "p")), DriverManager.getConnection(url, "sa", "p"),
# new DirectoryEntry("LDAP://host", "admin", "p"), DBI->connect(dsn, "u", "p"), mysql.connector's
# connect("host", "u", "p"): the argument at the password's place, when it
# is a literal (a variable there is a reference, not a secret).
# (quotes may be JSON-escaped: the call inside a tool's output in a transcript line)
_CALL_ARG = r"""(?:\\?"[^"\\\r\n]{0,256}\\?"|\\?'[^'\\\r\n]{0,256}\\?'|[^,()"'\r\n]{1,128})"""
_CALL_PASSWORD = (
    _SP
    + r"""(?:\\?"(?P<dq>[^"\\\r\n]{1,256})\\?"|\\?'(?P<sq>[^'\\\r\n]{1,256})\\?')"""
    + r"""(?:\.toCharArray\(\))?"""  # (Java's "...".toCharArray())
    + _SP
    + "[,)]"
)
_LOGIN_CALLS = {
    2: (
        "NetworkCredential",
        "PasswordAuthentication",
        "UsernamePasswordCredentials",
        "HTTPBasicAuth",
        "HTTPDigestAuth",
        "BasicAuth",
        "SetBasicAuth",  # Go's http.Request
        "setBasicAuth",  # Spring's HttpHeaders
        "basic_auth",
        "DigestAuth",
        "login",
        "db.auth",  # the MongoDB shell's db.auth("user", "password")
        "simple_bind_s",
        "simple_bind",
        "bind_s",
    ),
    3: ("DirectoryEntry", "getConnection", "set_password", "connect"),  # (Perl's DBI->connect(DSN, USER, PW))
    4: ("add_password",),
}
for _position, _names in _LOGIN_CALLS.items():
    _before = (_SP + "," + _SP).join([_CALL_ARG] * (_position - 1))
    _call = r"\b(?:" + "|".join(_names) + r")\s*\(" + _SP
    _add(
        f"login_call_arg{_position}",
        "password",
        _call + _before + _SP + "," + _CALL_PASSWORD,
        group=("dq", "sq"),
        priority=60,
        prefilter=_names,
        validator=v.quoted_password,
        anchor=r"\b(?:" + "|".join(_names) + r")\s*\(",
        window=(0, 1_200),
        description=f"the password literal at argument {_position} of a login API call ({', '.join(_names[:3])}, ...)",
    )
_add(
    "auth_tuple",
    "password",
    # (and a log line that prints such a pair: Using credentials: ('bob', '...'))
    r"\b(?:auth\s*=|[Cc]red(?:ential)?s?\s*[=:])\s*\(" + _SP + _CALL_ARG + _SP + "," + _CALL_PASSWORD,
    group=("dq", "sq"),
    priority=60,
    prefilter=("auth", "red"),
    validator=v.quoted_password,
    anchor=r"\b(?:auth\s*=|[Cc]red(?:ential)?s?\s*[=:])\s*\(",
    window=(0, 700),
    description='requests-style auth=("user", "password") tuples, credentials: ("user", "password")',
)

# --- app passwords ---------------------------------------------------------------------------
# Google shows an app password as four groups of four lower-case letters (abcd efgh ijkl mnop),
# Apple an app-specific password with dashes (abcd-efgh-ijkl-mnop): a user pastes one to set up
# SMTP. Spaces put it past the rules for a password in prose, so it is read by its shape where
# the words "app password" come a few words before (or on the line before: Google's page shows
# the words, then the password). Under a password key: builtin's app_password_spaced.
_add(
    "app_password",
    "password",
    r"(?i:\bapp(?:[ \-_]?specific)?[ \-_]?pass(?:word)?s?\b)(?:[^\n\"`]|\r?\n|\\n){0,60}?"
    r"(?:(?<![A-Za-z0-9\-])|(?<=\\n))"
    r"(?P<s>[a-z]{4}(?P<g>[ \-])[a-z]{4}(?P=g)[a-z]{4}(?P=g)[a-z]{4})(?![A-Za-z0-9\-])",
    priority=63,
    prefilter=("app", "App", "APP"),
    validator=v.app_password,
    anchor=r"(?i)app[ \-_]?(?:specific[ \-_]?)?pass",
    window=(0, 200),
    description="Google's app passwords (abcd efgh ijkl mnop), Apple's (abcd-efgh-ijkl-mnop), after app password",
)

# --- Jenkins' stored secrets ----------------------------------------------------------------------
# Jenkins writes each secret of credentials.xml and a job's config.xml encrypted, in braces after
# its format's header ({AQAAABAAAA...}: version 1, a 16-byte IV). The key sits beside the file
# (secrets/master.key, hudson.util.Secret), so whoever holds one holds the other: the whole value
# in the braces goes, a name written before the header too.
_add(
    "jenkins_secret",
    "jenkins_secret",
    r"\{(?P<s>[^{}<>\"'\r\n]{0,100}?AQAAABAAA[^{}<>\"'\r\n]{8,4096}?)\}",
    priority=80,
    prefilter=("AQAAABAAA",),
    anchor="AQAAABAAA",
    window=(110, 4_200),
    description="Jenkins' encrypted secrets in credentials.xml and config.xml ({AQAAABAAAA...})",
)
