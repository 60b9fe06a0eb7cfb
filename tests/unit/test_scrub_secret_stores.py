"""Values given to a secret store or an app's environment on a command line
(scrub/secret_stores.py): each command's shape from its tool's documentation, bare, inside a
transcript line and with the engine off; settings, references and other commands stay."""

from __future__ import annotations

import json

import pytest

from forge.scrub import Scrubber
from forge.scrub.files import scrub_json_lines

KEY = "Zq8vK3mW9pR2tY7uLx4N"  # made up: generated-looking
WORD = "bluehorizon"  # made up: a plain word, a secret only in a secret store

# names that say nothing, so only the command says the value is a secret
STORED = [
    f"fly secrets set UPSTREAM={KEY}",
    f"flyctl secrets set -a api UPSTREAM={WORD} OTHER={KEY} --stage",
    f'fly secrets set UPSTREAM="{WORD}"',
    f"fly secrets set 'UPSTREAM={WORD}'",
    f"npx supabase secrets set EDGE_VALUE={WORD}",
    f"doppler secrets set UPSTREAM={WORD} --project api --config prd",
    f"infisical secrets set UPSTREAM={WORD} --env=prod",
    f"vault kv put -mount=secret app upstream={WORD} ttl={KEY}",
    f"vault kv patch secret/app upstream={WORD}",
    f"kubectl create secret generic app --from-literal=upstream={WORD} -n prod",
    f"kubectl create secret generic app --from-literal upstream={WORD}",
    f"netlify env:set UPSTREAM {WORD} --secret",
    f'gh secret set UPSTREAM -b"{WORD}"',
    f'gh secret set UPSTREAM --body="{WORD}"',
]
ENVIRONMENT = [
    f"heroku config:set UPSTREAM={KEY} -a myapp",
    f'railway variables --set "UPSTREAM={KEY}"',
    f"eb setenv UPSTREAM={KEY} LOG_LEVEL=info",
    f"kubectl set env deployment/web UPSTREAM={KEY} LOG_LEVEL=debug",
    f"firebase functions:config:set upstream.value={KEY}",
    f'gcloud run deploy api --image gcr.io/p/api --set-env-vars "A=plain,UPSTREAM={KEY},C=3"',
    f"gcloud functions deploy fn --update-env-vars=UPSTREAM={KEY},B=2",
    f"az webapp config appsettings set -g rg -n app --settings WEBSITE_RUN_FROM_PACKAGE=1 UPSTREAM={KEY}",
    f'aws lambda update-function-configuration --function-name f --environment "Variables={{A=1,UPSTREAM={KEY}}}"',
    f"docker run --rm -e PORT=8080 -e UPSTREAM={KEY} -p 80:80 nginx",
    f"docker compose run --env=UPSTREAM={KEY} web",
    f"netlify env:set UPSTREAM {KEY}",
    f"cf set-env myapp UPSTREAM {KEY}",
    f"dotenv set UPSTREAM {KEY}",
    f"setx UPSTREAM {KEY}",
    f"claude mcp add -e UPSTREAM={KEY} myserver -- npx -y my-mcp-server",
    f"gemini mcp add --env UPSTREAM={KEY} myserver npx my-mcp-server",
    f"setx /M UPSTREAM {KEY}",
    # a name that says secret: any literal value
    f"docker run -e API_TOKEN={WORD} img",
    f"setx DB_PASSWORD {WORD}",
    f"cf set-env app DB_PASSWORD {WORD}",
    f"gcloud run deploy a --set-env-vars=STRIPE_KEY={WORD},B=2",
]
KEPT = [
    "fly secrets set DATABASE_URL=$DATABASE_URL SECRET=${SECRET}",
    "fly secrets set UPSTREAM='<your-value>'",
    "fly secrets list",
    "npx supabase secrets set --env-file ./supabase/.env",
    "heroku config:set NODE_ENV=production WEB_CONCURRENCY=2",
    "gcloud run deploy api --set-env-vars LOG_LEVEL=debug,REGION=europe-west1",
    "docker run --rm -e PORT=8080 -e NODE_ENV=production nginx",
    "docker build --build-arg VERSION=1.2.3 .",
    f"docker run --label build={KEY} nginx",  # a label, not the environment
    "kubectl create secret generic app --from-file=./creds.json",
    "netlify env:set NODE_VERSION 20",
    "cf set-env myapp LOG_LEVEL debug",
    f"docker run -e UPSTREAM={WORD} img",  # a plain word under a name that says nothing: a setting
    "setx PATH C:\\tools\\bin",
    f"echo fly secrets set is how; then UPSTREAM={KEY} on another line\nexport UPSTREAM_ID={KEY[:6]}",
    "vault kv get -mount=secret app",
]


def _line(command: str) -> str:
    call = {"type": "tool_use", "name": "Bash", "input": {"command": command}}
    return json.dumps({"type": "assistant", "message": {"content": [call]}})


@pytest.mark.parametrize("command", STORED + ENVIRONMENT)
@pytest.mark.parametrize("engine", ["on", "off"])
def test_the_value_goes_bare_and_in_a_transcript_line(command, engine, monkeypatch):
    if engine == "off":
        monkeypatch.setenv("FORGE_SCRUB_ENGINE", "none")
    clean = Scrubber().scrub_text(command)
    assert KEY not in clean and WORD not in clean, clean
    (clean_line,) = scrub_json_lines([_line(command)], Scrubber())
    assert KEY not in clean_line and WORD not in clean_line
    assert json.loads(clean_line)["message"]["content"][0]["input"]["command"] == clean


def test_each_value_of_a_command_is_its_own_finding():
    s = Scrubber()
    clean = s.scrub_text(f"fly secrets set A={WORD} B={KEY} C='{WORD}x'")
    assert clean == "fly secrets set A=<SECRET:secret> B=<SECRET:secret> C='<SECRET:secret>'"
    assert s.report()["by_detector"]["secret_store_value"] == 3


def test_the_command_ends_where_the_shell_says():
    # a pipe, a ; and a line break end the command: what follows is not given to the store
    for text in (
        f"fly secrets set A=1 | tee log; UPSTREAM={WORD}",
        f"fly secrets set A=1\nUPSTREAM={WORD}",
        json.dumps(f"fly secrets set A=1\nUPSTREAM={WORD}"),
    ):
        assert WORD in Scrubber().scrub_text(text), text
    # ... a continuation does not
    assert WORD not in Scrubber().scrub_text(f"fly secrets set A=1 \\\n  UPSTREAM={WORD}")


@pytest.mark.parametrize("command", KEPT)
def test_settings_references_and_other_commands_stay(command):
    assert Scrubber().scrub_text(command) == command
