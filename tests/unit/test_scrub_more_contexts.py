"""Credentials in contexts agents' sessions show (config_formats.py, cli_passwords.py): cookies,
Wi-Fi keys, archives' and keystores' passwords, sudo -S, expect scripts, service keys. Each
caught bare and in a transcript line; references, prompts, names and worded values stay."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

PW = "Tr0ub4dor-x9Qz"  # made up
TOK = "q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5"
CAUGHT = [
    (f"Cookie: sessionid={TOK}; csrftoken=abc", [TOK]),
    (f"Set-Cookie: session={TOK}; Path=/; HttpOnly", [TOK]),
    (f"curl -b 'connect.sid={TOK}' https://app.example.com/api", [TOK]),
    (f'{{"headers": {{"cookie": "theme=dark; _session={TOK}"}}}}', [TOK]),
    (f'network={{\n  ssid="HomeNet"\n  psk="{PW}"\n}}', [PW]),
    ("interface=wlan0\nwpa_passphrase=sunshine42\n", ["sunshine42"]),
    (f"nmcli dev wifi connect HomeNet password {PW}", [PW]),
    (f"wpa_passphrase HomeNet {PW} > /etc/wpa_supplicant.conf", [PW]),
    (f"zip -r -P {PW} backup.zip data/", [PW]),
    (f"unzip -P {PW} backup.zip", [PW]),
    (f"7z a -p{PW} -mhe=on backup.7z data/", [PW]),
    (f"keytool -genkeypair -alias app -keystore app.jks -storepass {PW} -keypass {PW}x", [PW, PW + "x"]),
    (f"echo {PW} | sudo -S apt-get update", [PW]),
    # a config line as inline code in a sentence
    (
        "Put `DB_PASSWORD=sunshine` in .env and `spring.datasource.password=chrysler` in the properties",
        ["sunshine", "chrysler"],
    ),
    ("the config needs `pwd: Tr0ub4dor99` under [remote]", ["Tr0ub4dor99"]),
    (f"echo '{PW}' | sudo -k -S systemctl restart nginx", [PW]),
    (f'sudo -S apt-get install -y nginx <<< "{PW}"', [PW]),
    (f'expect "password:"\nsend "{PW}\\r"', [PW]),
    (f'spawn ssh deploy@host\nexpect "*assword*"\nsend -- "{PW}\\r"\ninteract', [PW]),
    (f"SUPABASE_SERVICE_ROLE_KEY={TOK}{TOK}", [TOK + TOK]),
    (f"MEILI_MASTER_KEY={TOK}", [TOK]),
    (f'algolia_admin_key: "{TOK}"', [TOK]),
    (f"CREATE USER 'app'@'%' IDENTIFIED BY '{PW}';", [PW]),
    (f'ALTER USER app IDENTIFIED WITH mysql_native_password BY "{PW}";', [PW]),
    (f"CREATE ROLE app WITH LOGIN PASSWORD '{PW}';", [PW]),
    (f"psql -c \"ALTER USER postgres WITH PASSWORD '{PW}';\"", [PW]),
    (f"SET PASSWORD FOR 'app'@'localhost' = PASSWORD('{PW}');", [PW]),
    (f'db.createUser({{user: "app", pwd: "{PW}", roles: ["readWrite"]}})', [PW]),
    (f"auth: {{ user: 'mailer@example.com', pass: '{PW}' }}", [PW]),
    (f"default_pass = {PW}\ndb_pass: {PW}x\nsmtp_pass = '{PW}y'", [PW, PW + "x", PW + "y"]),
    (f"redis-cli CONFIG SET requirepass {PW}", [PW]),
    (f"requirepass {PW}\nmasterauth {PW}x", [PW, PW + "x"]),
    (f"ACL SETUSER app on >{PW} ~cache:* +get", [PW]),
    (f"gpg --batch --passphrase {PW} -c secrets.tar", [PW]),
    (f"gpg --batch --passphrase-fd 0 -c secrets.tar <<< {PW}", [PW]),
    (f"chpasswd <<< 'deploy:{PW}'", [PW]),
    (f"echo 'deploy:{PW}' | sudo chpasswd", [PW]),
    (f"openssl passwd -6 -salt xyz {PW}", [PW]),
    (f"net user deploy {PW} /add", [PW]),
    (f"dscl . -passwd /Users/deploy {PW}", [PW]),
    (f"mysqladmin -u root password '{PW}'", [PW]),
    (f"security add-generic-password -a deploy -s svc -w {PW}", [PW]),
    (f"$pw = ConvertTo-SecureString '{PW}' -AsPlainText -Force", [PW]),
    (f"[System.Environment]::SetEnvironmentVariable('API_TOKEN', '{TOK}', 'User')", [TOK]),
    (f"set -gx DB_PASSWORD {PW}", [PW]),
    (f"The admin password is {PW} for now.", [PW]),
    (f"Use username deploy and password {PW} to log in", [PW]),
    (f"the wifi passphrase was changed to {PW}.", [PW]),
    (f"https://api.example.com/login?user=deploy&pass={PW}", [PW]),
    (f"db:\n  password: |\n    {PW}\n", [PW]),
    (f'dotnet user-secrets set "Db:Password" "{PW}"', [PW]),
    (f"echo {PW} | gh secret set DB_PASSWORD", [PW]),
    (f"echo -n '{PW}' | npx wrangler secret put DB_PASSWORD", [PW]),
    (f"printf '%s' '{PW}' | docker secret create db_password -", [PW]),
    (f"echo {PW} | vercel env add DB_PASSWORD production", [PW]),
]
KEPT = [
    "Cookie: theme=dark; lang=en-US",
    "Set-Cookie: session=deleted; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    "curl -b cookies.txt https://app.example.com",
    'network={\n  ssid="HomeNet"\n  psk=$WIFI_PSK\n}',
    "nmcli dev wifi connect HomeNet --ask",
    "zip -r backup.zip data/",
    "7z x backup.7z -o/tmp/out",
    "keytool -list -keystore app.jks",
    "echo hello | sudo tee /etc/motd",
    "echo $SUDO_PASSWORD | sudo -S apt-get update",
    'expect "password:"\nsend "$env(PASSWORD)\\r"',
    "MEILI_MASTER_KEY=${MEILI_MASTER_KEY}",
    "CREATE USER app IDENTIFIED BY PASSWORD;",
    "ALTER ROLE app WITH PASSWORD NULL;",
    "GRANT ALL ON app.* TO 'app'@'%';",
    'pwd: "/srv/app/current"',
    "pass: '$SMTP_PASSWORD'",
    "first_pass = compute_first()",
    "requirepass ${REDIS_PASSWORD}",
    "net user deploy /delete",
    "net user",
    "openssl passwd -stdin",
    "set -x PATH $PATH /opt/bin",
    "set -x",
    "[System.Environment]::SetEnvironmentVariable('PATH', $path)",
    "The password is required and must be 12 characters.",
    "Click the password reset-link in the e-mail.",
    "password manager v2.3.1 is out",
    "the password is stored in $DB_PASSWORD",
    "GET /login?user=deploy&pass=${PASS}",
    "password: |\n  ${DB_PASSWORD}\n",
    "echo $TOKEN | gh secret set API_TOKEN",
    "echo done | tee log.txt",
    "the field `password: string` is required; `password=None` by default",
    "Use ``peek`` pass :paramref:`_sa.create_engine.json_serializer` to it",
]


@pytest.mark.parametrize(("text", "secrets"), CAUGHT)
def test_caught_bare_and_in_a_transcript_line(text, secrets):
    clean = Scrubber().scrub_text(text)
    assert not [s for s in secrets if s in clean]
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert not [s for s in secrets if json.dumps(s)[1:-1] in clean_line]
    assert json.loads(clean_line)["message"]["content"][0]["content"] == clean


@pytest.mark.parametrize("text", KEPT)
def test_references_prompts_and_worded_values_stay(text):
    assert Scrubber().scrub_text(text) == text


def test_a_token_in_terminal_colours_is_caught_and_the_colours_stay():
    """Coloured output (grep --color, a test runner) puts an escape code right before a token;
    read as the text's boundary, raw and JSON-escaped (\\u001b)."""
    github = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # made up
    text = (
        f"GITHUB_TOKEN=\x1b[01;31m\x1b[K{github}\x1b[m\x1b[K\n"
        f"\x1b[1mAKIAUQ2A3Q81998Z5VX3\x1b[22m\npassword: \x1b[33m{PW}\x1b[0m"
    )
    clean = Scrubber().scrub_text(text)
    assert clean == (
        "GITHUB_TOKEN=\x1b[01;31m\x1b[K<SECRET:github_token>\x1b[m\x1b[K\n"
        "\x1b[1m<SECRET:aws_access_key>\x1b[22m\npassword: \x1b[33m<SECRET:password>\x1b[0m"
    )
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": text}]}})
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert json.loads(clean_line)["message"]["content"][0]["content"] == clean


