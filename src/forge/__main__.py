"""`python -m forge` runs the command-line interface, as the `forge` command does."""

from forge.cli import app

app()
