"""Real Claude Code sessions with one secret of every kind a user's sessions are known to carry
planted where a user's would be: typed into the prompt, in a command the agent ran, in what a
command printed (a file it read), in a file the agent wrote.

The session is a real recorded one (`fixtures/real/claude_code/hello-world-script.jsonl`,
DRMacIver/claude-reliability, MIT); only the text of its prompt, its Bash command, that
command's output and its Write call's content change. The values are made up in each
provider's published format (seeded, the same on every run) and are not live. They are built
from pieces so that no whole value sits in this file for a scanner to flag.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

REAL_SESSION = Path(__file__).resolve().parent / "fixtures" / "real" / "claude_code" / "hello-world-script.jsonl"

_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_ALNUM = _UPPER + _LOWER + _DIGITS
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"
_BECH32 = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


@dataclass(frozen=True)
class Plant:
    kind: str  # what the issue calls it
    carrier: str  # prompt | command | output | file
    text: str  # the text planted, the secret inside it
    secrets: tuple[str, ...]  # the values that must never be found again


def _luhn_complete(prefix: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return prefix + str((10 - total % 10) % 10)


def plants(seed: int = 20261205) -> list[Plant]:
    rng = random.Random(seed)

    def r(alphabet: str, n: int) -> str:
        return "".join(rng.choice(alphabet) for _ in range(n))

    age = "AGE-SECRET-KEY-" + "1" + r(_BECH32, 58)
    slack = "xox" + "s-" + r(_DIGITS, 12) + "-" + r(_DIGITS, 12) + "-" + r(_DIGITS, 13) + "-" + r(_HEX, 32)
    sourcegraph = "sg" + "p_" + r(_HEX, 16) + "_" + r(_HEX, 40)
    notion = "nt" + "n_" + r(_DIGITS, 11) + r(_ALNUM, 35)
    fly = "fo" + "1_" + r(_ALNUM + "_-", 43)
    hf_org = "api" + "_org_" + r(_UPPER + _LOWER, 34)
    azure_ad = r(_ALNUM, 3) + r(_DIGITS, 1) + "Q~" + r(_ALNUM + "_~.-", 34)
    account_key = r(_B64, 86) + "=="
    sas_sig = r(_ALNUM, 30) + "%2B" + r(_ALNUM, 10) + "%3D"
    atlassian = "ATA" + "TT3xFfGF0" + r(_ALNUM + "_-", 170) + "=" + r(_HEX.upper(), 8)
    vault = "hv" + "s." + r(_ALNUM + "_-", 90)
    databricks = "da" + "pi" + r(_HEX, 32)
    twilio_sid, twilio_token = "A" + "C" + r(_HEX, 32), r(_HEX, 32)
    sendgrid = "S" + "G." + r(_ALNUM + "_-", 22) + "." + r(_ALNUM + "_-", 43)
    telegram = r(_DIGITS, 10) + ":AA" + r(_ALNUM + "_-", 33)
    discord = "M" + r(_ALNUM, 25) + "." + r(_ALNUM + "_-", 6) + "." + r(_ALNUM + "_-", 38)
    k8s_user, k8s_pass = r(_B64, 16) + "==", r(_B64, 32)
    netrc_pw, pgpass_pw = "Np-" + r(_ALNUM, 14), "Pg-" + r(_ALNUM, 14)
    curl_pw, sshpass_pw, redis_pw = "Cu-" + r(_ALNUM, 14), "Ss-" + r(_ALNUM, 14), "Rd-" + r(_ALNUM, 14)
    gcp_key_id = r(_HEX, 40)
    gcp_pem_lines = [r(_B64, 64) for _ in range(6)]
    card = _luhn_complete("4" + r(_DIGITS, 14))
    phone = "+44 20 7946 " + r(_DIGITS, 4)
    generated, printed = r(_HEX, 64), "Op-" + r(_ALNUM, 14)
    pasted = r(_ALNUM, 32)

    gcp_pem = "-----BEGIN PRIVATE KEY-----\n" + "\n".join(gcp_pem_lines) + "\n-----END PRIVATE KEY-----\n"
    gcp_json = json.dumps(
        {
            "type": "service_account",
            "project_id": "billing-prod-4821",
            "private_key_id": gcp_key_id,
            "private_key": gcp_pem,
            "client_email": "deployer@billing-prod-4821.iam.gserviceaccount.com",
            "client_id": "104729384756102938475",
        },
        indent=2,
    )
    return [
        Plant("age key", "output", f"# created: 2026-11-30T10:12:44Z\n# public key: age1qz\n{age}\n", (age,)),
        Plant("Slack legacy token", "prompt", f"Use this Slack token for the alert bot: {slack}", (slack,)),
        Plant(
            "Sourcegraph token",
            "command",
            f"SRC_ACCESS_TOKEN={sourcegraph} src search 'repo:gastown lang:go sling'",
            (sourcegraph,),
        ),
        Plant("Notion token", "file", f"NOTION_TOKEN={notion}\nNOTION_DB=roadmap\n", (notion,)),
        Plant("Fly.io token", "command", f"fly deploy --access-token {fly} --app refinery", (fly,)),
        Plant(
            "Hugging Face org token",
            "prompt",
            f"Push the model with our org token {hf_org} when the eval passes.",
            (hf_org,),
        ),
        Plant("Azure AD client secret", "file", f"AZURE_CLIENT_ID=8f1c\nAZURE_CLIENT_SECRET={azure_ad}\n", (azure_ad,)),
        Plant(
            "Azure AccountKey",
            "output",
            "DefaultEndpointsProtocol=https;AccountName=gtlogs;"
            f"AccountKey={account_key};EndpointSuffix=core.windows.net\n",
            (account_key,),
        ),
        Plant(
            "Azure SAS sig",
            "prompt",
            "Download the logs from https://gtlogs.blob.core.windows.net/archive/day.tgz?sv=2022-11-02&ss=b"
            f"&srt=o&sp=r&se=2026-12-31T00:00:00Z&spr=https&sig={sas_sig}",
            (sas_sig,),
        ),
        Plant(
            "Atlassian token",
            "command",
            f"curl -H 'Authorization: Bearer {atlassian}' https://x.atlassian.net",
            (atlassian,),
        ),
        Plant("Vault token", "command", f"VAULT_TOKEN={vault} vault kv get secret/refinery", (vault,)),
        Plant(
            "Databricks token",
            "file",
            f"[DEFAULT]\nhost = https://dbc-1.cloud.databricks.com\ntoken = {databricks}\n",
            (databricks,),
        ),
        Plant(
            "Twilio credentials",
            "prompt",
            f"Twilio account {twilio_sid}, auth token {twilio_token}: send the pager SMS through it.",
            (twilio_token,),  # the account SID is an identifier, like a user name; it stays
        ),
        Plant("SendGrid key", "file", f"SENDGRID_API_KEY={sendgrid}\n", (sendgrid,)),
        Plant("Telegram bot token", "prompt", f"The witness bot's token is {telegram}", (telegram,)),
        Plant("Discord bot token", "output", f'{{"discord": {{"token": "{discord}"}}}}\n', (discord,)),
        Plant(
            "Kubernetes Secret",
            "output",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: refinery-db\ntype: Opaque\ndata:\n"
            f"  username: {k8s_user}\n  password: {k8s_pass}\n",
            (k8s_user, k8s_pass),
        ),
        Plant("netrc line", "output", f"machine api.gastown.dev\n  login deploy\n  password {netrc_pw}\n", (netrc_pw,)),
        Plant("pgpass line", "output", f"db.internal:5432:beads:beads_rw:{pgpass_pw}\n", (pgpass_pw,)),
        Plant("curl -u", "command", f"curl -u deploy:{curl_pw} https://ci.gastown.dev/api/json", (curl_pw,)),
        Plant("sshpass -p", "command", f"sshpass -p '{sshpass_pw}' ssh op@town-box uptime", (sshpass_pw,)),
        Plant("redis-cli -a", "command", f"redis-cli -h cache.internal -a {redis_pw} INFO", (redis_pw,)),
        Plant("GCP service account", "output", gcp_json + "\n", (gcp_key_id, *gcp_pem_lines)),
        Plant("card number", "prompt", f"Charge the test order to card {card}, expiry 09/29.", (card,)),
        Plant("phone number", "prompt", f"Page the on-call at {phone} if the refinery stalls.", (phone,)),
        Plant("key pasted in a sentence", "prompt", f"My API key is {pasted}, use it for the deploy.", (pasted,)),
        # bare values a command printed below it (secret_commands.py)
        Plant("generated key", "output", f"$ openssl rand -hex 32\n{generated}\n", (generated,)),
        Plant(
            "password a reader printed", "output", f"$ op read op://Private/refinery/password\n{printed}\n", (printed,)
        ),
    ]


def _plant(entry: dict, carrier: str, text: str) -> bool:
    """Put text into the entry that carries it; True when this entry was one."""
    msg = entry.get("message") or {}
    content = msg.get("content")
    if carrier == "prompt" and entry.get("type") == "user" and isinstance(content, str) and "hello.sh" in content:
        msg["content"] = content + "\n\n" + text
        return True
    if not isinstance(content, list):
        return False
    for block in content:
        if block.get("type") == "tool_use" and block.get("name") == "Bash" and carrier == "command":
            block["input"]["command"] = text + " && " + block["input"]["command"]
            return True
        if block.get("type") == "tool_use" and block.get("name") == "Write" and carrier == "file":
            block["input"]["content"] = text
            return True
        if block.get("type") == "tool_result" and block.get("content") == "Hello world" and carrier == "output":
            block["content"] = text + "Hello world"
            entry["toolUseResult"]["stdout"] = block["content"]
            return True
    if carrier == "file" and (entry.get("toolUseResult") or {}).get("type") == "create":
        entry["toolUseResult"]["content"] = text
    return False


def write_planted_sessions(folder: Path, seed: int = 20261205) -> list[Plant]:
    """One session file per plant under folder/-tmp-planted/ (a Claude Code project folder);
    returns the plants. Every session keeps the real one's shape and gets its own id."""
    project = folder / "-tmp-planted"
    project.mkdir(parents=True, exist_ok=True)
    lines = REAL_SESSION.read_text(encoding="utf-8").splitlines()
    out = plants(seed)
    for i, p in enumerate(out):
        session_id = str(uuid.UUID(int=rng_int(seed, i)))
        planted = 0
        rows = []
        for line in lines:
            entry = json.loads(line)
            if "sessionId" in entry:
                entry["sessionId"] = session_id
            planted += _plant(entry, p.carrier, p.text)
            rows.append(json.dumps(entry, ensure_ascii=False))
        assert planted == 1, f"{p.kind}: {planted} carriers for {p.carrier!r} in the real session"
        (project / f"{session_id}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return out


def rng_int(seed: int, i: int) -> int:
    return random.Random(f"{seed}/{i}").getrandbits(128)


def needles(planted: list[Plant]) -> list[tuple[str, bytes]]:
    """(kind, bytes to search for) for every planted value, raw and as JSON writes it."""
    out = []
    for p in planted:
        for s in p.secrets:
            forms = {s, json.dumps(s)[1:-1]}
            out += [(p.kind, f.encode()) for f in forms]
    return out
