"""Near misses: text that looks secret-ish but holds no secret stays as it is, and the real
secret next to each rule is still caught."""

from __future__ import annotations

import pytest

from forge.scrub import Scrubber, find_secrets
from forge.scrub import validators as v

LEFT_ALONE = [
    # labels and messages of a login form, and the word in other languages (i18n files)
    '"password": "Forgot password?"',
    '"newPassword": "New Password"',
    'passwordLabel = "Password:"; password = "Password:"',
    '"password": "Passwort", "password": "Contraseña", "password": "パスワード"',
    # routes, URLs, patterns and validation rules that concern passwords
    'RESET_PASSWORD = "/users/password/reset"',
    'FORGOT_PASSWORD = "https://example.com/account/forgot"',
    'password = "^(?=.*[A-Z])(?=.*\\\\d).{8,}$"',
    'password: "^[A-Za-z0-9]{8,}$"',
    "'password' => 'required|string|min:8|confirmed',",
    'password: "required,min=8,max=64"',
    # interpolation, command output and secret-store references
    "password: \"#{ENV['DB_PASS']}\"",
    'password: "%{db_password}"',
    'password = "`cat /run/secrets/db`"',
    'password: "env:DB_PASSWORD"',
    "openssl enc -aes256 -pass env:ENC_PASS -in a -out b",
    "openssl pkcs12 -export -passout file:/run/secrets/p12 -out a.p12",
    'password = "op://prod/db/password"',
    'password: "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/db)"',
    "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}",
    "password: *db_password",
    "password: !ENV ${DB_PASS}",
    # what a redaction or a template writes where the value was
    'password: "***REMOVED***"',
    'password: "[FILTERED]"',
    'password: "REPLACE_WITH_PASSWORD"',
    'password: "SET_ME"',
    'password: "N/A"',
    'password: "unset"',
    "password: YourPassword123",
    # key-context values that are names, versions, templates and fixtures
    'OPENAI_API_KEY="sk-<your-key>"',
    'token = "v1.2.3-beta"',
    "secret: my-k8s-secret",
    "secret: projects/123456789/secrets/db-password/versions/latest",
    'api_key = "test_api_key_123"',
    'token = "token123"',
    'API_KEY = "EXAMPLE_KEY_123"',
    # paging tokens grant nothing
    '{"NextToken": "AAIAAAAjM2Q4NzE5YjItN2Q3Zi00ZWQ5LWJhOWEtZDY3ZjZhYjE4M2Fk"}',
    "nextPageToken: CiAKGjBpNDd2Nmp2Zml2cXRw",
    "continuation_token = 1zT8Yp2Hq9X4kLmN0pQrS",
    # connection strings whose password is a placeholder
    "mongodb+srv://user:{password}@cluster0.mongodb.net/test",
    "mongodb://root:example@mongo:27017/",
    # a shell variable in a URL's user info is not an e-mail address
    "git clone https://$GITHUB_TOKEN@github.com/org/repo",
    # documentation addresses, impersonal home folders and AWS's documented key id
    "http://[2001:db8::1]:80/ and 3fff:12:34::5",
    "ping 192.0.2.10 and 198.51.100.7 and 203.0.113.9",
    "cd /home/ubuntu/app && ls /home/runner/work /Users/username/x C:\\Users\\user\\AppData",
    "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
]

# (text, the secret that must vanish)
STILL_CAUGHT = [
    ('password = "hunter22"', "hunter22"),
    ('"password": "open sesame"', "open sesame"),  # two words, neither of them "password"
    ('"password": "Password1!"', "Password1!"),
    ('password: "P@ssw0rd"', "P@ssw0rd"),
    ('password = "#hunter22"', "#hunter22"),  # a '#', but no #{...}
    ("password = '`123QWERasdf'", "`123QWERasdf"),  # a '`', but no `command`
    ('password: "*Tr0ub4dor"', "*Tr0ub4dor"),  # quoted: a literal, not a YAML alias
    ("password: changeit42", "changeit42"),
    ("openssl pkcs12 -export -passout pass:Tr0ub4dor -out a.p12", "Tr0ub4dor"),
    ('api_key = "abcdef1234567890abcdef1234567890"', "abcdef1234567890abcdef1234567890"),
    ('api_key = "my_api_key_4f9b2c"', "my_api_key_4f9b2c"),  # a number that does not count up
    ("secret: my-k8s-secret-9f2a7c1e", "my-k8s-secret-9f2a7c1e"),
    ("GITHUB_TOKEN=AAIAAAAjM2Q4NzE5YjItN2Q3Zi00ZWQ5", "AAIAAAAjM2Q4NzE5YjItN2Q3Zi00ZWQ5"),
    ("aws_appsync_apiKey: 'da2-nmaqhbb63zabjactesiydcfuvu',", "da2-nmaqhbb63zabjactesiydcfuvu"),
    ('"sessionToken": "FwoGZXIvYXdzEBYaDH7ks3y2q8LgQz9"', "FwoGZXIvYXdzEBYaDH7ks3y2q8LgQz9"),
    ("mongodb://admin:Xk9mQ2vTp@mongo:27017/", "Xk9mQ2vTp"),
    ("https://deploy:s3cur3K3y2024@files.company.com", "s3cur3K3y2024"),
    (
        "git clone https://x:ghp_R4nd0mT0k3nV4lu3Xyz0123456789abcdEF@github.com/o/r",
        "ghp_R4nd0mT0k3nV4lu3Xyz0123456789abcdEF",
    ),
    ("listening on [2a01:4f8:c17:85a3::8a2e:7334]:443", "2a01:4f8:c17:85a3::8a2e:7334"),
    ("dial tcp 93.184.216.34:443", "93.184.216.34"),
    ("cd /home/alice/src", "alice"),
    ("export AWS_ACCESS_KEY_ID=AKIAQX4BZ7MEYW2T5JRM", "AKIAQX4BZ7MEYW2T5JRM"),
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_near_miss_is_left_alone(text):
    assert find_secrets(text) == [], [text[f.start : f.end] for f in find_secrets(text)]
    assert Scrubber().scrub_text(text) == text


@pytest.mark.parametrize("text,secret", STILL_CAUGHT)
def test_real_secret_beside_a_near_miss_rule_is_still_caught(text, secret):
    out = Scrubber().scrub_text(text)
    assert secret not in out and "<SECRET:" in out


@pytest.mark.parametrize(
    "value,expected",
    [
        ("^[a-z0-9]{8,}$", True),
        ("(?P<pw>[^@]+)", True),
        ("[a-z]", False),
        ("P@ss^word$1", False),
        ("Tr0ub4dor&3", False),
    ],
)
def test_looks_like_regex(value, expected):
    assert v.looks_like_regex(value) is expected


@pytest.mark.parametrize(
    "value,expected",
    [
        ("test_api_key_123", True),
        ("your-token-1234", True),
        ("dummy_key_1234567890", True),
        ("test123", True),
        ("test_key_4f9b2c", False),  # not a counting number
        ("stripe_key_123", False),  # a word that is no placeholder
        ("12345678", False),  # no words
    ],
)
def test_docs_fixture(value, expected):
    assert v.docs_fixture(value) is expected


def test_placeholder_credential_uri_looks_only_at_the_password():
    assert v.placeholder_credential_uri("mongodb://root:<password>@host")
    assert v.placeholder_credential_uri("mongodb://root:example@host")
    assert not v.placeholder_credential_uri("mongodb://root:Xk9mQ2vTp@host")
    assert not v.placeholder_credential_uri("mongodb://host:27017/db")  # no user info at all
