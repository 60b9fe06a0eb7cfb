"""Forge: turn AI coding agents' session transcripts into better self-hosted agent models."""

from forge.numerics import pin_cpu_numerics

__version__ = "0.1.0"

# before torch or MKL can load: the same weights on every machine (see forge/numerics.py)
pin_cpu_numerics()
