"""One place that makes CPU arithmetic the same from one machine to the next.

PyTorch and MKL pick their kernels by the CPU's instruction set: on an AVX-512 host their float
sums round differently from an AVX2 host's, and 320 steps of training at the demo's learning
rate then (5e-3, on a 0.8M base) turned that into another model (held-out score 69.6% on an
AVX-512 EPYC against 74.9% on an AVX2 path, same code and data). Capping both at AVX2, which
every x86-64 machine from the last decade has, costs the demo about 5%.

MKL honours a named branch (MKL_CBWR=AVX2) on Intel CPUs only; elsewhere it runs its AUTO branch
(Intel's oneMKL guide, "Specifying Code Branches"), so the cap makes machines of one CPU vendor
agree, not an AMD EPYC and an Intel Xeon (the demo: held-out 82.7% on an EPYC, 85.1% on a
Xeon). The one branch MKL runs the same on every vendor is COMPATIBLE (SSE2 without the
approximate reciprocals), about 3x slower on the matrix products training is made of (the
demo trains at 1,698 tokens/s instead of 3,173): FORGE_CPU_NUMERICS=portable asks for it.

The caps are environment variables that the libraries read once, when they load, so
`pin_cpu_numerics()` runs when `forge` is imported, before any heavy import, and only fills in
what the user has not set. FORGE_CPU_NUMERICS=native leaves the host's fastest kernels.
Thread counts need no cap: the demo's weights are the same with 1, 2 and 4 threads.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

# torch's own kernels, MKL's BLAS (conditional numerical reproducibility), oneDNN's kernels
CPU_CAPS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}
# FORGE_CPU_NUMERICS=portable: MKL's branch that every CPU vendor runs alike
PORTABLE_CAPS = CPU_CAPS | {"MKL_CBWR": "COMPATIBLE"}
# the MKL branches it runs on any vendor's CPU (a named ISA branch only on Intel's)
_ANY_VENDOR_BRANCHES = ("AUTO", "COMPATIBLE")


def pin_cpu_numerics() -> dict[str, str]:
    """Set the caps the user has not set (see the module doc); returns what is in force."""
    mode = os.environ.get("FORGE_CPU_NUMERICS", "").lower()
    if mode == "native":
        return {}
    if mode not in ("", "portable"):
        warnings.warn(f"FORGE_CPU_NUMERICS={mode!r} is not 'native' or 'portable': the AVX2 caps apply", stacklevel=2)
    caps = PORTABLE_CAPS if mode == "portable" else CPU_CAPS
    for name, value in caps.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in caps}


def cpu_vendor() -> str:
    """The CPU's vendor string (GenuineIntel, AuthenticAMD), or '' where the OS does not say."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.startswith("vendor_id"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return ""


def mkl_branch(setting: str | None, vendor: str) -> str:
    """The MKL branch a process runs under MKL_CBWR=setting on this vendor's CPU."""
    if not setting:
        return "off (the fastest for this CPU, not reproducible)"
    branch = setting.upper().split(",")[0].removeprefix("BRANCH=").strip()
    if branch in _ANY_VENDOR_BRANCHES or vendor == "GenuineIntel":
        return branch
    return f"AUTO ({branch} runs on Intel CPUs only)"


def cpu_numerics() -> dict[str, str]:
    """What a training run records about its arithmetic: the kernel level torch runs (after the
    caps), the CPU's vendor and the MKL branch that runs on it, and the caps in force, so two
    runs' artifacts say whether they can match bit for bit."""
    import torch

    vendor = cpu_vendor()
    return {
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_vendor": vendor,
        "mkl_branch": mkl_branch(os.environ.get("MKL_CBWR"), vendor),
    } | {name: os.environ[name] for name in CPU_CAPS if name in os.environ}
