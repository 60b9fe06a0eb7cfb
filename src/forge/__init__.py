"""Forge: turn AI coding agents' session transcripts into better self-hosted agent models."""

__version__ = "0.1.0"
