"""Configuration files agents read every day (`cat`, Claude Code's Read, a tool result in a JSONL
line): each one's documented shape holding made-up values; no value may survive the scrub, as the
file is shown plain, with Read's line gutter, or as a JSON-encoded tool result (escaped quotes,
line breaks and a `\\u2192` gutter, as writers that escape non-ASCII have it).

Left alone: Composer's `"bearer": {"host": "token"}` (the host is the key; nothing names a secret).
"""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber

S = "Vq7rT2mK9xLp4ZsW8nB3"  # a 20-char random
PW = "tangerine-Otter-42"  # a human password
CASES = {
    "docker-compose.yml": (
        (
            "services:\n"
            "  db:\n"
            "    image: postgres:16\n"
            "    environment:\n"
            "      POSTGRES_USER: app\n"
            f"      POSTGRES_PASSWORD: {PW}\n"
            f"      - MYSQL_ROOT_PASSWORD={PW}\n"
        ),
        [PW],
    ),
    "compose env list": (
        (f"    environment:\n      - POSTGRES_PASSWORD={PW}\n      - REDIS_URL=redis://:{PW}@redis:6379/0\n"),
        [PW],
    ),
    "k8s secret stringData": (
        (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  DB_PASSWORD: {PW}\n  API_TOKEN: {S}\n"),
        [PW, S],
    ),
    "wp-config.php": (
        (
            "define( 'DB_NAME', 'wordpress' );\n"
            "define( 'DB_USER', 'wpuser' );\n"
            f"define( 'DB_PASSWORD', '{PW}' );\n"
            "define( 'AUTH_KEY', 'Zp9#qL2@vX7!mK4$rT8^wN1&dF5*hJ3(' );\n"
        ),
        [PW, "Zp9#qL2@vX7!mK4$rT8^wN1&dF5*hJ3("],
    ),
    "django settings.py": (
        (
            f"SECRET_KEY = 'django-insecure-{S}'\n"
            f"DATABASES = {{\n"
            f"    'default': {{\n"
            "        'ENGINE': 'django.db.backends.postgresql',\n"
            f"        'PASSWORD': '{PW}',\n"
            f"    }}\n"
            f"}}\n"
        ),
        [S, PW],
    ),
    "application.properties": (
        (
            "spring.datasource.url=jdbc:postgresql://db:5432/app\n"
            "spring.datasource.username=app\n"
            f"spring.datasource.password={PW}\n"
            f"jwt.secret={S}\n"
        ),
        [PW, S],
    ),
    "application.yml": (
        (
            "spring:\n"
            "  datasource:\n"
            "    username: app\n"
            f"    password: {PW}\n"
            "  mail:\n"
            f"    password: {PW}\n"
            "jwt:\n"
            f"  secret: {S}\n"
        ),
        [PW, S],
    ),
    "appsettings.json": (
        (
            f"{{\n"
            f'  "ConnectionStrings": {{\n'
            f'    "Default": "Server=db;Database=app;User Id=sa;Password={PW};"\n'
            f"  }},\n"
            f'  "Jwt": {{ "Key": "{S}" }}\n'
            f"}}\n"
        ),
        [PW, S],
    ),
    ".aws/credentials": (
        (
            "[default]\n"
            "aws_access_key_id = AKIA4QX7RZ2MNB5KLW3E\n"
            "aws_secret_access_key = 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\n"
        ),
        ["AKIA4QX7RZ2MNB5KLW3E", "9vQw8Lr2Tx5Kp3Zm7Nb4Yc6Hd1Fg0Js8Ra2We5Uq"],
    ),
    ".docker/config.json": (
        (
            "{\n"
            '  "auths": {\n'
            '    "registry.example.com": {\n'
            '      "auth": "ZGVwbG95OnRhbmdlcmluZS1PdHRlci00Mg=="\n'
            "    }\n"
            "  }\n"
            "}\n"
        ),
        ["ZGVwbG95OnRhbmdlcmluZS1PdHRlci00Mg=="],
    ),
    "kubeconfig": (
        (
            "users:\n"
            "- name: admin\n"
            "  user:\n"
            "    token: eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ"
            ".eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLWJ5dGVz\n"
            "- name: basic\n"
            "  user:\n"
            "    username: admin\n"
            f"    password: {PW}\n"
        ),
        ["c2lnbmF0dXJlLWJ5dGVz", PW],
    ),
    ".git-credentials": (
        (
            "https://octocat:ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6@github.com\n"
            "https://oauth2:glpat-Xy7Zq2Wm9Kp4Lr8Tn3Vb@gitlab.com\n"
        ),
        ["ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6", "glpat-Xy7Zq2Wm9Kp4Lr8Tn3Vb"],
    ),
    "gh hosts.yml": (
        (
            "github.com:\n"
            "    user: octocat\n"
            "    oauth_token: gho_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6\n"
            "    git_protocol: https\n"
        ),
        ["gho_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"],
    ),
    ".pypirc": (
        (
            "[pypi]\n"
            "username = __token__\n"
            "password = pypi-AgEIcHlwaS5vcmcCJDRkNmU3ZjE4"
            "LTk5YjAtNDFiMS1hOGU4LWE3ZDkxYzMxZjQ2ZAACKlszLCJiNTU0ZjBjZC1hNWY\n"
            "[private]\n"
            "username = deploy\n"
            f"password = {PW}\n"
        ),
        ["pypi-AgEIcHlwaS5vcmcCJDRkNmU3ZjE4", PW],
    ),
    ".my.cnf": (
        (f"[client]\nuser=root\npassword={PW}\nhost=localhost\n"),
        [PW],
    ),
    # a Compose environment list holds literals too, as does a command's -e KEY=value
    "docker-compose environment list": (
        "services:\n  db:\n    image: postgres:16\n    environment:\n      - POSTGRES_USER=app\n"
        '      - POSTGRES_PASSWORD=marmalade\n      - "REDIS_PASSWORD=lighthouse"\n',
        ["marmalade", "lighthouse"],
    ),
    "docker run -e": (
        "docker run -d -e POSTGRES_PASSWORD=marmalade --env=ADMIN_PASS=bluebird postgres\n",
        ["marmalade", "bluebird"],
    ),
    # a PuTTY key file's private lines, and a wallet's recovery phrase in a web3 project's .env
    "putty .ppk": (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@ci\nPublic-Lines: 2\n"
        "AAAAC3NzaC1lZDI1NTE5AAAAIHq2ZpXoV1bKq3sT9vN2mL4wR8yC6dF0hJ5k\nP7uE1iA2\nPrivate-Lines: 1\n"
        "AAAAIGq7ZpXoV1bKq3sT9vN2mL4wR8yC6dF0hJ5kP7uE1iA2Zx9Qw3Er\nPrivate-MAC: 4f6c1b2a9e8d7c6b5a4f3e2d1c0b9a8f\n",
        ["AAAAIGq7ZpXoV1bKq3sT9vN2mL4wR8yC6dF0hJ5kP7uE1iA2Zx9Qw3Er"],
    ),
    "web3 .env": (
        "RPC_URL=https://sepolia.infura.io/v3/${INFURA_ID}\n"
        'MNEMONIC="legal winner thank year wave sausage worth useful legal winner thank yellow"\n',
        ["legal winner thank year wave sausage worth useful legal winner thank yellow"],
    ),
    # INI files hold literals: a plain word under a [section] is the password itself
    "my.cnf, a word": (
        "[client]\nuser = root\n# the staging one\npassword = marmalade\n\n[mysqld]\nport = 3306\n",
        ["marmalade"],
    ),
    "odbc.ini": (
        "[warehouse]\nDriver = PostgreSQL Unicode\nServername = db.internal\nUsername = etl\nPassword = bluebird\n",
        ["bluebird"],
    ),
    "supervisord.conf": (
        "[inet_http_server]\nport = 127.0.0.1:9001\nusername = admin\npassword = pineapple ; change me\n",
        ["pineapple"],
    ),
    "smb credentials": (
        "[global]\nworkgroup = HOME\n[backup]\nsmb_user = nas\nsmb_pass = lighthouse\n",
        ["lighthouse"],
    ),
    ".pgpass": (
        (f"db.internal:5432:app:app:{PW}\n"),
        [PW],
    ),
    "rclone.conf": (
        (
            "[s3]\n"
            "type = s3\n"
            "access_key_id = AKIA4QX7RZ2MNB5KLW3E\n"
            "secret_access_key = 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\n"
            "[box]\n"
            "type = sftp\n"
            "user = me\n"
            "pass = nhcrlYdFpRm9m8s1aB2cD3eF4gH5\n"
        ),
        ["9vQw8Lr2Tx5Kp3Zm7Nb4Yc6Hd1Fg0Js8Ra2We5Uq", "nhcrlYdFpRm9m8s1aB2cD3eF4gH5"],
    ),
    ".s3cfg": (
        ("[default]\naccess_key = AKIA4QX7RZ2MNB5KLW3E\nsecret_key = 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\n"),
        ["9vQw8Lr2Tx5Kp3Zm7Nb4Yc6Hd1Fg0Js8Ra2We5Uq"],
    ),
    "composer auth.json": (
        (
            f"{{\n"
            f'  "http-basic": {{\n'
            f'    "repo.example.org": {{\n'
            '      "username": "deploy",\n'
            f'      "password": "{PW}"\n'
            f"    }}\n"
            f"  }},\n"
            f'  "github-oauth": {{\n'
            '    "github.com": "ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"\n'
            f"  }},\n"
            f'  "bearer": {{\n'
            f'    "packages.example.org": "{S}"\n'
            f"  }}\n"
            f"}}\n"
        ),
        [PW, "ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"],
    ),
    "cargo credentials.toml": (
        (f'[registry]\ntoken = "cio{S}{S}"\n[registries.corp]\ntoken = "{S}"\n'),
        [S],
    ),
    "credentials.tfrc.json": (
        (
            f"{{\n"
            f'  "credentials": {{\n'
            f'    "app.terraform.io": {{\n'
            f'      "token": "Xk9mQ2wL7rT4pZ.atlasv1.{S}{S}{S}"\n'
            f"    }}\n"
            f"  }}\n"
            f"}}\n"
        ),
        [S],
    ),
    ".terraformrc": (
        (f'credentials "app.terraform.io" {{\n  token = "Xk9mQ2wL7rT4pZ.atlasv1.{S}{S}{S}"\n}}\n'),
        [S],
    ),
    "terraform.tfvars": (
        (f'db_password = "{PW}"\napi_token   = "{S}"\n'),
        [PW, S],
    ),
    ".yarnrc.yml": (
        (
            'npmRegistryServer: "https://npm.corp.example"\n'
            f'npmAuthToken: "{S}"\n'
            "npmScopes:\n"
            "  corp:\n"
            f'    npmAuthIdent: "deploy:{PW}"\n'
        ),
        [S, PW],
    ),
    ".bundle/config": (
        (
            "---\n"
            f'BUNDLE_GEMS__CONTRIBSYS__COM: "a1b2c3d4:{S}"\n'
            'BUNDLE_GITHUB__COM: "x-access-token:ghs_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"\n'
        ),
        [S, "ghs_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"],
    ),
    "pip.conf": (
        (f"[global]\nindex-url = https://deploy:{PW}@pypi.corp.example/simple\n"),
        [PW],
    ),
    "gcloud adc json": (
        (
            f"{{\n"
            '  "client_id": "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com",\n'
            '  "client_secret": "d-FL95Q19q7MQmFpd7hHD0Ty",\n'
            f'  "refresh_token": "1//0g{S}{S}",\n'
            '  "type": "authorized_user"\n'
            f"}}\n"
        ),
        ["d-FL95Q19q7MQmFpd7hHD0Ty", S],
    ),
    "settings.xml maven": (
        (
            "<servers>\n"
            "  <server>\n"
            "    <id>corp</id>\n"
            "    <username>deploy</username>\n"
            f"    <password>{PW}</password>\n"
            "  </server>\n"
            "</servers>\n"
        ),
        [PW],
    ),
    "nuget.config": (
        (
            "<packageSourceCredentials>\n"
            "  <corp>\n"
            '    <add key="Username" value="deploy" />\n'
            f'    <add key="ClearTextPassword" value="{PW}" />\n'
            "  </corp>\n"
            "</packageSourceCredentials>\n"
        ),
        [PW],
    ),
    "ansible vars": (
        (f'mysql_root_password: {PW}\nvault_api_token: "{S}"\n'),
        [PW, S],
    ),
    "helm values.yaml": (
        (
            "postgresql:\n"
            "  auth:\n"
            f"    postgresPassword: {PW}\n"
            f"    password: {PW}\n"
            "redis:\n"
            "  auth:\n"
            f'    password: "{PW}"\n'
        ),
        [PW],
    ),
    "sentry/env": (
        (
            f"SENTRY_AUTH_TOKEN=sntrys_{S}{S}\n"
            f"DATABASE_URL=postgres://app:{PW}@db:5432/app\n"
            f"STRIPE_SECRET_KEY=sk_live_51H{S}\n"
        ),
        [S, PW],
    ),
    "jupyter config": (
        (
            f"c.ServerApp.token = '{S}'\n"
            "c.ServerApp.password = 'argon2:$argon2id$v=19$m=10240,t=10,p=8$Vq7rT2mK9xLp$4ZsW8nB3Vq7rT2mK9xLp'\n"
        ),
        [S, "$argon2id$v=19$m=10240,t=10,p=8$Vq7rT2mK9xLp$4ZsW8nB3Vq7rT2mK9xLp"],
    ),
    "htpasswd": (
        (f"admin:$apr1$Vq7rT2mK$9xLp4ZsW8nB3Vq7rT2mK9x\ndeploy:$2y$05${S}Ve{S}Vq7rT2mK9x\n"),
        ["9xLp4ZsW8nB3Vq7rT2mK9x", "$2y$05$Vq7rT2mK9xLp4ZsW8nB3VeVq7rT2mK9xLp4ZsW8nB3Vq7rT2mK9x"],
    ),
    "shadow": (
        (f"root:$6$Vq7rT2mK$9xLp4ZsW8nB3{S}{S}{S}Vq7rT2mK9xLp4Zs:19000:0:99999:7:::\n"),
        ["9xLp4ZsW8nB3Vq7rT2mK9xLp4ZsW8nB3Vq7rT2mK9xLp4ZsW8nB3"],
    ),
    "ssh private key in config": (
        (
            "-----BEGIN OPENSSH PRIVATE KEY-----\n"
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
            f"QyNTUxOQAAACDq{S}\n"
            "-----END OPENSSH PRIVATE KEY-----\n"
        ),
        ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW"],
    ),
    "firebase service account": (
        (
            f"{{\n"
            '  "type": "service_account",\n'
            '  "private_key_id": "3f2b8c1e9d4a4e6ba7c52f1e0d9c8b7a6e5d4c3b",\n'
            f'  "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC'
            f'{S}\\n-----END PRIVATE KEY-----\\n"\n'
            f"}}\n"
        ),
        ["3f2b8c1e9d4a4e6ba7c52f1e0d9c8b7a6e5d4c3b", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC"],
    ),
    "vault token file": (
        (f"$ cat ~/.vault-token\nhvs.CAESI{S}{S}\n"),
        [S],
    ),
    "circleci/github actions": (
        (
            "env:\n"
            "  NPM_TOKEN: npm_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6\n"
            f"  SLACK_WEBHOOK_URL: https://hooks.slack.com/services/T0123ABCD/B0456EFGH/{S}\n"
        ),
        ["npm_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6", S],
    ),
    "mongo uri in .env": (
        (f"MONGODB_URI=mongodb+srv://app:{PW}@cluster0.abcde.mongodb.net/?retryWrites=true\nREDIS_PASSWORD={PW}\n"),
        [PW],
    ),
    "supabase env": (
        (
            "NEXT_PUBLIC_SUPABASE_URL=https://abcdefgh.supabase.co\n"
            "SUPABASE_SERVICE_ROLE_KEY=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            ".eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLWJ5dGVzLWhlcmU\n"
        ),
        ["c2lnbmF0dXJlLWJ5dGVzLWhlcmU"],
    ),
    "toml config": (
        (f'[database]\nuser = "app"\npassword = "{PW}"\n[api]\nkey = "{S}"\n'),
        [PW, S],
    ),
    "ini config": (
        (f"[database]\nuser = app\npassword = {PW}\n[smtp]\npass = {PW}\n"),
        [PW],
    ),
    "xml connection string": (
        (
            "<connectionStrings>\n"
            f'  <add name="Default" connectionString="Data Source=db;Initial Catalog=app;User ID=sa;Password={PW}" />\n'
            "</connectionStrings>\n"
        ),
        [PW],
    ),
    "php array config": (
        (
            "return [\n"
            "    'database' => [\n"
            f"        'password' => '{PW}',\n"
            "    ],\n"
            f"    'stripe' => ['secret' => 'sk_live_51H{S}'],\n"
            "];\n"
        ),
        [PW, S],
    ),
    "go struct literal": (
        (f'cfg := Config{{\n\tUser:     "app",\n\tPassword: "{PW}",\n\tAPIKey:   "{S}",\n}}\n'),
        [PW, S],
    ),
    "rust/ts object": (
        (f'const config = {{\n  password: "{PW}",\n  apiKey: "{S}",\n}};\n'),
        [PW, S],
    ),
    "curl header": (
        (f"curl -H 'Authorization: Bearer {S}' -H 'X-Api-Key: {S}x' https://api.example.com\n"),
        [S],
    ),
}


def _read_gutter(text: str) -> str:
    return "\n".join(f"{i + 1:>6}\u2192{line}" for i, line in enumerate(text.split("\n")))


SHAPES = {
    "plain": lambda t: t,
    "read": _read_gutter,
    "jsonl": lambda t: json.dumps({"type": "tool_result", "content": _read_gutter(t)}),
    "jsonl raw utf-8": lambda t: json.dumps({"type": "tool_result", "content": _read_gutter(t)}, ensure_ascii=False),
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("name", sorted(CASES))
def test_no_value_of_a_config_file_survives(name, shape):
    text, secrets = CASES[name]
    out = Scrubber().scrub_text(SHAPES[shape](text))
    for value in secrets:
        assert value not in out and json.dumps(value)[1:-1] not in out, f"{name} ({shape}) kept {value!r}"
