"""What a training run records about its MKL branch (pure: no torch)."""

from __future__ import annotations

import pytest

from forge.numerics import CPU_CAPS, PORTABLE_CAPS, mkl_branch, pin_cpu_numerics


@pytest.mark.parametrize(
    ("setting", "vendor", "branch"),
    [
        ("AVX2", "GenuineIntel", "AVX2"),
        ("AVX2", "AuthenticAMD", "AUTO (AVX2 runs on Intel CPUs only)"),
        ("BRANCH=AVX2,STRICT", "AuthenticAMD", "AUTO (AVX2 runs on Intel CPUs only)"),
        ("COMPATIBLE", "AuthenticAMD", "COMPATIBLE"),
        ("compatible", "GenuineIntel", "COMPATIBLE"),
        ("AUTO", "HygonGenuine", "AUTO"),
        (None, "GenuineIntel", "off (the fastest for this CPU, not reproducible)"),
    ],
)
def test_mkl_branch_follows_intels_rules(setting, vendor, branch):
    assert mkl_branch(setting, vendor) == branch


def test_portable_mode_asks_for_the_compatible_branch_and_keeps_users_settings(monkeypatch):
    for name in CPU_CAPS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORGE_CPU_NUMERICS", "portable")
    assert pin_cpu_numerics() == PORTABLE_CAPS
    assert PORTABLE_CAPS["MKL_CBWR"] == "COMPATIBLE"
    monkeypatch.setenv("MKL_CBWR", "AUTO")  # what the user set stays
    assert pin_cpu_numerics()["MKL_CBWR"] == "AUTO"
    monkeypatch.setenv("FORGE_CPU_NUMERICS", "native")
    assert pin_cpu_numerics() == {}


def test_an_unknown_mode_warns_and_keeps_the_caps(monkeypatch):
    for name in CPU_CAPS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FORGE_CPU_NUMERICS", "portible")
    with pytest.warns(UserWarning, match="'portible' is not 'native' or 'portable'"):
        assert pin_cpu_numerics() == CPU_CAPS
