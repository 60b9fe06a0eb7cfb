"""The scrubber end to end: placeholders, overlaps, escapes, idempotence, records, report."""

from __future__ import annotations

import itertools
import json
import re

import pytest
from test_scrub_detectors import GH, TRUE_POSITIVES

from forge.errors import ConfigError
from forge.records import Conversation, Message, SourceRef, ToolCall, WorkItem
from forge.scrub import Detector, Finding, Scrubber, find_secrets, register_detector, unregister_detector

PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----"
)
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS_KEY_ID = "AKIAQX4BZ7MEYW2T5JRM"  # not AWS's documented AKIA...EXAMPLE, which is left alone


def test_json_escaped_pem_is_one_placeholder():
    escaped = json.dumps({"output": f"$ cat id_rsa\n{PEM}\n$ ls"})  # newlines become \n
    out = Scrubber().scrub_text(escaped)
    assert "MIIEowIBAAKCAQEA" not in out and "END RSA" not in out
    assert json.loads(out)["output"] == "$ cat id_rsa\n<SECRET:private_key>\n$ ls"


def test_truncated_pem_body_is_still_removed():
    cut = PEM.rsplit("\n", 1)[0] + "\n... (output truncated)"
    out = Scrubber().scrub_text(cut)
    assert out == "<SECRET:private_key>\n... (output truncated)"


def test_url_password_keeps_scheme_user_host():
    out = Scrubber().scrub_text("mongodb+srv://app_user:p%40ss:w0rd@cluster0.mongo.net/db?retryWrites=true")
    assert out == "mongodb+srv://app_user:<SECRET:password>@cluster0.mongo.net/db?retryWrites=true"


def test_secrets_inside_double_encoded_tool_output_and_shell_commands():
    inner = json.dumps({"env": f"GITHUB_TOKEN={GH}\nowner=dev@corp.example\nhost=10.1.2.3"})
    twice = json.dumps(inner)  # JSON inside a JSON string: \\n and \" escapes
    out = Scrubber().scrub_text(twice)
    assert GH not in out and "dev@corp.example" not in out and "10.1.2.3" not in out
    assert json.loads(json.loads(out)) == {
        "env": "GITHUB_TOKEN=<SECRET:github_token>\nowner=<SECRET:email>\nhost=<SECRET:ipv4>"
    }
    cmd = f"export AWS_SECRET_ACCESS_KEY='{AWS_SECRET}' && aws s3 ls"
    assert Scrubber().scrub_text(cmd) == "export AWS_SECRET_ACCESS_KEY='<SECRET:aws_secret_key>' && aws s3 ls"


def test_overlaps_keep_the_most_specific_finding():
    # a GitHub token as the value of a generic key: one finding, typed as the token
    assert Scrubber().scrub_text(f'"api_token": "{GH}"') == '"api_token": "<SECRET:github_token>"'
    # the password of a URL is not an e-mail address, even though pass@host looks like one
    assert (
        Scrubber().scrub_text("https://bob:hunter22@mail.example.com/")
        == "https://bob:<SECRET:password>@mail.example.com/"
    )
    findings = find_secrets(f"token={GH} and again {GH}")
    assert [f.kind for f in findings] == ["github_token", "github_token"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(findings))


ALL_POSITIVES = "\n".join(t[1] for t in TRUE_POSITIVES)


@pytest.mark.parametrize("text", [t[1] for t in TRUE_POSITIVES] + [ALL_POSITIVES, json.dumps(ALL_POSITIVES)])
def test_scrubbing_is_idempotent(text):
    s = Scrubber()
    once = s.scrub_text(text)
    assert s.scrub_text(once) == once
    assert find_secrets(once) == []


def test_scrubbing_is_deterministic():
    assert Scrubber().scrub_text(ALL_POSITIVES) == Scrubber().scrub_text(ALL_POSITIVES)


def test_allowlist_keeps_listed_values():
    s = Scrubber(allowlist=["ops@acme.example", "postgres://dev:devpass@localhost"])
    out = s.scrub_text("mail ops@acme.example or eve@acme.example; postgres://dev:devpass@localhost/x")
    assert out == "mail ops@acme.example or <SECRET:email>; postgres://dev:devpass@localhost/x"


