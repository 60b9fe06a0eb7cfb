"""What agents' commands print, and shell histories: each tool's documented output shape holding
made-up values; no value may survive the scrub, as printed, or in a Claude Code JSONL line read
as `forge scrub` reads it (escaped quotes and line breaks; a JSON string inside a JSON string).

Left alone: `vault token create`'s token_accessor (it names a token, it is not one).
"""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

S = "Vq7rT2mK9xLp4ZsW8nB3"  # a random 20 characters
PW = "tangerine-Otter-42"  # a password a person chose
WORD = "tangerine"  # a password of letters only, where the syntax says it is one
AZURE_KEY = "TqRPUjg84a5RMKx1UyfLlVeSnY4x5C/9Xvak+jeI5f9z8D7PoWsBgTJZjrEAs4P5JbxgJ1aokdC76JsFO69SRA=="  # 64 bytes

COMMANDS = {
    "heroku config": (
        (
            "=== my-app Config Vars\n"
            f"DATABASE_URL:      postgres://u1:{PW}@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1\n"
            f"SECRET_KEY_BASE:   {S}{S}\n"
            f"STRIPE_API_KEY:    sk_live_51H{S}\n"
            f"REDIS_PASSWORD:    {PW}\n"
        ),
        [PW, S],
    ),
    "docker inspect env": (
        (
            '        "Env": [\n'
            f'            "POSTGRES_PASSWORD={PW}",\n'
            f'            "API_TOKEN={S}",\n'
            '            "PATH=/usr/local/bin"\n'
            "        ],\n"
        ),
        [PW, S],
    ),
    "kubectl create secret": (
        (
            "kubectl create secret generic db --from-literal=username=app "
            f"--from-literal=password={PW} --from-literal=api-token={S}\n"
        ),
        [PW, S],
    ),
    "helm set": (
        (f"helm install pg bitnami/postgresql --set auth.postgresPassword={PW} --set auth.password={PW}\n"),
        [PW],
    ),
    "docker login": (
        (
            f"echo {PW} | docker login -u deploy --password-stdin registry.example.com\n"
            f"docker login -u deploy -p {PW} registry.example.com\n"
        ),
        [PW],
    ),
    "docker run -e": (
        (f"docker run -d -e POSTGRES_PASSWORD={PW} -e API_KEY={S} postgres:16\n"),
        [PW, S],
    ),
    "curl -v": (
        (
            "> GET /v1/me HTTP/1.1\n"
            "> Host: api.example.com\n"
            f"> Authorization: Bearer {S}\n"
            f"> X-API-Key: {S}\n"
            "< HTTP/1.1 200 OK\n"
            f"< Set-Cookie: session={S}; Path=/; HttpOnly\n"
        ),
        [S],
    ),
    "aws sts": (
        (
            "{\n"
            '    "Credentials": {\n'
            '        "AccessKeyId": "ASIA4QX7RZ2MNB5KLW3E",\n'
            '        "SecretAccessKey": "9vQw8Lr2Tx5Kp3Zm7Nb4Yc6Hd1Fg0Js8Ra2We5Uq",\n'
            f'        "SessionToken": "IQoJb3JpZ2luX2VjE{S}{S}{S}",\n'
            '        "Expiration": "2026-12-06T13:00:00Z"\n'
            "    }\n"
            "}\n"
        ),
        ["ASIA4QX7RZ2MNB5KLW3E", "9vQw8Lr2Tx5Kp3Zm7Nb4Yc6Hd1Fg0Js8Ra2We5Uq", S],
    ),
    "aws secretsmanager": (
        (
            "{\n"
            '    "Name": "prod/db",\n'
            f'    "SecretString": "{{\\"username\\":\\"app\\",\\"password\\":\\"{PW}\\"}}",\n'
            '    "VersionId": "3f2b8c1e-9d4a-4e6b-a7c5-2f1e0d9c8b7a"\n'
            "}\n"
        ),
        [PW],
    ),
    "vault read table": (
        (
            "Key                 Value\n"
            "---                 -----\n"
            "refresh_interval    768h\n"
            f"password            {PW}\n"
            f"api_token           {S}\n"
        ),
        [PW, S],
    ),
    "vault token create": (
        (
            "Key                  Value\n"
            "---                  -----\n"
            f"token                hvs.CAESI{S}{S}\n"
            f"token_accessor       {S}\n"
            "token_duration       768h\n"
        ),
        [f"{S}{S}"],
    ),
    "supabase status": (
        (
            "         API URL: http://127.0.0.1:54321\n"
            "          DB URL: postgresql://postgres:postgres@127.0.0.1:54322/postgres\n"
            "      JWT secret: super-secret-jwt-token-with-at-least-32-characters-long\n"
            "        anon key: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJyb2xlIjoiYW5vbiJ9.c2lnbmF0dXJlLWFub24ta2V5\n"
            "service_role key: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            ".eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlLXNlcnZpY2Uta2V5\n"
        ),
        [
            "super-secret-jwt-token-with-at-least-32-characters-long",
            "c2lnbmF0dXJlLWFub24ta2V5",
            "c2lnbmF0dXJlLXNlcnZpY2Uta2V5",
        ],
    ),
    "railway variables": (
        (f"║ DATABASE_PASSWORD │ {PW} ║\n║ OPENAI_API_KEY    │ sk-proj-{S}{S}{S} ║\n"),
        [PW, S],
    ),
    "printenv": (
        (f"HOME=/home/dev\nGITHUB_TOKEN=ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6\nDB_PASSWORD={PW}\nSECRET_KEY={S}\n"),
        ["ghp_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6", PW, S],
    ),
    "git config --list": (
        (
            "user.name=Dev\n"
            "remote.origin.url=https://x-access-token:ghs_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6@github.com/o/r.git\n"
            "http.extraheader=AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46Z2hzX1I2eDlUMmtMOHFaNG1O\n"
        ),
        ["ghs_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6", "eC1hY2Nlc3MtdG9rZW46Z2hzX1I2eDlUMmtMOHFaNG1O"],
    ),
    "gcloud token": (
        (f"$ gcloud auth print-access-token\nya29.a0AfB_by{S}{S}{S}\n"),
        [S],
    ),
    "az token": (
        (
            "{\n"
            f'  "accessToken": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwcyJ9.{S}{S}",\n'
            '  "expiresOn": "2026-12-06 14:00:00"\n'
            "}\n"
        ),
        [S],
    ),
    "mysql cli": (
        (f"mysql -h db -u root -p{PW} app\nmysql --user=root --password={PW} app\n"),
        [PW],
    ),
    "psql env": (
        (f"PGPASSWORD={PW} psql -h db -U app -d app\n"),
        [PW],
    ),
    "redis-cli": (
        (f"redis-cli -h cache -a {PW} ping\n"),
        [PW],
    ),
    "sshpass": (
        (f"sshpass -p '{PW}' ssh deploy@host\n"),
        [PW],
    ),
    "httpie": (
        (f"http POST api.example.com/login Authorization:'Bearer {S}' X-API-Key:{S}\n"),
        [S],
    ),
    "terraform apply -var": (
        (f"terraform apply -var 'db_password={PW}' -var=\"api_token={S}\"\n"),
        [PW, S],
    ),
    "ansible extra vars": (
        (f'ansible-playbook site.yml -e "ansible_become_pass={PW} db_password={PW}"\n'),
        [PW],
    ),
    "python repl": (
        (
            f'>>> client = OpenAI(api_key="sk-proj-{S}{S}")\n'
            f">>> conn = psycopg2.connect(host='db', user='app', password='{PW}')\n"
        ),
        [S, PW],
    ),
    "stripe listen": (
        (f"> Ready! Your webhook signing secret is whsec_{S}{S} (^C to quit)\n"),
        [S],
    ),
    "firebase login:ci": (
        (
            "✔  Success! Use this token to login on a CI server:\n"
            "\n"
            f"1//0gLk{S}{S}\n"
            "\n"
            'Example: firebase deploy --token "$FIREBASE_TOKEN"\n'
        ),
        [S],
    ),
    "npm token create": (
        (
            "┌────────────────┬──────────────────────────────────────────┐\n"
            "│ token          │ npm_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6 │\n"
            "└────────────────┴──────────────────────────────────────────┘\n"
        ),
        ["npm_R6x9T2kL8qZ4mN7pW3vB5cY1dF0gH2jK4lM6"],
    ),
}

