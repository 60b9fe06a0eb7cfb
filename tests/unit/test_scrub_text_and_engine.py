"""scrub_text for every text Forge writes, and the rule engine under the detectors."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading

from forge.scrub import Scrubber, detectors, scrub_text
from forge.scrub.engine import anchors_of, get_engine, rule_kind, view_pattern

# One planted secret of every kind the scrubber must remove from errors, logs, events, replies.
PLANTED = {
    "github_token": "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
    "aws_access_key": "AKIAY34FZKBOKMUTVV7A",
    "private_key": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----"
    ),
    "user": "/home/alice/acme and -home-alice-acme",
    "email": "alice.smith@corp-mail.example",
    "ipv4": "10.20.30.40",
    "netrc": "machine api.example.com login deploy password Zx81kQ0pL2mN",
    "pgpass": "\ndb.internal:5432:app:deploy:Tr0ub4dor&3\n",
    "curl": "curl -u deploy:Qx7!vB2mzz https://ci.example.com",
    "sshpass": "sshpass -p 'Qx7!vB2mz' ssh build-1",
    "redis": "redis-cli -a S3cr3tRedis ping",
    "azure": "AccountKey=q8K3xJvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQcB1xZ3vN6mP9wR2tY5uI8oA4sD7fG0hJ==;",
    "sas": "https://a.blob.core.windows.net/c?sv=2022-11-02&sig=q8K3xJ%2BvY1mN0pLzR7tW9uE4aS6dF2gH5jK8lQ%3D",
    "k8s": "data:\n  password: aHVudGVyMjJzZWNyZXQ=\nkind: Secret\n",
    "gcp": '"private_key_id": "3f786850e387550fdab836ed7e6dc881de23001b"',
    "card": "4539 1488 0343 6467",
    "phone": "+1 415-555-0132",
    "entropy_key": "SERVICE_TOKEN=9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "sendgrid": "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",
    "xml_password": "<server><password>Vq8#mZ2p!Lrw</password></server>",
    "app_key": 'APP_KEY = "p4kq8zt2wm9rx3vb"',
    "jwe": "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKo"
    ".48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4v.XFBoMYUZodetZdvTiFvSkQ",
}
MUST_VANISH = [
    "ghp_aB3dE6gH9jK2mN5pQ8s",
    "AKIAY34FZKBOKMUTVV7A",
    "b3BlbnNzaC1rZXkt",
    "alice",
    "10.20.30.40",
    "Zx81kQ0pL2mN",
    "Tr0ub4dor",
    "Qx7!vB2m",
    "S3cr3tRedis",
    "q8K3xJvY1mN0pLzR7tW9",
    "q8K3xJ%2BvY1mN0",
    "aHVudGVyMjJzZWNyZXQ",
    "3f786850e387550fdab8",
    "4539 1488",
    "555-0132",
    "9f8e7d6c5b4a3928",
    "TwL2iGABf9DHoTf",
    "Vq8#mZ2p",
    "p4kq8zt2wm9r",
    "5eym8TW_c8SuK0ltJ3rp",
]


def test_scrub_text_removes_every_planted_kind_inside_an_error_message():
    error = "job failed: " + " | ".join(PLANTED.values()) + "\nTraceback: ValueError"
    out = scrub_text(error)
    assert [s for s in MUST_VANISH if s in out] == []
    assert out.startswith("job failed: ") and out.endswith("Traceback: ValueError")


def test_scrub_text_is_idempotent_cheap_and_safe_from_threads():
    text = "token " + PLANTED["github_token"]
    expected = "token <SECRET:github_token>"
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.extend(scrub_text(text) for _ in range(50))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 200
    assert scrub_text(expected) == expected and scrub_text("") == "" and scrub_text(42) == "42"


def test_the_engine_is_used_here_and_named_in_the_report():
    engine = get_engine(anchors_of(detectors().values()))
    assert engine is not None, "kingfisher-secret-scanner must be installed on this machine and in CI"
    s = Scrubber()
    s.scrub_text(PLANTED["sendgrid"] + " " + PLANTED["netrc"])
    rep = s.report()
    assert rep["engine"].startswith("kingfisher 1.5.0")
    assert rep["by_engine"] == {"forge": 1, "kingfisher": 1}
    assert "kingfisher" in rep["detectors"]


def test_engine_anchor_hits_equal_pythons():
    """Each detector's anchor, run by the engine, finds what Python's regex finds on the text as
    the engine reads it (find.rule_view, and a JSON text's escaped line breaks as breaks; else a
    detector would silently look in the wrong places)."""
    from forge.scrub.find import _engine_candidates, json_breaks_as_breaks, rule_view

    dets = list(detectors().values())
    plain = list(PLANTED.values()) + [
        "x@y.com a@b --password=x 1.2.3.4 fe80::1ff:fe23:4567:890a /home/bob ::1",
        # anchors that start at a word boundary or a JSON \\n escape, and near misses inside words
        '{"t":"\\nfe80::1%eth0 use std::fs::File; Add::add x4111111111111111 \\n4111111111111111"}',
        "card 5555-5555-5555-4444, key 1-" + "aB3" * 21 + "c, id a1-" + "aB3" * 21 + "c",
    ]
    texts = plain + [json.dumps({"content": t}) for t in plain]  # and as a transcript line holds them
    engine = get_engine(anchors_of(dets))
    _, hits = _engine_candidates(texts, engine, dets)
    for det in dets:
        if det.anchor is None or not det.engine_anchor:
            continue
        anchor = re.compile(view_pattern(det.anchor.pattern), det.anchor.flags)
        for text, h in zip(texts, hits):
            shown = rule_view(json_breaks_as_breaks(text.encode())).decode()
            py = [m.span() for m in anchor.finditer(shown)]
            assert h.get(det.name, []) == py, (det.name, text)


def test_anchor_rules_are_the_same_in_every_process():
    """The engine caches its compiled rules by their text: an anchor built from a set in hash
    order would differ per process, recompile every time (4 s) and fill the cache folder."""
    code = (
        "import hashlib; from forge.scrub import detectors; from forge.scrub.engine import anchors_of, _anchor_yaml\n"
        "print(hashlib.sha256(_anchor_yaml(anchors_of(detectors().values())).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(digests) == 1


def test_an_engine_jwt_must_decode_like_one():
    """The engine's JWT rules match any eyJ....eyJ....x shape; a header that does not decode to JSON
    naming an algorithm is no token (detect-secrets' near miss, Apache-2.0: Yelp/detect-secrets
    tests/plugins/jwt_test.py), and a real one is still replaced whatever its neighbours."""
    from forge.scrub.find import find_secrets

    body = (
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    fake = "eyJhbasdGciOiJIUaddasdasfsasdasdzI1NiIasdsInR5cCI6IkpXVCasdJasd9." + body
    real = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + body
    assert find_secrets(fake) == []
    for text in (real, f"Authorization: Bearer {real}", f'{{"token":"{real}"}}', f"jwt={real};"):
        out = scrub_text(text)
        assert real not in out and "<SECRET:jwt>" in out, text


def test_a_prefix_inside_a_base64_blob_is_data_and_the_blob_stays_whole():
    """A rule's word boundary holds at each '+' and '/' of base64, so random image data holds a
    provider's prefix now and then (Brave's BSA... about once in 13 MB); a placeholder there would
    break the image. The same token standing in text, or in a URL's path, is still replaced."""
    import base64
    import random

    token = "BSAavJjhXubifVeo4l4v8K6GLVZJvO6UV2C"  # (the shape random data gave the rule)
    blob = base64.b64encode(random.Random(3).randbytes(600)).decode()
    inside = blob[:400] + "+" + token + "/" + blob[400:]
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": inside}}
    line = json.dumps({"type": "user", "message": {"content": [image]}})
    assert scrub_text(inside) == inside
    assert scrub_text(line) == line
    for text in (f"BRAVE_API_KEY={token}", f"key: {token}", f"https://example.net/v1/{token}/search"):
        assert token not in scrub_text(text), text