def test_detector_selection_and_unknown_names():
    s = Scrubber(detectors=["email"])
    assert s.scrub_text(f"{GH} a@b.example") == f"{GH} <SECRET:email>"
    assert s.report()["detectors"] == ["email"]
    with pytest.raises(ConfigError, match="no_such_detector"):
        Scrubber(detectors=["no_such_detector"])


def test_plugin_detector_registers_like_builtins():
    det = Detector(
        name="test_acme_key",
        kind="acme_key",
        pattern=re.compile(r"(?P<s>ACME-[0-9]{8})"),
        group="s",
        prefilter=("ACME-",),
        priority=90,
    )
    register_detector(det)
    try:
        with pytest.raises(ValueError):
            register_detector(det)
        assert Scrubber().scrub_text("key ACME-12345678 ok") == "key <SECRET:acme_key> ok"
    finally:
        unregister_detector("test_acme_key")
    assert Scrubber().scrub_text("key ACME-12345678 ok") == "key ACME-12345678 ok"
    with pytest.raises(ValueError, match="kind"):
        Detector(name="bad", kind="Bad Kind!", pattern=re.compile("x"))


def _conversation() -> Conversation:
    return Conversation(
        id="sess-1",
        source=SourceRef("/home/op/.claude/projects/x.jsonl", 1),
        messages=[
            Message("system", "You are a polecat. Report to mayor@gastown.example."),
            Message("user", "Deploy with the key in ~/.aws/credentials"),
            Message(
                "assistant",
                "Checking the environment.",
                tool_calls=[
                    ToolCall(
                        "call_1",
                        "Bash",
                        {
                            "command": f"git push https://x:{GH}@github.com/o/r.git",
                            "timeout": 30,
                            "env": {"AWS_SECRET_ACCESS_KEY": AWS_SECRET, "hosts": ["10.0.0.7", "build-runner"]},
                        },
                    )
                ],
            ),
            Message("tool", f"AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n{PEM}", tool_call_id="call_1", name="Bash"),
            Message("assistant", "Done; the keys above should be rotated."),
        ],
        tools=[
            {
                "type": "function",
                "function": {"name": "Bash", "description": "Run a shell command", "parameters": {"type": "object"}},
            }
        ],
        agent_role="polecat",
        task="git-workflow",
        outcome="success",
        work_item="gt-a1b2",
        metadata={"cwd": "/home/alice/gt/rig", "branch": "polecat/alice-fix", "tokens": 1234},
    )


def test_conversation_scrubbing_covers_every_text_field():
    conv = _conversation()
    before = json.dumps(conv.to_dict())
    s = Scrubber()
    clean = s.scrub_conversation(conv)
    assert json.dumps(conv.to_dict()) == before, "the input conversation must not change"
    dumped = json.dumps(clean.to_dict())
    for secret in (
        GH,
        AWS_SECRET,
        AWS_KEY_ID,
        "MIIEowIBAAKCAQEA",
        "10.0.0.7",
        "mayor@gastown.example",
        "/home/alice",
    ):
        assert secret not in dumped
    call = clean.messages[2].tool_calls[0]
    assert call.id == "call_1" and call.name == "Bash"
    assert call.arguments["command"] == "git push https://x:<SECRET:github_token>@github.com/o/r.git"
    assert call.arguments["timeout"] == 30  # non-strings kept as they are
    assert call.arguments["env"] == {
        "AWS_SECRET_ACCESS_KEY": "<SECRET:aws_secret_key>",
        "hosts": ["<SECRET:ipv4>", "build-runner"],
    }
    tool = clean.messages[3]
    assert tool.content == "AWS_ACCESS_KEY_ID=<SECRET:aws_access_key>\n<SECRET:private_key>"
    assert (tool.tool_call_id, tool.name) == ("call_1", "Bash")
    assert clean.metadata == {"cwd": "/home/<SECRET:user>/gt/rig", "branch": "polecat/alice-fix", "tokens": 1234}
    assert (clean.id, clean.work_item, clean.agent_role, clean.task, clean.outcome) == (
        "sess-1",
        "gt-a1b2",
        "polecat",
        "git-workflow",
        "success",
    )
    assert clean.source == conv.source and clean.tools == conv.tools