# shells' histories, logs and code that hand a setting its literal
HISTORIES = {
    "bash history": (
        (f"  501  export DB_PASS={WORD}\n  502  psql\n  503  export ADMIN_PASSWORD={WORD}\n"),
        [WORD],
    ),
    "zsh history": (
        (f": 1733480000:0;export DB_PASS={WORD}\n: 1733480010:0;MYSQL_PWD={WORD} mysql -u root\n"),
        [WORD],
    ),
    "fish history": (
        (f"- cmd: set -x DB_PASSWORD {WORD}\n  when: 1733480000\n"),
        [WORD],
    ),
    "bash set -x": (
        (f"+ export DB_PASSWORD={WORD}\n++ curl -u admin:{WORD}x https://x\n"),
        [WORD],
    ),
    "docker compose config": (
        (f"services:\n  db:\n    environment:\n      POSTGRES_PASSWORD: {WORD}\n"),
        [WORD],
    ),
    "env sort": (
        (f"DB_PASSWORD={WORD}\nHOME=/root\n"),
        [WORD],
    ),
    "github actions log": (
        (f"2026-12-06T10:00:00.0000000Z   DB_PASSWORD: {WORD}\n"),
        [WORD],
    ),
    # a plain word as a command's password: its flag, a setting, a mount option, a prompt
    "helm --set": (f"helm install db bitnami/postgresql --set auth.password={WORD},auth.username=app\n", [WORD]),
    "kubectl --from-literal": (f"kubectl create secret generic db --from-literal=password={WORD}\n", [WORD]),
    "mount -o": (f"sudo mount -t cifs //nas/share /mnt -o username=me,password={WORD},uid=1000\n", [WORD]),
    "gcloud --password": (f"gcloud sql users set-password root --instance=db --password={WORD}\n", [WORD]),
    "openssl pass:": (f"openssl pkcs12 -export -in c.pem -out c.p12 -passout pass:{WORD}\n", [WORD]),
    "openssl enc -k": (f"openssl enc -aes-256-cbc -k {WORD} -in a.txt -out a.enc\n", [WORD]),
    "gpg --passphrase": (f"gpg --batch --passphrase {WORD} -c backup.tar\n", [WORD]),
    "sqlcmd -P": (f'sqlcmd -S localhost -U sa -P {WORD} -Q "SELECT 1"\n', [WORD]),
    "xfreerdp /p:": (f"xfreerdp /v:10.0.0.5 /u:admin /p:{WORD}\n", [WORD]),
    "wget --password": (f"wget --user=me --password={WORD} https://files.example.com/a.tgz\n", [WORD]),
    "curl --proxy-user": (f"curl --proxy-user me:{WORD} https://example.com\n", [WORD]),
    "net user": (f"net user alice {WORD} /add\n", [WORD]),
    "powershell SecureString": (f'$pw = ConvertTo-SecureString "{WORD}" -AsPlainText -Force\n', [WORD]),
    "aws configure prompt": (
        "AWS Access Key ID [None]: AKIAQX4BZ7MEYW2T5JRM\n"
        "AWS Secret Access Key [None]: j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123\n",
        ["j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123"],
    ),
    "Dockerfile ENV/ARG": (f"FROM postgres:16\nARG DB_PASSWORD={WORD}\nENV ADMIN_PASSWORD {WORD}\n", [WORD]),
    "ps eww": (f"  812 ?  Ss  0:00 python app.py HOME=/app DB_PASSWORD={WORD} PATH=/usr/bin\n", [WORD]),
    "cmd.exe set / setx": (f"C:\\app> set DB_PASSWORD={WORD}\nC:\\app> setx SMTP_PASSWORD {WORD}\n", [WORD]),
    "libpq keywords": (f'psql "host=db.internal user=app password={WORD} dbname=app sslmode=require"\n', [WORD]),
    "PGPASSWORD prefix": (f"PGPASSWORD={WORD} psql -h db -U app\n", [WORD]),
    "sudo -S": (f'echo "{WORD}" | sudo -S systemctl restart app\n', [WORD]),
    "redis.conf": (f"bind 127.0.0.1\nrequirepass {WORD}\n", [WORD]),
    "keystore.properties": (f"storePassword={WORD}\nkeyPassword={WORD}\nkeyAlias=upload\n", [WORD]),
    "make output": (
        (f"make: *** [deploy] Error 1\nDB_PASSWORD={WORD} ./deploy.sh\n"),
        [WORD],
    ),
    "python dict repr": (
        (f"{{'user': 'app', 'password': '{WORD}', 'host': 'db'}}\n"),
        [WORD],
    ),
    "ruby hash": (
        (f'{{:user=>"app", :password=>"{WORD}"}}\n'),
        [WORD],
    ),
    "elixir config": (
        (f'config :app, App.Repo,\n  username: "postgres",\n  password: "{WORD}",\n'),
        [WORD],
    ),
    "go dsn": (
        (f'dsn := "app:{WORD}@tcp(db:3306)/app?parseTime=true"\n'),
        [WORD],
    ),
    "odbc conn": (
        (f"Driver={{ODBC Driver 18}};Server=db;UID=sa;PWD={WORD};\n"),
        [WORD],
    ),
    "rails credentials": (
        (f"production:\n  secret_key_base: 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n  database_password: {WORD}\n"),
        ["9f8e7d6c5b4a39281706f5e4d3c2b1a0", WORD],
    ),
    "java jdbc props": (
        (f'props.setProperty("password", "{WORD}");\n'),
        [WORD],
    ),
    "csharp": (
        (f'var conn = new SqlConnection("Server=db;User Id=sa;Password={WORD};");\n'),
        [WORD],
    ),
    "http basic in python": (
        (f'requests.get(url, auth=("admin", "{WORD}"))\n'),
        [WORD],
    ),
    "mongo shell": (
        (f'db.createUser({{user: "app", pwd: "{WORD}", roles: ["readWrite"]}})\n'),
        [WORD],
    ),
    # a key as a crypto call's literal argument, in each language's documented form
    "pyjwt": (f'token = jwt.encode(payload, "{S}", algorithm="HS256")\n', [S]),
    "jsonwebtoken": (f"const t = jwt.sign({{ sub: id }}, '{S}', {{ expiresIn: '1h' }});\n", [S]),
    "fernet": (f'f = Fernet(b"{S}{S}0123=")\n', [S]),
    "node hmac": (f"crypto.createHmac('sha256', '{S}').update(body).digest('hex')\n", [S]),
    "php hash_hmac": (f"$sig = hash_hmac('sha256', $payload, '{S}');\n", [S]),
    "java SecretKeySpec": (f'new SecretKeySpec("{S}".getBytes(), "HmacSHA256")\n', [S]),
    "go jwt": (f'signed, err := token.SignedString([]byte("{S}"))\n', [S]),
    # Oracle's USER/PASSWORD@DB, MinIO's client, lftp's USER,PASSWORD
    "sqlplus": (f"sqlplus -s system/{WORD}@//db.example.com:1521/XEPDB1 @migrate.sql\n", [WORD]),
    "rman": (f"rman target sys/{WORD}@prod\n", [WORD]),
    "mc alias set": (f"mc alias set myminio http://minio:9000 app-access {S}\n", [S]),
    "lftp -u": (f"lftp -u deploy,{WORD} sftp://files.example.com\n", [WORD]),
    # package registries' logins, a key's passphrase, the value written into a secret store
    "poetry http-basic": (f"poetry config http-basic.private deploy {WORD}\n", [WORD]),
    "twine -p": (f"twine upload -u deploy -p {WORD} dist/*\n", [WORD]),
    "nuget add source -p": (
        f"dotnet nuget add source https://nuget.example.com/v3/index.json -n corp -u me -p {WORD} "
        "--store-password-in-clear-text\n",
        [WORD],
    ),
    "npm config set _authToken": (f"npm config set //registry.npmjs.org/:_authToken {S}\n", [S]),
    "yarn config set npmAuthToken": (f"yarn config set npmAuthToken {S}\n", [S]),
    "ssh-keygen -N": (f"ssh-keygen -t ed25519 -N '{PW}' -f ~/.ssh/id_deploy\n", [PW]),
    "az keyvault secret set": (f"az keyvault secret set --vault-name kv1 --name db --value {WORD}\n", [WORD]),
    "aws secretsmanager create-secret": (
        f"aws secretsmanager create-secret --name prod/db --secret-string '{PW}'\n",
        [PW],
    ),
    "aws ssm SecureString": (f"aws ssm put-parameter --name /db/pw --type SecureString --value {WORD}\n", [WORD]),
    "ansible-vault encrypt_string": (f"ansible-vault encrypt_string --name db_password '{PW}'\n", [PW]),
    "hydra -p": (f"hydra -l admin -p {WORD} ssh://10.0.0.5\n", [WORD]),
    "gcloud secrets here-string": (f'gcloud secrets create db --data-file=- <<< "{PW}"\n', [PW]),
    # a token as a URL's user, as git prints a remote and an old GitHub token is used
    "git remote -v": (f"origin\thttps://{S}@gitea.example.com/acme/app.git (fetch)\n", [S]),
    "x-oauth-basic": (f"git clone https://{S}:x-oauth-basic@github.com/acme/app.git\n", [S]),
    # a flag and its value as list items: an MCP server's arguments, a container's args
    "mcp server args": (
        '{"mcpServers": {"search": {"command": "npx", "args": ["-y", "search-mcp", "--api-key", "' + S + '"]}}}\n',
        [S],
    ),
    "claude desktop db args": (
        f'"args": ["-y", "db-mcp", "--db-password", "{WORD}"]\n',
        [WORD],
    ),
    "container args": (
        f"    args:\n      - --token\n      - {S}\n      - --admin-password\n      - {WORD}\n",
        [S, WORD],
    ),
    "dockerfile exec form": (f'CMD ["server", "--auth-token", "{S}"]\n', [S]),
    # what a service prints when it first starts (docker logs)
    "mysql first start": (
        f"2026-12-06T10:00:00.000000Z 6 [Note] [MY-010454] [Server] A temporary password is generated for "
        f"root@localhost: {S}\n",
        [S],
    ),
    "elasticsearch 8 first start": (
        "\u2139\ufe0f  Password for the elastic user (reset with `bin/elasticsearch-reset-password -u elastic`):\n"
        f"  {S}\n\n\u2139\ufe0f  HTTP CA certificate SHA-256 fingerprint:\n",
        [S],
    ),
    "elasticsearch-reset-password": (f"Password for the [elastic] user successfully reset.\nNew value: {S}\n", [S]),
    "jenkins first start": (
        "Jenkins initial setup is required. An admin user has been created and a password generated.\n"
        f"Please use the following password to proceed to installation:\n\n{S}\n\n"
        "This may also be found at: /var/jenkins_home/secrets/initialAdminPassword\n",
        [S],
    ),
    "consul acl bootstrap": (
        "AccessorID:       1b2c3d4e-5f60-7182-93a4-b5c6d7e8f901\n"
        "SecretID:         7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b\n",
        ["7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b"],
    ),
    "vault approle secret-id": (
        "Key                   Value\n---                   -----\n"
        "secret_id             841771dc-11c9-bbc7-bcac-6a3945a69cd9\n"
        "secret_id_accessor    84896a0c-1347-aa90-a4f6-aca8b7558780\n",
        ["841771dc-11c9-bbc7-bcac-6a3945a69cd9"],
    ),
    # az ... keys list, as JSON (the table row is in test_scrub_detectors)
    "az storage account keys list": (
        '[\n  {\n    "keyName": "key1",\n    "permissions": "FULL",\n    "value": "' + AZURE_KEY + '"\n  }\n]\n',
        [AZURE_KEY],
    ),
    "az cognitiveservices account keys list": (
        '{\n  "key1": "4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f",\n  "key2": "9a1b4c3d8e7f6a5b4c3d2e1f4f2c7d0e"\n}\n',
        ["4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f", "9a1b4c3d8e7f6a5b4c3d2e1f4f2c7d0e"],
    ),
    "az servicebus keys list": (f'{{\n  "keyName": "RootManageSharedAccessKey",\n  "primaryKey": "{S}{S}="\n}}\n', [S]),
    # Authorization schemes other than Basic and Bearer, and a header named for its key
    "discord bot header": (f'curl -H "Authorization: Bot {S}.Gx81kQ.{S}{S}" https://discord.com/api\n', [S]),
    "splunk hec header": (
        'curl -H "Authorization: Splunk 0f3a2c1e-1111-2222-3333-444455556666" https://splunk:8088/services/collector\n',
        ["0f3a2c1e-1111-2222-3333-444455556666"],
    ),
    "azure apim header": (
        'curl -H "Ocp-Apim-Subscription-Key: 4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f" https://x\n',
        ["4f2c7d0e9a1b4c3d8e7f6a5b4c3d2e1f"],
    ),
    # values the tool's own JSON marks secret
    "terraform output -json": (
        f'{{\n  "db_password": {{\n    "sensitive": true,\n    "type": "string",\n    "value": "{WORD}"\n  }}\n}}\n',
        [WORD],
    ),
    "aws ssm get-parameter --with-decryption": (
        f'{{\n    "Parameter": {{\n        "Name": "/prod/db/pw",\n        "Type": "SecureString",\n'
        f'        "Value": "{WORD}",\n        "Version": 1\n    }}\n}}\n',
        [WORD],
    ),
    "gcloud secrets versions access --format=json": (
        f'{{\n  "name": "projects/1/secrets/api-token/versions/3",\n  "payload": {{\n    "data": "{S}"\n  }}\n}}\n',
        [S],
    ),
    # short-lived tokens one CLI prints for another
    "gcloud print-access-token": (f"$ gcloud auth application-default print-access-token\nya29.c.b0AXv0z{S}{S}\n", [S]),
    "aws ecr get-login-password": (f"$ aws ecr get-login-password --region us-east-1\neyJwYXlsb2FkIjoi{S * 40}\n", [S]),
    "az get-access-token tsv": (f"$ az account get-access-token --query accessToken -o tsv\n{S}{S}\n", [S]),
    "cloudflared service install": (f"sudo cloudflared service install eyJhIjoi{S}{S}In0=\n", [f"eyJhIjoi{S}{S}In0="]),
}


def _shapes(text: str) -> dict[str, str]:
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    return {
        "printed": Scrubber().scrub_text(text),
        "jsonl": scrub_json_lines([line], Scrubber())[0],
    }


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_no_value_a_command_prints_survives(name):
    text, secrets = COMMANDS[name]
    for shape, out in _shapes(text).items():
        for value in secrets:
            assert value not in out and json.dumps(value)[1:-1] not in out, f"{name} ({shape}) kept {value!r}"


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_no_value_in_a_history_or_code_line_survives(name):
    text, secrets = HISTORIES[name]
    for shape, out in _shapes(text).items():
        for value in secrets:
            assert value not in out, f"{name} ({shape}) kept {value!r}"
