"""Passwords a tool takes by a short flag or by position (scrub/cli_passwords.py): each command
from its tool's documentation, bare and inside a transcript line; variables, placeholders,
prompts and other flags stay."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

PW = "Tr0ub4dor-x9Qz"  # made up
CAUGHT = [
    f"docker login -u deploy -p {PW} registry.example.com",
    f"podman login quay.io -u deploy -p '{PW}'",
    f"az login --service-principal -u 0000-app -p {PW} --tenant example.onmicrosoft.com",
    f"mongosh mongodb://db.internal:27017 -u admin -p {PW} --authenticationDatabase admin",
    f"mongodump --uri mongodb://db.internal -u admin -p {PW} --out /tmp/dump",
    f"ldapsearch -x -H ldap://ldap.internal -D cn=admin,dc=example,dc=com -w {PW} -b dc=example,dc=com",
    f"mosquitto_pub -h mqtt.internal -u sensor -P {PW} -t home/temp -m 21",
    f"rabbitmqadmin -H mq.internal -u admin -p {PW} list queues",
    f"smbclient //files.internal/share -U deploy%{PW}",
    f"htpasswd -b -c /etc/nginx/.htpasswd deploy {PW}",
    f"htpasswd -nbB deploy {PW}",
    f"rabbitmqctl add_user deploy {PW}",
    f"sudo rabbitmqctl change_password admin {PW}",
    f"net use Z: \\\\files\\share {PW} /user:deploy",
    f"vault login {PW}",
    f"net use Z: \\\\files\\share /user:CORP\\deploy {PW} /persistent:no",
    f"wandb login {PW}",
    f"wandb login --relogin {PW}",
    f"gh secret set DB_PASSWORD --body {PW} --repo org/app",
    f"aws configure set aws_secret_access_key {PW} --profile ci",
    f"aws configure set default.aws_session_token {PW}",
    f"echo {PW} | firebase functions:secrets:set UPSTREAM",
    f"printf '%s' {PW} | npx firebase functions:secrets:set UPSTREAM --project prod",
    f"echo -n {PW} | gcloud secrets create upstream --data-file=-",
    f"echo {PW} | gh auth login --with-token",
    f"gh auth login --hostname github.corp.io --with-token <<< {PW}",
    f"expo login -u alice -p {PW}",
]
KEPT = [
    "docker login -u deploy -p $DOCKER_PASSWORD registry.example.com",
    "docker login -u deploy -p ${{ secrets.REGISTRY_TOKEN }} ghcr.io",
    "docker run -p 8080:80 nginx",
    "az login -u deploy@example.com -p '<password>'",
    "mongosh -u admin -p --authenticationDatabase admin",
    "ldapsearch -x -W -D cn=admin,dc=example,dc=com",
    "smbclient //files.internal/share -U deploy",
    "htpasswd -c /etc/nginx/.htpasswd deploy",
    "rabbitmqctl list_users",
    "net use Z: \\\\files\\share /user:deploy",
    "net use Z: \\\\files\\share * /user:deploy",
    "vault login -method=github token=$GITHUB_TOKEN",
    "net use Z: \\\\files\\share /user:deploy * /persistent:no",
    "wandb login --relogin",
    "wandb login --host https://wandb.internal",
    "vault login\nToken (will be hidden):",
    "gh secret set DB_PASSWORD < password.txt",
    "aws configure set region us-east-1",
    "ssh -p 2222 deploy@host",
    "gh auth login --with-token < token.txt",
]


@pytest.mark.parametrize("command", CAUGHT)
def test_the_password_goes_bare_and_in_a_transcript_line(command):
    clean = Scrubber().scrub_text(command)
    assert PW not in clean and "<SECRET:password>" in clean
    line = json.dumps(
        {"type": "assistant", "message": {"content": [{"type": "tool_use", "input": {"command": command}}]}}
    )
    (clean_line,) = scrub_json_lines([line], Scrubber())
    assert PW not in clean_line
    assert json.loads(clean_line)["message"]["content"][0]["input"]["command"] == clean


@pytest.mark.parametrize("command", KEPT)
def test_variables_prompts_and_other_flags_stay(command):
    assert Scrubber().scrub_text(command) == command
