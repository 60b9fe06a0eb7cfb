"""SQL statements that give a database a secret, read where they start in a long text."""

from __future__ import annotations

import pytest

from forge.scrub import Scrubber

# prose that names the statements' words without being one (the engine's anchor hits "update ...
# set" in it): each of these is looked at and passed over
FILLER = "The update is set to ship on Monday; insert the tray into the slot. " * 4000  # ~280 KB


@pytest.mark.parametrize("engine", ["on", "off"])
def test_statements_far_into_a_long_text_are_read_where_they_start(engine, monkeypatch):
    if engine == "off":
        monkeypatch.setenv("FORGE_SCRUB_ENGINE", "none")
    text = (
        FILLER
        + "INSERT INTO users (email, password) VALUES ('ops@example.com', 'marmalade42');\n"
        + FILLER
        + "UPDATE settings SET value = 'Tr0ub4dor-x9' WHERE name = 'smtp_password';\n"
        + FILLER
    )
    s = Scrubber()
    clean = s.scrub_text(text)
    assert "marmalade42" not in clean and "Tr0ub4dor-x9" not in clean
    assert s.report()["by_detector"]["sql_insert_password"] == 2
    assert clean.count(FILLER) == 3  # the prose around them as it was