def test_report_counts_and_never_holds_a_secret():
    s = Scrubber()
    s.scrub_conversation(_conversation())
    s.scrub_conversation(
        Conversation(id="sess-2", messages=[Message("user", "nothing secret here")], source=SourceRef("b.jsonl", 1))
    )
    s.scrub_work_item(WorkItem(id="gt-c3d4", title="Rotate key for deploy@corp.example", status="open"))
    report = s.report()
    assert report["by_kind"] == {
        "aws_access_key": 1,
        "aws_secret_key": 1,
        "email": 2,
        "github_token": 1,
        "ipv4": 1,
        "private_key": 1,
        "user": 1,
    }
    assert report["total"] == 8
    assert report["conversations"] == 2 and report["conversations_with_findings"] == 1
    assert report["work_items"] == 1 and report["work_items_with_findings"] == 1
    assert "github_token" in report["detectors"]
    text = json.dumps(report)
    for secret in (GH, AWS_SECRET, AWS_KEY_ID, "MIIE", "10.0.0.7", "alice", "corp.example.com"):
        assert secret not in text


def test_work_item_title_is_scrubbed():
    item = WorkItem(id="gt-c3d4", title="Fix login for bob@corp.example on 192.168.1.20", status="open")
    clean = Scrubber().scrub_work_item(item)
    assert clean.title == "Fix login for <SECRET:email> on <SECRET:ipv4>"
    assert clean.id == "gt-c3d4" and item.title.startswith("Fix login for bob@")


def test_findings_hold_positions_not_values():
    (f,) = find_secrets(f"x {GH} y")
    assert f == Finding("github_token", 2, 2 + len(GH), "github_token")


@pytest.mark.parametrize(
    "blob",
    [
        "a" * 50_000,
        "1." * 30_000,
        ":" * 20_000 + "1",
        "a@" * 20_000,
        "-----BEGIN RSA PRIVATE KEY-----" + "A" * 50_000,
        "password=" * 5_000,
        "x" * 20_000 + "@" + "y." * 10_000,
        "/home/" * 10_000,
        "\\n" * 20_000 + "eyJ" * 5000,
    ],
)
def test_pathological_inputs_finish(blob):
    # no timing assertion: a catastrophic-backtracking regex would make this test hang instead
    assert isinstance(Scrubber().scrub_text(blob), str)


def test_idempotent_on_random_splices_of_secrets_and_near_misses():
    import random

    from test_scrub_detectors import NEAR_MISSES, PRECISION

    frags = [t[1] for t in TRUE_POSITIVES] + [t[1] for t in NEAR_MISSES] + PRECISION
    seps = [" ", "\n", "\\n", '"', ":", "=", "@", ".", "/", "", ",", "<", ">", "-", "_"]
    rng, s = random.Random(7), Scrubber()
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 5)):
            frag = rng.choice(frags)
            if rng.random() < 0.3:  # a slice, to glue half-secrets to their neighbours
                a = rng.randrange(len(frag))
                frag = frag[a : a + rng.randint(5, 60)]
            parts += [frag, rng.choice(seps)]
        text = "".join(parts)
        text = json.dumps(text) if rng.random() < 0.3 else text
        once = s.scrub_text(text)
        assert s.scrub_text(once) == once, text


def test_a_placeholder_ends_a_commands_flag_search_so_a_second_scrub_adds_nothing():
    """(found by the random splices above) docker login's -p may come after other words; once its
    value is a placeholder, the search must not reach on to a later -p of the same line."""
    text = "docker login -u deploy -p S3cr3tD0cker ghcr.io.mysql -u root -p mydb < dump.sql"
    s = Scrubber()
    once = s.scrub_text(text)
    assert "S3cr3tD0cker" not in once and "-p mydb" in once
    assert s.scrub_text(once) == once


def test_a_password_hash_glued_to_a_secret_goes_in_one_pass():
    """The hash counts only where no word character precedes its '$'; once the secret before it
    is a placeholder ('>'), it does: the first pass must already take it (found by the random
    splices above)."""
    text = (
        "curl https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Zx81kQ0pL2mN4bV6cX8z_"
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"
    )
    once = Scrubber().scrub_text(text)
    assert once == "curl <SECRET:slack_webhook><SECRET:password_hash>"
