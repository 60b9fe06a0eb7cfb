"""tools/gpu_check/cuda_paths.py, the one-shot script run on a GPU machine, works here in its dry run.

The GPU run cannot happen in CI; its dry run takes every code path that does not need CUDA (Forge
LoRA and full fine-tuning through load_model + fit, the HF Trainer and TRL baselines, the report)
on a tiny model for two steps, and reports the CUDA-only parts as skipped, so a broken script is
found here rather than on the borrowed machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "gpu_check" / "cuda_paths.py"


def test_dry_run_measures_the_cpu_paths_and_skips_the_cuda_ones(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((tmp_path / "cuda_paths.json").read_text())
    sections = report["sections"]
    for name in ("environment", "forge_imports", "build", "forge_lora", "forge_full", "hf_trainer", "comparison"):
        assert sections[name]["status"] == "ok", (name, sections[name])
    for name in ("forge_lora", "forge_full", "hf_trainer"):
        assert sections[name]["tokens_per_second"] > 0
        assert sections[name]["steps"] == 2
    assert sections["forge_lora"]["backend"] == "lora"
    assert sections["forge_full"]["backend"] == "full"
    # Forge's training modules pull in none of the CLI layer's packages
    assert sections["forge_imports"]["loaded_heavy"] == []
    assert sections["forge_qlora"]["status"] == "skipped"
    assert sections["vllm"]["status"] == "skipped"
    # the comparison section ends with the ratio line
    log = (tmp_path / "cuda_paths.log").read_text().split("\n== ")
    comparison = next(part for part in log if part.startswith("comparison"))
    assert comparison.strip().splitlines()[-1].startswith("ratio=")
    assert sections["comparison"]["ratio"] > 0
