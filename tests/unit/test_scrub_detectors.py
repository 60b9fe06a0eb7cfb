"""Each detector: a true positive it must catch, and a near miss it must leave alone."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from forge.scrub import Scrubber, detectors, find_secrets
from forge.scrub.kubernetes import kubernetes_secret_values
from helpers import scrubbed_in_transcript_lines

GH = "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
# a registry's auth that holds a whole service-account key: 3 KB of base64 (made up, hash-derived)
LONG_AUTH = base64.b64encode(b"".join(hashlib.sha512(bytes([i])).digest() for i in range(36))).decode()
# (detector, text, the secret that must vanish, the placeholder that must appear)
TRUE_POSITIVES = [
    (
        "private_key",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
        "private_key",
    ),
    ("aws_access_key", "export AWS_ACCESS_KEY_ID=AKIAQX4BZ7MEYW2T5JRM", "AKIAQX4BZ7MEYW2T5JRM", "aws_access_key"),
    ("aws_access_key", "ASIAY34FZKBOKMUTVV7A was the session key", "ASIAY34FZKBOKMUTVV7A", "aws_access_key"),
    # GitLab's feed tokens, and trigger tokens at the one length GitLab issues them (40)
    ("gitlab_token", "rss?feed_token=glft-Qm7Rt2Vx9Kp4Wz8Ln3Bc", "glft-Qm7Rt2Vx9Kp4Wz8Ln3Bc", "gitlab_token"),
    (
        "gitlab_token",
        "curl -F token=glptt-8c1e5a9d3f7b2e6a0c4d8f1b5e9a3c7d2f6b0e4a ...",
        "glptt-8c1e5a9d3f7b2e6a0c4d8f1b5e9a3c7d2f6b0e4a",
        "gitlab_token",
    ),
    # a Slack token whose ids repeat digits: the whole token goes, not just its start
    (
        "slack_token",
        "token: xoxa-2-611111111-41111111111-4111111111111-9c2e50b13f7d8a64e1",
        "4111111111111-9c2e50b13f7d8a64e1",
        "slack_token",
    ),
    (
        "aws_secret_key",
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "aws_secret_key",
    ),
    ("github_token", f"git remote set-url origin https://x:{GH}@github.com/o/r", GH, "github_token"),
    (
        "github_token",
        "GH=github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefABCDEFghijklmnop",
        "github_pat_11ABCDEFG0aBcDeFgHiJkL",
        "github_token",
    ),
    ("gitlab_token", "token glpat-Xy7Zk2Lm9Np4Qr8St3Uv", "glpat-Xy7Zk2Lm9Np4Qr8St3Uv", "gitlab_token"),
    (
        "slack_token",
        "SLACK=xoxb-1234567890-0987654321-AbCdEfGhIjKl",
        "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
        "slack_token",
    ),
    (
        "slack_webhook",
        "curl https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Zx81kQ0pL2mN4bV6cX8z",
        "T0123ABCD/B0456EFGH/Zx81kQ0pL2mN4bV6cX8z",
        "slack_webhook",
    ),
    (
        "openai_key",
        "OPENAI_API_KEY=sk-proj-Ab3dEf6hIjK9mNoPqRsTuVwXyZ012345",
        "sk-proj-Ab3dEf6hIjK9mNoPqRsTuVwXyZ012345",
        "openai_key",
    ),
    (
        "anthropic_key",
        "key: sk-ant-api03-AbCdEf1234567890AbCdEf1234567890-xyzAA",
        "sk-ant-api03-AbCdEf1234567890AbCdEf1234567890-xyzAA",
        "anthropic_key",
    ),
    ("stripe_key", "Stripe::api_key = sk_live_51HxYzAbCdEf1234567890", "sk_live_51HxYzAbCdEf1234567890", "stripe_key"),
    ("stripe_key", "rk_live_51HxYzAbCdEf1234567890 restricted", "rk_live_51HxYzAbCdEf1234567890", "stripe_key"),
    (
        "google_api_key",
        "maps?key=AIzaSyA1234567890abcdefghijklmnopqrstuv&q=x",
        "AIzaSyA1234567890abcdefghijklmnopqrstuv",
        "google_api_key",
    ),
    (
        "huggingface_token",
        "HF_TOKEN hf_AbCdEfGhIjKlMnOpQrStUvWxYz12345678",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz12345678",
        "huggingface_token",
    ),
    (
        "npm_token",
        "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "npm_token",
    ),
    (
        "pypi_token",
        "password = pypi-AgEIcHlwaS5vcmcCJGE4ZjY1ZjE2LTk2NzAtNGQ4Mi1iZDU5LTJhYWIwYTlmMTRhYgACKlsz",
        "pypi-AgEIcHlwaS5vcmcCJGE4ZjY1ZjE2LTk2NzAtNGQ4Mi1iZDU5LTJhYWIwYTlmMTRhYgACKlsz",
        "pypi_token",
    ),
    (
        "jwt",
        "Cookie: s=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
        "jwt",
    ),
    (
        "jwt",  # encrypted (JWE): key, iv, ciphertext and tag after the header
        "token=eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9"
        ".48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ",
        "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji",
        "jwt",
    ),
    (
        "jwt",  # unsigned: header and payload only
        "Authorization-Preview: eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiI0MjQyIiwicm9sZSI6ImFkbWluIn0 ok",
        "eyJzdWIiOiI0MjQyIiwicm9sZSI6ImFkbWluIn0",
        "jwt",
    ),
    ("url_password", "DATABASE_URL=postgres://admin:s3cr3t!@db.internal:5432/app", "s3cr3t!", "password"),
    (
        "openai_client_secret",
        "const key = 'ek_4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f';",
        "ek_4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f",
        "openai_key",
    ),
    (
        "dockerconfig_data",
        "data:\n  .dockerconfigjson: eyJhdXRocyI6eyJyZWdpc3RyeSI6e319fQ==\n",
        "eyJhdXRocyI6eyJyZWdpc3RyeSI6e319fQ==",
        "secret",
    ),
    (
        "github_token",  # an app installation's token in its 2026 form: ghs_<app id>_<JWT>
        "https://x-access-token:ghs_123456_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYifQ.q8X7kT9zLm2pR4vW6yB1nC3d@github.com",
        "ghs_123456_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYifQ.q8X7kT9zLm2pR4vW6yB1nC3d",
        "github_token",
    ),
    (
        "query_key",
        "GET https://api.example.com/v1/items?key=q8X7kT9zLm2pR4vW6yB1nC3d&page=2",
        "q8X7kT9zLm2pR4vW6yB1nC3d",
        "secret",
    ),
    (
        "query_key",  # OpenWeatherMap's key parameter
        "curl 'https://api.openweathermap.org/data/2.5/weather?q=Oslo&appid=3b9f0c2d4e5a6b7c8d9e0f1a2b3c4d5e'",
        "3b9f0c2d4e5a6b7c8d9e0f1a2b3c4d5e",
        "secret",
    ),
    (
        "auth_scheme_credential",  # Okta's scheme
        'curl -H "Authorization: SSWS 00q8X7kT9zLm2pR4vW6yB1nC3dF5gH7jK9lM0oP2q" https://acme.okta.com/api/v1/users',
        "00q8X7kT9zLm2pR4vW6yB1nC3dF5gH7jK9lM0oP2q",
        "bearer_token",
    ),
    (
        "composer_host_token",  # auth.json as cat prints it
        '{\n  "bearer": {\n    "repo.example.org": "q8X7kT9zLm2pR4vW6yB1nC3d"\n  }\n}',
        "q8X7kT9zLm2pR4vW6yB1nC3d",
        "secret",
    ),
    (
        "crypto_call_key",
        'jwt.encode(payload, "q8X7kT9zLm2pR4vW6yB1nC3d", algorithm="HS256")',
        "q8X7kT9zLm2pR4vW6yB1nC3d",
        "secret",
    ),
    (
        "declared_secret_value",  # terraform output -json
        '{"db_password": {"sensitive": true, "type": "string", "value": "marmalade42"}}',
        "marmalade42",
        "secret",
    ),
    (
        "azure_key_list",  # az storage account keys list -o table (64 random bytes in base64)
        "KeyName    Permissions    Value\nkey1       FULL           "
        "TqRPUjg84a5RMKx1UyfLlVeSnY4x5C/9Xvak+jeI5f9z8D7PoWsBgTJZjrEAs4P5JbxgJ1aokdC76JsFO69SRA==",
        "TqRPUjg84a5RMKx1UyfLlVeSnY4x5C/9Xvak+jeI5f9z8D7PoWsBgTJZjrEAs4P5JbxgJ1aokdC76JsFO69SRA==",
        "azure_storage_key",
    ),
    (
        "announced_password",  # MySQL's first-start log
        "[Note] [MY-010454] [Server] A temporary password is generated for root@localhost: q8X7kT9z+Lm2",
        "q8X7kT9z+Lm2",
        "password",
    ),
    (
        "acl_secret_id",
        "AccessorID:   1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901\nSecretID:     7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b",
        "7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b",
        "secret",
    ),
    ("oracle_login_password", "sqlplus -s app/Tr0ub4dor@//db:1521/XE @run.sql", "Tr0ub4dor", "password"),
    (
        "argv_secret",  # an MCP server's arguments in .mcp.json
        '{"mcpServers": {"search": {"command": "npx", '
        '"args": ["-y", "search-mcp", "--api-key", "kT9xLm2pR4vW6yB1nC3dF5"]}}}',
        "kT9xLm2pR4vW6yB1nC3dF5",
        "secret",
    ),
    (
        "argv_secret",
        "containers:\n  - args:\n    - --token\n    - Qm7vX2kL9pR4tW8yB3nC6dF1\n",
        "Qm7vX2kL9pR4tW8yB3nC6dF1",
        "secret",
    ),
    ("argv_password", 'subprocess.run(["psql", "-h", host, "--password", "marmalade42"])', "marmalade42", "password"),
    ("argv_password", "args:\n  - '--admin-password'\n  - 'hunter-Sky7'\n", "hunter-Sky7", "password"),
    (
        "url_token_user",  # a classic GitHub token as the user, the fixed word as the password
        "git clone https://4e1f9c2a7b3d5e6f8a9b0c1d2e3f4a5b6c7d8e9f:x-oauth-basic@github.com/acme/app.git",
        "4e1f9c2a7b3d5e6f8a9b0c1d2e3f4a5b6c7d8e9f",
        "secret",
    ),
    (
        "url_token_user",
        "git remote set-url origin https://kT9xLm2pR4vW6yB1nC3dF5gH7jK9@gitea.example.com/acme/app.git",
        "kT9xLm2pR4vW6yB1nC3dF5gH7jK9",
        "secret",
    ),
    ("cli_password", "mysqldump --password 'Tr0ub4dor&3' prod", "Tr0ub4dor&3", "password"),
    ("cli_user_password", "curl -u deploy:Qx7!vB2m https://ci/api", "Qx7!vB2m", "password"),
    ("cli_secret", "gh-tool --token Zx81kQ0pL2mN4bV6cX8z run", "Zx81kQ0pL2mN4bV6cX8z", "secret"),
    (
        "bearer_token",
        'curl -H "Authorization: Bearer abc123DEF456ghi789JKL" https://api',
        "abc123DEF456ghi789JKL",
        "bearer_token",
    ),
    # a token with a colon inside (Asana's personal access tokens: <version>/<user id>:<secret>)
    (
        "bearer_token",
        'curl -H "Authorization: Bearer 1/1206537158316012:9f3c2a7e51d84b06ac3e7d19f2b8a564" https://app.asana.com',
        "9f3c2a7e51d84b06ac3e7d19f2b8a564",
        "bearer_token",
    ),
    (
        "bearer_token",
        "Authorization: Bearer Qm7Rt2-Vx9+Kp4Wz8Ln.3Bc.aB3dE6-gH9jK2mN5pQ=8sT1vW4yZ7",
        "8sT1vW4yZ7",
        "bearer_token",
    ),
    ("password_quoted", '{"db_password": "hunter2"}', "hunter2", "password"),
    ("password_bare", "PGPASSWORD=hunter2 psql -h db", "hunter2", "password"),
    # detect-secrets' Cloudant test line, with a random value in place of its repeated one
    ("password_short_key_quoted", 'cloudant_pw="Xk3pq9ZmT2vw8RbN4cL7yH1f"', "Xk3pq9ZmT2vw8RbN4cL7yH1f", "password"),
    ("password_short_key_quoted", "admin-pwd: 'open sesame'", "open sesame", "password"),
    ("password_short_key", "MYSQL_PWD=hunter2x mysql -u root", "hunter2x", "password"),
    ("password_short_key", "ACR=acme.azurecr.io\nACRPWD=Cw8xeDNK6Bub3p61aq5i\n", "Cw8xeDNK6Bub3p61aq5i", "password"),
    ("password_xml", "<server><password>Vq8#mZ2p!Lr</password></server>", "Vq8#mZ2p!Lr", "password"),
    ("password_xml", "<db_passwords>Vq8#mZ2p!Lr</db_passwords>", "Vq8#mZ2p!Lr", "password"),
    # password_lists.py: every item of the list, the last one too
    ("listed_passwords", '{"passwords": ["marmalade42", "Tr0ub4dor-x9"]}', "Tr0ub4dor-x9", "password"),
    ("listed_passwords", 'old_passwords = ("marmalade", "hunter-Sky7")', "hunter-Sky7", "password"),
    (
        "listed_passwords",
        "users.yml:\n   1\u2192test_passwords:\n   2\u2192  - marmalade42\n"
        "   3\u2192  - 'Vq8#mZ2p!Lr'\n   4\u2192roles: []",
        "Vq8#mZ2p!Lr",
        "password",
    ),
    ("password_quoted", '"password": "q7\\\\Zr~x^`Wp2",', "q7\\\\Zr~x^`Wp2", "password"),  # escapes in JSON
    ("secret_xml", "<apiKey>c3VwZXJzZWNyZXQx9Kq2Lm</apiKey>", "c3VwZXJzZWNyZXQx9Kq2Lm", "secret"),
    (  # an Azure storage account's key in an app's XML config
        "secret_xml",
        "<account_name>acmelogs</account_name>\n<account_key>Kq2Lm9x+VbN4rT7wZ1yC3eF6hJ8kM0pS==</account_key>",
        "Kq2Lm9x+VbN4rT7wZ1yC3eF6hJ8kM0pS==",
        "secret",
    ),
    ("key_assignment", 'APP_KEY = "p4kq8zt2wm9rx3v"', "p4kq8zt2wm9rx3v", "secret"),
    ("key_assignment", "['client_key'] = 'Zk29fQpL7xWm3TbR8yNc'", "Zk29fQpL7xWm3TbR8yNc", "secret"),
    # no digit, but cases at random (about one 20-character token in 30)
    ("key_assignment", 'APP_KEY = "qTfWmZxKcRvBnLpHsDgYjE"', "qTfWmZxKcRvBnLpHsDgYjE", "secret"),
    # one of several, numbered (a second app's key, a rotation's next token)
    (
        "key_assignment",
        'salesforce_key1 = "3MVG9dBDux2v1sLore.Wkce6JTB1Lmsx"',
        "3MVG9dBDux2v1sLore.Wkce6JTB1Lmsx",
        "secret",
    ),
    ("secret_assignment", "TWITCH_TOKEN_2='k7Qz2xW9mR4tY8pL3vN6'", "k7Qz2xW9mR4tY8pL3vN6", "secret"),
    ("secret_assignment", 'client_secret: "Zx81kQ0pL2mN4bV6cX8z"', "Zx81kQ0pL2mN4bV6cX8z", "secret"),
    # a key's word at the value's start: a provider's prefix, not a name
    ("secret_assignment", 'ACME_TOKEN = "acme_x8Kq2mZ9vLp3Rt7Wn4Yb6Cd1"', "acme_x8Kq2mZ9vLp3Rt7Wn4Yb6Cd1", "secret"),
    ("secret_assignment", "slackToken=9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "secret"),
    # random values with underscores or capitals are not taken for code names
    ("secret_assignment", "SECRET_KEY=A1B2_C3D4E5F6G7H8", "A1B2_C3D4E5F6G7H8", "secret"),
    # two base64 parts joined by a colon after the padding (a Tableau token's secret): both go
    (
        "secret_assignment",
        "secret=Qk9vN3RyYXBLZXkxOTk4==:Wm9vN3RyYXBLZXkxOTk4WnpQ\nserver=prod",
        ":Wm9vN3RyYXBLZXkxOTk4WnpQ",  # (the part after the padding goes too)
        "secret",
    ),
    ("secret_assignment", "auth_token: Ab3_xY9_kLm2Qw7", "Ab3_xY9_kLm2Qw7", "secret"),
    ("secret_assignment", '{"auths": {"https://gcr.io": {"auth": "' + LONG_AUTH + '"}}}', LONG_AUTH, "secret"),
    # letters only, at random: capitals' runs and two-letter words no name has (Tv, Wd)
    ("secret_assignment", "api_token = 'PQRXTvBNMKWdHJZLXrfk'", "PQRXTvBNMKWdHJZLXrfk", "secret"),
    # letters only, but cases at random rather than words
    ("cli_secret", "vercel deploy --token PFRaMBwOKxlzQBgDoeNwSclP --prod", "PFRaMBwOKxlzQBgDoeNwSclP", "secret"),
    (
        "email",
        "Co-Authored-By: Alice Smith <alice.smith+ci@corp-mail.example>",
        "alice.smith+ci@corp-mail.example",
        "email",
    ),
    ("email", "From:dave.k@acme-corp.io\nTo:ops@acme-corp.io", "dave.k@acme-corp.io", "email"),
    ("email", "@@ -1,2 +1,3 @@\n+dave.k@acme-corp.io\n-ops@old-corp.io", "dave.k@acme-corp.io", "email"),  # a diff
    ("ipv4", "dial tcp 10.20.30.40:5432: connect: connection refused", "10.20.30.40", "ipv4"),
    ("ipv6", "listening on [2a01:4f8:c17:85a3::8a2e:7334]:443", "2a01:4f8:c17:85a3::8a2e:7334", "ipv6"),
    ("ipv6", "peer fe80::1ff:fe23:4567:890a%eth0 up", "fe80::1ff:fe23:4567:890a", "ipv6"),
    ("home_user", "cd /home/alice/src/app && ls", "alice", "user"),
    ("home_user", "open /Users/bob.jones/Library/x", "bob.jones", "user"),
    ("windows_user", r"C:\Users\carol\AppData", "carol", "user"),
    ("claude_project_user", "ls ~/.claude/projects/-home-alice-acme/", "alice", "user"),
    ("claude_project_user", r"dir %USERPROFILE%\.claude\projects\C--Users-carol-src-app", "carol", "user"),
    (
        "kingfisher",
        "SENDGRID_API_KEY=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",
        "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
        "sendgrid",
    ),
    # a cloud's access key id (a hidden helper rule of the engine's), replaced as AWS's AKIA... is
    (
        "kingfisher",
        "ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tBcc9z8F4mQ1s2J3kLm",
        "LTAI5tBcc9z8F4mQ1s2J3kLm",
        "alibaba_access_key_id",
    ),
    ("inline_key", "[DEBUG] Using Key=O3BV99CUDw3xYUAL0tHGYUe7mOj5\n", "O3BV99CUDw3xYUAL0tHGYUe7mOj5", "secret"),
    ("inline_key", "12:00:01 auth ok api_key=k7Qz2xW9mR4tY8pL3vN6 user=bob", "k7Qz2xW9mR4tY8pL3vN6", "secret"),
    # one case, digits all through it (its letter runs read as words)
    ("inline_key", "[DEBUG] Using Key=k3fqzt0mwxhr2pvnjdyc4bslga1e\n", "k3fqzt0mwxhr2pvnjdyc4bslga1e", "secret"),
    (
        "inline_key",
        "[DEBUG] Using Key=qx_pr_mykey_da13ef806144cf0e5d260fa4cbe1df4cc9de2ed3 ok",
        "qx_pr_mykey_da13ef806144cf0e5d260fa4cbe1df4cc9de2ed3",
        "secret",
    ),
    (
        "jenkins_secret",
        "<secret>{AQAAABAAAAAgPT7JbBVgyWiivobt0CJEduLyP0lB3uyTj+D5WBvVk6jyG6BQFPYGN4Z3VJN2JLDm}</secret>",
        "AQAAABAAAAAgPT7JbBVgyWiivobt0CJEduLyP0lB3uyTj+D5WBvVk6jyG6BQFPYGN4Z3VJN2JLDm",
        "jenkins_secret",
    ),
    ("netrc_password", "machine api.example.com login deploy password Zx81kQ0pL2mN", "Zx81kQ0pL2mN", "password"),
    ("netrc_password", "machine api.example.com\n  login deploy\n  password Zx81kQ0pL2mN", "Zx81kQ0pL2mN", "password"),
    ("pgpass_line", "$ cat ~/.pgpass\ndb.internal:5432:app:deploy:Tr0ub4dor&3\n", "Tr0ub4dor&3", "password"),
    ("sshpass", "sshpass -p 'Qx7!vB2mz' ssh deploy@build-1", "Qx7!vB2mz", "password"),
    # PowerShell's single-dash parameters, openssl's pass:, Windows remote-admin tools' -u/-p
    ("cli_password", "Connect-VIServer -Server vc01 -User admin -Password eqErAd3fv7z9", "eqErAd3fv7z9", "password"),
    ("cli_password", 'New-LocalUser -Name svc -Password:"Sup3r S3cret!"', "Sup3r S3cret!", "password"),
    ("cli_password", "openssl pkcs12 -export -in c.pem -passout pass:Qx7vB2mzK9 -out c.p12", "Qx7vB2mzK9", "password"),
    ("cli_password", r"PsExec.exe \\HOST01 -u CORP\admin -p Winter2024! cmd", "Winter2024!", "password"),
    ("cli_password", 'sqlcmd -S db01 -U sa -P "Str0ngP@ss" -Q "select 1"', "Str0ngP@ss", "password"),
    (
        "cli_secret",
        "Connect-AzAccount -AccessToken Zx81kQ0pL2mN4bV6cX8zR3tY -AccountId me",
        "Zx81kQ0pL2mN4bV6cX8zR3tY",
        "secret",
    ),
    ("compared_secret", "if creds.Secret != 'open-sesame' {", "open-sesame", "password"),
    (
        "cli_user_password",
        "java -jar jenkins-cli.jar -s http://ci:8080/ -auth admin:11f3a9c0d2e4b6a8c0e2f4a6b8c0d2e4f6 build app",
        "11f3a9c0d2e4b6a8c0e2f4a6b8c0d2e4f6",
        "password",
    ),
    ("cli_user_password", "http --auth deploy:Zx81kQ0pL2mN POST api.acme.io/v1", "Zx81kQ0pL2mN", "password"),
    ("secret_assignment", 'encrypt = "pUqJrVyVRj5jsiYEkM/tFQYfWyJIv4s3XkvDwy7Cu5s="', "pUqJrVyVRj5jsiYEkM", "secret"),
    (
        "secret_assignment",
        "vault write auth/approle/login role_id=ops secret_id=310ac34b-0467-42ef-9368-c0db83c892fc",
        "310ac34b-0467",
        "secret",
    ),
    (
        "secret_assignment",
        "NEW_RELIC_LICENSE_KEY=361629b18caf3551c8742e48bc96e55fd5143059",
        "361629b18caf3551c874",
        "secret",
    ),
    ("compared_secret", 'if (password === "Tr0ub4dor&3") login()', "Tr0ub4dor&3", "password"),
    # an f-string without a field is a literal
    ("compared_secret", 'if password == f"marmalade42":', "marmalade42", "password"),
    ("password_quoted", "DB_PASSWORD = f'Tr0ub4dor-x9'", "Tr0ub4dor-x9", "password"),
    ("login_call_arg2", 'var c = new NetworkCredential("svc-build", "Pa55w0rd!");', "Pa55w0rd!", "password"),
    ("login_call_arg2", 'smtp.login(sender, "qwerty-77-brisk")', "qwerty-77-brisk", "password"),
    ("login_call_arg3", 'new DirectoryEntry("LDAP://corp", "admin@corp", "Rrhh1234");', "Rrhh1234", "password"),
    ("login_call_arg3", 'DriverManager.getConnection(url, "sa", "Sup3rS3cret");', "Sup3rS3cret", "password"),
    ("login_call_arg4", 'mgr.add_password(None, url, "bob", "pw12345x")', "pw12345x", "password"),
    ("auth_tuple", 'requests.get(url, auth=("bob", "s3cr3tPass"))', "s3cr3tPass", "password"),
    ("mqtt_password", 'mosquitto_sub -h broker -u alice -P "S3cretMq!" -t sensors/#', "S3cretMq!", "password"),
    (
        "thingsboard_mqtt_token",
        "mosquitto_pub -h demo.thingsboard.io -t v1/devices/me/telemetry -u A1b2C3d4E5f6G7h8I9j0 -m '{}'",
        "A1b2C3d4E5f6G7h8I9j0",
        "secret",
    ),
    # a sample's "my" value still counts: scanners label Password=myPassword a secret
    (
        "connection_string_password",
        "Server=db01;Database=app;User ID=sa;Password=myPassword;",
        "myPassword",
        "password",
    ),
    (
        "secret_assignment",
        "curl -X POST -H 'Jenkins-Crumb:440561953171ba44ace9740562d172bb' $URL",
        "440561953171ba44ace9740562d172bb",
        "secret",
    ),
    (
        "secret_assignment",
        "CC_TEST_REPORTER_ID=6561a1827dbc0f30ec834d0caf6d5c9f0f6c6e94ddbc9c283f457581add32335",
        "6561a1827dbc0f30ec834d0caf6d5c9f0f6c6e94ddbc9c283f457581add32335",
        "secret",
    ),
    (
        "password_hash",
        "admin:$apr1$xyz12345$Kq8vN3mZ0pL2rT6wY9uB1c",
        "$apr1$xyz12345$Kq8vN3mZ0pL2rT6wY9uB1c",
        "password_hash",
    ),
    (
        "password_hash",
        "root:$1$abcdefgh$Asvx.qEGlKXY5MWQopLpZP:19000",
        "$1$abcdefgh$Asvx.qEGlKXY5MWQopLpZP",
        "password_hash",
    ),
    (
        "password_hash",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
        "password_hash",
    ),
    # LDAP / htpasswd -s, Django's and Werkzeug's PBKDF2
    ("password_hash", "bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "password_hash"),
    (
        "password_hash",
        "userPassword: {SSHA}DkMTwBl+a/3DQTxCYEApdUtNXGgdUac3",
        "DkMTwBl+a/3DQTxCYEApdUtNXGgdUac3",
        "password_hash",
    ),
    (
        "password_hash",
        "| 1 | admin | pbkdf2_sha256$600000$X0cH7XQpG3nKkA2gR9sWbL$yIBQ5CQ1y3rCk3k0Ih2Gqk6y0L2w9h7rK4b8vYc9ZsE= |",
        "yIBQ5CQ1y3rCk3k0Ih2Gqk6y0L2w9h7rK4b8vYc9ZsE=",
        "password_hash",
    ),
    (
        "password_hash",
        "hash='pbkdf2:sha256:600000$Kx1mQz8P$5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8'",
        "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
        "password_hash",
    ),
    ("ini_password", "[client]\nuser = root\npassword = marmalade\n", "marmalade", "password"),
    ("env_flag_password", "docker run -e POSTGRES_PASSWORD=marmalade postgres", "marmalade", "password"),
    ("cli_setting_password", "helm install db x --set auth.password=marmalade,a=b", "marmalade", "password"),
    ("inline_env_password", "FROM alpine\nENV ADMIN_PASSWORD=marmalade", "marmalade", "password"),
    ("libpq_password", 'psql "host=db user=app password=marmalade dbname=app"', "marmalade", "password"),
    (
        "aws_configure_prompt",
        "AWS Secret Access Key [None]: j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123",
        "j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123",
        "aws_secret_key",
    ),
    ("properties_password", "storePassword=marmalade\nkeyAlias=upload\n", "marmalade", "password"),
    ("password_in_prose_quoted", 'The password for the staging db is "marmalade".', "marmalade", "password"),
    (
        "secret_in_prose",
        "my API key is 8f2c9e1d7b6a4f3e2d1c0b9a8f7e6d5c, use it",
        "8f2c9e1d7b6a4f3e2d1c0b9a8f7e6d5c",
        "secret",
    ),
    (
        "secret_in_prose",
        "The access token for staging is dGhpcyBpcyBhIHRva2Vu9x8.",
        "dGhpcyBpcyBhIHRva2Vu9x8",
        "secret",
    ),
    ("password_in_prose_quoted", "Log in with password `bluebird`.", "bluebird", "password"),
    (
        "putty_private_key",
        "Private-Lines: 1\nAAAAIGq7ZpXoV1bKq3sT9vN2mL4wR8yC6dF0\n",
        "AAAAIGq7ZpXoV1bKq3sT9vN2mL4wR8yC6dF0",
        "private_key",
    ),
    (
        "recovery_phrase",
        'mnemonic: "legal winner thank year wave sausage worth useful legal winner thank yellow"',
        "legal winner thank year wave sausage worth useful legal winner thank yellow",
        "private_key",
    ),
    # secret_commands.py (more in test_scrub_secret_commands.py)
    (
        "generated_secret",
        "$ openssl rand -hex 16\n9c4f1e7a2b8d3065f1a4c7e92d0b6f38\n",
        "9c4f1e7a2b8d3065f1a4c7e92d0b6f38",
        "secret",
    ),
    ("printed_secret", "$ op read op://Private/db/password\nTr0ub4dor-x9\n", "Tr0ub4dor-x9", "secret"),
    # numbered password fields: a sign-up form's password1/password2, DB_PASSWORD_2, password01
    ("password_quoted", 'let static_password02 = "hardcoded1";', "hardcoded1", "password"),
    ("password_quoted", '{"password2": "Tr0ub4dor&3"}', "Tr0ub4dor&3", "password"),
    ("env_file_password", "DB_PASSWORD_2=hunter2x", "hunter2x", "password"),
    ("yaml_password", "replica:\n  password1: hunter2x\n", "hunter2x", "password"),
    ("password_xml", "<password2>Vq8#mZ2p!Lr</password2>", "Vq8#mZ2p!Lr", "password"),
    ("redis_cli", "redis-cli -h cache.internal -a S3cr3tRedis ping", "S3cr3tRedis", "password"),
    ("cli_tool_password", "docker login -u deploy -p S3cr3tD0cker ghcr.io", "S3cr3tD0cker", "password"),
    ("cli_glued_password", "7z a -pS3cr3tArch1ve backup.7z data/", "S3cr3tArch1ve", "password"),
    ("keystore_password", "keytool -list -keystore app.jks -storepass S3cr3tSt0re", "S3cr3tSt0re", "password"),
    ("stdin_password", "echo S3cr3tSud0 | sudo -S whoami", "S3cr3tSud0", "password"),
    ("secret_store_value", "fly secrets set UPSTREAM=bluehorizon -a api", "bluehorizon", "secret"),
    ("expect_send_password", 'expect "Password:"\nsend "S3cr3tExp3ct\\r"', "S3cr3tExp3ct", "password"),
    ("cookie_value", "Cookie: sid=q8K3xJvY1mN0pLzR7tW9uE4a", "q8K3xJvY1mN0pLzR7tW9uE4a", "secret"),
    ("wifi_psk", 'psk="S3cr3tW1f1"', "S3cr3tW1f1", "password"),
    ("password_bare_key_quoted", 'transporter = {user: "me", pass: "S3cr3tM41l"}', "S3cr3tM41l", "password"),
    ("sql_password", "CREATE USER 'app' IDENTIFIED BY 'S3cr3tSqL';", "S3cr3tSqL", "password"),
    ("redis_password", "requirepass S3cr3tR3d1s", "S3cr3tR3d1s", "password"),
    ("password_in_prose", "the admin password is S3cr3tPr0se now", "S3cr3tPr0se", "password"),
    ("query_password", "GET /login?user=me&pass=S3cr3tQu3ry HTTP/1.1", "S3cr3tQu3ry", "password"),
    ("password_block_scalar", "password: |\n  S3cr3tBl0ck\n", "S3cr3tBl0ck", "password"),
    ("table_column_secret", "user,password\nadmin,S3cr3tT4ble\n", "S3cr3tT4ble", "password"),
    (
        "azure_account_key",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQcB1"
        "xZ3vN6mP9wR2tY5uI8oA4sD7fG0hJ==;EndpointSuffix=core.windows.net",
        "q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQcB1",
        "azure_storage_key",
    ),
    (
        "sas_signature",
        "curl 'https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&sig=q8K3xJ%2BvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQ%3D'",
        "q8K3xJ%2BvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQ",
        "sas_signature",
    ),
    (
        "kubernetes_secret",
        "apiVersion: v1\ndata:\n  password: aHVudGVyMjJzZWNyZXQ=\n  tls.key: TFMwdExTMUNSVWRKVGc=\n"
        "kind: Secret\nmetadata:\n  name: db\n",
        "aHVudGVyMjJzZWNyZXQ=",
        "kubernetes_secret",
    ),
    (
        "kubernetes_secret",
        '{"apiVersion": "v1", "data": {"token": "c2VjcmV0LXRva2VuLXZhbHVl"}, "kind": "Secret"}',
        "c2VjcmV0LXRva2VuLXZhbHVl",
        "kubernetes_secret",
    ),
    (
        "twilio_auth_token",
        'client = Client("AC' + "3f9c2d7e1b8a4f6c0d5e9b2a7c1f4e8d" + '", "' + "9b2e7f1c4a8d3e6b0f5c2a9d7e1b4c8f" + '")',
        "9b2e7f1c4a8d3e6b0f5c2a9d7e1b4c8f",
        "twilio_auth_token",
    ),
    ("card_number", "charged card 4539 1488 0343 6467 exp 12/30", "4539 1488 0343 6467", "card_number"),
    ("card_number", "amex=378282246310005;", "378282246310005", "card_number"),
    ("phone", "call +1 415-555-0132 tomorrow", "+1 415-555-0132", "phone"),
    ("phone", "call +1.415.555.0132 tomorrow", "+1.415.555.0132", "phone"),
    ("phone", "office (415) 555-0199 ext 4", "(415) 555-0199", "phone"),
    (
        "password_hash",
        "root:$6$Kq8vN3xR$7pL2mW9tY4uZ1eOaB6cD0fG5hJ8kM3nQ7rS1tV4wX6yZ:19000:0:99999:7:::",
        "7pL2mW9tY4uZ1eOaB6cD0fG5hJ8kM3nQ7rS1tV4wX6yZ",
        "password_hash",
    ),
    # provider_formats.py: bodies are made up (hash-derived), in each provider's documented shape
    (
        "newrelic_key",
        "NEW_RELIC_API_KEY=NRAK-VCR9GRAYCFCPMW1HTBGCYX9SUX2",
        "VCR9GRAYCFCPMW1HTBGCYX9SUX2",
        "newrelic_key",
    ),
    (
        "newrelic_license_key",
        "license_key: 3e7c066084a1b4782917c2448c5e8a196b25NRAL",
        "3e7c066084a1b4782917c2448c5e8a196b25NRAL",
        "newrelic_key",
    ),
    (
        "newrelic_mobile_token",
        'NewRelic.withApplicationToken("AA6a2e9c7f412485e6e408370ad5efcc67da256c1d-NRMA").start(this)',
        "AA6a2e9c7f412485e6e408370ad5efcc67da256c1d-NRMA",
        "newrelic_key",
    ),
    (
        "newrelic_mobile_token",
        "token: eu01xx0a12cf4dc65ec73cbf8350031a7a802044ad-NRMA",
        "eu01xx0a12cf4dc65ec73cbf8350031a7a802044ad-NRMA",
        "newrelic_key",
    ),
    (
        "plaid_access_token",
        '{"access_token": "access-production-abb83421-d6e3-82f6-4b34-701d3c7001b5", '
        '"item_id": "M5eVJqLnv3tbzdngLDp9FL5OlDNxlNhlE55op"}',
        "access-production-abb83421-d6e3-82f6-4b34-701d3c7001b5",
        "plaid_token",
    ),
    (
        "plaid_access_token",
        "stripe_bank_account_token_create(processor-sandbox-2703acf1-9d77-9671-a5b3-3af7115e85b6)",
        "processor-sandbox-2703acf1-9d77-9671-a5b3-3af7115e85b6",
        "plaid_token",
    ),
    (
        "atlassian_admin_key",
        "curl -H 'Authorization: Bearer ATCTT3xFfGN0PmmgcrNpe6-o5C7ZWuFIhsBiSESuMb1AZjjSIqhhHr56ur1WNO6idKFpRI8fc3Y79PB"
        "dfekoarwFQIQzwxG5KcwCoSd5AlxUbJub3Q8g7rkudUjDOGrHErcNBdIBVDMyX5EAPkCFtlAnZ1sHqPDaFiSK-6mnfc44vg4DNIuhOX="
        "9FFDA7BD' "
        "https://api.atlassian.com/admin/v1/orgs",
        "ATCTT3xFfGN0PmmgcrNpe6-o5C7ZWuFIhsBiSESuMb1AZjjSIqhhHr56ur1WNO6idKFpRI8fc3Y79PBdfekoarwFQIQzwxG5KcwCoSd5AlxU"
        "bJub3Q8g7rkudUjDOGrHErcNBdIBVDMyX5EAPkCFtlAnZ1sHqPDaFiSK-6mnfc44vg4DNIuhOX=9FFDA7BD",
        "atlassian_token",
    ),
    (
        "doppler_token",
        "doppler run --token dp.st.prd.pzhhdCa2cy50nQTvEfarB9pHqjEDP9re866Dcy958Ns -- ./app",
        "pzhhdCa2cy50nQTvEfarB9pHqjEDP9re866Dcy958Ns",
        "doppler_token",
    ),
    (
        "twitch_stream_key",
        "obs --stream-key live_48151623_Gc1rnXcTcRm1ZGtkK1CHSHbKpRHi8v",
        "Gc1rnXcTcRm1ZGtkK1CHSHbKpRHi8v",
        "twitch_stream_key",
    ),
    (
        "sourcegraph_token",
        "src login with sgp_9fdd9ce9ccead1e9_6161120717ae6cfb23209c6a4a51572d0e68db99",
        "6161120717ae6cfb23209c6a4a51572d0e68db99",
        "sourcegraph_token",
    ),
    (
        "dependency_track_key",
        "X-Api-Key: odt_DJ7SR3E8kUpgCQ5VaaAqSlIeF1khnegF",
        "DJ7SR3E8kUpgCQ5VaaAqSlIeF1khnegF",
        "dependency_track_key",
    ),
    (
        "adafruit_io_key",
        '#define AIO_KEY "aio_YZF0Fi1pWUxWSWkI66WqEwJgjvwt"',
        "YZF0Fi1pWUxWSWkI66WqEwJgjvwt",
        "adafruit_io_key",
    ),
    (
        "databricks_token",
        "databricks configure --token dapiaf4e918e39e70e2922b6d39b83893c47",
        "af4e918e39e70e2922b6d39b83893c47",
        "databricks_token",
    ),
    (
        "groq_key",
        "client = Groq(api_key='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')",
        "GXXwaAGH9t8uUXKTnxobsLzvsBwQy5r2WGHyEXCUI75hXcO4kkYq",
        "groq_key",
    ),
    (
        "grafana_service_account_token",
        "curl -H 'Authorization: Bearer glsa_Yuv3kJVOoDK8OQB2UzORyPBXCKLJldM2_e53d46be' grafana:3000/api/search",
        "Yuv3kJVOoDK8OQB2UzORyPBXCKLJldM2",
        "grafana_token",
    ),
    (
        "shopify_token",
        "SHOPIFY_TOKEN=shpat_YenPJ0vfTRgXjn7ZhlybL6hd4CnYkcUT",
        "YenPJ0vfTRgXjn7ZhlybL6hd4CnYkcUT",
        "shopify_token",
    ),
    (
        "salesforce_session_id",
        "sf org display: 00D5g000004Abcd!AQ4AQNY6MwDiUL2ODM7PeGbzhKh9wx5q22KplHLRLjTvP4ikza612Lwbt"
        "qwIpICJOMKwJjwHpo8k3mU9f37XlPSEerpNhop",
        "AQ4AQNY6MwDiUL2ODM7PeGbzhKh9wx5q22KplHLRLjTvP4ikza612Lwbt",
        "salesforce_token",
    ),
    (
        "truenas_api_key",
        'midclt call auth.login_with_api_key "3-EZzpxUlGNrh3NRlNyeQYJLn5Qj3f7sGQzIrt00kxrBI9Z3exeOyUmUyT6noQ3dUB"',
        "EZzpxUlGNrh3NRlNyeQYJLn5Qj3f7sGQzIrt00kxrBI9Z3exeOyUmUyT6noQ3dUB",
        "truenas_api_key",
    ),
    (
        "wireguard_key",
        "[Interface]\nPrivateKey = mdOCxeOQxNVCPwanqyfoyGPRLiUtcRZ2PbXpNTVBmRA=",
        "mdOCxeOQxNVCPwanqyfoyGPRLiUtcRZ2PbXpNTVBmRA=",
        "wireguard_key",
    ),
    (
        "kubernetes_bootstrap_token",
        "kubeadm join 10.0.0.5:6443 --token k3x9qa.88ae79e19effe65a",
        "k3x9qa.88ae79e19effe65a",
        "kubernetes_token",
    ),
    (
        "private_key_base64",
        "SIGNING_KEY_B64=LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSULrMQKmy1hnZdAfrTJFI+wLxnue/WotlYnBNa3+33kizA==",
        "LS0tLS1CRUdJTiBFQyBQUklWQVRFIEtFWS0tLS0tCk1IY0NBUUVFSULrMQKmy1hnZdAfrTJFI",
        "private_key",
    ),
    (
        "connection_string_password",
        "Server=sql01.corp.example;Database=Billing;User Id=svc_billing;Password=Hx7!qP2#mw9Z;Encrypt=true",
        "Hx7!qP2#mw9Z",
        "password",
    ),
    (
        "psexec_password",
        r"PsExec64.exe \\build07 -u CORP\deploy -p Gr4nite-Owl-51 cmd /c whoami",
        "Gr4nite-Owl-51",
        "password",
    ),
    (
        "softlayer_api_key",
        'export SOFTLAYER_API_KEY="7d1f0c9be24a6853f1e07b9d3c5a28e46f0b1d7c9e3a5f2b8d4c6e0a1f3b5d79"',
        "7d1f0c9be24a6853f1e07b9d3c5a28e46f0b1d7c9e3a5f2b8d4c6e0a1f3b5d79",
        "softlayer_key",
    ),
    (
        "softlayer_api_key",
        "curl https://api.softlayer.com/rest/v3.1/0e4b7a2d9c1f5e8a3b6d0c4f7e2a9b5d1c8f3e6a0b4d7c2e5f9a1b3d6c8e0f2a/"
        "SoftLayer_Account.json",
        "0e4b7a2d9c1f5e8a3b6d0c4f7e2a9b5d1c8f3e6a0b4d7c2e5f9a1b3d6c8e0f2a",
        "softlayer_key",
    ),
    ("ls_owner", "drwxr-xr-x@ 9 mkowalski  staff  288 May 27 12:00 .", "mkowalski", "user"),
    ("ls_group", "-rw-r--r--  1 jdoe jdoe 4401 May 28 13:14 cliff.toml", " jdoe jdoe", "user"),
    (
        "notion_token",
        "use 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 now",
        "kP2mZ8qR4vX7nB1cF5hJ9tL3wY6sD0gA2eU",
        "notion_token",
    ),
    (
        "flyio_token",
        "fly deploy -t fo1_Zq3xW8vB2nM5kL9pR4tY7uI1oE6aS0dF3gH8jK2lQ5z",
        "Zq3xW8vB2nM5kL9pR4tY7uI1oE6aS0dF3gH8jK2lQ5z",
        "flyio_token",
    ),
    (
        "vault_token",
        "vault login hvs.CAESIKq8Zr4mP2xW9vB3nT7cF1hJ5tL3wY6sD0gA2eU8iO4r",
        "CAESIKq8Zr4mP2xW9vB3nT7cF1hJ5tL3wY6sD0gA2eU8iO4r",
        "vault_token",
    ),
    (
        "telegram_bot_token",
        "bot token 5829301746:AAH4kP2mZ8qR4vX7nB1cF5hJ9tL3wY6sD0g",
        "AAH4kP2mZ8qR4vX7nB1cF5hJ9tL3wY6sD0g",
        "telegram_bot_token",
    ),
    (
        "telegram_bot_token",
        "curl https://api.telegram.org/bot5829301746:AAH4kP2mZ8qR4vX7nB1cF5hJ9tL3wY6sD0g/getMe",
        "AAH4kP2mZ8qR4vX7nB1cF5hJ9tL3wY6sD0g",
        "telegram_bot_token",
    ),
    (
        "discord_bot_token",
        "bot.run('MTE4NzQ2MjkxMDM4NDc1MjY0OA.GkP2mZ.8qR4vX7nB1cF5hJ9tL3wY6sD0gA2eU8iO4rT7')",
        "8qR4vX7nB1cF5hJ9tL3wY6sD0gA2eU8iO4rT7",
        "discord_bot_token",
    ),
    (
        "azure_ad_client_secret",
        "client_secret Xk48Q~aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3w",
        "aB3cD5eF7gH9iJ1kL3mN5oP7qR9sT1uV3w",
        "azure_client_secret",
    ),
    (
        "teams_webhook",
        "curl -d @card.json https://contoso.webhook.office.com/webhookb2/8f3a2c1e-4b5d-4e6f-9a8b-7c6d5e4f3a2b"
        "@1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d/IncomingWebhook/9f8e7d6c5b4a39281706f5e4d3c2b1a0/"
        "2b3c4d5e-6f7a-4b9c-8d1e-2f3a4b5c6d7e",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        "microsoft_teams_webhook",
    ),
    (
        "teams_webhook",
        'TEAMS_URL: "https://outlook.office.com/webhook/5c7e1f3a-2b4d-4c6e-8f0a-1b3c5d7e9f2a'
        "@6d8f0a2c-3e5b-4d7f-9a1c-2e4f6a8c0b3d/IncomingWebhook/0a1b2c3d4e5f60718293a4b5c6d7e8f9/"
        '7e9a1c3e-5b7d-4f9b-8c2e-4a6c8e0b2d5f"',
        "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "microsoft_teams_webhook",
    ),
    # config_formats.py
    ("env_file_password", "# staging\nexport SMTP_RELAY_PASSWORD=marmalade42\n", "marmalade42", "password"),
    ("env_file_password", "APP_DB_PASS=quiltedpenguin", "quiltedpenguin", "password"),
    ("shell_default_secret", "DB_PASS=${POSTGRES_PASSWORD:-quilted9penguin} psql", "quilted9penguin", "secret"),
    ("shell_default_secret", "token: ${API_TOKEN:=9f8a7b6c5d4e3f2a}", "9f8a7b6c5d4e3f2a", "secret"),
    (
        "appsettings_secret",
        '<appSettings>\n  <add key="MailerPassword" value="Tr0mb0ne&amp;Tuba"/>\n</appSettings>',
        "Tr0mb0ne&amp;Tuba",
        "password",
    ),
    (
        "password_phrase",
        "credentials {\n  username 'deploy'\n  password 'copper-kettle-9'\n}",
        "copper-kettle-9",
        "password",
    ),
    (
        "password_phrase",
        'The router\'s admin password is "velvet7hammer" until you change it.',
        "velvet7hammer",
        "password",
    ),
    (
        "vault_legacy_token",
        "VAULT_TOKEN s.CAESIJx0mQ7rT2vW9yZ4bC6eF8hK1nP3sU5xA7dG0jM2qV4tY6wB9eH1kN3pR5uX7zC0fI2lO4rT6vW8yA1dF3gJ5m",
        "CAESIJx0mQ7rT2vW9yZ4bC6eF8hK1nP3sU5xA7dG0jM2qV4tY6wB9eH1kN3pR5uX7zC0fI2lO4rT6vW8yA1dF3gJ5m",
        "vault_token",
    ),
    (
        "thingsboard_device_token",
        "curl -X POST -d @t.json https://iot.example.org/api/v1/Qm7Zr2Xk9Lp4Tv8Nw3Hs/telemetry",
        "Qm7Zr2Xk9Lp4Tv8Nw3Hs",
        "secret",
    ),
    (
        "terraform_variable_default",
        'variable "grafana_api_token" {\n  type    = string\n  default = "glc_R4nd0mV4lu3Xq9Zt2Wm7Kp"\n}',
        "glc_R4nd0mV4lu3Xq9Zt2Wm7Kp",
        "secret",
    ),
    (
        "azure_identifier",
        "ARM_TENANT_ID=72f988bf-86f1-41af-91ab-2d7cd011db47",
        "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "azure_id",
    ),
    (
        "secret_assignment",
        'azure_devops_pat = "k3v9q2xw7m4r8t1y6u0p5z3n2b7c4d9f8g1h6j0k5l2s7a4e3w"',
        "k3v9q2xw7m4r8t1y6u0p5z3n2b7c4d9f8g1h6j0k5l2s7a4e3w",
        "secret",
    ),
    # config files an agent cats: a YAML line, a name/value pair, .npmrc, a properties line
    ("yaml_password", "database:\n  host: db\n  password: marmalade  # prod\n", "marmalade", "password"),
    (
        "name_value_password_yaml",
        "env:\n  - name: POSTGRES_PASSWORD\n    value: marmalade\n",
        "marmalade",
        "password",
    ),
    (
        "name_value_password_json",
        '"environment": [{"name": "DB_PASSWORD", "value": "marmalade7"}]',
        "marmalade7",
        "password",
    ),
    ("name_value_password_xml", "<key>smtp_pass</key>\n  <value>marmalade7</value>", "marmalade7", "password"),
    (
        "npmrc_auth",
        "//npm.corp.example/:_authToken=3f2b8c1e-9d4a-4e6b-a7c5-2f1e0d9c8b7a",
        "3f2b8c1e-9d4a-4e6b-a7c5-2f1e0d9c8b7a",
        "secret",
    ),
    ("properties_key", "app.signing.key=Qm9vN3RyYXBLZXkxOTk4WnpQ\n", "Qm9vN3RyYXBLZXkxOTk4WnpQ", "secret"),
    # code that names the setting its literal fills (wp-config.php, env lookups with a fallback)
    ("define_password", "define( 'DB_PASSWORD', 'marmalade7' );", "marmalade7", "password"),
    ("define_password", 'define("static_password02", "marmalade7", true);', "marmalade7", "password"),
    # shells' histories and fish; code that hands a setting its literal
    (
        "env_file_password",
        "  501  export DB_PASS=marmalade\n: 1733480000:0;export ADMIN_PASSWORD=marmalade\n",
        "marmalade",
        "password",
    ),
    ("fish_set_secret", "set -gx DB_PASSWORD marmalade7\n", "marmalade7", "password"),
    ("go_mysql_dsn_password", 'dsn := "app:marmalade7@tcp(db:3306)/app?parseTime=true"', "marmalade7", "password"),
    ("setter_password", 'props.setProperty("password", "marmalade7");', "marmalade7", "password"),
    ("setter_secret", 'os.Setenv("API_TOKEN", "Qm9vN3RyYXBLZXkxOTk4WnpQ")', "Qm9vN3RyYXBLZXkxOTk4WnpQ", "secret"),
    ("subscript_password", 'os.environ["DB_PASSWORD"] = "marmalade7"', "marmalade7", "password"),
    ("subscript_secret", "ENV['API_TOKEN'] = 'Qm9vN3RyYXBLZXkxOTk4WnpQ'", "Qm9vN3RyYXBLZXkxOTk4WnpQ", "secret"),
    # C#'s dict.Add, a collection initializer's pair, a test's check of a setting read back
    (
        "setter_secret",
        'conn.Add("AccountKey", "Wm9vN3RyYXBLZXkxOTk4WnpQ+4h/T2c=");',
        "Wm9vN3RyYXBLZXkxOTk4WnpQ+4h/T2c=",
        "secret",
    ),
    ("pair_secret", '{ "ApiKey", "Qm9vN3RyYXBLZXkxOTk4WnpQ" },', "Qm9vN3RyYXBLZXkxOTk4WnpQ", "secret"),
    ("pair_password", '{"DbPassword", "marmalade7"}', "marmalade7", "password"),
    (
        "checked_subscript_secret",
        "assert.equal(parsed['AccountKey'], 'Qm9vN3RyYXBLZXkxOTk4WnpQ');",
        "Qm9vN3RyYXBLZXkxOTk4WnpQ",
        "secret",
    ),
    ("checked_subscript_password", 'self.assertEqual(cfg["password"], "marmalade7")', "marmalade7", "password"),
    (
        "secret_assignment",
        "production:\n  secret_key_base: 9f8e7d6c5b4a39281706f5e4d3c2b1a0c9d8e7f6a5b4c3d2\n",
        "9f8e7d6c5b4a39281706f5e4d3c2b1a0c9d8e7f6a5b4c3d2",
        "secret",
    ),
    # a command's key/value rows: vault read (padded), railway variables (drawn)
    (
        "key_value_row_password",
        "Key         Value\n---         -----\npassword    marmalade7\n",
        "marmalade7",
        "password",
    ),
    (
        "key_value_row_secret",
        "║ OPENAI_API_KEY    │ Qm9vN3RyYXBLZXkxOTk4WnpQ ║\n",
        "Qm9vN3RyYXBLZXkxOTk4WnpQ",
        "secret",
    ),
    ("password_short_key_line", "[remote]\ntype = sftp\npass = nhcrlYdFpRm9m8s1\n", "nhcrlYdFpRm9m8s1", "password"),
    (
        "package_manager_user_password",
        'BUNDLE_GEMS__CONTRIBSYS__COM: "a1b2c3d4:Vq7rT2mK9xLp4ZsW8nB3"',
        "Vq7rT2mK9xLp4ZsW8nB3",
        "password",
    ),
    (
        "query_password",
        "jdbc:mysql://db/app?user=app&amp;userpass=marmalade",
        "marmalade",
        "password",
    ),
    (
        "define_secret",
        "define('SECURE_AUTH_KEY', 'Zp9#qL2@vX7!mK4$rT8^wN1&');",
        "Zp9#qL2@vX7!mK4$rT8^wN1&",
        "secret",
    ),
    ("env_default_password", 'os.getenv("DB_PASSWORD", "marmalade7")', "marmalade7", "password"),
    ("env_default_password", 'os.environ.get("pwd", "marmalade7")', "marmalade7", "password"),
    (
        "env_default_secret",
        'env("SECRET_KEY", default="9x#k2m@1l0p7qZr4Tw8v")',
        "9x#k2m@1l0p7qZr4Tw8v",
        "secret",
    ),
    ("js_env_default_password", 'process.env.SMTP_PASSWORD || "marmalade7"', "marmalade7", "password"),
    (
        "js_env_default_secret",
        "process.env.SESSION_SECRET ?? 'Zp9qL2vX7mK4rT8wN1sB'",
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    # a Google app password as Google shows it, in Django's settings, an env file and YAML
    ("app_password_spaced", "EMAIL_HOST_PASSWORD = 'qzvt hnwr kpfy xbcd'", "qzvt hnwr kpfy xbcd", "password"),
    ("app_password_spaced", 'GMAIL_APP_PASSWORD="qzvt hnwr kpfy xbcd"', "qzvt hnwr kpfy xbcd", "password"),
    ("app_password_spaced", "smtp:\n  smtp_password: qzvt hnwr kpfy xbcd\n", "qzvt hnwr kpfy xbcd", "password"),
    # a Python bytes or raw string (Flask's app.secret_key = b'...')
    ("secret_assignment", "app.secret_key = b'Zp9qL2vX7mK4rT8wN1sB'", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("password_quoted", "password = rb'tangerine\\Otter-42'", "tangerine", "password"),
    # a name field that says token, secret or key, and the value field beside it
    (
        "name_value_secret_yaml",
        'env:\n  - name: API_TOKEN\n    value: "Zp9qL2vX7mK4rT8wN1sB"\n',
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    (
        "name_value_secret_json",
        '{"name": "STRIPE_SECRET", "value": "Zp9qL2vX7mK4rT8wN1sB"}',
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    # .NET appSettings and Java's properties XML
    ("xml_attribute_secret", '<add key="ApiKey" value="Zp9qL2vX7mK4rT8wN1sB" />', "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("xml_attribute_password", '<add key="SmtpPassword" value="tangerine-Otter-42"/>', "Otter-42", "password"),
    ("xml_attribute_password", '<entry key="db.password">tangerine-Otter-42</entry>', "Otter-42", "password"),
    # the password by position in a connect call
    (
        "connect_call_password",
        '$db = new mysqli("localhost", "root", "tangerine-Otter-42", "shop");',
        "Otter-42",
        "password",
    ),
    ("connect_call_password", "$pdo = new PDO($dsn, 'root', 'tangerine-Otter-42');", "Otter-42", "password"),
    ("connect_call_password", 'pymysql.connect("db", "app", "tangerine-Otter-42", "shop")', "Otter-42", "password"),
    # an agent's Markdown reply: a setting and its value in backticks, a label in bold, a table
    # row's value in backticks, a new key alone in a code block below its label
    ("markdown_setting_password", "Set `DB_PASSWORD` to `tangerine-Otter-42` in .env", "Otter-42", "password"),
    ("markdown_setting_secret", "`STRIPE_SECRET`: `Zp9qL2vX7mK4rT8wN1sB`", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("password_in_prose_quoted", "- **Password**: `tangerine-Otter-42`", "Otter-42", "password"),
    ("password_in_prose_quoted", "**Password:** `tangerine-Otter-42`", "Otter-42", "password"),
    ("secret_in_prose", "**API Key:** `Zp9qL2vX7mK4rT8wN1sB`", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("secret_in_prose", "use the token `Zp9qL2vX7mK4rT8wN1sB` below", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("password_in_prose", "I've reset the admin password to Otter-42x.", "Otter-42x", "password"),
    ("password_in_prose", "The new password for root is Otter-42x now", "Otter-42x", "password"),
    ("password_in_prose", "Done: the password was reset to: Tmp-5521-Kx", "Tmp-5521-Kx", "password"),
    ("key_value_row_password", "| User | admin |\n| Password | `tangerine-Otter-42` |", "Otter-42", "password"),
    ("key_value_row_secret", "| API Key | `Zp9qL2vX7mK4rT8wN1sB` |", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("secret_in_prose", "INFO: Using token Zp9qL2vX7mK4rT8wN1sBq4 for the upload", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    # a provider's lower-case prefix before random hex: no code name of words
    (
        "secret_in_prose",
        "[DEBUG] Using token spx-9c2e71b04d8a5f3e6b1d0a7c4e2f8b95",
        "spx-9c2e71b04d8a5f3e6b1d0a7c4e2f8b95",
        "secret",
    ),
    # what a tool says before the value it shows; a password for someone, after a colon
    ("secret_in_prose", "Your API key is: Zp9qL2vX7mK4rT8wN1sB", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("secret_in_prose", "Access token created: Zp9qL2vX7mK4rT8wN1sB", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("secret_in_prose", "Token regenerated: Zp9qL2vX7mK4rT8wN1sB", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("credential_pair_in_prose", "Login with admin / Tr0ub4dor-x9 at the console", "Tr0ub4dor-x9", "password"),
    ("credential_pair_in_prose", "The default credentials are admin:Tr0ub4dor-x9.", "Tr0ub4dor-x9", "password"),
    ("credential_pair_in_prose_quoted", "You can log in as `admin` with `marmalade`", "marmalade", "password"),
    ("pass_after_user", "user: admin  pass: marmalade", "marmalade", "password"),
    ("pass_after_user", "login=bob, pwd=tangerine-Otter", "tangerine-Otter", "password"),
    ("pass_after_user", "login: admin / pass: Sup3rS3cret!", "Sup3rS3cret!", "password"),
    ("pass_after_user", "user=bob | pwd=tangerine-Otter", "tangerine-Otter", "password"),
    ("html_password_input", '<input type="password" name="pwd" value="Otter-42x">', "Otter-42x", "password"),
    ("html_password_input", "<INPUT value='Otter-42x' TYPE=password>", "Otter-42x", "password"),
    ("env_file_password", "SSHPASS=tangerine-Otter sshpass -e ssh deploy@host", "tangerine-Otter", "password"),
    (
        "secret_after_mention",
        "Copy this token now, you won't see it again: Zp9qL2vX7mK4rT8wN1sB",
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    (
        "secret_after_mention",
        "Your new personal access token (copy it now): Zp9qL2vX7mK4rT8wN1sBq",
        "Zp9qL2vX7mK4rT8wN1sBq",
        "secret",
    ),
    ("password_in_prose", "New password for admin: Otter-42x", "Otter-42x", "password"),
    ("secret_assignment", 'export BW_SESSION="Zp9qL2vX7mK4rT8wN1sB/q4=="', "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("op_session_token", 'export OP_SESSION_my="Zp9qL2vX7mK4rT8wN1sBq4xY"', "Zp9qL2vX7mK4rT8wN1sBq4xY", "secret"),
    ("name_before_address", "Author: Mira Okafor <mira.okafor@corp-mail.io>", "Mira Okafor", "name"),
    ("git_user_name", 'git config --global user.name "Mira Okafor"', "Mira Okafor", "name"),
    ("browser_password_field", "await page.fill('#password', 'tangerine-otter')", "tangerine-otter", "password"),
    (
        "cli_secret",
        "modal token set --token-id ak-1 --token-secret as-Zp9qL2vX7mK4rT8wN1sB",
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    ("cli_secret", "netlify deploy --prod --auth Zp9qL2vX7mK4rT8wN1sB", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("cli_secret", "sudo tailscale up --authkey Zp9qL2vX7mK4rT8wN1sB --ssh", "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    (
        "mcp_password_field",
        '{"element": "Password field", "ref": "e12", "text": "tangerine-otter"}',
        "tangerine-otter",
        "password",
    ),
    (
        "android_string_secret",
        '<string name="maps_api_key" translatable="false">Zp9qL2vX7mK4rT8wN1sB</string>',
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    ("android_string_password", '<string name="db_password">tangerine-otter</string>', "tangerine-otter", "password"),
    (
        "or_default_secret",
        'API_KEY = os.environ.get("API_KEY") or "Zp9qL2vX7mK4rT8wN1sB"',
        "Zp9qL2vX7mK4rT8wN1sB",
        "secret",
    ),
    ("or_default_password", 'pw = ENV["DB_PASSWORD"] || "tangerine-otter"', "tangerine-otter", "password"),
    ("subscript_secret", 'ENV["GITHUB_TOKEN"] ||= "Zp9qL2vX7mK4rT8wN1sB"', "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    ("secret_assignment", 'apiToken ??= "Zp9qL2vX7mK4rT8wN1sB"', "Zp9qL2vX7mK4rT8wN1sB", "secret"),
    # a login name a shell shows without a home path
    ("prompt_user", "(venv) alicejones@MacBook-Pro src % git status", "alicejones", "user"),
    ("prompt_user", "[alicejones@fedora src]$ make", "alicejones", "user"),
    ("id_output_user", "$ id\nuid=1000(alicejones) gid=1000(staff)", "alicejones", "user"),
    ("whoami_user", "$ whoami\nalicejones\n$ ", "alicejones", "user"),
    ("login_variable_user", "HOME=/tmp\nLOGNAME=alicejones\n", "alicejones", "user"),
    ("tilde_user", "scp ~alicejones/.vimrc host:", "alicejones", "user"),
    ("wsl_home_user", "cd /mnt/c/Users/alicejones/Desktop", "alicejones", "user"),
    (
        "cli_key",
        "npx -y @smithery/cli run @acme/search --key Zp9qL2vX7mK4rT8wN1sBq4",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    # a credential in another query parameter: a signed URL's signature, a session id
    (
        "query_credential",
        "[Download](https://files.x.io/f.zip?signature=Zp9qL2vX7mK4rT8wN1sBq4Zp9&expires=1700000000)",
        "Zp9qL2vX7mK4rT8wN1sBq4Zp9",
        "secret",
    ),
    (
        "query_credential",
        "GET /app?session_id=Zp9qL2vX7mK4rT8wN1sBq4Zp9 HTTP/1.1",
        "Zp9qL2vX7mK4rT8wN1sBq4Zp9",
        "secret",
    ),
    # a Telegram bot token as BotFather's own example writes it, in a Bot API URL
    (
        "telegram_bot_token",
        "curl https://api.telegram.org/bot110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        "telegram_bot_token",
    ),
    # a code-like word where the key says the file is config
    (
        "config_key_password",
        "services:\n  db:\n    environment:\n      MYSQL_PASSWORD: MySQLPassword\n",
        "MySQLPassword",
        "password",
    ),
    ("config_key_password", "spring.datasource.password=SQLSpringPassword\n", "SQLSpringPassword", "password"),
    # a US Social Security number after its name
    ("ssn", "Applicant SSN: 536-22-1234, DOB on file", "536-22-1234", "ssn"),
    ("ssn", '{"social_security_number": "219-09-9998"}', "219-09-9998", "ssn"),
    # a typed declaration (TypeScript, Kotlin, Swift, Rust, Go) and C's #define
    ("typed_binding_secret", 'const apiKey: string = "Zp9qL2vX7mK4rT8wN1sBq4";', "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("typed_binding_secret", 'const API_KEY: &str = "Zp9qL2vX7mK4rT8wN1sBq4";', "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("typed_binding_password", 'val password: String = "tangerine-Otter-42"', "Otter-42", "password"),
    ("typed_binding_password", 'var dbPassword string = "tangerine-Otter-42"', "Otter-42", "password"),
    ("typed_binding_password", '#define DB_PASSWORD "tangerine-Otter-42"', "Otter-42", "password"),
    # C++'s brace initialization: std::string apiKey{"..."}
    ("secret_assignment", 'std::string apiKey{"Zp9qL2vX7mK4rT8wN1sBq4"};', "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("password_quoted", 'const std::string password{ "tangerine-Otter-42" };', "Otter-42", "password"),
    # Ruby's set :name, "value"; R's <-
    ("ruby_set_password", 'set :password, "tangerine-Otter-42"', "Otter-42", "password"),
    ("ruby_set_secret", "set :session_secret, 'Zp9qL2vX7mK4rT8wN1sBq4'", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("password_quoted", 'password <- "tangerine-Otter-42"', "Otter-42", "password"),
    # a method named for what it takes
    (
        "method_password",
        'DataSourceBuilder.create().username("sa").password("tangerine-Otter-42").build()',
        "Otter-42",
        "password",
    ),
    ("method_password", 'new PostgreSQLContainer("pg").withPassword("tangerine-Otter-42")', "Otter-42", "password"),
    ("method_password", 'client.get(u).basic_auth("admin", Some("tangerine-Otter-42"))', "Otter-42", "password"),
    (
        "method_secret",
        'OpenAIClient.builder().apiKey("Zp9qL2vX7mK4rT8wN1sBq4").build()',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("method_secret", 'req.bearer_auth("Zp9qL2vX7mK4rT8wN1sBq4")', "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("cli_password", "mysqldump -uroot -p'tangerine-Otter-42' app > dump.sql", "Otter-42", "password"),
    # terraform plan's new value after the arrow
    ("terraform_changed_password", '  ~ master_password = "old-Pw-1" -> "tangerine-Otter-42"', "Otter-42", "password"),
    # a presigned URL's signature (S3 V4, CloudFront)
    (
        "presigned_url_signature",
        "https://b.s3.amazonaws.com/f?X-Amz-Expires=600&X-Amz-Signature=7a4a8eda84a4afcd252809e325a5ab8baaba3de92a632061c7239f997926db1a",
        "7a4a8eda84a4afcd252809e325a5ab8baaba3de92a632061c7239f997926db1a",
        "secret",
    ),
    (
        "presigned_url_signature",
        "https://d1.cloudfront.net/a.jpg?Expires=1700000000&Signature=Zp9qL2vX7mK4rT8wN1sBq4Zp9qL2vX7mK4rT8wN1sB~&Key-Pair-Id=K2JCJ",
        "Zp9qL2vX7mK4rT8wN1sBq4Zp9qL2vX7mK4rT8wN1sB~",
        "secret",
    ),
    (
        "secret_below_label",
        "Here's your new API token:\n\n```\nZp9qL2vX7mK4rT8wN1sBq4\n```\n",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    # what users type into a prompt: short words, other languages, creds, an arrow or a dash
    ("short_password_in_prose", "ssh in as root, the admin pass is Tr0ub4dor&3", "Tr0ub4dor&3", "password"),
    ("short_password_in_prose", "mysql root pw: Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("short_password_in_prose", "the pw for the db is Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("password_in_prose", "SSH password for root@10.0.0.5 is Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("password_in_prose", "admin password -> Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("env_name_in_prose", "`STRIPE_KEY` is now `Zp9qL2vX7mK4rT8wN1sBq4`.", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("password_in_other_languages", "Benutzer: admin, Passwort: Tr0ub4dor9", "Tr0ub4dor9", "password"),
    ("password_in_other_languages", "ユーザー名：admin\nパスワード：Tr0ub4dor9", "Tr0ub4dor9", "password"),
    ("credential_pair_in_prose", "DB creds: app / Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("secret_in_prose", "Bot token - Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("secret_in_prose", "API secret -> Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("key_in_prose", "here's my openai key Zp9qL2vX7mK4rT8wN1sBq4, use it", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("key_in_prose", "Can you add this key to the env: Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    # an Authorization value with no scheme word; an LDAP config's bind password; Java's
    # getOrDefault and a password given as "...".toCharArray()
    (
        "authorization_raw",
        '"headers": {"Authorization": "Zp9qL2vX7mK4rT8wN1sBq4"}',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "bearer_token",
    ),
    ("ldap_bind_password", "binddn cn=nslcd,dc=corp,dc=io\nbindpw Tr0ub4dor&3\n", "Tr0ub4dor&3", "password"),
    ("ldap_bind_password", "olcRootPW: tangerine-Otter-42", "Otter-42", "password"),
    (
        "env_default_secret",
        'String t = System.getenv().getOrDefault("API_TOKEN", "Zp9qL2vX7mK4rT8wN1sBq4");',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("login_call_arg2", 'new PasswordAuthentication("bob", "Tr0ub4dor&3".toCharArray())', "Tr0ub4dor&3", "password"),
    ("login_call_arg2", 'req.SetBasicAuth("bob", "Tr0ub4dor&3")', "Tr0ub4dor&3", "password"),
    (
        "password_phrase",
        'signingConfigs {\n  release {\n    storePassword "Tr0ub4dor&3"\n    keyAlias "upload"',
        "Tr0ub4dor&3",
        "password",
    ),
    # an app password (Google's groups of four letters, Apple's with dashes) where it is named
    (
        "app_password",
        "sent from bob@gmail.com with app password qwsd fhtr yuop zxcv",
        "qwsd fhtr yuop zxcv",
        "password",
    ),
    ("app_password", "Your app password for your device\nqwsd fhtr yuop zxcv\n", "qwsd fhtr yuop zxcv", "password"),
    ("app_password_spaced", "SMTP_PASSWORD=qwsd-fhtr-yuop-zxcv", "qwsd-fhtr-yuop-zxcv", "password"),
    ("app_password", "App-specific password: qwsd-fhtr-yuop-zxcv", "qwsd-fhtr-yuop-zxcv", "password"),
    ("auth_tuple", "DEBUG Using credentials: ('bob', 'Tr0ub4dor&3')", "Tr0ub4dor&3", "password"),
    # a password or a key said in another language
    ("password_said_in_other_languages", "mi contraseña es Tr0ub4dor&3", "Tr0ub4dor&3", "password"),
    ("password_said_in_other_languages", "mein Passwort ist Tr0ub4dor-x9.", "Tr0ub4dor-x9", "password"),
    ("password_said_in_other_languages", "la password è Tr0ub4dor-x9", "Tr0ub4dor-x9", "password"),
    ("password_said_in_other_languages", "我的密码是Tr0ub4dor3xyz，谢谢", "Tr0ub4dor3xyz", "password"),
    ("password_said_in_other_languages", "パスワードはTr0ub4dor3xyzです", "Tr0ub4dor3xyz", "password"),
    ("password_said_in_other_languages", "мой пароль Tr0ub4dor3xyz", "Tr0ub4dor3xyz", "password"),
    ("key_said_in_other_languages", "la clave de API es Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("key_said_in_other_languages", "APIキーはZp9qL2vX7mK4rT8wN1sBq4です", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("key_said_in_other_languages", "токен: Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    (
        "login_call_arg3",
        'my $dbh = DBI->connect("dbi:Pg:dbname=app", "bob", "Tr0ub4dor&3");',
        "Tr0ub4dor&3",
        "password",
    ),
    ("cdk_plaintext_secret", "password: SecretValue.unsafePlainText('Tr0ub4dor&3'),", "Tr0ub4dor&3", "password"),
    ("stdin_password", 'echo "Tr0ub4dor&3" | passwd --stdin bob', "Tr0ub4dor&3", "password"),
    (
        "name_value_secret_xml",
        "<dict>\n\t<key>APIKey</key>\n\t<string>Zp9qL2vX7mK4rT8wN1sBq4</string>",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("name_value_password_xml", "<key>SMTPPassword</key>\n<string>Tr0ub4dor&3</string>", "Tr0ub4dor&3", "password"),
    (
        "gradle_field_secret",
        'buildConfigField "String", "API_KEY", "\\"Zp9qL2vX7mK4rT8wN1sBq4\\""',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    (
        "gradle_field_secret",
        "buildConfigField 'String', 'MAPS_KEY', '\"Zp9qL2vX7mK4rT8wN1sBq4\"'",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    (
        "gradle_field_password",
        'buildConfigField("String", "DB_PASSWORD", "\\"Tr0ub4dor&3\\"")',
        "Tr0ub4dor&3",
        "password",
    ),
    ("secret_before_its_name", "I've put Zp9qL2vX7mK4rT8wN1sBq4 in as the API key", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("secret_before_its_name", "use `Zp9qL2vX7mK4rT8wN1sBq4` as the token", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("password_before_its_name", "try Tr0ub4dor&3 as the password", "Tr0ub4dor&3", "password"),
    ("login_call_arg2", 'rs.initiate(); db.auth("admin", "Tr0ub4dor&3")', "Tr0ub4dor&3", "password"),
    # a class's typed field: no keyword before the name
    (
        "typed_binding_password",
        'class Settings(BaseSettings):\n    db_password: str = "Tr0ub4dor&3"',
        "Tr0ub4dor&3",
        "password",
    ),
    (
        "typed_binding_secret",
        '  private apiKey: string = "Zp9qL2vX7mK4rT8wN1sBq4";',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("typed_binding_secret", 'API_TOKEN: Final = "Zp9qL2vX7mK4rT8wN1sBq4"', "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    # a value an INSERT's column list names a password or a token (a seed script, psql -c, sqlite3)
    (
        "sql_insert_password",
        "sqlite> INSERT INTO users (email, password) VALUES ('mira@corp-mail.io', 'Tr0ub4dor&3');",
        "Tr0ub4dor&3",
        "password",
    ),
    (
        "sql_insert_secret",
        "INSERT INTO \"api_keys\" (\"name\", \"key\")\nVALUES\n  ('ci', 'Zp9qL2vX7mK4rT8wN1sBq4'),\n  ('ro', NULL);",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    # a settings table: the row's name says what its value is (a double-quoted literal too)
    (
        "sql_insert_password",
        'INSERT INTO config(name, value) VALUES ("smtp_password", "Tr0ub4dor&3");',
        "Tr0ub4dor&3",
        "password",
    ),
    (
        "sql_insert_secret",
        "INSERT INTO settings (key, value) VALUES ('site_name', 'Acme'), ('stripe_api_key', 'Zp9qL2vX7mK4rT8wN1sBq4');",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    (
        "sql_insert_secret",
        "UPDATE settings SET value = 'Zp9qL2vX7mK4rT8wN1sBq4', updated_at = now() WHERE key = 'api_token';",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    # a JavaScript object's name/value pair (a MongoDB shell), a YAML value tagged !!str
    (
        "name_value_secret_json",
        'db.settings.insertOne({ key: "api_token", value: "Zp9qL2vX7mK4rT8wN1sBq4" })',
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("name_value_password_json", "{ key: 'smtp_password', value: 'Tr0ub4dor&3' }", "Tr0ub4dor&3", "password"),
    ("yaml_password", "db:\n  password: !!str 0123456789\n", "0123456789", "password"),
    # an environment variable's name, then its value with no = or colon
    ("env_name_in_prose", "set OPENAI_API_KEY to Zp9qL2vX7mK4rT8wN1sBq4 please", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    (
        "env_name_in_prose",
        "NAME             DIGEST\nSECRET_KEY_BASE Zp9qL2vX7mK4rT8wN1sBq4",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("env_name_in_prose", "ENV STRIPE_SECRET `Zp9qL2vX7mK4rT8wN1sBq4`", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("env_name_in_prose", "The env var is set to Zp9qL2vX7mK4rT8wN1sBq4", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    ("env_name_password_in_prose", "POSTGRES_PASSWORD is now Tr0ub4dor-x9.", "Tr0ub4dor-x9", "password"),
    ("redis_password", "127.0.0.1:6379> AUTH default Tr0ub4dor&3", "Tr0ub4dor&3", "password"),
    # an INI, TOML or YAML line under a bare key (rclone's B2 remote), spaced or after a colon
    (
        "ini_key",
        "[b2remote]\ntype = b2\naccount = 0012ab\nkey = K001Zp9qL2vX7mK4rT8wN1sBq4\n",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
    ("ini_key", "credentials:\n  key: Zp9qL2vX7mK4rT8wN1sBq4\n", "Zp9qL2vX7mK4rT8wN1sBq4", "secret"),
    # a setter called bare or in snake case (Django's user.set_password), a password with an
    # ampersand in a sentence, a compound key word before a bare value
    ("method_password", "u = User(username='bob'); u.set_password('Tr0ub4dor&3')", "Tr0ub4dor&3", "password"),
    ("method_password", 'setPassword("tangerine-Otter-42");', "Otter-42", "password"),
    ("password_in_prose", "The new password is Tr0ub4dor&3xyz.", "Tr0ub4dor&3xyz", "password"),
    (
        "secret_in_prose",
        "rclone config create s3 s3 access_key_id AKIA0 secret_access_key Zp9qL2vX7mK4rT8wN1sBq4",
        "Zp9qL2vX7mK4rT8wN1sBq4",
        "secret",
    ),
]

# (detector that must stay quiet, text)
NEAR_MISSES = [
    # braces that open no string: a struct literal, a format string, a block
    (
        "secret_assignment",
        'auto t = Token{name};\nprintf("token{%s}", x);\nif (api_key) {\n  use(api_key);\n}\n'
        "auto creds = Credentials{user, password};\n",
    ),
    # a bare key's lookup words, ids, digests, names, references and paths
    (
        "ini_key",
        "sort_key = Zp9qL2vX7mK4rT8wN1sBq4\nkey: 3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d\n"
        "key = 123e4567-e89b-12d3-a456-426614174000\n  key: node-role.kubernetes.io/control-plane\n"
        "      key: ${{ runner.os }}-pip-${{ hashFiles('requirements.txt') }}\nkey: PositionalIndexer2D\n"
        "key = value\n  key: tls.crt\nkey: v1-deps-abc123def456ghi789\n    l2_key = accessor_info.l2_key\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n",
    ),
    ("method_password", "def set_password(self, raw_password):\n    self.setPassword(raw_password)"),
    (
        "authorization_raw",
        "Authorization: required\nauthorization: self.get_authorization_header()\n"
        'headers["Authorization"] = build_authorization_value(token)\nAuthorization: Bearer abc',
    ),
    ("ldap_bind_password", "# bindpw is the password for binddn\nrootpw $ROOTPW\nbindpw\n"),
    (
        "short_password_in_prose",
        "--- PASS: TestLogin2 (0.00s)\nPASS: test_auth_v2\npwd: /home/user2/proj\nthe first pass is v2.0.1\n"
        "the second pass of the optimizer was 2x faster\nthe pass for build.gradle is v2.0.1\n"
        "pw: str\nthe second pass was faster\nPass: 12 of 12",
    ),
    (
        "key_in_prose",
        "the primary key is customer_id_2024_v2\nThe key was generated with ssh-keygen\n"
        "the cache key: v1-Linux-node-modules-3f2a9c1d\nYour key 3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d\n"
        "the key: 123e4567-e89b-12d3-a456-426614174000\nThe key insight is that tokens_per_second_total matters",
    ),
    (
        "password_in_other_languages",
        '"password": "Passwort"\nPasswort: vergessen?\nmsgstr "Passwort:"\nパスワード：********\nHasło: wymagane',
    ),
    # no column list, a password column's function call or NULL, a key column's plain word
    (
        "sql_insert_password",
        "INSERT INTO users VALUES (1, 'bob', 'hunter2');\n"
        "INSERT INTO users (email, password) VALUES ('a@b.io', crypt('x', gen_salt('bf'))), ('c@d.io', NULL);\n"
        "INSERT INTO t (id, pass) VALUES (1, 'yes');",
    ),
    (
        "sql_insert_secret",
        "INSERT INTO api_keys (name, key, token_count) VALUES ('ci', 'read-only', '42');\n"
        "INSERT INTO settings (key, value) VALUES ('theme', 'Zp9qL2vX7mK4rT8wN1sBq4'), ('sort_key', 'created_at');\n"
        "UPDATE settings SET value = 'true' WHERE key = 'feature_key';\n"
        "update the file and set the value = 'Zp9qL2vX7mK4rT8wN1sBq4' where key = 'api_key'",
    ),
    ("sql_insert_password", "INSERT INTO t (name, value) VALUES ('db_password', NULL), ('db_password', '');"),
    (
        "typed_binding_secret",
        'class C:\n    api_key: str = "OPENAI_API_KEY"\n    token: str = "Bearer"\n    key: str = ""\n'
        'x = {"token": token_type, key: str = 1}',
    ),
    ("typed_binding_password", 'class C:\n    password: str = ""\n    password_field: str = "password"\n'),
    (
        "app_password",
        "the password: when does this work\napp password xxxx xxxx xxxx xxxx\n"
        "Create an app password, then sign into your mail\npassword: qwsd fhtr yuop zxcv",
    ),
    (
        "password_said_in_other_languages",
        "Passwort vergessen? Kennwort zurücksetzen v2\nDas Passwort ist erforderlich\n"
        "密码是必需的，请输入8位以上的密码\n"
        "パスワードは8文字以上にしてください\nla password è obbligatoria\nпароль должен содержать цифры\n"
        "비밀번호는 8자 이상이어야 합니다\ncontraseña: ********\n"
        # (translations of programs' messages: the word, then the sentence's next word)
        "Sie haben kein Passwort eingegeben!%0AEine leeres Passwort ist\nfrases contraseña PKCS#12\n"
        "Liian pitkä käyttäjänimi tai salasana SOCKSv5-yhteyskäytäntöön.",
    ),
    (
        "key_said_in_other_languages",
        "el token es válido por 3600 segundos\nDer API-Key ist in der Datei config.py gespeichert\n"
        "Schlüssel: sha256:3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d",
    ),
    (
        "name_value_secret_xml",
        "<key>NSAppTransportSecurity</key>\n<dict/>\n<key>CFBundleSignatureKey</key>\n<string>com.example.app.widget</string>\n"
        "<key>API_KEY</key><string>$(API_KEY)</string>",
    ),
    ("login_call_arg3", 'sock.connect(("db.example.com", 5432))\nconn = connect(host, "bob", password)'),
    ("cdk_plaintext_secret", "SecretValue.unsafePlainText(props.password)\nSecretValue.secretsManager('db-creds')"),
    (
        "secret_before_its_name",
        "use python3.11 as the interpreter\nUse this as the key: foo\nuse customer_id_2024_v2 as the key\n"
        "add 3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d as the secret",
    ),
    ("password_before_its_name", "use v2.0.1 as the pass\nset password_field as the password\nuse it as the password"),
    (
        "gradle_field_secret",
        'buildConfigField "String", "API_KEY", "\\"${apiKey}\\""\nbuildConfigField "boolean", "USE_TOKEN", "true"\n'
        'buildConfigField "String", "TOKEN_URL", "\\"https://auth.example.com/token\\""',
    ),
    ("gradle_field_password", 'buildConfigField "String", "DB_PASSWORD", "\\"" + dbPassword + "\\""'),
    # names with a year, a count or a version between their words
    (
        "secret_assignment",
        'primary_key: customer_id_2024_v2\nsort_key = "layer_12_weight"\ncache_token: build_v3_linux',
    ),
    (
        "password_phrase",
        '  storePassword System.getenv("KS_PW")\n  x = storePassword "Tr0ub4dor&3"\n  newPassword "New password"',
    ),
    (
        "env_name_in_prose",
        "PRIMARY KEY (customer_id_2024_v2),\nCACHE_KEY 3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d3f2a9c1d\n"
        "TOKEN_COUNT 123456789012345678\nTOKEN_IDENT TokenKind::Ident\nAPI_KEY=Zp9qL2vX7mK4rT8wN1sBq4\n"
        "$API_TOKEN is required\nSECRET_NAME my-app-secret-v2 \nMY_KEY: Zp9qL2vX7mK4rT8wN1sBq4\n"
        "set the environment variable to /usr/local/bin/python3.11\nthe env var is set to production_2024_v2",
    ),
    ("env_name_password_in_prose", "DB_PASSWORD is required\nPGPASSWORD to /home/bob/.pgpass2\nDB_PASSWORD as v2.0.1"),
    (
        "name_value_secret_json",
        'const o = { monkey: "api_token", value: "Zp9qL2vX7mK4rT8wN1sBq4" }\n{ key: "sort_key", value: "created_at" }',
    ),
    ("redis_password", "127.0.0.1:6379> AUTH\n(error) ERR wrong number of arguments for 'auth' command"),
    ("password_in_prose", "the password is abc123&& echo ok"),
    (
        "private_key",
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
    ),
    ("private_key", "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n"),
    ("aws_access_key", "AKIAEXAMPLE is too short, and XAKIAIOSFODNN7EXAMPLE is inside a word"),
    ("aws_secret_key", "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}"),
    ("github_token", "ghp_short and the gho_config variable and github_pat_ alone"),
    # lengths GitLab does not issue: a 20-character trigger token, a 23-character mail token
    (
        "gitlab_token",
        "glpat-short and myglpat-Xy7Zk2Lm9Np4Qr8St3Uv glptt-Qm7Rt2Vx9Kp4Wz8Ln3Bc glimt-Qm7Rt2Vx9Kp4Wz8Ln3Bc5Hj",
    ),
    ("slack_token", "xoxb- and xoxz-1234567890-0987654321 and xoxb-your-bot-token-here"),
    ("slack_webhook", "https://hooks.slack.com/services/"),
    ("openai_key", "pip install sk-learn; task-some-long-kebab-case-identifier-name; sk-your-key-goes-here-please"),
    ("anthropic_key", "sk-ant-... is a placeholder in the docs"),
    # a key without its type and version (api03), one with OpenAI's mark; OpenAI's mark with too
    # little on either side
    (
        "anthropic_key",
        "sk-ant-Qm7Rt2Vx9Kp4Wz8Ln3BcQm7Rt2Vx9Kp4 and sk-ant-abcdefghijklmnopqrstT3BlbkFJabcdefghijklmnopqrst",
    ),
    ("openai_key", "sk-tooshortT3BlbkFJtooshort and sk-proj-Qm7Rt2Vx9T3BlbkFJaB3dE6gH9jK2mN5pQ8sTaB3dE6"),
    ("stripe_key", "sk_test_helper and sk_live_placeholder_value"),
    ("google_api_key", "AIzaShort and the word AIzawhatever"),
    ("huggingface_token", "hf_hub_download(repo_id, filename) and hf_token variable"),
    ("npm_token", "npm_config_cache=/tmp/npm"),
    ("pypi_token", "pypi-simple index and pypi-AgEshort"),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9 alone, and eyJhbGci.notapayload.sig"),
    ("url_password", "https://example.com:8080/path and git@github.com:org/repo.git and http://user@host/"),
    ("url_password", "postgres://app:${DB_PASSWORD}@db:5432/app"),
    ("openai_client_secret", "speak_4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f and ek_0000000000000000000000000000000"),
    ("dockerconfig_data", ".dockerconfigjson: {{ .Values.registry }} and .dockercfg: ${DOCKERCFG}"),
    ("query_key", "?key=uploads/2024/a8f9d0c1.png and ?key=user_profile_settings_v2 and ?key=${API_KEY}"),
    ("query_key", "https://graph.facebook.com/oauth?appId=1234567890123456&appid=weather_station_north_v2"),
    (
        "auth_scheme_credential",
        'Authorization: Signature keyId="x"; the Authorization header carries a scheme; Authorization: Bot $TOKEN',
    ),
    ("composer_host_token", '{"bearer": {"type": "http"}}, "github-oauth": {"github.com": "${GITHUB_TOKEN}"}'),
    (
        "crypto_call_key",  # a variable, a docs word, a words-only key
        'jwt.encode(payload, key, algorithm="HS256"); jwt.encode(p, "secret"); hmac.new(key, msg, "sha256"); '
        "jwt.encode({'a': 1}, 'my-super-secret-key-value'); AES.new(key, AES.MODE_CBC, iv)",
    ),
    (
        "declared_secret_value",
        '{"url": {"sensitive": false, "type": "string", "value": "https://x"}}, '
        '{"Type": "String", "Value": "us-east-1"}, json={"payload": {"data": "something"}}',
    ),
    ("azure_key_list", '{"key1": "value1", "key2": "00000000000000000000000000000000"}, key1 FULL <your key here>'),
    (
        "announced_password",
        'The initial password is stored in /var/x\nlog.info("Generated password for user %s: %s", u, pw)\n'
        "Password for the elastic user (reset with x):\n  <redacted>\nUse the following password:\n\n${PW}",
    ),
    (
        "acl_secret_id",
        "secret_id_accessor    84896a0c-1347-aa90-a4f6-aca8b7558780; AccessorID: 1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901",
    ),
    ("oracle_login_password", "sqlplus / as sysdba; sqlplus app/$APP_PW@db; rman target /"),
    ("argv_secret", '["--token", "${GITHUB_TOKEN}"], ["--api-key", "YOUR_API_KEY"], ["--secret", "--verbose"]'),
    ("argv_secret", '["--sort-key", "created_at"], ["--token", "github_token_name"], cmd = ["--token", token]'),
    ("argv_password", '["--password", "<password>"], ["--password", "--stdin"], ["--password", os.environ["PW"]]'),
    ("url_token_user", "ssh://git@github.com/o/r and https://deploy-bot@ci.example.com and https://x@h"),
    ("cli_password", "docker login --password-stdin < token.txt; tool --password $PASS"),
    ("cli_user_password", "docker run -u 1000:1000 img; git push -u origin main"),
    ("cli_secret", "gh auth login --with-token; tool --token $GITHUB_TOKEN"),
    ("bearer_token", "Bearer tokens are sent in the header; bearer $TOKEN"),
    ("password_quoted", 'password = "password" and {"password": ""} and "password": "${PASS}"'),
    ("password_bare", "password = get_password(); password = request.form['pw']; password: required"),
    # the shell's working folders, the pwd command, references and plain identifiers
    ("password_short_key", "PWD=/home/x/app OLDPWD=/tmp; cd $PWD; db_pw = get_pw(); db_pw: $DB_PW"),
    ("password_short_key_quoted", 'db_pw = "${DB_PW}"; "PWD": "/srv/app"; new_pw = ""; x_pwd == "abc"'),
    (
        "password_xml",
        "<password>${env.DB_PASSWORD}</password> <password></password> <passwordPolicy>strict</passwordPolicy>",
    ),
    (
        "listed_passwords",
        '"required": ["passwords"], "passwords": {"type": "array"}, passwords: ["${PW}", "<password>", "***"]\n'
        "passwords:\n  - ${DB_PASSWORD}\n  - '{{ vault_pw }}'\npasswords = [p for p in rows]",
    ),
    ("secret_xml", "<token>true</token> <secretName>prod-db</secretName> <apiKey>${API_KEY}</apiKey>"),
    (
        "key_assignment",  # lookup keys, ids, digests, names and short values
        'sort_key = "k8s2024x9q7w3e5r1" cacheKey: "v2-9f8e7d6c5b4a3" primaryKey="a1b2c3d4e5f6g7h8" '
        '"key": "550e8400-e29b-41d4-a716-446655440000" key: sha256:' + "ab" * 32 + " "
        'key = "3f786850e387550fdab836ed7e6dc881de23001b" "key": "src/forge/scrub/x.py" KEY=short1 '
        '"Key": "uploads/2024/01/a8f9d0c1.png"',
    ),
    (
        "secret_assignment",
        'max_tokens=1024 "input_tokens": 12 token_count: 55 eos_token="<|im_end|>" '
        'secret_name: prod-db-credentials token: ${{ secrets.GH }} "api_key": "your_api_key"',
    ),
    (
        "secret_assignment",  # code in installed packages that used to be scrubbed as secrets
        "self.api_key = _sdk_client.WORKLOAD_IDENTITY_API_KEY_PLACEHOLDER; pad_token = self._tokenizer.eos_token; "
        "f(_enforce_credentials=_enforce_credentials, proxy_auth=self._proxy.auth); "
        "def g(api_key: _AzureApiKeyT | None, private_key: rsa.RSAPrivateKey, refresh_token: OAuthToken): "
        "onresumptiontoken: options2?.onresumptiontoken, llama_token = ctypes.c_int32",
    ),
    # a lookup key, a path, a digest, a word-made name, a short value: no credential
    (
        "inline_key",
        "put Key=uploads/2024/report_8f3a2b.png; got cache_key=v1-deps-linux-node18-lockfile "
        "etag Key=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 ok Key=ab12",
    ),
    # a name with a number or two in it; an argument's flag, a setting's name, a lookup key
    ("inline_key", "loaded Key=libpython3gnuabi64linuxshared ok"),
    ("setter_secret", 'parser.add_argument("--api-key", "-k"); q.add("sort_key", "created_at")'),
    ("pair_secret", '{ "sort_key", "created_at" }, {"token", "refresh_token"}'),
    ("checked_subscript_secret", 'assertEqual(d["cache_key"], "users_by_id"); f(a["token"], "next")'),
    ("pair_password", '{ "password_field", "" }, {"PasswordHint", "${HINT}"}'),
    ("checked_subscript_password", 'assertEqual(form["password"], "********"); g(o["pwd"], "$DB_PASS")'),
    # the header alone, in a JSON object's braces, or in a base64 blob: no stored secret
    ("jenkins_secret", 'AQAAABAAAA {"blob": "AQAAABAAAAAgPT7JbBVgyWiivobt0CJE"} {AQAAABAAA} data:AQAAABAAAAAgPT7J'),
    ("password_short_key", "OLDPWD=/srv/app PWD=/srv/app/web MYPWD=$(pwd)"),
    # values that name their key (installed packages' code: playwright, cryptography, attrs,
    # transformers), a regular expression under *_PAT, the alphabet typed in order (pyarrow's tests)
    ("secret_assignment", "var mapToken = mapToken2; exports2.SOCKS5_NO_AUTH = exports2.SOCKS5_CUSTOM_AUTH_END;"),
    (
        "secret_assignment",
        'def load(self, private_key: ed25519.Ed25519PrivateKey, k2: PKCS7PrivateKeyTypes): IMAGE_TOKEN = "]<]image[>["',
    ),
    ("secret_assignment", 'HEX_PAT = "(?:[0-9A-Fa-f]{1,4})"; _INIT_FACTORY_PAT = "__attr_factory_%s"'),
    ("key_assignment", 'props(footer_key="0123456789abcdef"); wrong_key = b"fedcba9876543210"'),
    ("key_assignment", 'key: "XMLHttpRequestEventTargetKey"; cache_key = "CustomerOrderHistoryIndexByRegion"'),
    (
        "secret_assignment",
        'host, port, access_key, secret_key = s3_connection\n<assemblyIdentity publicKeyToken="1fc8b3b9a1e18e3b"/>',
    ),
    ("secret_in_prose", "def sign(self, private_key: Ed25519PrivateKey, data: bytes) -> bytes:"),
    # a signed decimal and a date after a sign (numpy's tests): numbers a phone's groups also match
    # prose with commas, and code, under a line that names a secret (openai's and transformers' sources)
    (
        "table_column_secret",
        '"The webhook secret must either be set using the env var, OPENAI_WEBHOOK_SECRET, "\n'
        "\"on the client class, OpenAI(webhook_secret='123'), or passed to this function\"\n"
        "# valid positions, end_lengths and total lengths for each token\n"
        "embedded = F.embedding(flipped_ids, self.embedding_vec)",
    ),
    ("phone", "np.array(['+1980-02-29 01:02:03Z']); abs(x+1.4142135623731*I); [+1.12345679+1.12345679j]"),
    ("email", "ssh git@github.com:org/repo, icon@2x.png, @decorator, pkg@1.2.3, noreply@anthropic.com"),
    ("email", '@@ -3,1 +3,2 @@\n+@app.route("/")\n+@pytest.fixture\n-@cache'),
    ("phone", "+105.0.5195.102 (a version after a diff's +) and +256.256.256.256"),
    ("secret_assignment", "export DANGER_GITHUB_API_TOKEN=\nexport NEXT_ONE=1\nAPI_TOKEN:\n  - list_item_value_here"),
    # names whose words hold one abbreviation (Db, Js) or acronyms (HTTPS)
    (
        "secret_assignment",
        'token_class = "DbConnectionTokenFactory"\napi_key: "HTTPSProxyApiKey"\nsecret = "OAuthSecretProviderJs"',
    ),
    # documentation domains (RFC 2606), as real sessions write them in tests and docs (claude_code fixture
    # python-to-rust-port.jsonl: assert!(is_valid_email("user@example.com")))
    ("email", 'is_valid_email("user@example.com"); see bob@mail.example.org or OPS@EXAMPLE.NET'),
    # addresses no mail reaches (RFC 6761 names, a machine's localdomain, docs' domain.tld) and
    # placeholders' local parts (python-to-rust-port.jsonl: "user@domain.org")
    ("email", "root@localhost.localdomain, a@b.invalid, qa@ci.test, email@domain.tld, user@domain.org"),
    ("email", "your.email@gmail.com or john.doe@acme-corp.io (see the form's placeholder)"),
    # a URL's user info: password@host is not an address (url_password handles real passwords)
    ("email", "git clone https://user:guest@git.acme.io/app.git; ftp://anonymous:anonymous@ftp.acme.io/pub"),
    ("ipv4", "version 1.2.3, 1.2.3.4.5 is an OID, 999.1.1.1 is not an address, 127.0.0.1 and 0.0.0.0 are local"),
    ("ipv4", "v1.2.3.4 tag and 10.0.0.01 padded"),
    # what the word before numbers: an object identifier, a section, a release (cryptography's
    # _oid.py, RFC references, __version__ strings)
    (
        "ipv4",
        'COMMON_NAME = ObjectIdentifier("2.5.4.3"); see section 7.2.1.1, rfc6749#section-4.1.2.1, '
        '§4.2.3.2; __version__ = "3.5.0.1"; OS-release       : 5.10.102.1; Project-Id-Version: man-db 2.7.6.1',
    ),
    ("ipv6", "at 12:30:45, std::vector, Foo::Bar, ::1 loopback, MAC 00:1a:2b:3c:4d:5e, cafe::beef"),
    # Python slices parse as addresses (0001::2) but lie outside every assigned IPv6 block
    ("ipv6", "odd = rows[1::2]; tail = x[10::3]; every = seq[0::4]"),
    ("home_user", "https://example.com/home/about and /var/home/x and ~/projects and /home/<SECRET:user>/x"),
    ("windows_user", r"C:\Program Files\Users"),
    ("claude_project_user", "--home-dir /tmp and my-home-page and re-Users-guide and go-C--Users-list"),
    ("kingfisher", "SG.short and the sendgrid docs; ghp_ alone"),
    ("netrc_password", "machine api.example.com login deploy"),
    ("pgpass_line", "root:x:0:0:root:/root:/bin/bash\n12:30:45:00:01 and at 10:20:30"),
    ("sshpass", "sshpass -f ~/.pw ssh host"),
    # mysql -p then a space prompts for the password: the next word is the database
    ("cli_password", "mysql -u root -p mydb < dump.sql; mkdir -p /tmp/x; cp -p a b; by-pass -pass"),
    ("cli_password", r"psexec \\HOST01 -u admin -p $Password cmd; Get-Credential -Password $pw"),
    ("cli_password", "ssh -o PasswordAuthentication=no host; non-password-auth"),
    ("cli_user_password", "rsync -a deploy@web01:/var/www/ ./backup; rsync -a web01:backups .; --author x:y"),
    (
        "secret_assignment",
        'encrypt = true; SecretId="arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-Ab12Cd"',
    ),
    ("cli_secret", "Connect-AzAccount -AccessToken $token; gh auth -token; x-token value"),
    ("cli_secret", "--token ReadTheDocsToken --api-key HTTPSConnectionPool --secret SuperSecretPassword"),
    ("compared_secret", 'if password == "": return; if tok.type == "NAME": pass; if token == "while": x'),
    ("password_quoted", 'password = f"{prefix}-{n}"; db_password = f"pw-{env}"; password = f"Tr0ub4dor{n}"'),
    ("login_call_arg2", 'server.login(user, password); HTTPBasicAuth("u", os.environ["P"]); login("u", "password")'),
    ("login_call_arg3", 'new DirectoryEntry("LDAP://corp", user, pass); getConnection(url, "sa", "<password>")'),
    ("login_call_arg4", "mgr.add_password(None, url, user, pw)"),
    ("auth_tuple", 'auth=(user, pwd); auth=("bob", "dummy-password")'),
    ("mqtt_password", "mosquitto_pub -h broker -P $MQTT_PASSWORD -t x; mosquitto_sub -p 1883 -t y"),
    (
        "thingsboard_mqtt_token",
        "mosquitto_pub -h broker -u alice -t sensors/x; mosquitto_pub -t v1/devices/me/rpc -u $TOKEN",
    ),
    ("password_hash", 'echo "$1$HOME/projects/foo/bar/baz" and $1$short$x'),
    ("redis_cli", "redis-cli -h cache.internal ping"),
    ("cli_tool_password", "docker run -p 8080:80 nginx; docker login -u deploy -p $TOKEN ghcr.io"),
    ("cli_glued_password", "7z x backup.7z -o/tmp/out -p"),
    ("keystore_password", "keytool -list -keystore app.jks -storepass:env STOREPASS"),
    ("stdin_password", "echo hello | sudo tee /etc/motd"),
    ("secret_store_value", "heroku config:set NODE_ENV=production UPSTREAM=bluehorizon"),
    ("expect_send_password", 'expect "login:"\nsend "deploy\\r"'),
    ("cookie_value", "Cookie: theme=dark; lang=en-US"),
    ("wifi_psk", "psk=$WIFI_PSK"),
    ("password_bare_key_quoted", 'pwd: "/home/me/app", pass: "$PW"'),
    ("sql_password", "CREATE USER app IDENTIFIED BY PASSWORD; ALTER ROLE app WITH PASSWORD NULL;"),
    ("redis_password", "requirepass ${REDIS_PASSWORD}"),
    ("password_in_prose", "the password is required; password reset-link sent"),
    ("password_in_prose", "Password for admin: reset it in settings; password: value1"),
    ("password_in_prose", "the password was set to: default; password changed to: see the vault"),
    ("secret_in_prose", "Token updated: see the docs; API key generated: number_generated_tokens-1"),
    (
        "credential_pair_in_prose",
        "Last login: Mon Dec  7 02:32:54 2026 from host; Sign in with GitHub / GitLab to continue;"
        " log in via http://localhost:8080/login; credentials: admin/admin (the defaults)",
    ),
    (
        "credential_pair_in_prose_quoted",
        "both credentials seeded with `credentials.create()`; run `docker login` as `deploy` with `--password-stdin`",
    ),
    ("pass_after_user", "user: admin  pass: ${DB_PASS}; user: bob, pw: ****; user=app pass=true"),
    ("pass_after_user", "login: admin / passes: 3; user: x / pass: 1"),
    ("html_password_input", '<input type="text" value="Otter-42x"> <input type="password" value="{{ form.pw }}">'),
    (
        "secret_after_mention",
        "Updated the secret rotation docs, see commit: 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39;"
        " token usage for this run: 12345678901234567890; each token's id: 550e8400-e29b-41d4-a716-446655440000",
    ),
    ("op_session_token", 'export OP_SESSION_my="$(op signin --raw)"'),
    ("name_before_address", "Co-Authored-By: Claude <noreply@anthropic.com>; Author: Test User <t@example.com>"),
    ("git_user_name", "SELECT user.id, user.name FROM users"),
    ("browser_password_field", "await page.fill('#username', 'tangerine-otter')"),
    ("cli_secret", "mongod --auth --bind_ip 0.0.0.0; curl --auth basic; x --secret-key-file /etc/k"),
    ("mcp_password_field", '{"element": "Username field", "ref": "e11", "text": "tangerine-otter"}'),
    ("android_string_secret", '<string name="api_key_label">API key</string><string name="token">@string/t</string>'),
    ("android_string_password", '<string name="password_hint">Enter your password</string>'),
    ("or_default_secret", 'API_KEY = os.environ.get("API_KEY") or ""'),
    ("or_default_password", 'pw = os.getenv("DB_PASSWORD") or "changeme"'),
    ("query_password", "GET /login?user=me&pass=$PASS HTTP/1.1"),
    ("password_block_scalar", "password: |\n  ${DB_PASSWORD}\n"),
    ("table_column_secret", "test,pass,fail\nunit,1200,3\nuser,password\nadmin,$PW\n"),
    ("azure_account_key", "AccountKey=<your-account-key> and AccountKey=${KEY}"),
    ("sas_signature", "design=1&assign=2 and ?sig= alone"),
    ("kubernetes_secret", "apiVersion: v1\ndata:\n  mode: fast\nkind: ConfigMap\n"),
    ("card_number", "4539 1488 0343 6468 (checksum fails), 1700000000000 ms, 4444 4444 4444 4444, 123456789012"),
    ("phone", "version 1.2.3-4, 2025-10-06, +1 vote, @@ -12,7 +12,8 @@, 555-0199"),
    ("password_hash", "$2 and $5 costs; the $6 fee"),
    ("env_flag_password", "docker run -e DB_PASSWORD -e PASSWORD_FILE=/run/secrets/db --env PASS=${PASS} x"),
    ("libpq_password", "password=$PGPASSWORD host=db; the password= option; host=db password=${PW}"),
    (
        "inline_env_password",
        "Results: PASS=1234 FAIL=0; x PWD=/home/app; ENV DB_PASSWORD=${DB_PASSWORD}; ARG DB_PASSWORD",
    ),
    ("cli_setting_password", "helm install x --set image.tag=1.2 --set auth.password=$DB_PASSWORD; git log -o a,b"),
    ("aws_configure_prompt", "AWS Secret Access Key [None]: \nAWS Secret Access Key [****************KEY1]: "),
    (
        "secret_in_prose",
        "the token expires in 3600 seconds; tokens: 123456789012345678; audio tokens `number_generated_tokens-1`; "
        "the token commit 3f9a1c7e5b2d8f4a6c0e9b7d5f3a1c8e6b4d2f0a",
    ),
    ("password_in_prose_quoted", 'The password field "Password" is required; password "required"; password `str`'),
    ("properties_password", "f(\n    host=host,\n    password=passwd\n)\nconnect(\n    password=db_password\n"),
    ("putty_private_key", "Private-Lines: see the PuTTY docs\nPrivate-MAC: a checksum"),
    ("recovery_phrase", "use a mnemonic: it helps you remember the order of the planets; mnemonic = getMnemonic()"),
    # INI: no section above, code between, code's own `;`, a word that only ends in pass
    ("ini_password", "user = root\npassword = marmalade\n[mysqld]\nbypass = north\ncompass = south\n"),
    ("ini_password", "[db]\nif (ok) {\npassword = userInput\n[Serializable]\npassword = input;\n"),
    (
        "generated_secret",
        "$ openssl rand -hex 16 > key.txt\n$ git rev-parse HEAD\n9c4f1e7a2b8d3065f1a4c7e92d0b6f38aa11bb22\n",
    ),
    (
        "printed_secret",
        "op read op://Private/db/password in a script\nTr0ub4dor-x9\n$ pass show db\nError: not found\n",
    ),
    ("password_hash", "{SHA} or {SSHA} in the docs; pbkdf2_sha256 is Django's default, scrypt:32768 Werkzeug's"),
    ("password_quoted", 'password1 = request.POST["password1"]; if password1 != password2: password_2fa = True'),
    # provider_formats.py
    ("newrelic_key", "NRAK-XXXXXXXXXXXXXXXXXXXXXXXXXXX and the NRAK- prefix alone"),
    ("newrelic_license_key", "--set licenseKey=a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8NRAL"),
    ("newrelic_mobile_token", "AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-NRMA, AA0123-NRMA and the -NRMA suffix"),
    (
        "plaid_access_token",
        "access-sandbox-environment-flag, processor-production-ready, plaid's access-sandbox-<uuid> shape and "
        "access-sandbox-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
    ),
    ("atlassian_admin_key", "ATCTT3xFfG is the prefix; ATCTT3xFfGN0-short=12345678 in the docs"),
    ("doppler_token", "dp.st.prd is a config name; dp.ct.short"),
    ("twitch_stream_key", "live_stream_key_here and live_2024_summer"),
    ("sourcegraph_token", "sgp_local_token_name sgp_xxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("dependency_track_key", "odt_apikey_placeholder_value"),
    ("adafruit_io_key", "aio_username aio_key_goes_here"),
    ("databricks_token", "dapi_token_name and dapixxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("groq_key", "gsk_your_api_key_here"),
    ("grafana_service_account_token", "glsa_token_placeholder"),
    ("shopify_token", "shpat_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and shpss_"),
    ("salesforce_session_id", "00D5g000004Abcd is an org id"),
    (
        "truenas_api_key",
        "sha256-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 and "
        "1-9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    ),
    ("wireguard_key", "PublicKey = mdOCxeOQxNVCPwanqyfoyGPRLiUtcRZ2PbXpNTVBmRA= and PrivateKey = <server key>"),
    ("kubernetes_bootstrap_token", "kubeadm token create --token-ttl 24h; version v1.29.3"),
    ("private_key_base64", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSULmTIJrazPzB87PVP+EPF+Xl8EFbrM/ndYLxjL1GXEsuQ=="),
    ("connection_string_password", "Server=db;Database=app;User Id=svc;Password=${DB_PASSWORD};"),
    ("psexec_password", "psexec \\\\host -u admin -p $env:DEPLOY_PASSWORD cmd; psexec -s -i cmd"),
    ("ls_owner", "-rw-r--r-- 1 root wheel 12 Jan 1 x; lrwxr-xr-x 1 _www _www 5 y; drwxr-xr-x 2 staff x 0"),
    ("ls_group", "-rw-r--r--  1 jdoe staff 4401 May 28 13:14 x; -rw-r--r-- 1 root root 5 y"),
    (
        "softlayer_api_key",  # a digest under another key, a slug, a mask
        "sha256: 7d1f0c9be24a6853f1e07b9d3c5a28e46f0b1d7c9e3a5f2b8d4c6e0a1f3b5d79 "
        "slug: 0e4b7a2d9c1f5e8a3b6d0c4f7e2a9b5d1c8f3e6a0b4d7c2e5f9a1b3d6c8e0f2a sl_key= " + "x" * 64,
    ),
    (
        "twilio_auth_token",
        "GET /2010-04-01/Accounts/AC3f9c2d7e1b8a4f6c0d5e9b2a7c1f4e8d/Messages/SM9b2e7f1c4a8d3e6b0f5c2a9d7e1b4c8f.json",
    ),
    ("notion_token", "ntn_ prefix and ntn_00000000000"),
    ("flyio_token", "fo1_token_goes_here"),
    ("vault_token", "hvs.example and hvs.XXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("telegram_bot_token", "at 10:30:AA the meeting; 123456789:BBxyz"),
    ("discord_bot_token", "Mozilla.Firefox.Windows and OAuth.token.refresh"),
    ("azure_ad_client_secret", "FAQ~ see the docs; Q~ alone"),
    ("teams_webhook", "see https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors"),
    # config_formats.py
    ("env_file_password", "SKIP_PASS=true\nDB_PASSWORD=${DB_PASSWORD}\nBYPASS=on\nexport PGPASSWORD=$(cat pw)"),
    ("shell_default_secret", "${HOME:-/root} ${DB_PASSWORD:-$FALLBACK} ${GITHUB_TOKEN:-} ${PG_PASSWORD:-changeme}"),
    ("appsettings_secret", '<add key="PasswordMinLength" value="8"/><add key="ApiToken" value="$(ApiToken)"/>'),
    ("password_phrase", "Enter your password 'twice' below; the password is \"\" (empty)"),
    ("vault_legacy_token", "s.CAES alone, and hvs.CAESshort"),
    ("thingsboard_device_token", "GET /api/v1/users/telemetry and /api/v1/ABCDEFGHIJKLMNOPQRST/telemetry"),
    (
        "terraform_variable_default",
        'variable "token_ttl" {\n  default = "3600"\n}\nvariable "db_password" { default = "" }',
    ),
    (
        "azure_identifier",
        "sessionId: 123e4567-e89b-12d3-a456-426614174000 and request_id=6f1c9a7e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    ),
    (
        "password_quoted",
        'password = "123"; IAMUserChangePassword = "arn:aws:iam::aws:policy/IAMUserChangePassword"; '
        "echo 'password = '.$cfg['pw']; passwordLabel:\"Password:\",rememberMe:\"x\"",
    ),
    # a field's type, a variable in an object literal, a reference, a YAML tag
    (
        "yaml_password",
        "class User:\n    password: str\n  password: userPassword\n  password: ${DB_PASSWORD}\n"
        "  password: !vault |\n  password: SecretStr\n",
    ),
    ("name_value_password_yaml", "- name: DB_PASSWORD\n  value: ${DB_PASSWORD}\n- name: DB_USER\n  value: admin\n"),
    ("name_value_password_json", '{"name": "DB_PASSWORD", "value": ""}, {"name": "DB_HOST", "value": "db.internal"}'),
    ("name_value_password_xml", "<key>password</key><value></value><key>user</key><value>admin</value>"),
    ("npmrc_auth", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n_auth=$NPM_AUTH"),
    ("properties_key", "CACHE_KEY=user_profile_v2_data\nSORT_KEY=created_at\napi.key=\n"),
    ("define_password", "define('DB_PASSWORD', 'password_here'); define('DB_USER', 'wordpress');"),
    ("define_secret", "define('AUTH_KEY', 'put your unique phrase here'); define('WP_CACHE_KEY_SALT', 'site1');"),
    ("env_default_password", 'os.getenv("DB_PASSWORD", "") or os.getenv("PASSWORD_FILE", "/run/secrets/pw")'),
    (
        "env_default_password",
        'os.getenv("BYPASS", "marmalade7") or os.getenv("COMPASS", "north") or getenv("PASS", "true")',
    ),
    ("env_default_secret", 'config("CACHE_KEY", "users") and env("TOKEN_TTL", default="3600")'),
    ("js_env_default_password", 'process.env.DB_PASSWORD || ""'),
    ("js_env_default_secret", 'process.env.API_TOKEN ?? "dev"'),
    # code that looks like those lines (found in installed packages' source)
    ("yaml_password", "  password: proxy.password\n  password: tOptional(tString)\n  passphrase: cert.passphrase\n"),
    ("npmrc_auth", "        self._auth = self._build_auth(auth)\n        case._auth = self.auth\n"),
    ("password_short_key_line", "    pwd = os.getcwd()\n    pwd = keys.pop('password', '')\n"),
    ("properties_key", "            create_key=_descriptor._internal_create_key,\n    key=normalized_input,\n"),
    ("fish_set_secret", "Secrets allow to set secret keys or tokens\nset -x DB_PASSWORD $argv[1]\n"),
    ("go_mysql_dsn_password", 'dsn := fmt.Sprintf("%s:%s@tcp(%s)/app", user, pass, host) // root:@tcp(db)/app'),
    ("setter_password", 'props.setProperty("password", ""); setLabel("password", "Enter your password")'),
    ("setter_secret", 'cfg.set("token_ttl", "3600"); props.setProperty("key", "user_id")'),
    ("subscript_password", 'os.environ["DB_PASSWORD"] = "" ; if cfg["password"] == "changeme": pass'),
    ("subscript_secret", 'os.environ["API_TOKEN"] = token_from_vault ; cfg["cache_key"] = "users"'),
    ("key_value_row_password", "Key         Value\n---         -----\npassword    required\n| password | (hidden) |"),
    ("key_value_row_secret", "Key         Value\nSORT_KEY    created_at_desc_index\n│ API_TOKEN │ ******** │"),
    ("password_short_key_line", "pwd: /home/me/src\n  pass: ${SMTP_PASS}\nif ready:\n    pass\n"),
    ("package_manager_user_password", 'npmAuthIdent: "${NPM_IDENT}"\nBUNDLE_JOBS: "4"\n'),
    # a format string's slot and a CloudFormation reference sit where a password would
    ("password_quoted", 'format_password = "prefix_{}".format(x); "MasterUserPassword": "!Ref DbMasterPassword"'),
    # prose after "Password:", and a sentence under a password key
    ("app_password_spaced", 'Password: this code does what we want\nhelp = {"password": "must have eight or more"}'),
    # a key field naming a key whose value is a name, a short word or a variable
    ("name_value_secret_yaml", "- name: SORT_KEY\n  value: created_at_desc\n- name: API_TOKEN\n  value: ${TOKEN}\n"),
    ("name_value_secret_json", '{"key": "primary_key", "value": "user_account_id"}'),
    ("xml_attribute_secret", '<add key="CacheKey" value="products-list" /><add key="ApiKey" value="%API_KEY%" />'),
    ("xml_attribute_password", '<add key="PasswordMinLength" value="8" /><entry key="password">${db.pw}</entry>'),
    # variables and empty strings by position
    (
        "connect_call_password",
        'new PDO($dsn, $user, $pass); new mysqli($host, $user, "", $db); mysqli_connect(H, U, P)',
    ),
    # a setting named in backticks whose value is a reference, a word or a placeholder
    ("markdown_setting_password", "set `DB_PASSWORD` to `${DB_PASSWORD}` or `<password>`"),
    ("markdown_setting_secret", "`CACHE_KEY`: `user_profile_v2` and `API_TOKEN` as `$TOKEN`"),
    # a label whose next line is prose, a list or a name
    ("secret_below_label", "API key:\n\nThe key is read from the environment.\nToken:\n- first_second_third_name\n"),
    ("secret_below_label", "Tokens:\n```\nnumber_generated_tokens\n```\n"),
    # a plan's arrow between two references, and a signature that is no URL's parameter
    ("terraform_changed_password", '  ~ password = (sensitive value) -> "${var.db_password}"'),
    ("presigned_url_signature", "Signature=Zp9qL2vX7mK4rT8wN1sBq4Zp9qL2vX7mK4rT8wN1sB (a header) and ?Signature=abc"),
    # shared accounts, an ssh URL, a service account's setting, a bare tilde
    ("prompt_user", "root@box:~# ls\nubuntu@ip-10-0-0-5:~$ ls\ngit clone git@github.com:a/b.git"),
    ("id_output_user", "uid=0(root) gid=0(root) and uid=33(www-data)"),
    ("whoami_user", "$ whoami\nroot\n$ whoami\nnode\n"),
    ("login_variable_user", "USERNAME=deploy\nUSER=root\nDB_USER=app\n"),
    ("tilde_user", "cd ~/src and ~ alone, and a~b/c"),
    ("wsl_home_user", "/mnt/c/Program Files and \\\\wsl$\\Ubuntu\\etc"),
    # a language code, a playground's code, a short signature
    ("query_credential", "https://x.io/?code=en&lang=de https://godbolt.org/?code=int_main_void_return_zero ?sig=abc"),
    # an object literal's camelCase key, a settings class's type, a reference
    (
        "config_key_password",
        "const c = {\n  password: userPassword,\n}\n    DB_PASSWORD: SecretStr\n  X_PASSWORD: ${PW}\n",
    ),
    # numbers the SSA never issues, and the grouping without the name
    ("ssn", "SSN 000-12-3456, ssn 666-01-2345, SSN: 912-34-5678; part 123-45-6789"),
    # a key file, a digest, a key's name
    (
        "cli_key",
        "curl --key /etc/ssl/client.key x; cache --key 3f786850e387550fdab836ed7e6dc881de23001b;"
        " --key=user_profile_settings",
    ),
    # a label, an empty string, a name that only starts with the word, a variable
    ("typed_binding_password", 'const passwordLabel: string = "Password"; let password: String = ""'),
    ("typed_binding_secret", 'const tokenizerName: string = "cl100k_base"; #define KEY_UP "up"'),
    ("ruby_set_password", 'set :password, ENV["DB_PASSWORD"]\nset :password_length, "12"'),
    ("ruby_set_secret", "set :session_secret, ENV.fetch('SESSION_SECRET') and set :cache_key, 'v2'"),
    # a variable, an empty string or a call; a name, not a random value
    ("method_password", 'user.setPassword(hash(pw)); b.password(""); c.withPassword(System.getenv("PW"))'),
    ("method_secret", 'cfg.apiKey(key); s.token("refresh"); x.setSecret("user_profile_v2_data")'),
]

# Strings that no detector may touch: ids and hashes agents handle all the time.
PRECISION = [
    "commit 3f786850e387550fdab836ed7e6dc881de23001b (short 3f78685)",
    "Soghu_ICANVASRENDERINGVIACONTEXT2D3D5D7D8D",  # a token's prefix in a word's middle (Trivy's test)
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "session 123e4567-e89b-12d3-a456-426614174000",
    "bd update gt-a1b2 --status in_progress; bd show hq-x9z3",
    "torch==2.13.0 transformers 5.23.0 python3.11 node v20.11.1",
    "def tokenize(text): return tokenizer(text, max_length=512)",
    "the <SECRET:github_token> and <SECRET:ipv4> placeholders",
    "Traceback at 2026-11-23T11:14:30Z line 42: KeyError: 'api_key'",
    "base64 of random bytes: 0aGVsbG8gd29ybGQ=",
    # docs' stand-ins and public logins, also where the rule engine's generic rules look
    "DATABASE_URL=postgres://user:password@localhost/db; amqp://guest:guest@rabbit:5672/",
    "GITLAB_TOKEN=glpat-XXXXXXXXXXXXXXXXXXXX; see https://deploy:${DEPLOY_TOKEN}@git.acme.io/app.git",
    'api_key = "your_api_key_here"; TOKEN=insert-token-here; password: "YourPassword"',
    "export OPENAI_API_KEY=sk-************; AWS_ACCESS_KEY_ID=AKIAXXXXXXXXXXXXXXXX",
    # templates' markers and YAML tags stand where the value would be; the value is elsewhere
    'password = "@@PASSWORD@@"; secret: "__SECRET_KEY__"; api_key = "fake-api-key"',
    "db_password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\nadmin_password: !secret admin_password",
]


def _det(name):
    return [detectors()[name]]


@pytest.mark.parametrize("name,text,secret,kind", TRUE_POSITIVES, ids=[t[0] for t in TRUE_POSITIVES])
def test_detector_catches_its_secret(name, text, secret, kind):
    findings = find_secrets(text, _det(name))
    assert findings and findings[0].kind == kind
    assert findings[0].detector == name or findings[0].detector.startswith(name + ":")
    out = Scrubber().scrub_text(text)
    assert secret not in out
    assert f"<SECRET:{kind}>" in out


@pytest.mark.parametrize("name,text,secret,kind", TRUE_POSITIVES, ids=[t[0] for t in TRUE_POSITIVES])
def test_detector_catches_its_secret_inside_a_transcript_line(tmp_path, name, text, secret, kind):
    """`forge scrub` reads JSON lines as text: there quotes are \\", newlines \\n and tabs \\t, and a
    command or a file's first line starts right after an escape or the string's opening quote."""
    for place, value in scrubbed_in_transcript_lines(tmp_path, text).items():
        assert secret not in value, f"{name}: the secret stayed when the text sits at {place}"


def test_kubernetes_secret_values_in_yaml_inside_a_json_string():
    manifest = "apiVersion: v1\nkind: Secret\ndata:\n  username: YWRtaW4=\n  password: czNjcjN0LXB3ZA==\n"
    line = json.dumps({"content": manifest})
    assert [line[s:e] for s, e in kubernetes_secret_values(line)] == ["YWRtaW4=", "czNjcjN0LXB3ZA=="]


@pytest.mark.parametrize("name,text", NEAR_MISSES, ids=[t[0] for t in NEAR_MISSES])
def test_detector_ignores_near_miss(name, text):
    assert find_secrets(text, _det(name)) == []


@pytest.mark.parametrize("text", PRECISION)
def test_ids_hashes_versions_and_placeholders_stay(text):
    assert find_secrets(text) == []


def test_every_builtin_detector_has_a_positive_and_a_near_miss():
    from forge.scrub.prefixed_tokens import NAMES  # those have their own test module

    names = set(detectors()) - set(NAMES)
    assert names <= {t[0] for t in TRUE_POSITIVES}
    assert names <= {t[0] for t in NEAR_MISSES}
