"""Every kind of secret users' sessions carry (tests/planted_kinds.py), planted in every text field
of a real session of each agent Forge reads (tests/fixtures/real, SOURCES.md): none reaches what
`forge corpus ingest`, `forge dataset build` and `forge scrub --out` write or print, whichever
field a reader keeps (prompt, reply, call argument, tool output, title, metadata).

A text field is a JSON string with a space or a line break in it (prose, commands, output; not
ids, roles or paths); a string that holds JSON (a call's arguments, as OpenAI and Codex write
them, even JSON encoded twice) is planted inside and written back as JSON. Aider's Markdown log
gets them after the first prompts (`####`) and tool lines (`>`) of each of its sessions. The
planted file must still read as the same number of sessions, or the test would prove nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from forge.cli import app
from planted_kinds import needles, plants

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
PLANTS = plants()
FOUND = needles(PLANTS)
BLOCK = "\n".join(p.text for p in PLANTS)
PLANTS_PER_SESSION = 3  # Aider's log: prompts and tool lines planted after, in each session

# one real file per reader (the folder keeps the name a reader or walk expects)
SESSIONS = {
    "codex": "codex/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl",
    "codex-exec": "codex_exec/exec-docs-sample.jsonl",
    "gemini-cli": "gemini_cli/session-2025-12-03T04-27-e0f6ebe9.json",
    "gemini-cli-jsonl": "gemini_cli/entire-checkpoint-full.jsonl",
    "goose": "goose/real_export_v1_46_0.json",
    "openhands": "openhands/basic.json",
    "swe-agent": "swe_agent/function_calling_simple.traj",
    "sharegpt": "sharegpt/conversation.json",
    "openai": "openai_chat/drone_training.jsonl",
    "adp": "adp/mini-coder.sample_std.json",
    "aider": "aider/afi-core/.aider.chat.history.md",
    "claude-code-1.0": "claude_code_1.0",
}


def _plant_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plant_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plant_value(v) for v in value]
    if isinstance(value, str) and (" " in value or "\n" in value):
        stripped = value.strip()
        if stripped[:1] in '{["':  # JSON held in a string (even a JSON string of JSON, as some write arguments)
            try:
                inner = json.loads(stripped)
            except ValueError:
                inner = None
            if isinstance(inner, (dict, list, str)):
                return json.dumps(_plant_value(inner), ensure_ascii=False)
        return value + "\n" + BLOCK
    return value


def _plant_file(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = src.read_text(encoding="utf-8")
    if src.suffix == ".md":
        # after the first prompts and tool lines of each session: every line after every one of
        # them (502 here) made 1.7 MB of planted secrets and a 4-minute test for the same fields
        lines, seen = [], {"#": 0, ">": 0}
        for line in text.splitlines():
            lines.append(line)
            if line.startswith("# aider chat started"):
                seen = {"#": 0, ">": 0}
            field = "#" if line.startswith("#### ") else ">" if line.startswith("> ") and len(line) > 10 else ""
            if field and seen[field] < PLANTS_PER_SESSION:
                seen[field] += 1
                lines += [("> " if field == ">" else "") + t for t in BLOCK.splitlines()]
        dest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif src.suffix == ".jsonl" and text.startswith('{"'):  # (one of them is JSON under that name)
        rows = [json.dumps(_plant_value(json.loads(line)), ensure_ascii=False) for line in text.splitlines() if line]
        dest.write_text("\n".join(rows) + "\n", encoding="utf-8")
    else:
        dest.write_text(json.dumps(_plant_value(json.loads(text)), ensure_ascii=False, indent=1), encoding="utf-8")


def _copy_planted(name: str, root: Path) -> Path:
    src = REAL / SESSIONS[name]
    folder = root / name
    if src.is_dir():
        for f in sorted(src.rglob("*")):
            if f.is_file():
                _plant_file(f, folder / f.relative_to(src))
    else:
        _plant_file(src, folder / Path(SESSIONS[name]).relative_to(SESSIONS[name].split("/")[0]))
    return folder


def _every_file(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _leaked(data: bytes) -> list[str]:
    return sorted({kind for kind, needle in FOUND if needle in data})


def _ingest(runner: CliRunner, src: Path, out: Path) -> dict[str, Any]:
    r = runner.invoke(app, ["corpus", "ingest", str(src), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    return {"report": json.loads(r.stdout), "output": r.output}


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_every_kind_planted_in_every_text_field_reaches_nothing_forge_writes(name, forge_home, tmp_path):
    runner = CliRunner()
    planted = _copy_planted(name, tmp_path / "planted")
    assert _leaked(_every_file(planted)) == sorted({p.kind for p in PLANTS})
    # the planted copy reads as the real file does: same sessions, the same reader
    clean_copy = tmp_path / "real" / name
    src = REAL / SESSIONS[name]
    target = clean_copy / (Path(SESSIONS[name]).relative_to(SESSIONS[name].split("/")[0]) if src.is_file() else "")
    target.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        import shutil

        shutil.copytree(src, target, dirs_exist_ok=True)
    else:
        target.write_bytes(src.read_bytes())
    before = _ingest(runner, clean_copy, tmp_path / "corpus0")["report"]
    ingest = _ingest(runner, planted, tmp_path / "corpus")
    after = ingest["report"]
    assert after["conversations"] == before["conversations"] > 0
    assert after["files_by_reader"] == before["files_by_reader"]
    assert after["scrub"]["total"] > before["scrub"]["total"]  # the plants were read, and found
    r2 = runner.invoke(app, ["dataset", "build", str(tmp_path / "corpus"), "--out", str(tmp_path / "ds"), "--json"])
    # (a session with no learnable turn builds no dataset: that exit is a clear error, not a leak)
    r3 = runner.invoke(app, ["scrub", str(planted), "--out", str(tmp_path / "copy"), "--json"])
    assert r3.exit_code == 0, r3.output
    assert json.loads(r3.stdout)["by_status"].get("skipped", 0) == 0
    written = {
        "corpus": _every_file(tmp_path / "corpus"),
        "dataset": _every_file(tmp_path / "ds") if (tmp_path / "ds").exists() else b"",
        "FORGE_HOME": _every_file(forge_home),
        "scrubbed copy": _every_file(tmp_path / "copy"),
        "printed": (ingest["output"] + r2.output + r3.output).encode(),
    }
    assert _where(written) == []


def _where(buckets: dict[str, bytes]) -> list[str]:
    """Each leak as 'kind in place: ...context...' (the values are made up: safe to print)."""
    out = []
    for place, data in buckets.items():
        for kind, needle in FOUND:
            at = data.find(needle)
            if at >= 0:
                out.append(f"{kind} in {place}: {data[max(0, at - 120) : at + len(needle)]!r}")
    return out
