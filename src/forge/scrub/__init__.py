"""Secret scrubbing: registered detectors, typed placeholders, counts-only report.

    from forge.scrub import Scrubber, find_secrets
    s = Scrubber(allowlist=["ops@example.com"])
    clean = s.scrub_conversation(conv)      # "<SECRET:github_token>" where the token was
    s.report()                              # {"total": 3, "by_kind": {...}, ...}
"""
from forge.scrub.find import PLACEHOLDER, find_secrets, placeholder, redact
from forge.scrub.detectors import (Detector, Finding, detectors, register_detector,
                                  select_detectors, unregister_detector)
from forge.scrub.scrubber import Scrubber

__all__ = ["Detector", "Finding", "PLACEHOLDER", "Scrubber", "detectors", "find_secrets",
           "placeholder", "redact", "register_detector", "select_detectors", "unregister_detector"]
