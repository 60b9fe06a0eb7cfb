"""`python -m forge.cli`: what a detached worker runs (`forge worker` without the entry point)."""

from forge.cli import app

app()
