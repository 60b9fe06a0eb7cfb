"""Secret scrubbing: a rule engine and Forge's detectors, typed placeholders, counts-only report.

from forge.scrub import Scrubber, find_secrets, scrub_text
scrub_text("token ghp_...")             # "token <SECRET:github_token>" (any text, any thread)
s = Scrubber(allowlist=["ops@acme.example"])
clean = s.scrub_conversation(conv)      # "<SECRET:github_token>" where the token was
s.report()                              # {"total": 3, "by_kind": {...}, "by_engine": {...}, ...}
"""

from forge.scrub.detectors import Detector, Finding, detectors, register_detector, select_detectors, unregister_detector
from forge.scrub.find import PLACEHOLDER, find_secrets, find_secrets_many, placeholder, redact
from forge.scrub.scrubber import Scrubber
from forge.scrub.text import scrub_text

__all__ = [
    "PLACEHOLDER",
    "Detector",
    "Finding",
    "Scrubber",
    "detectors",
    "find_secrets",
    "find_secrets_many",
    "placeholder",
    "redact",
    "register_detector",
    "scrub_text",
    "select_detectors",
    "unregister_detector",
]
