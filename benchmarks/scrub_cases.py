"""A labelled, seeded corpus for the scrubber benchmark: secrets and hard negatives in context.

Modelled on what public secret-scanner rule tests check (gitleaks' per-rule `tps`/`fps`,
detect-secrets' test data): provider tokens in their real shapes, credentials identified by
their key, PII, and the look-alikes that must stay — git SHAs, UUIDs, digests, bead ids,
versions, base64 that is not a secret, masks and placeholders, identifiers in key position.
Every value is generated here from a seeded RNG; none is copied from those projects.

Cases sit in the contexts agents produce: shell sessions, .env files, YAML, JSON, code,
log lines, prose, and tool output JSON-escaped inside a tool_result envelope.

    docs = build_corpus(seed=7, min_bytes=5_000_000)
    doc.text, doc.spans  # Span(kind, start, end, positive)

A positive span must be scrubbed completely; a negative span must be left alone.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

ALNUM = string.ascii_letters + string.digits
UPPER_ALNUM = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"

# Kinds a labelled secret can have, and the ones that are personal or network data rather than
# credentials (detect-secrets does not look for these, so its recall is also given without them).
PII_KINDS = frozenset({"email", "ipv4", "ipv6", "user", "name"})


class Piece(NamedTuple):
    text: str
    kind: str | None = None  # None: plain context
    positive: bool = True  # False: a hard negative that must stay


@dataclass(frozen=True)
class Span:
    kind: str
    start: int
    end: int
    positive: bool


@dataclass(frozen=True)
class Document:
    text: str
    spans: tuple[Span, ...]
    style: str


Line = list[Piece]


def S(kind: str, value: str) -> Piece:
    return Piece(value, kind, True)


def N(kind: str, value: str) -> Piece:
    return Piece(value, kind, False)


def T(text: str) -> Piece:
    return Piece(text)


# --- random values -----------------------------------------------------------------------


class Gen:
    """Random values in the shapes real credentials and ids take."""

    FIRST = [
        "alice",
        "bob",
        "carol",
        "dave",
        "erin",
        "frank",
        "grace",
        "heidi",
        "ivan",
        "judy",
        "mallory",
        "niaj",
        "olivia",
        "peggy",
        "rupert",
        "sybil",
        "trent",
        "victor",
        "walter",
        "yuki",
    ]
    LAST = [
        "smith",
        "jones",
        "garcia",
        "miller",
        "davis",
        "lopez",
        "wilson",
        "anderson",
        "thomas",
        "taylor",
        "moore",
        "martin",
        "lee",
        "perez",
        "white",
        "harris",
        "clark",
        "lewis",
    ]
    DOMAINS = [
        "acme-corp.com",
        "initech.io",
        "globex.net",
        "corp-mail.example",
        "umbrella.co.uk",
        "hooli.dev",
        "stark-industries.com",
        "wayne.enterprises",
        "tyrell.ai",
        "cyberdyne.org",
    ]
    WORDS = [
        "amber",
        "breeze",
        "cobalt",
        "delta",
        "ember",
        "falcon",
        "glacier",
        "harbor",
        "indigo",
        "juniper",
        "kestrel",
        "lumen",
        "maple",
        "nebula",
        "orchid",
        "pepper",
        "quartz",
        "raven",
        "sierra",
        "tundra",
        "umber",
        "velvet",
        "willow",
        "xenon",
        "yonder",
        "zephyr",
    ]
    HOSTS = [
        "db.internal",
        "db-prod-1.acme-corp.com",
        "cache.initech.io",
        "mq.globex.net",
        "10.0.4.12",
        "cluster0.ab1cd.mongodb.net",
        "pg.hooli.dev",
        "localhost",
    ]

    def __init__(self, rng: random.Random):
        self.r = rng

    def s(self, alphabet: str, n: int) -> str:
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def mixed(self, alphabet: str, n: int) -> str:
        """Random, but with at least one digit and one letter, as real token bodies have."""
        while True:
            v = self.s(alphabet, n)
            if any(c.isdigit() for c in v) and any(c.isalpha() for c in v):
                return v

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def name(self) -> str:
        return self.pick(self.FIRST)

    def email(self) -> str:
        first, last = self.pick(self.FIRST), self.pick(self.LAST)
        local = self.pick(
            [
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}",
                f"{first}+ci",
                f"{first}_{last}{self.r.randint(1, 99)}",
            ]
        )
        return f"{local}@{self.pick(self.DOMAINS)}"

    def ipv4(self) -> str:
        kind = self.r.random()
        if kind < 0.3:
            return f"10.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
        if kind < 0.5:
            return f"192.168.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"
        first = self.pick([v for v in range(1, 224) if v not in (10, 127)])
        return f"{first}.{self.r.randint(0, 255)}.{self.r.randint(0, 255)}.{self.r.randint(1, 254)}"

    def ipv6(self) -> str:
        groups = [f"{self.r.randint(1, 0xFFFF):x}" for _ in range(5)]
        if self.chance(0.5):
            return "2001:db8:" + ":".join(groups[:2]) + "::" + ":".join(groups[2:4])
        return "fe80::" + ":".join(groups[:4])

    def password(self) -> str:
        """What people choose: words with digits and symbols, or machine-made strings."""
        style = self.r.random()
        if style < 0.35:
            return (
                self.pick(self.WORDS).capitalize()
                + str(self.r.randint(10, 9999))
                + self.pick("!*.#%^~")
                + self.pick(self.WORDS)[:3]
            )
        if style < 0.5:
            return "-".join(self.pick(self.WORDS) for _ in range(4))  # a passphrase
        return self.mixed(ALNUM + "!*%^~_.-", self.r.randint(12, 28))

    def url_password(self) -> str:
        return self.mixed(ALNUM + "-_.~!*", self.r.randint(10, 32))

    def b64(self, nbytes: int, url: bool = False) -> str:
        raw = bytes(self.r.getrandbits(8) for _ in range(nbytes))
        return base64.urlsafe_b64encode(raw).decode().rstrip("=") if url else base64.b64encode(raw).decode()

    def uuid(self) -> str:
        h = self.s(HEX, 32)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self.pick('89ab')}{h[17:20]}-{h[20:]}"

    def jwt(self) -> str:
        def enc(obj) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")

        alg = self.pick(["HS256", "RS256", "ES256"])
        header = {"alg": alg, "typ": "JWT"} if self.chance(0.7) else {"alg": alg, "kid": self.s(HEX, 16)}
        payload = {
            "sub": str(self.r.randint(10**6, 10**9)),
            "iat": self.r.randint(1_600_000_000, 1_800_000_000),
            "exp": self.r.randint(1_800_000_000, 1_900_000_000),
        }
        if self.chance(0.5):
            payload["email"] = self.email()
            payload["role"] = self.pick(["admin", "user", "service"])
        sig = self.b64({"HS256": 32, "RS256": 256, "ES256": 64}[alg], url=True)
        return f"{enc(header)}.{enc(payload)}.{sig}"

    def pem_body(self, lines: int) -> list[str]:
        blob = self.b64(48 * lines)
        return [blob[i : i + 64] for i in range(0, len(blob), 64)]

    def bead_id(self) -> str:
        return f"{self.pick(['gt', 'hq', 'bd', 'fx', 'wk'])}-{self.s('abcdefghijkmnpqrstuvwxyz0123456789', self.pick([3, 4, 5]))}"

    def git_sha(self) -> str:
        return self.s(HEX, 40)

    def version(self) -> str:
        return f"{self.r.randint(0, 24)}.{self.r.randint(0, 30)}.{self.r.randint(0, 40)}"

    def ident(self) -> str:
        return self.pick(["build", "train", "scrub", "ingest", "export", "eval", "cache", "queue"]) + self.pick(
            ["_job", "_step", "Handler", "_config", "_stage", "Worker", ""]
        )

    def relpath(self) -> str:
        return "/".join(
            [
                self.pick(["src", "tests", "lib", "pkg", "app"]),
                self.pick(["forge", "core", "api", "util"]),
                self.ident().lower() + self.pick([".py", ".ts", ".go", ".rs", ".md"]),
            ]
        )


# --- positives: (kind, generator) ---------------------------------------------------------
# Each returns the lines of one case; forms vary the way the same secret shows up in transcripts.


def _assign(g: Gen, key: str, kind: str, value: str) -> Line:
    """key=value in one of the syntaxes agents meet: .env, export, YAML, JSON, TOML/Python, shell."""
    form = g.r.random()
    if form < 0.2:
        return [T(f"{key}="), S(kind, value)]
    if form < 0.35:
        return [T(f"export {key}="), S(kind, value)]
    if form < 0.5:
        return [T(f'export {key}="'), S(kind, value), T('"')]
    if form < 0.65:
        return [T(f"  {key.lower()}: "), S(kind, value)]
    if form < 0.85:
        return [T(f'  "{key.lower() if g.chance(0.5) else key}": "'), S(kind, value), T('",')]
    return [T(f'{key.lower()} = "'), S(kind, value), T('"')]


def p_aws(g: Gen) -> list[Line]:
    akid = g.pick(["AKIA", "ASIA"]) + g.s("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
    secret = g.mixed(ALNUM + "/+", 40)
    form = g.r.random()
    if form < 0.3:
        return [
            [T("[default]")],
            [T("aws_access_key_id = "), S("aws_access_key", akid)],
            [T("aws_secret_access_key = "), S("aws_secret_key", secret)],
        ]
    if form < 0.55:
        return [
            [T("export AWS_ACCESS_KEY_ID="), S("aws_access_key", akid)],
            [T("export AWS_SECRET_ACCESS_KEY="), S("aws_secret_key", secret)],
        ]
    if form < 0.8:
        token = "IQoJb3JpZ2luX2Vj" + g.b64(g.r.randint(300, 700))
        return [
            [T("{")],
            [T('    "Credentials": {')],
            [T('        "AccessKeyId": "'), S("aws_access_key", akid), T('",')],
            [T('        "SecretAccessKey": "'), S("aws_secret_key", secret), T('",')],
            [T('        "SessionToken": "'), S("secret", token), T('",')],
            [T('        "Expiration": "2026-05-01T12:00:00Z"')],
            [T("    }")],
            [T("}")],
        ]
    return [
        [T("aws configure set aws_access_key_id "), S("aws_access_key", akid)],
        [T("Found credentials in environment: "), S("aws_access_key", akid)],
    ]


def p_github(g: Gen) -> list[Line]:
    if g.chance(0.7):
        tok = g.pick(["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]) + g.mixed(ALNUM, 36)
    else:
        tok = "github_pat_" + g.mixed(ALNUM, 22) + "_" + g.mixed(ALNUM, 59)
    form = g.r.random()
    if form < 0.3:
        return [_assign(g, g.pick(["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT"]), "github_token", tok)]
    if form < 0.5:
        return [
            [
                T("git remote set-url origin https://x-access-token:"),
                S("github_token", tok),
                T(f"@github.com/{g.name()}/{g.ident()}.git"),
            ]
        ]
    if form < 0.7:
        return [
            [T('curl -s -H "Authorization: token '), S("github_token", tok), T('" https://api.github.com/user/repos')]
        ]
    if form < 0.85:
        return [[T("echo "), S("github_token", tok), T(" | gh auth login --with-token")]]
    return [[T("remote: Invalid username or token "), S("github_token", tok), T(" (revoked?)")]]


def p_gitlab(g: Gen) -> list[Line]:
    kind = g.r.random()
    if kind < 0.45:
        tok = "glpat-" + g.mixed(ALNUM + "-_", 20)
    elif kind < 0.6:
        tok = "glpat-" + g.mixed(ALNUM + "-_", 27) + "." + g.s("0123456789abcdefghijklmnopqrstuvwxyz", 9)
    elif kind < 0.75:
        tok = g.pick(["gldt-", "glrt-", "glsoat-", "glffct-"]) + g.mixed(ALNUM, 20)
    else:
        tok = "glptt-" + g.mixed(HEX, 40)
    if g.chance(0.4):
        return [_assign(g, g.pick(["GITLAB_TOKEN", "CI_JOB_TOKEN", "GL_TOKEN"]), "gitlab_token", tok)]
    if g.chance(0.5):
        return [[T("git clone https://oauth2:"), S("gitlab_token", tok), T("@gitlab.com/group/project.git")]]
    return [
        [
            T('curl --header "PRIVATE-TOKEN: '),
            S("gitlab_token", tok),
            T('" "https://gitlab.example.com/api/v4/projects"'),
        ]
    ]


def p_slack(g: Gen) -> list[Line]:
    kind = g.r.random()
    if kind < 0.35:
        tok = f"xoxb-{g.s(string.digits, g.r.randint(10, 13))}-{g.s(string.digits, g.r.randint(10, 13))}-{g.mixed(ALNUM, 24)}"
    elif kind < 0.55:
        tok = "xoxp-" + "-".join(g.s(string.digits, g.r.randint(10, 12)) for _ in range(3)) + "-" + g.mixed(HEX, 32)
    elif kind < 0.7:
        tok = f"xapp-1-A{g.s(UPPER_ALNUM, 10)}-{g.s(string.digits, 13)}-{g.mixed(HEX, 64)}"
    elif kind < 0.8:
        tok = "xoxe.xoxp-1-" + g.mixed(ALNUM, 140)
    else:
        url = f"https://hooks.slack.com/services/T{g.s(UPPER_ALNUM, 8)}/B{g.s(UPPER_ALNUM, 10)}/{g.mixed(ALNUM, 24)}"
        return [
            [
                T("curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"deploy done\"}' "),
                S("slack_webhook", url),
            ]
        ]
    return [_assign(g, g.pick(["SLACK_BOT_TOKEN", "SLACK_TOKEN", "SLACK_APP_TOKEN"]), "slack_token", tok)]


def p_stripe(g: Gen) -> list[Line]:
    tok = g.pick(["sk_live_", "sk_test_", "rk_live_", "rk_test_"]) + g.mixed(ALNUM, g.pick([24, 34, 99]))
    if g.chance(0.5):
        return [_assign(g, g.pick(["STRIPE_SECRET_KEY", "STRIPE_API_KEY", "STRIPE_KEY"]), "stripe_key", tok)]
    if g.chance(0.5):
        return [[T('stripe.api_key = "'), S("stripe_key", tok), T('"')]]
    return [[T("curl https://api.stripe.com/v1/charges -u "), S("stripe_key", tok), T(":")]]


def p_openai(g: Gen) -> list[Line]:
    kind = g.r.random()
    if kind < 0.5:
        tok = "sk-proj-" + g.mixed(B64URL, 156)
    elif kind < 0.7:
        tok = "sk-" + g.mixed(ALNUM, 20) + "T3BlbkFJ" + g.mixed(ALNUM, 20)
    else:
        tok = g.pick(["sk-svcacct-", "sk-admin-"]) + g.mixed(B64URL, 120)
    if g.chance(0.5):
        return [_assign(g, "OPENAI_API_KEY", "openai_key", tok)]
    if g.chance(0.5):
        return [[T('client = OpenAI(api_key="'), S("openai_key", tok), T('")')]]
    return [[T("openai.AuthenticationError: Incorrect API key provided: "), S("openai_key", tok), T(".")]]


def p_anthropic(g: Gen) -> list[Line]:
    tok = g.pick(["sk-ant-api03-", "sk-ant-admin01-"]) + g.mixed(B64URL, 93) + "AA"
    if g.chance(0.5):
        return [_assign(g, "ANTHROPIC_API_KEY", "anthropic_key", tok)]
    if g.chance(0.5):
        return [[T('curl https://api.anthropic.com/v1/messages -H "x-api-key: '), S("anthropic_key", tok), T('"')]]
    return [[T("client = anthropic.Anthropic(api_key='"), S("anthropic_key", tok), T("')")]]


def p_google(g: Gen) -> list[Line]:
    kind = g.r.random()
    if kind < 0.6:
        key = "AIza" + g.mixed(B64URL, 35)
        if g.chance(0.5):
            return [
                [T("https://maps.googleapis.com/maps/api/geocode/json?address=Paris&key="), S("google_api_key", key)]
            ]
        return [_assign(g, g.pick(["GOOGLE_API_KEY", "FIREBASE_API_KEY", "GEMINI_API_KEY"]), "google_api_key", key)]
    if kind < 0.8:
        secret = "GOCSPX-" + g.mixed(B64URL, 28)
        if g.chance(0.5):
            return [
                [
                    T(
                        '{"installed":{"client_id":"'
                        + g.s(string.digits, 12)
                        + "-"
                        + g.s(string.ascii_lowercase + string.digits, 32)
                        + '.apps.googleusercontent.com","client_secret":"'
                    ),
                    S("google_oauth", secret),
                    T('"}}'),
                ]
            ]
        return [[T("gcloud auth: using client secret "), S("google_oauth", secret)]]
    tok = "ya29." + g.mixed(B64URL, g.r.randint(120, 200))
    return [
        [T('curl -H "Authorization: Bearer '), S("google_oauth", tok), T('" https://www.googleapis.com/drive/v3/files')]
    ]


def p_jwt(g: Gen) -> list[Line]:
    tok = g.jwt()
    form = g.r.random()
    if form < 0.3:
        return [[T('curl -H "Authorization: Bearer '), S("jwt", tok), T('" https://api.internal/v1/me')]]
    if form < 0.55:
        return [[T('{"access_token": "'), S("jwt", tok), T('", "token_type": "Bearer", "expires_in": 3600}')]]
    if form < 0.75:
        return [[T("Set-Cookie: session="), S("jwt", tok), T("; Path=/; HttpOnly; Secure")]]
    return [[T("INFO auth: issued token "), S("jwt", tok), T(" for client web")]]


def p_private_key(g: Gen) -> list[Line]:
    label = g.pick(["RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY"])
    body = g.pem_body(g.r.randint(4, 26))
    block = [f"-----BEGIN {label}-----", *body, f"-----END {label}-----"]
    form = g.r.random()
    if form < 0.2:  # a service-account JSON: one line, newlines escaped
        text = "\\n".join(block)
        return [
            [T("{")],
            [T('  "type": "service_account",')],
            [T('  "private_key": "'), S("private_key", text), T('\\n",')],
            [
                T('  "client_email": "'),
                S("email", f"deployer@{g.pick(Gen.WORDS)}-{g.r.randint(100, 999)}.iam.gserviceaccount.com"),
                T('"'),
            ],
            [T("}")],
        ]
    if form < 0.35:  # cut off by the tool: no END line
        cut = block[: 1 + g.r.randint(1, max(1, len(body) - 1))]
        return [[T("$ head -n 6 ~/.ssh/id_rsa")], [S("private_key", "\n".join(cut))]]
    return [[T("$ cat deploy/key.pem")], [S("private_key", "\n".join(block))]]


def _host(g: Gen) -> Piece:
    host = g.pick(Gen.HOSTS)
    return S("ipv4", host) if host[0].isdigit() else T(host)


def p_url_password(g: Gen) -> list[Line]:
    scheme = g.pick(
        ["postgres", "postgresql", "mysql", "redis", "rediss", "amqp", "mongodb+srv", "https", "ftp", "smtp"]
    )
    user = g.pick(["admin", "app", "deploy", g.name(), "svc_etl", ""])
    pw = g.url_password()
    prefix = g.pick(["DATABASE_URL=", "REDIS_URL=", 'export BROKER_URL="', "  url: ", "Connecting to ", 'psql "'])
    close = '"' if prefix.endswith('"') else ""
    return [
        [
            T(f"{prefix}{scheme}://{user}:"),
            S("password", pw),
            T("@"),
            _host(g),
            T(f":{g.r.randint(1000, 9999)}/app{close}"),
        ]
    ]


def p_password(g: Gen) -> list[Line]:
    pw = g.password()
    form = g.r.random()
    if form < 0.3:
        key = g.pick(
            [
                "DB_PASSWORD",
                "POSTGRES_PASSWORD",
                "MYSQL_ROOT_PASSWORD",
                "REDIS_PASSWORD",
                "SMTP_PASSWORD",
                "ADMIN_PASSWORD",
                "password",
                "db_password",
                "passwd",
                "KEYSTORE_PASSPHRASE",
            ]
        )
        return [_assign(g, key, "password", pw)]
    if form < 0.45:
        return [[T("PGPASSWORD="), S("password", pw), T(" psql -h "), _host(g), T(" -U app -c 'select 1'")]]
    if form < 0.55:
        return [[T("mysqldump --user=root --password='"), S("password", pw), T("' --all-databases > dump.sql")]]
    if form < 0.65:
        return [
            [
                T("mysql -u root -p"),
                S("password", pw if "-" not in pw else g.mixed(ALNUM, 14)),
                T(" -h 127.0.0.1 app < schema.sql"),
            ]
        ]
    if form < 0.75:
        return [
            [
                T("echo '"),
                S("password", pw),
                T("' | docker login --username ci --password-stdin registry.acme-corp.com"),
            ]
        ]
    if form < 0.85:
        user = g.name()
        return [
            [
                T(f"curl -u {user}:"),
                S("password", pw if "-" not in pw else g.mixed(ALNUM, 14)),
                T(" https://ci.acme-corp.com/api/json"),
            ]
        ]
    return [[T('    conn = psycopg2.connect(host="db", user="app", password="'), S("password", pw), T('")')]]


def p_generic_secret(g: Gen) -> list[Line]:
    value = g.pick(
        [
            lambda: g.mixed(HEX, 32),
            lambda: g.mixed(HEX, 40),
            lambda: g.mixed(HEX, 64),
            lambda: g.mixed(ALNUM, g.r.randint(24, 48)),
            lambda: g.b64(32),
            lambda: g.b64(48, url=True),
            lambda: "SG." + g.mixed(B64URL, 22) + "." + g.mixed(B64URL, 43),
            lambda: "key-" + g.mixed(HEX, 32),
            lambda: "dop_v1_" + g.mixed(HEX, 64),
        ]
    )()
    key = g.pick(
        [
            "API_KEY",
            "api_key",
            "apiKey",
            "SECRET_KEY",
            "CLIENT_SECRET",
            "client_secret",
            "WEBHOOK_SECRET",
            "JWT_SECRET",
            "ACCESS_TOKEN",
            "access_token",
            "refresh_token",
            "AUTH_TOKEN",
            "SIGNING_KEY",
            "ENCRYPTION_KEY",
            "SENDGRID_API_KEY",
            "MAILGUN_API_KEY",
            "DO_TOKEN",
            "secretToken",
            "APP_SECRET",
            "DJANGO_SECRET_KEY",
            "SESSION_SECRET",
            "credentials",
        ]
    )
    form = g.r.random()
    if form < 0.7:
        return [_assign(g, key, "secret", value)]
    if form < 0.8:
        return [[T('curl -H "X-API-Key: '), S("secret", value), T('" https://api.acme-corp.com/v2/items')]]
    if form < 0.9:
        return [[T("./deploy.sh --api-key "), S("secret", value), T(" --env prod")]]
    return [[T("GET /v1/export?format=csv&access_token="), S("secret", value), T(' HTTP/1.1" 200 5120')]]


def p_bearer(g: Gen) -> list[Line]:
    if g.chance(0.5):
        raw = f"{g.name()}:{g.password()}".encode()
        return [
            [
                T('curl -H "Authorization: Basic '),
                S("bearer_token", base64.b64encode(raw).decode()),
                T('" https://registry.acme-corp.com/v2/_catalog'),
            ]
        ]
    tok = g.mixed(B64URL, g.r.randint(30, 60))
    return [[T("  -H 'Authorization: Bearer "), S("bearer_token", tok), T("' \\")]]


def p_email(g: Gen) -> list[Line]:
    e = g.email()
    form = g.r.random()
    name = g.name().capitalize()
    if form < 0.3:  # (the name beside a person's address is scrubbed too: person_names.py)
        return [[T("Author: "), S("name", f"{name} {g.pick(Gen.LAST).capitalize()}"), T(" <"), S("email", e), T(">")]]
    if form < 0.5:
        return [[T('git config user.email "'), S("email", e), T('"')]]
    if form < 0.7:
        return [[T('  "email": "'), S("email", e), T('",')]]
    if form < 0.85:
        return [[T("INFO mailer: sent reset link to "), S("email", e)]]
    return [[T("Co-Authored-By: "), S("name", name), T(" <"), S("email", e), T(">")]]


def p_ip(g: Gen) -> list[Line]:
    if g.chance(0.75):
        ip = g.ipv4()
        form = g.r.random()
        if form < 0.25:
            return [[T("ssh -i ~/.ssh/deploy ubuntu@"), S("ipv4", ip)]]
        if form < 0.5:
            return [[T("dial tcp "), S("ipv4", ip), T(":5432: connect: connection refused")]]
        if form < 0.75:
            return [[T('  "remote_addr": "'), S("ipv4", ip), T('",')]]
        return [[T("        inet "), S("ipv4", ip), T("  netmask "), N("netmask", "255.255.255.0"), T("  mtu 1500")]]
    ip = g.ipv6()
    if g.chance(0.5):
        return [[T("listening on ["), S("ipv6", ip), T("]:8443")]]
    return [[T("    inet6 "), S("ipv6", ip), T("/64 scope link")]]


def p_home(g: Gen) -> list[Line]:
    user = g.pick([g.name(), f"{g.name()}.{g.pick(Gen.LAST)}", f"{g.name()}{g.r.randint(1, 99)}"])
    form = g.r.random()
    if form < 0.4:
        return [[T("cd /home/"), S("user", user), T(f"/{g.relpath().rsplit('/', 1)[0]} && pytest -q")]]
    if form < 0.75:
        return [[T('  File "/Users/'), S("user", user), T(f'/work/{g.relpath()}", line {g.r.randint(1, 400)}, in run')]]
    return [[T("C:\\Users\\"), S("user", user), T("\\AppData\\Local\\Temp\\build.log")]]


POSITIVES: list[tuple[str, Callable[[Gen], list[Line]], float]] = [
    ("aws", p_aws, 1.0),
    ("github", p_github, 1.2),
    ("gitlab", p_gitlab, 0.6),
    ("slack", p_slack, 0.6),
    ("stripe", p_stripe, 0.5),
    ("openai", p_openai, 0.8),
    ("anthropic", p_anthropic, 0.8),
    ("google", p_google, 0.6),
    ("jwt", p_jwt, 0.8),
    ("private_key", p_private_key, 0.5),
    ("url_password", p_url_password, 0.8),
    ("password", p_password, 1.2),
    ("secret", p_generic_secret, 1.5),
    ("bearer", p_bearer, 0.5),
    ("email", p_email, 1.0),
    ("ip", p_ip, 1.0),
    ("home", p_home, 0.8),
]


# --- hard negatives ---------------------------------------------------------------------


def n_git(g: Gen) -> list[Line]:
    sha = g.git_sha()
    form = g.r.random()
    if form < 0.25:
        return [[T("commit "), N("git_sha", sha)], [T(f"Merge: {sha[:7]} "), N("git_sha", g.git_sha()[:7])]]
    if form < 0.45:
        return [[T("[main "), N("git_sha", sha[:7]), T("] Fix tokenizer padding for long prompts")]]
    if form < 0.6:
        return [[T("index "), N("git_sha", sha[:7]), T(".."), N("git_sha", g.git_sha()[:7]), T(" 100644")]]
    if form < 0.8:
        return [[T('  "sha": "'), N("git_sha", sha), T('",')]]
    return [[T('SRCREV_forge = "'), N("git_sha", sha), T('"')]]


def n_uuid(g: Gen) -> list[Line]:
    form = g.r.random()
    if form < 0.2:
        return [[T("session "), N("uuid", g.uuid()), T(" started")]]
    if form < 0.4:
        return [[T('  "request_id": "'), N("uuid", g.uuid()), T('",')]]
    if form < 0.55:
        return [[T('{"type": "tool_use", "id": "'), N("tool_id", "toolu_01" + g.s(ALNUM, 22)), T('", "name": "Bash"}')]]
    if form < 0.7:
        return [[T('  "id": "'), N("message_id", "msg_01" + g.s(ALNUM, 22)), T('", "stop_reason": "end_turn",')]]
    if form < 0.8:
        return [[T("credentialsId: '"), N("uuid", g.uuid()), T("'")]]
    if form < 0.9:
        return [[T('clientId = "'), N("uuid", g.uuid()), T('"')]]
    return [[T('  "kms_key_id": "'), N("uuid", g.uuid()), T('",')]]


def n_digest(g: Gen) -> list[Line]:
    form = g.r.random()
    if form < 0.25:
        return [[T("Digest: "), N("sha256", "sha256:" + g.s(HEX, 64))]]
    if form < 0.45:
        return [[N("sha256", g.s(HEX, 64)), T(f"  dist/forge-{g.version()}.tar.gz")]]
    if form < 0.65:
        return [[T('      "integrity": "'), N("sha512", "sha512-" + g.b64(64)), T('",')]]
    if form < 0.8:
        return [[T("FROM python:3.11-slim@"), N("sha256", "sha256:" + g.s(HEX, 64))]]
    return [[T('  "checksum": "'), N("md5", g.s(HEX, 32)), T('",')]]


def n_bead(g: Gen) -> list[Line]:
    form = g.r.random()
    a, b = g.bead_id(), g.bead_id()
    if form < 0.4:
        return [[T("bd update "), N("bead_id", a), T(" --status in_progress")]]
    if form < 0.7:
        return [[T("bd dep add "), N("bead_id", a), T(" "), N("bead_id", b)]]
    return [[T("✓ Closed "), N("bead_id", a), T(": wire scrub stage into pipeline")]]


def n_version(g: Gen) -> list[Line]:
    form = g.r.random()
    if form < 0.2:
        return [
            [
                T("Successfully installed "),
                N("version", f"torch-{g.version()} transformers-{g.version()} numpy-{g.version()}"),
            ]
        ]
    if form < 0.35:
        return [[T("node "), N("version", "v" + g.version()), T(" npm "), N("version", g.version())]]
    if form < 0.5:
        return [[T('[assembly: AssemblyVersion("'), N("version", f"{g.r.randint(1, 9)}.0.0.0"), T('")]')]]
    if form < 0.6:
        return [
            [
                T("User-Agent: Mozilla/5.0 Chrome/"),
                N("version", f"{g.r.randint(100, 130)}.0.{g.r.randint(1000, 7000)}.{g.r.randint(10, 200)}"),
            ]
        ]
    if form < 0.75:
        return [[T('  "version": "'), N("version", g.version()), T('",')]]
    if form < 0.85:
        return [[T("OID "), N("oid", f"1.3.6.1.4.1.{g.r.randint(1000, 60000)}.1.2")]]
    return [
        [
            T("npm install "),
            N("version", f"lodash@4.17.{g.r.randint(10, 21)}"),
            T(" @types/node@"),
            N("version", g.version()),
        ]
    ]


def n_base64(g: Gen) -> list[Line]:
    form = g.r.random()
    if form < 0.3:
        return [
            [
                T('<img src="data:image/png;base64,'),
                N("base64", "iVBORw0KGgoAAAANSUhEUgAA" + g.b64(g.r.randint(60, 400))),
                T('">'),
            ]
        ]
    if form < 0.55:
        text = " ".join(g.pick(Gen.WORDS) for _ in range(30)).encode()
        enc = base64.b64encode(text).decode()
        return [
            [T('  "encoding": "base64",')],
            [T('  "content": "'), N("base64", "\\n".join(enc[i : i + 60] for i in range(0, len(enc), 60))), T('",')],
        ]
    if form < 0.75:
        key = "AAAAC3NzaC1lZDI1NTE5AAAAI" + g.b64(32)[:43]
        return [[T("ssh-ed25519 "), N("public_key", key), T(" deploy@ci")]]
    if form < 0.9:
        return [
            [T("-----BEGIN CERTIFICATE-----")],
            *[[N("certificate", line)] for line in g.pem_body(g.r.randint(3, 8))],
            [T("-----END CERTIFICATE-----")],
        ]
    return [
        [T("-----BEGIN PUBLIC KEY-----")],
        *[[N("public_key", line)] for line in g.pem_body(g.r.randint(3, 6))],
        [T("-----END PUBLIC KEY-----")],
    ]


def n_placeholder(g: Gen) -> list[Line]:
    choices = [
        [T("OPENAI_API_KEY="), N("placeholder", "<your-api-key>")],
        [T("OPENAI_API_KEY="), N("placeholder", "sk-...")],
        [T("token: "), N("placeholder", "${{ secrets.GITHUB_TOKEN }}")],
        [T("password: "), N("placeholder", "${DB_PASSWORD}")],
        [T("export AWS_SECRET_ACCESS_KEY="), N("placeholder", "$AWS_SECRET")],
        [T('  "api_key": "'), N("placeholder", "YOUR_API_KEY"), T('"')],
        [T('password = "'), N("placeholder", "********"), T('"')],
        [T("GITHUB_TOKEN="), N("placeholder", "ghp_" + "x" * 36)],
        [T("GITLAB_TOKEN="), N("placeholder", "glpat-" + "X" * 20)],
        [T("SLACK_BOT_TOKEN="), N("placeholder", "xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx")],
        [T("aws_access_key_id = "), N("placeholder", "AKIA" + "X" * 16)],
        [T("DATABASE_URL=postgres://app:"), N("placeholder", "<password>"), T("@localhost:5432/app")],
        [T("git clone https://"), N("placeholder", "user:${TOKEN}"), T("@github.com/org/repo.git")],
        [T("ANTHROPIC_API_KEY="), N("placeholder", "sk-ant-...")],
        [T("SECRET_KEY="), N("placeholder", "changeme")],
        [T('stripe.api_key = "'), N("placeholder", "sk_test_" + "x" * 24), T('"')],
        [T("Authorization: Bearer "), N("placeholder", "$TOKEN")],
        [T("the key is stored as "), N("placeholder", "<SECRET:openai_key>"), T(" after scrubbing")],
    ]
    return [g.pick(choices)]


def n_identifier(g: Gen) -> list[Line]:
    """Credential-sounding keys whose values are code, words, numbers or paths (gitleaks' generic fps)."""
    choices = [
        [N("code", f"max_tokens={g.r.randint(16, 4096)}")],
        [N("code", f'  "output_tokens": {g.r.randint(1, 9000)},')],
        [N("code", "token = tokenizer.eos_token")],
        [N("code", "password = get_password(user)")],
        [N("code", 'api_key = os.environ["OPENAI_API_KEY"]')],
        [N("code", "secret_name: prod-db-credentials")],
        [N("code", "auth: true")],
        [N("code", "credentials: ./secrets/creds.json")],
        [N("code", 'token_type: "Bearer"')],
        [N("code", "access_token: null")],
        [N("code", "PuttyPassword=0")],
        [N("code", "passwordVariable: 'PASSWORD'")],
        [N("code", "secret_length = X25519.secret_length")],
        [N("code", 'LLM_SECRET_NAME = "NEXUS-GPT4-API-KEY"')],
        [N("code", 'api_key: str = Field(..., description="provider key")')],
        [N("code", 'if token == "":')],
        [N("code", "def verify_password(password: str, hashed: str) -> bool:")],
        [N("code", 'os.environ["GITHUB_TOKEN"] = token')],
        [N("code", "self.secret = secret")],
        [N("code", "docker login --password-stdin < token.txt")],
        [N("code", "docker run -u 1000:1000 -v $PWD:/src app")],
        [N("code", "git push -u origin feature/scrub")],
        [N("code", "KeyError: 'api_key'")],
        [N("code", "public_key = load_pem(path)")],
        [N("code", 'csrf_cookie_name = "csrftoken"')],
    ]
    return [g.pick(choices)]


def n_network(g: Gen) -> list[Line]:
    choices = [
        [T("Uvicorn running on http://"), N("local_ip", "127.0.0.1"), T(":8000")],
        [T("bind "), N("local_ip", "0.0.0.0"), T(":9090")],
        [T("netmask "), N("netmask", "255.255.255.0"), T(" up")],
        [T("ether "), N("mac", ":".join(g.s(HEX, 2) for _ in range(6))), T(" txqueuelen 1000")],
        [
            T(f"{g.r.randint(0, 23):02d}:{g.r.randint(0, 59):02d}:{g.r.randint(0, 59):02d} "),
            N("code", "std::vector<int>"),
            T(" size mismatch"),
        ],
        [T("git clone "), N("ssh_remote", "git@github.com:acme/forge.git")],
        [T("icon "), N("asset", "logo@2x.png")],
        [T("Co-Authored-By: Claude <"), N("noreply", "noreply@anthropic.com"), T(">")],
        [T("redis://"), N("local_url", "localhost:6379/0")],
        [T("listening on "), N("local_ip", "[::1]:8080")],
    ]
    return [g.pick(choices)]


NEGATIVES: list[tuple[str, Callable[[Gen], list[Line]], float]] = [
    ("git", n_git, 1.2),
    ("uuid", n_uuid, 1.2),
    ("digest", n_digest, 1.0),
    ("bead", n_bead, 1.0),
    ("version", n_version, 1.0),
    ("base64", n_base64, 0.8),
    ("placeholder", n_placeholder, 1.2),
    ("identifier", n_identifier, 1.5),
    ("network", n_network, 0.8),
]


# --- filler: what most of a transcript is -------------------------------------------------


def filler_line(g: Gen, style: str) -> str:
    r, ident, path = g.r, g.ident(), g.relpath()
    if style == "shell":
        return g.pick(
            [
                f"$ ls -la {path.rsplit('/', 1)[0]}",
                f"-rw-r--r--  1 runner staff  {r.randint(100, 90000)} Mar {r.randint(1, 28)} 10:{r.randint(10, 59)} {path.rsplit('/', 1)[1]}",
                f"$ pytest -q tests/unit/test_{ident.lower()}.py",
                f"{r.randint(1, 300)} passed, {r.randint(0, 3)} skipped in {r.random() * 20:.2f}s",
                "$ git status --short",
                f" M {path}",
                f'$ grep -rn "def {ident}" src/',
                f"{path}:{r.randint(1, 500)}:def {ident}(self, batch):",
                "$ make test",
                f"Exit code {r.randint(0, 2)}",
            ]
        )
    if style == "python":
        return g.pick(
            [
                f"def {ident}(self, batch: list[dict]) -> int:",
                f"    for i, row in enumerate(rows[:{r.randint(2, 64)}]):",
                f'        total += len(row["messages"]) * {r.randint(2, 9)}',
                "    return total",
                f"from forge.{g.pick(['build', 'scrub', 'train'])} import {ident}",
                f"    if step % {r.randint(10, 500)} == 0:",
                '        logger.info("step %d loss %.4f", step, loss)',
                f"class {ident.capitalize()}Config:",
                f"    learning_rate: float = {r.choice(['2e-4', '1e-5', '3e-4'])}",
                f"    max_length: int = {r.choice([512, 1024, 2048])}",
            ]
        )
    if style == "log":
        return (
            f"2026-0{r.randint(1, 9)}-{r.randint(10, 28)}T{r.randint(10, 23)}:{r.randint(10, 59)}:{r.randint(10, 59)}.{r.randint(100, 999)}Z "
            + g.pick(["INFO", "DEBUG", "WARN"])
            + f" {ident} "
            + g.pick(
                [
                    f"step={r.randint(1, 9999)} loss={r.random() * 3:.4f} lr={r.random() / 1000:.2e}",
                    f"processed {r.randint(1, 5000)} records in {r.randint(1, 900)}ms",
                    f"GET /api/v1/jobs/{r.randint(1, 999)} 200",
                    f"retrying in {r.randint(1, 30)}s (attempt {r.randint(1, 5)}/5)",
                    f"cache hit ratio {r.random():.3f}",
                ]
            )
        )
    if style == "yaml":
        return g.pick(
            [
                f"{ident.lower()}:",
                f"  replicas: {r.randint(1, 9)}",
                f"  image: ghcr.io/acme/{ident.lower()}:{g.version()}",
                f"  timeout_seconds: {r.randint(5, 600)}",
                "  enabled: true",
                f"  path: {path}",
                f"  - name: {ident}",
                f"    port: {r.randint(1024, 65000)}",
            ]
        )
    if style == "env":
        return g.pick(
            [
                f"{ident.upper()}_WORKERS={r.randint(1, 16)}",
                f"LOG_LEVEL={g.pick(['info', 'debug'])}",
                f"{ident.upper()}_PATH={path}",
                "# local development settings",
                f"FEATURE_{ident.upper()}=on",
                f"PORT={r.randint(3000, 9000)}",
            ]
        )
    if style == "json":
        return g.pick(
            [
                f'  "name": "{ident}",',
                f'  "status": "{g.pick(["ok", "failed", "queued"])}",',
                f'  "duration_ms": {r.randint(1, 99999)},',
                f'  "files": ["{path}", "{g.relpath()}"],',
                f'  "retries": {r.randint(0, 5)},',
                '  "cached": false,',
            ]
        )
    if style == "diff":
        return g.pick(
            [
                f"@@ -{r.randint(1, 300)},{r.randint(3, 9)} +{r.randint(1, 300)},{r.randint(3, 12)} @@ def {ident}(",
                f"-    return {ident}(x)",
                f"+    return {ident}(x, strict=True)",
                f"     # keep the order of {ident}",
                f"diff --git a/{path} b/{path}",
            ]
        )
    return g.pick(
        [
            f"I'll update `{path}` so that {ident} handles empty batches, then rerun the tests.",
            f"The failure comes from {ident}: it assumes every row has a tool call.",
            f"Done. {r.randint(2, 40)} tests pass; the change is limited to {path}.",
            f"Let me check how {ident} is wired before changing it.",
            "Next I'll look at the scrub report to confirm nothing else was flagged.",
        ]
    )


STYLES = ["shell", "python", "log", "yaml", "env", "json", "diff", "prose"]


# --- documents -----------------------------------------------------------------------------


def _weighted(g: Gen, table):
    return g.r.choices([t[1] for t in table], weights=[t[2] for t in table])[0]


def _json_escape(text: str) -> str:
    return json.dumps(text)[1:-1]


def build_document(g: Gen) -> Document:
    style = g.pick(STYLES)
    lines: list[Line] = [[T(filler_line(g, style))] for _ in range(g.r.randint(4, 30))]
    n_pos = g.r.choices([0, 1, 2], weights=[0.35, 0.45, 0.2])[0]
    n_neg = g.r.choices([0, 1, 2, 3], weights=[0.25, 0.35, 0.25, 0.15])[0]
    cases = [_weighted(g, POSITIVES)(g) for _ in range(n_pos)] + [_weighted(g, NEGATIVES)(g) for _ in range(n_neg)]
    for case in cases:
        at = g.r.randint(0, len(lines))
        lines[at:at] = case
    pieces: list[Piece] = []
    for i, line in enumerate(lines):
        if i:
            pieces.append(T("\n"))
        pieces.extend(line)
    if g.chance(0.25):  # tool output as it sits in a transcript: JSON-escaped inside a tool_result
        pieces = (
            [
                T('{"type": "tool_result", "tool_use_id": "'),
                N("tool_id", "toolu_01" + g.s(ALNUM, 22)),
                T('", "content": "'),
            ]
            + [p._replace(text=_json_escape(p.text)) for p in pieces]
            + [T('", "is_error": false}')]
        )
        style = "json_escaped_" + style
    text_parts, spans, pos = [], [], 0
    for p in pieces:
        if p.kind is not None:
            spans.append(Span(p.kind, pos, pos + len(p.text), p.positive))
        text_parts.append(p.text)
        pos += len(p.text)
    return Document("".join(text_parts), tuple(spans), style)


def build_corpus(seed: int = 7, min_bytes: int = 5_000_000) -> list[Document]:
    """Documents until their UTF-8 size reaches min_bytes; the same seed gives the same corpus."""
    g = Gen(random.Random(seed))
    docs, size = [], 0
    while size < min_bytes:
        doc = build_document(g)
        docs.append(doc)
        size += len(doc.text.encode())
    return docs
