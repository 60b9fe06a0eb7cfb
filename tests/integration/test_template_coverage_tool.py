"""tools/template_coverage.py end to end: the real Claude Code sessions in tests/fixtures/real,
read and built by the CLI, planned into windows under Llama 3.1's real template. Every turn is
learned: parallel calls one per message, a Stop hook's feedback kept between two replies."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from real_models import llama_models_dir

TOOL = Path(__file__).resolve().parents[2] / "tools" / "template_coverage.py"


def test_llama3_learns_every_turn_of_the_real_claude_code_sessions(capsys):
    llama_models_dir()  # the real templates, or a skip (a failure in CI)
    spec = importlib.util.spec_from_file_location("template_coverage", TOOL)
    assert spec and spec.loader
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert tool.main(["--template", "meta-llama-Llama-3.1-8B-Instruct.jinja", "--length", "8192"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("SFT rows from Claude Code's real sessions") and int(out[0].split()[0]) >= 18
    (line,) = out[1:]
    learned, of = re.search(r"learned +(\d+) of (\d+)", line).groups()
    assert learned == of and int(of) > 130 and "dropped: none" in line  # 130 turns, parallel ones split