def test_rule_ids_map_to_forge_kinds():
    assert rule_kind("betterleaks.github-pat").kind == "github_token"
    assert rule_kind("betterleaks.aws-access-token").kind == "aws_access_key"
    assert rule_kind("betterleaks.sendgrid-api-token").kind == "sendgrid_api_token"
    assert rule_kind("veles.secrets/cloudflareapitoken").kind == "cloudflareapitoken"
    assert rule_kind("betterleaks.generic-api-key").priority < rule_kind("betterleaks.stripe-access-token").priority


def test_without_the_engine_forge_still_scrubs_and_says_so_once():
    code = (
        "import warnings; warnings.simplefilter('always')\n"
        "from forge.scrub import Scrubber\n"
        "s = Scrubber(); print(s.scrub_text('t ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6'))\n"
        "print(s.scrub_text('again ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ7')); print(s.report()['engine'])\n"
    )
    # a process where the package cannot be imported (as on a platform without its wheel)
    blocker = "import sys; sys.modules['kingfisher_sdk'] = None\n"
    r = subprocess.run([sys.executable, "-c", blocker + code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "t <SECRET:github_token>",
        "again <SECRET:github_token>",
        "forge detectors only (no rule engine)",
    ]
    assert r.stderr.count("kingfisher-secret-scanner is not installed") == 1


def test_code_pair_anchors_stay_quiet_on_a_transcript_lines_own_json():
    """A rule's anchor wakes its detector wherever it hits, so an anchor that matches what every
    transcript line holds (a usage object's {"input_tokens": 8, ...}, an array before the next
    member) costs a search on every line; the code-pair rules' anchors need a secret's name, its
    closing quote and a comma."""
    from forge.scrub.find import _engine_candidates

    dets = list(detectors().values())
    line = json.dumps(
        {
            "message": {"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn"},
            "usage": {"input_tokens": 8, "cache_read_input_tokens": 15099, "output_tokens": 420},
            "files": ["a.py", "b.py"],
            "code": 'el.addEventListener("keydown", f); cfg["token_ttl"] == 3',
        }
    )
    _, hits = _engine_candidates([line], get_engine(anchors_of(dets)), dets)
    quiet = {"pair_secret", "pair_password", "checked_subscript_secret", "checked_subscript_password"}
    assert quiet.isdisjoint(hits[0]), sorted(quiet & hits[0].keys())
