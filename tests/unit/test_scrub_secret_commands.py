"""Secrets a command printed bare: a generator's fresh key (openssl rand, wg genkey, secrets.token_*)
and a reader's stored one (op read, pass show, terraform output -raw, kubectl ... | base64 -d).
Their output has no key name and no prefix, so only the command says what it is: in one text
(the command at a prompt, its output below), and across records, where Claude Code and Codex keep
a call and its result on separate lines (the real sessions in tests/fixtures/real, with a call and
its result rewritten to run a generator or a reader). Each case here leaked before this module.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from forge.ingest.claude_code import read as read_claude_code
from forge.records import Conversation, Message, SourceRef, ToolCall
from forge.scrub import Scrubber
from forge.scrub.files import scrub_file
from forge.scrub.secret_commands import CommandOutputs, command_of, generated_values, printed_values

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
CLAUDE = REAL / "claude_code_2.1_hooks" / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
CODEX = REAL / "codex" / "rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl"

# made-up values of the shapes each command prints (random-looking, derived, not typed in)
HEX = hashlib.sha256(b"forge test hex").hexdigest()  # openssl rand -hex 32
B64 = "q3Zk8VbR1xN4mT7pL0wY6cJ2hF9sD5gA8eU3iO1rK4M="  # openssl rand -base64 32, wg genkey
LONG_B64 = ("Zx9" + hashlib.sha512(b"forge").hexdigest()[:61], "Qm2" + hashlib.sha512(b"x").hexdigest()[:21] + "==")
URLSAFE = "b7Xq2Lm9Kp4Vz8Rn1Tw6Yc3Hf5Jd0Gs7Ea2Uo9Ik4Q"
PASSWORD = "marmalade-Sky7"

SAME_TEXT = {
    "openssl hex": (f"$ openssl rand -hex 32\n{HEX}\n$ ", [HEX]),
    "openssl base64, wrapped": (f"$ openssl rand -base64 48\n{LONG_B64[0]}\n{LONG_B64[1]}\n", list(LONG_B64)),
    "wg genkey": (f"root@vpn:~# wg genkey\n{B64}\n", [B64]),
    "python secrets": (f'$ python3 -c "import secrets; print(secrets.token_urlsafe(32))"\n{URLSAFE}\n', [URLSAFE]),
    "node randomBytes": (
        f"$ node -e \"console.log(require('crypto').randomBytes(32).toString('hex'))\"\n{HEX}\n",
        [HEX],
    ),
    "urandom": (f"$ head -c 32 /dev/urandom | base64\n{B64}\n", [B64]),
    "laravel": (f"$ php artisan key:generate --show\nbase64:{B64}\n", [B64]),
    "rails secret, in a Read gutter": (f"     1\u2192$ bin/rails secret\n     2\u2192{HEX}{HEX}\n", [HEX]),
    "op read": (f"$ op read op://Private/db/password\n{PASSWORD}\n", [PASSWORD]),
    "pass show": (f"% pass show work/db\n{PASSWORD}\n", [PASSWORD]),
    "keychain": (f"$ security find-generic-password -a me -s deploy -w\n{PASSWORD}\n", [PASSWORD]),
    "terraform": (f"$ terraform output -raw db_password\n{PASSWORD}\n", [PASSWORD]),
    "kubectl": (
        f"$ kubectl get secret db -o jsonpath='{{.data.password}}' | base64 -d\n{PASSWORD}\n",
        [PASSWORD],
    ),
    "aws secretsmanager": (
        f"$ aws secretsmanager get-secret-value --secret-id prod/db --query SecretString --output text\n{PASSWORD}\n",
        [PASSWORD],
    ),
    "printenv": (f"$ printenv STRIPE_SECRET\n{URLSAFE}\n", [URLSAFE]),
    "heroku config:get": (f"$ heroku config:get SECRET_KEY_BASE -a shop\n{HEX}\n", [HEX]),
    "docker secret file": (f"/app # cat /run/secrets/db_password\n{PASSWORD}\n", [PASSWORD]),
    "python one-liner": (f"$ python3 -c \"import os; print(os.environ['API_TOKEN'])\"\n{URLSAFE}\n", [URLSAFE]),
    "echo": (f"$ echo $DB_PASSWORD\n{PASSWORD}\n", [PASSWORD]),
    # password managers and secret stores asked for one value (each CLI's documented form)
    "1password item get": (f"$ op item get db --fields label=password --reveal\n{PASSWORD}\n", [PASSWORD]),
    "lastpass": (f"$ lpass show --password work/db\n{PASSWORD}\n", [PASSWORD]),
    "gnome keyring": (f"$ secret-tool lookup service db user app\n{PASSWORD}\n", [PASSWORD]),
    "python keyring": (f"$ keyring get system app\n{PASSWORD}\n", [PASSWORD]),
    "infisical": (f"$ infisical secrets get DB_PASSWORD --plain\n{PASSWORD}\n", [PASSWORD]),
    "chamber": (f"$ chamber read -q prod db_password\n{PASSWORD}\n", [PASSWORD]),
    "akeyless": (f"$ akeyless get-secret-value --name /prod/db\n{PASSWORD}\n", [PASSWORD]),
    "pulumi config": (f"$ pulumi config get dbPassword\n{PASSWORD}\n", [PASSWORD]),
    "dotenvx": (f"$ dotenvx get STRIPE_SECRET\n{URLSAFE}\n", [URLSAFE]),
    "npm auth token": (f"$ npm config get //registry.npmjs.org/:_authToken\n{URLSAFE}\n", [URLSAFE]),
    "kubectl go-template": (
        f"$ kubectl get secret db -o go-template='{{{{.data.password | base64decode}}}}'\n{PASSWORD}\n",
        [PASSWORD],
    ),
    "kubectl view-secret": (f"$ kubectl view-secret db password\n{PASSWORD}\n", [PASSWORD]),
    "aws session token": (f"$ aws configure get aws_session_token --profile dev\n{LONG_B64[0]}\n", [LONG_B64[0]]),
    "az keys tsv": (
        f"$ az storage account keys list -g rg -n acct --query [0].value -o tsv\n{LONG_B64[0]}==\n",
        [LONG_B64[0]],
    ),
    "openstack token": (f"$ openstack token issue -f value -c id\ngAAAAAB{URLSAFE}{HEX}\n", [URLSAFE]),
}


@pytest.mark.parametrize("name", sorted(SAME_TEXT))
def test_what_a_command_printed_below_it_is_replaced(name):
    text, secrets = SAME_TEXT[name]
    line = json.dumps({"type": "tool_result", "content": text})  # and as a transcript line holds it
    for shown in (text, line):
        out = Scrubber().scrub_text(shown)
        for value in secrets:
            assert value not in out, f"{name}: {value!r} kept in {out!r}"
        assert "<SECRET:secret>" in out


LEFT_ALONE = [
    # digests, ids and hashes that commands print are not generated secrets
    f"$ git rev-parse HEAD\n{HEX[:40]}\n",
    f"$ sha256sum dist/app.tar.gz\n{HEX}  dist/app.tar.gz\n",
    "$ uuidgen\n6f1c2a9e-4b7d-4e3a-9c51-2d8f0b6a7e14\n",
    # the command without its output (written to a file), or named in prose and code
    "$ openssl rand -hex 32 > .secret\n$ ls\n.secret\n",
    "Generate one with `openssl rand -hex 32` and put it in .env.\nThen restart the server.\n",
    'SECRET=$(openssl rand -hex 32)\necho "SECRET=$SECRET" >> .env\n',
    # a reader in a script: the next line is code, not its output
    'if [ -z "$DB_PASSWORD" ]; then\n  echo $DB_PASSWORD\n  done\nfi\n',
    # a reader whose output is an error, a mask or nothing
    "$ pass show db\nError: db is not in the password store.\n",
    "$ terraform output -raw db_password\n<sensitive>\n",
    "$ echo $API_TOKEN\n\n$ ",
    # a stack's plain setting
    "$ pulumi config get aws:region\nus-west-2\n",
]


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_output_that_is_no_secret_is_kept(text):
    assert Scrubber().scrub_text(text) == text


def test_generated_and_printed_values_read_the_output_as_each_command_prints_it():
    assert generated_values(f"{HEX}\n") == [HEX]
    assert generated_values("aiQu5ahb Ohgh4uko Eeph7ahx\nusage: pwgen [ OPTIONS ]\n") == [
        "aiQu5ahb",
        "Ohgh4uko",
        "Eeph7ahx",
    ]
    assert generated_values("Created key.txt\n") == []
    assert printed_values(f"{PASSWORD}\n") == [PASSWORD]
    assert printed_values("[ERROR] 2026/12/06 item not found\n") == []
    assert command_of({"command": "op read op://x/y"}) == "op read op://x/y"
    assert command_of('{"command": ["bash", "-lc", "wg genkey"]}') == "wg genkey"


# --- across records: a real session's call rewritten to run a generator or a reader ----------


def _claude_code_pair(command: str, output: str) -> list[str]:
    """The real Claude Code session with its first Bash call running `command` and the result
    that answers it (in the message and in toolUseResult) holding `output`."""
    lines = CLAUDE.read_text(encoding="utf-8").splitlines(keepends=True)
    call_id = None
    out = []
    for line in lines:
        record = json.loads(line)
        content = (record.get("message") or {}).get("content")
        if isinstance(content, list):
            for block in content:
                if not isinstance(block, dict):
                    continue
                if call_id is None and block.get("type") == "tool_use" and block.get("name") == "Bash":
                    call_id = block["id"]
                    block["input"]["command"] = command
                    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
                elif call_id is not None and block.get("tool_use_id") == call_id:
                    block["content"] = output
                    if isinstance(record.get("toolUseResult"), dict):
                        record["toolUseResult"]["stdout"] = output
                    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        out.append(line)
    assert call_id is not None
    return out


def _reply(text: str) -> str:
    return json.dumps(
        {"type": "assistant", "message": {"role": "assistant", "content": [{"type": "text", "text": text}]}}
    )


@pytest.mark.parametrize(
    "command,output,secret",
    [
        ("openssl rand -hex 32", f"{HEX}\n", HEX),
        ("python3 -c 'import secrets; print(secrets.token_urlsafe(32))'", f"{URLSAFE}\n", URLSAFE),
        ("wg genkey | tee privatekey", f"{B64}\n", B64),
        ("op read op://Private/db/password", f"{PASSWORD}\n", PASSWORD),
        ("kubectl get secret db -o jsonpath='{.data.password}' | base64 -d", PASSWORD, PASSWORD),
    ],
)
@pytest.mark.parametrize("block_chars", [8 * 1024 * 1024, 2_000])  # call and result in one block, or apart
def test_a_claude_code_call_and_its_result_on_separate_lines(tmp_path, command, output, secret, block_chars):
    src = tmp_path / "session.jsonl"
    lines = _claude_code_pair(command, output)
    lines.append(_reply(f"Done: the new value is {secret}. Add it to .env as APP_SECRET.") + "\n")
    src.write_text("".join(lines), encoding="utf-8")
    dest = tmp_path / "clean.jsonl"
    scrubber = Scrubber()
    scrub_file(src, dest, scrubber, block_chars=block_chars)
    clean = dest.read_text(encoding="utf-8")
    assert secret not in clean  # in the result, toolUseResult.stdout and the reply that repeats it
    assert clean.count("<SECRET:secret>") >= 3
    assert scrubber.report()["by_detector"].get("command_output", 0) >= 3
    assert all(json.loads(line) for line in clean.splitlines())
    assert command.split()[0] in clean  # the command itself is kept


def test_a_claude_code_session_read_for_training_loses_the_value_too(tmp_path):
    src = tmp_path / "4d5611e5-241a-462a-8d15-5122611a9569.jsonl"
    src.write_text("".join(_claude_code_pair("openssl rand -hex 32", f"{HEX}\n")), encoding="utf-8")
    (conv,) = [c for c in read_claude_code(src, lambda *a, **k: None) if any(m.tool_calls for m in c.messages)][:1]
    assert any(HEX in m.content for m in conv.messages)  # the reader kept the output
    clean = Scrubber().scrub_conversation(conv)
    assert all(HEX not in m.content for m in clean.messages)


def test_a_codex_call_and_its_output_on_separate_lines(tmp_path):
    """Codex writes a call's arguments as a JSON string, and exec_command's output under a
    header (chunk id, wall time, exit code, then Output:)."""
    lines = CODEX.read_text(encoding="utf-8").splitlines(keepends=True)
    out, call_id = [], None
    for line in lines:
        record = json.loads(line)
        payload = record.get("payload") or {}
        if call_id is None and payload.get("type") == "function_call":
            call_id = payload["call_id"]
            payload["arguments"] = json.dumps({"cmd": "openssl rand -base64 32", "workdir": "/tmp"})
            line = json.dumps(record) + "\n"
        elif (
            call_id is not None and payload.get("type") == "function_call_output" and payload.get("call_id") == call_id
        ):
            payload["output"] = (
                f"Chunk ID: 1a2b3c\nWall time: 0.0100 seconds\nProcess exited with code 0\nOutput:\n{B64}\n"
            )
            line = json.dumps(record) + "\n"
        out.append(line)
    src = tmp_path / "rollout.jsonl"
    src.write_text("".join(out), encoding="utf-8")
    dest = tmp_path / "clean.jsonl"
    scrub_file(src, dest, Scrubber())
    assert B64 not in dest.read_text(encoding="utf-8")


def _conversation(command: str, output: str, reply: str) -> Conversation:
    return Conversation(
        id="c1",
        source=SourceRef("s.jsonl", 1),
        messages=[
            Message("user", "set up the app secret"),
            Message("assistant", "", tool_calls=[ToolCall("call_1", "Bash", {"command": command})]),
            Message("tool", output, tool_call_id="call_1", name="Bash"),
            Message("assistant", reply),
        ],
    )


def test_a_conversation_links_a_call_to_its_tool_message():
    conv = _conversation("rails secret", f"{HEX}{HEX}\n", f"Use {HEX}{HEX} as SECRET_KEY_BASE.")
    scrubber = Scrubber()
    clean = scrubber.scrub_conversation(conv)
    assert all(HEX not in m.content for m in clean.messages)
    assert scrubber.report()["by_detector"]["command_output"] == 2


@pytest.mark.parametrize(
    "command,output",
    [
        ("cat /run/secrets/db_password", f"{PASSWORD}\n"),
        ("cat config/master.key", f"{HEX[:32]}\n"),  # Rails' key
        ("cat /var/jenkins_home/secrets/initialAdminPassword", f"{HEX[:32]}\n"),
        (
            "argocd admin initial-password -n argocd",
            f"{PASSWORD}\n\n This password must be only used for first time login.\n",
        ),
        ("netlify env:get STRIPE_SECRET_KEY", f"{URLSAFE}\n"),
        ('node -e "console.log(process.env.GITHUB_TOKEN)"', f"{URLSAFE}\n"),
        ("python3 -c \"import os; print(os.getenv('DB_PASSWORD'))\"", f"{PASSWORD}\n"),
        ("op item get db --fields password --reveal", f"{PASSWORD}\n"),
        ("pulumi config get dbPassword --stack prod", f"{PASSWORD}\n"),
        ("secret-tool lookup service db", f"{PASSWORD}\n"),
    ],
)
def test_a_secret_file_or_variable_a_call_printed_is_replaced(command, output):
    conv = _conversation(command, output, "ok")
    clean = Scrubber().scrub_conversation(conv)
    value = output.split("\n", 1)[0]
    assert clean.messages[2].content == output.replace(value, "<SECRET:secret>")


@pytest.mark.parametrize(
    "command,output",
    [
        ("git rev-parse HEAD", f"{HEX[:40]}\n"),  # a commit id
        ("cat tests/test_token.py", "import pytest\n"),  # code about tokens
        ("cat secrets.yaml | wc -l", "12\n"),  # a count
        ("python3 -c \"import os; print(len(os.environ['API_KEY']))\"", "51\n"),  # a length
        ("op read op://Private/db/password && ./deploy.sh", "Deploying to prod\n"),  # a reader inside a script
        ("cat build.log", f"{HEX}\n"),  # a digest in a file
        ("cat config/master.key.enc.sha", f"{HEX}\n"),  # not a .key file
    ],
)
def test_outputs_of_other_commands_are_kept(command, output):
    conv = _conversation(command, output, "ok")
    clean = Scrubber().scrub_conversation(conv)
    assert clean.messages[2].content == output


def test_the_tracker_forgets_a_call_once_answered():
    outputs = CommandOutputs()
    outputs.see_call("t1", {"command": "openssl rand -hex 16"})
    line = json.dumps({"message": {"content": [{"tool_use_id": "t1", "type": "tool_result", "content": HEX[:32]}]}})
    outputs.see_json_lines([line], [])
    assert outputs.calls == {} and outputs.values == {HEX[:32]}


def test_a_word_a_reader_printed_is_replaced_only_where_it_printed_it(tmp_path):
    """`postgres` is a password when `echo $DB_PASSWORD` prints it, and a word everywhere else."""
    lines = _claude_code_pair("echo $DB_PASSWORD", "postgres\n")
    lines.append(_reply("The postgres container is up; the password is set.") + "\n")
    src = tmp_path / "session.jsonl"
    src.write_text("".join(lines), encoding="utf-8")
    dest = tmp_path / "clean.jsonl"
    scrub_file(src, dest, Scrubber())
    clean = [json.loads(line) for line in dest.read_text(encoding="utf-8").splitlines()]
    results = [r for r in clean if isinstance(r.get("toolUseResult"), dict) and "<SECRET:" in json.dumps(r)]
    assert len(results) == 1 and "postgres" not in json.dumps(results[0])
    assert "The postgres container is up" in json.dumps(clean[-1])
    conv = _conversation("echo $DB_PASSWORD", "postgres\n", "The postgres container is up.")
    out = Scrubber().scrub_conversation(conv)
    assert out.messages[2].content == "<SECRET:secret>\n" and out.messages[3].content == conv.messages[3].content


def test_a_gemini_cli_call_holds_its_response():
    """Gemini CLI keeps a call's functionResponse inside the call, and heads a shell command's
    output as its real sessions show (tests/fixtures/real/gemini_cli)."""
    record = {
        "type": "gemini",
        "toolCalls": [
            {
                "id": "run_shell_command-1768510312836-c85bc7ab6bf4a8",
                "name": "run_shell_command",
                "args": {"command": "openssl rand -base64 32"},
                "result": [
                    {
                        "functionResponse": {
                            "id": "run_shell_command-1768510312836-c85bc7ab6bf4a8",
                            "name": "run_shell_command",
                            "response": {
                                "output": f"Command: openssl rand -base64 32\nDirectory: (root)\nOutput: {B64}\n"
                                "Error: (none)\nExit Code: 0\nSignal: 0\nBackground PIDs: (none)\n"
                            },
                        }
                    }
                ],
            }
        ],
    }
    outputs = CommandOutputs()
    line = json.dumps(record)
    outputs.see_json_lines([line], [line])
    assert outputs.values == {B64}  # read past Gemini CLI's Command:, Directory: and Output: heading


def test_a_gemini_cli_session_file_loses_the_value(tmp_path):
    """A real Gemini CLI session (one JSON document) with its first shell call rewritten to run a
    generator: the output, and the reply that repeats the value, lose it."""
    session = json.loads((REAL / "gemini_cli" / "session-2025-12-03T04-27-e0f6ebe9.json").read_text(encoding="utf-8"))
    calls = [c for m in session["messages"] for c in m.get("toolCalls") or [] if c["name"] == "run_shell_command"]
    call = calls[0]
    call["args"]["command"] = "openssl rand -base64 32"
    response = call["result"][0]["functionResponse"]["response"]
    response["output"] = (
        f"Command: openssl rand -base64 32\nDirectory: (root)\nOutput: {B64}\nError: (none)\nExit Code: 0"
    )
    session["messages"].append({"id": "m-last", "type": "gemini", "content": f"Put {B64} in .env as APP_KEY."})
    src = tmp_path / "session-2025-12-03T04-27-e0f6ebe9.json"
    src.write_text(json.dumps(session, indent=2), encoding="utf-8")
    dest = tmp_path / "clean.json"
    scrubber = Scrubber()
    scrub_file(src, dest, scrubber)
    clean = dest.read_text(encoding="utf-8")
    assert B64 not in clean and json.loads(clean)["sessionId"] == session["sessionId"]
    assert scrubber.report()["by_detector"]["command_output"] == 2


def test_a_bare_aws_session_token_is_replaced_by_its_opening():
    # STS tokens' base64 opens with the same bytes; printed alone, nothing else names them
    token = "IQoJb3JpZ2luX2VjE" + hashlib.sha512(b"sts").hexdigest() + hashlib.sha512(b"sts2").hexdigest()[:60] + "=="
    out = Scrubber().scrub_text(f"export creds: {token}\n")
    assert token[20:] not in out and "<SECRET:aws_session_token>" in out
    assert Scrubber().scrub_text("IQoJb3JpZ2luX2VjE short\n") == "IQoJb3JpZ2luX2VjE short\n"
