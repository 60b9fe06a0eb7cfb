"""One place that makes CPU arithmetic the same on every x86 machine.

PyTorch and MKL pick their kernels by the CPU's instruction set: on an AVX-512 host their float
sums round differently from an AVX2 host's, and 320 steps of training at the demo's learning
rate then (5e-3, on a 0.8M base) turned that into another model (held-out score 69.6% on an
AVX-512 EPYC against 74.9% on an AVX2 path, same code and data). Capping both at AVX2, which
every x86-64 machine from the last decade has, gives every machine the same weights; the cost
measured on the demo is about 5%.

The caps are environment variables that the libraries read once, when they load, so
`pin_cpu_numerics()` runs when `forge` is imported, before any heavy import, and only fills in
what the user has not set. FORGE_CPU_NUMERICS=native leaves the host's fastest kernels.
Thread counts need no cap: the demo's weights are the same with 1, 2 and 4 threads.
"""

from __future__ import annotations

import os

# torch's own kernels, MKL's BLAS (conditional numerical reproducibility), oneDNN's kernels
CPU_CAPS = {"ATEN_CPU_CAPABILITY": "avx2", "MKL_CBWR": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2"}


def pin_cpu_numerics() -> dict[str, str]:
    """Set the caps the user has not set (see the module doc); returns what is in force."""
    if os.environ.get("FORGE_CPU_NUMERICS", "").lower() == "native":
        return {}
    for name, value in CPU_CAPS.items():
        os.environ.setdefault(name, value)
    return {name: os.environ[name] for name in CPU_CAPS}


def cpu_numerics() -> dict[str, str]:
    """What a training run records about its arithmetic: the kernel level torch runs (after the
    caps) and the caps in force, so two runs' artifacts say whether they can match bit for bit."""
    import torch

    return {"cpu_capability": torch.backends.cpu.get_cpu_capability()} | {
        name: os.environ[name] for name in CPU_CAPS if name in os.environ
    }
