"""Training gives the same weights whatever instruction set the host's CPU offers.

Each run is a subprocess, because the caps (forge/numerics.py) act only when torch loads. The
runs train the shipped tiny base for 20 AdamW steps on fixed random tokens and print a digest of
the weights. This host cannot become another CPU, so the tests check what makes machines agree:
importing forge caps torch's kernels at AVX2, the level every x86-64 machine of the last decade
runs, and on a host with AVX-512 they show that the cap is what the agreement rests on: left
native, the weights differ. MKL runs a named branch only on Intel CPUs (elsewhere its AUTO
branch), so machines of two vendors agree only on the branch every vendor runs, which
FORGE_CPU_NUMERICS=portable asks for; on a non-Intel host the tests show the AVX2 cap leaves MKL
where AUTO has it.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from forge.numerics import cpu_vendor

pytestmark = pytest.mark.slow

TRAIN = """
import hashlib
import forge  # noqa: F401 (its import sets the caps, unless FORGE_CPU_NUMERICS=native)
import torch
from transformers import AutoModelForCausalLM
from forge.models.tiny_base import SHIPPED_DIR
torch.manual_seed(0)
model = AutoModelForCausalLM.from_pretrained(SHIPPED_DIR, dtype=torch.float32)
opt = torch.optim.AdamW(model.parameters(), lr=5e-3)
gen = torch.Generator().manual_seed(1)
for _ in range(20):
    ids = torch.randint(0, 4096, (4, 128), generator=gen)
    model(input_ids=ids, labels=ids).loss.backward()
    opt.step()
    opt.zero_grad()
digest = hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in model.parameters())).hexdigest()
print(torch.backends.cpu.get_cpu_capability(), digest)
"""

CAPS = ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "ONEDNN_MAX_CPU_ISA", "FORGE_CPU_NUMERICS")


def _train(**env: str) -> tuple[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in CAPS}
    out = subprocess.run(
        [sys.executable, "-c", TRAIN], env=clean | env, capture_output=True, text=True, timeout=300, check=True
    )
    capability, digest = out.stdout.split()[-2:]
    return capability, digest


def test_forge_caps_cpu_kernels_so_weights_match_an_avx2_host():
    host = _train(FORGE_CPU_NUMERICS="native")
    if host[0] not in ("AVX2", "AVX512"):
        pytest.skip(f"host CPU runs {host[0]} kernels: the cap is for x86-64 hosts with AVX2")
    capped = _train()
    avx2_host = _train(FORGE_CPU_NUMERICS="native", ATEN_CPU_CAPABILITY="avx2", MKL_CBWR="AVX2")
    assert capped[0] == "AVX2"
    assert capped == avx2_host
    assert _train() == capped  # and the same on every run
    if host[0] == "AVX512":
        assert host[1] != capped[1], "AVX-512 kernels round differently: the cap is what makes hosts agree"


def test_portable_numerics_run_the_mkl_branch_every_vendor_runs():
    capped = _train()
    portable = _train(FORGE_CPU_NUMERICS="portable")
    assert portable[0] == "AVX2"
    assert portable[1] != capped[1], "MKL takes the COMPATIBLE branch: other sums than the capped run's"
    assert _train(FORGE_CPU_NUMERICS="portable") == portable
    if cpu_vendor() not in ("GenuineIntel", ""):
        auto = _train(FORGE_CPU_NUMERICS="native", ATEN_CPU_CAPABILITY="avx2", MKL_CBWR="AUTO")
        assert auto == capped, "on this vendor's CPU MKL runs AUTO whatever branch is named"
