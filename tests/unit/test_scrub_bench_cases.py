"""Cases the scrubber benchmark (benchmarks/scrub.py) turned up, and the benchmark corpus itself."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from forge.scrub import Scrubber, find_secrets

_CASES_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "scrub_cases.py"


def _load_cases():
    spec = importlib.util.spec_from_file_location("scrub_cases", _CASES_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("scrub_cases", module)
    spec.loader.exec_module(module)
    return module


SESSION_TOKEN = "IQoJb3JpZ2luX2Vj" + "Zm9vYmFyYmF6cXV4" * 40 + "AbC9+/xY"  # ~660 chars, as STS returns

# (text, secret that must vanish, placeholder kind)
CAUGHT = [
    (f'"SessionToken": "{SESSION_TOKEN}",', SESSION_TOKEN, "aws_session_token"),
    (f"aws_session_token = {SESSION_TOKEN}", SESSION_TOKEN, "aws_session_token"),
    ('curl -H "X-API-Key: 9f8e7d6c5b4a39281706f5e4d3c2b1a0" https://api', "9f8e7d6c5b4a39281706f5e4d3c2b1a0", "secret"),
    ("SECRET_KEY=CwZm2z62RAbLIul18R4sO83bpF2B9CLaPcmy", "CwZm2z62RAbLIul18R4sO83bpF2B9CLaPcmy", "secret"),
    ('  "DJANGO_SECRET_KEY": "e5cd7dff6dd431557a6a1babd1078971",', "e5cd7dff6dd431557a6a1babd1078971", "secret"),
    (
        "SLACK_TOKEN=xoxe.xoxp-1-Mi0yLTExNzQ4ODc3OTgtMjM1NzY4NzY0",
        "xoxe.xoxp-1-Mi0yLTExNzQ4ODc3OTgtMjM1NzY4NzY0",
        "slack_token",
    ),
    (
        "SLACK_APP_TOKEN=xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575",
        "xapp-1-A052FGTS2DL-5171572773297-610b6a11f4b7eb819e87b767d80e6575",
        "slack_token",
    ),
    ("client secret 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", "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", "google_api_key"),
    (
        "token ya29.a0AfH6SMBx3jK9Lm2Np4Qr8St3Uv5Wx7Yz0Ab1Cd2Ef3Gh",
        "ya29.a0AfH6SMBx3jK9Lm2Np4Qr8St3Uv5Wx7Yz0Ab1Cd2Ef3Gh",
        "google_api_key",
    ),
    ("mysql -u root -pKS36DRmHCWMQnV -h db app < schema.sql", "KS36DRmHCWMQnV", "password"),
    ('{"cmd": "ls\\nmysqldump -uroot -pZephyr1507.vel app"}', "Zephyr1507.vel", "password"),
    (
        "echo 'b0qgyndHLOlktWB!0el-nc' | docker login --username ci --password-stdin ghcr.io",
        "b0qgyndHLOlktWB!0el-nc",
        "password",
    ),
    ("PGPASSWORD=%gT%pH7fugySel_I3Bhq psql -h db", "%gT%pH7fugySel_I3Bhq", "password"),
    ('password="%drpuXe77FVlM89"', "%drpuXe77FVlM89", "password"),
    (
        "GET /export?access_token=/M+fWY37XeOzq6oIVB14LHu5i8zUF3DrjHklhvkX7sE= HTTP/1.1",
        "/M+fWY37XeOzq6oIVB14LHu5i8zUF3DrjHklhvkX7sE=",
        "secret",
    ),
]

# Look-alikes that must stay as they are.
KEPT = [
    "GITHUB_TOKEN=ghp_" + "x" * 36,
    "GITLAB_TOKEN=glpat-" + "X" * 20,
    "aws_access_key_id = AKIA" + "X" * 16,
    '[assembly: AssemblyVersion("1.0.0.0")] Version=4.0.0.0',
    "netmask 255.255.255.0 and 255.255.0.0; multicast 224.0.0.251; network 10.1.2.0/24",
    "mysql -u root -p -h db app; mysql --protocol=tcp; mysqldump -p$MYSQL_PWD app",
    "echo $REGISTRY_TOKEN | docker login --username ci --password-stdin ghcr.io",
    "password = %(db_password)s; secret: %APPDATA%\\forge",
    "credentials: ./secrets/creds.json; token_path=/var/run/secrets/token",
    "2026-03-04T10:15:32.389Z INFO step 12:30:45 done",
]


@pytest.mark.parametrize("text,secret,kind", CAUGHT, ids=[c[2] + "-" + str(i) for i, c in enumerate(CAUGHT)])
def test_found_by_the_benchmark_and_now_caught(text, secret, kind):
    out = Scrubber().scrub_text(text)
    assert secret not in out
    assert f"<SECRET:{kind}>" in out


@pytest.mark.parametrize("text", KEPT)
def test_look_alikes_from_the_benchmark_stay(text):
    assert find_secrets(text) == []


def test_ipv4_still_found_next_to_versions_and_in_json_escapes():
    text = json.dumps("v1.2.3 then\n10.20.30.40:5432 and 1.2.3.4.5 and 93.184.216.34")
    assert [f.kind for f in find_secrets(text)] == ["ipv4", "ipv4"]


def test_corpus_is_deterministic_and_labels_point_at_their_text():
    cases = _load_cases()
    a = cases.build_corpus(seed=3, min_bytes=40_000)
    b = cases.build_corpus(seed=3, min_bytes=40_000)
    assert [d.text for d in a] == [d.text for d in b]
    assert sum(len(d.text) for d in a) >= 40_000
    for doc in a:
        for span in doc.spans:
            assert 0 <= span.start < span.end <= len(doc.text)


@pytest.mark.parametrize("seed", [7, 11])
def test_benchmark_corpus_meets_recall_and_precision_targets(seed):
    cases = _load_cases()
    docs = cases.build_corpus(seed=seed, min_bytes=300_000)
    total = caught = found = true_pos = 0
    for doc in docs:
        findings = find_secrets(doc.text)
        positives = [s for s in doc.spans if s.positive]
        for s in positives:
            total += 1
            covered = sum(max(0, min(s.end, f.end) - max(s.start, f.start)) for f in findings)
            caught += covered >= s.end - s.start
        for f in findings:
            found += 1
            true_pos += any(f.start < s.end and s.start < f.end for s in positives)
    assert total > 200 and caught / total >= 0.99
    assert true_pos / found >= 0.95