# A tab between a key and its value (Go and Makefiles indent and align with tabs, TSV columns):
# in a transcript line the tab is the escape \t, read as a blank (find.tabs_as_blanks).
TABBED = [
    (f'package main\n\nvar (\n\tadoPat\t= "{TOK}"\n)\n', [TOK]),
    (f"deploy:\n\tDB_PASSWORD={PW} ./deploy.sh\n", [PW]),
    (f"[db]\npassword\t= {PW}\napi_key\t= {TOK}\n", [PW, TOK]),
    (f"okta_secret:\t{TOK}\n", [TOK]),
]


@pytest.mark.parametrize(("text", "secrets"), TABBED)
def test_a_value_after_a_tab_is_caught_bare_and_in_a_transcript_line(text, secrets):
    test_caught_bare_and_in_a_transcript_line(text, secrets)


def test_a_tab_written_in_code_and_a_windows_path_are_not_read_as_tabs():
    """An escaped backslash before a t in JSON text is code's own "\\t", not a tab; in a plain
    string a backslash and a t are a path's (C:\\Users\\trent): neither is read as a blank."""
    code = 'fmt.Printf("token:\\t%s\\n", token)\nprintf("pass:\\t%s", pass)'
    line = json.dumps({"type": "user", "message": {"content": [{"type": "tool_result", "content": code}]}})
    assert scrub_json_lines([line], Scrubber()) == [line]
    path = "C:\\Users\\trent\\AppData\\Local\\Temp\\build.log"
    assert Scrubber().scrub_text(path) == "C:\\Users\\<SECRET:user>\\AppData\\Local\\Temp\\build.log"
