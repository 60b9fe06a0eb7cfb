"""`scrub_text(text)`: one call for any text Forge writes (errors, logs, events, replies, cards).

Module-level and cheap to call again and again: one Scrubber per process, built on first use
(the rule engine loads once), whose memo makes repeated short strings (error templates, log
lines) nearly free. Safe from any thread: the engine scans re-entrantly, the memo is a dict
read and written whole, and the counts it keeps are not reported anywhere.

It never raises and never hands back raw text it could not scrub: if scrubbing itself fails,
the engine is dropped for Forge's own detectors; if that fails too, the text is withheld.
"""

from __future__ import annotations

import threading

from forge.scrub.scrubber import Scrubber

WITHHELD = "<SECRET:unscrubbed_text>"  # what is written when nothing could vouch for the text

_lock = threading.Lock()
_scrubber: Scrubber | None = None


def _default() -> Scrubber:
    global _scrubber
    s = _scrubber
    if s is None:
        with _lock:
            if _scrubber is None:
                _scrubber = Scrubber()
            s = _scrubber
    return s


def scrub_text(text: str) -> str:
    """text with every secret replaced by its <SECRET:kind> placeholder."""
    if not isinstance(text, str):
        text = str(text)
    if not text:
        return text
    try:
        return _default().scrub_text(text)
    except Exception:  # a broken engine must not turn an error report into a leak or a crash
        pass
    try:
        from forge.scrub.find import find_secrets_many, redact

        ((findings, _),) = find_secrets_many([text], use_engine=False)
        return redact(text, findings)
    except Exception:
        return WITHHELD
