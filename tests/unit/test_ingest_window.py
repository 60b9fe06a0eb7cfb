"""Ingest's time window (`since`, `until`): sessions kept by when they started, on real sessions
(tests/fixtures/real, sources in its SOURCES.md) whose start times differ."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forge.artifacts import ArtifactStore
from forge.errors import ConfigError
from forge.ingest.pool import parse_time
from forge.ingest.stage import IngestConfig, run_ingest

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
# started 2025-10-21T20:04Z, 2025-12-03T04:27Z, 2026-01-15T20:51Z (Gemini CLI);
# 2025-07-15 11:38 and later (aider, no offset: UTC)
SOURCES = [REAL / "gemini_cli", REAL / "aider"]


def kept(tmp_path: Path, **window: str) -> tuple[list[str], dict]:
    cfg = IngestConfig.from_dict({"workers": 1, **window})
    art = run_ingest(ArtifactStore(tmp_path / "store"), SOURCES, cfg)
    report = json.loads(art.file("report.json").read_text())["ingest"]
    convs = [json.loads(line) for line in art.file("conversations.jsonl").read_text().splitlines()]
    return sorted(c["metadata"]["started_at"] for c in convs), report["skipped_conversations"]


def test_sessions_are_kept_by_when_they_started(tmp_path):
    everything, skipped = kept(tmp_path / "all")
    assert len(everything) == 10 and "outside_since_until" not in skipped
    starts, skipped = kept(tmp_path / "since", since="2025-12-01")
    assert starts == ["2025-12-03T04:27:37.940Z", "2026-01-15T20:51:48.582Z"]
    assert skipped["outside_since_until"] == 8
    starts, _ = kept(tmp_path / "window", since="2025-10-21T20:04:20.819Z", until="2026-01-15T20:51:48.582Z")
    assert starts == ["2025-10-21T20:04:20.819Z", "2025-12-03T04:27:37.940Z"]  # since inclusive, until not
    starts, _ = kept(tmp_path / "offset", since="2025-12-03T05:00:00+01:00")  # 04:00 UTC
    assert starts[0] == "2025-12-03T04:27:37.940Z"


def test_a_window_that_is_not_one_is_refused_before_anything_is_read():
    with pytest.raises(ConfigError) as err:
        IngestConfig.from_dict({"since": "last tuesday", "until": "2025-13-01"})
    text = str(err.value)
    assert "'since': not an ISO date or time" in text and "'until': not an ISO date or time" in text
    with pytest.raises(ConfigError, match="must come before"):
        IngestConfig.from_dict({"since": "2026-02-01", "until": "2026-01-01"})


@pytest.mark.parametrize(
    "text, iso",
    [
        ("2026-09-01", "2026-09-01T00:00:00+00:00"),
        ("2026-09-01T12:00:00.5Z", "2026-09-01T12:00:00.500000+00:00"),
        ("2025-07-15 11:38:37", "2025-07-15T11:38:37+00:00"),
        ("2026-09-01T14:00:00+02:00", "2026-09-01T12:00:00+00:00"),
    ],
)
def test_times_read_as_utc_unless_they_say_otherwise(text, iso):
    from datetime import datetime

    assert parse_time(text) == datetime.fromisoformat(iso).timestamp()


@pytest.mark.parametrize("bad", ["", "tomorrow", "2026-13-01", None, 1767225600])
def test_what_is_not_a_time(bad):
    assert parse_time(bad) is None
