"""The maintained rule engine under Forge's detectors: Kingfisher (`kingfisher-secret-scanner`).

Kingfisher (Apache-2.0, Rust + Vectorscan) ships 488 rules at 1.5.0 (the Betterleaks catalogue
and Google's Veles detectors; 47 of them hidden parts of multi-part credentials). One scan of a
buffer does two jobs:

- its built-in rules find provider credentials; each finding becomes a Forge candidate whose
  kind is mapped from the rule id (`betterleaks.github-pat` -> `github_token`,
  `betterleaks.sendgrid-api-token` -> `sendgrid_api_token`);
- Forge's own detectors add their *anchors* as custom rules (`forge.anchor.<detector>`), so the
  same Vectorscan pass says where each Python detector must look. Python regexes then run only in
  small windows around those hits, instead of over every byte.

Verification (live calls to provider APIs) is never used: scanning is offline.

When the package is missing (a platform without its wheel) or fails to load, `get_engine()`
returns None, says so once (a warning), and Forge's own detectors run alone over the whole text.
FORGE_SCRUB_ENGINE=none turns the engine off on purpose (tests of the fallback, benchmarks).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ENGINE_NAME = "kingfisher"
ENGINE_PACKAGE = "kingfisher-secret-scanner"
ANCHOR_PREFIX = "forge.anchor."
# A buffer of many texts joined: no rule needs to match across this (NUL bytes and a newline).
SEPARATOR = b"\n\x00\x00\n"
# The scanner is given at most this much at a time (runs of whole texts): its cost per
# finding grows with the buffer. Measured on the example generator's 162 sessions as one 5.3 MB
# JSONL file through `forge scrub`: 13.5 MB/s in one buffer, 21 in 256 KB pieces, 26.5 in 64 KB;
# on a 5.1 MB file of real sessions (few findings) the same at every size. The scanner alone on
# those sessions (5.8 MB, 2,177 findings and anchor hits): 69 ms in 512 KB pieces, 47 in 64 KB,
# 36 in 16 KB, 37 in 8 KB; its built-in rules alone 37, 23, 20, 21.5.
SCAN_PIECE = 16 * 1024


@dataclass(frozen=True)
class RuleKind:
    """How an engine rule's findings are typed and ranked among Forge's own candidates."""

    kind: str
    priority: int


# Rule-id families that share a placeholder with Forge's own detectors (so a GitHub token is
# <SECRET:github_token> whichever engine found it). Checked in order; first prefix wins.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("github-", "github_token"),
    ("gitlab-", "gitlab_token"),
    ("slack-webhook", "slack_webhook"),
    ("slack", "slack_token"),
    ("aws-access-token", "aws_access_key"),
    ("aws-secret-access-key", "aws_secret_key"),
    ("private-key", "private_key"),
    ("jwt", "jwt"),
    ("openai-", "openai_key"),
    ("anthropic-", "anthropic_key"),
    ("stripe-", "stripe_key"),
    ("gcp-api-key", "google_api_key"),
    ("huggingface-", "huggingface_token"),
    ("npm-access-token", "npm_token"),
    ("npmjsaccesstoken", "npm_token"),
    ("pypi-", "pypi_token"),
    ("generic-credential-uri", "password"),
    ("curl-auth-user", "password"),
    ("curl-auth-header", "secret"),
    ("generic-api-key", "secret"),
)
# Generic rules rank below Forge's key-context detectors and provider formats; everything
# else is a provider format, ranked with Forge's own provider detectors.
_GENERIC = {"generic-api-key", "generic-credential-uri", "curl-auth-user", "curl-auth-header"}
GENERIC_PRIORITY = 62
# Hidden helper rules report parts of multi-part credentials. Those that are secrets are
# replaced; ids, URLs, host and user names are not secrets on their own and stay. A cloud's
# access key id (Alibaba's LTAI...) is replaced, as AWS's AKIA... is: it names one credential.
_HIDDEN_NOT_SECRET = re.compile(
    r"(?:(?<!access-key)-id|client-id|url|host|name|domain|username|address|public-key"
    r"|repository)(?:\.\d+)?\Z"
)


def rule_kind(rule_id: str) -> RuleKind:
    """The Forge kind and priority for an engine rule id (pure: same id, same answer)."""
    short = rule_id.split("/", 1)[1] if "/" in rule_id else rule_id.split(".", 1)[-1]
    short = re.sub(r"\.\d+\Z", "", short)
    for prefix, kind in _FAMILIES:
        if short.startswith(prefix):
            return RuleKind(kind, GENERIC_PRIORITY if short in _GENERIC else 90)
    kind = re.sub(r"[^a-z0-9]+", "_", short.lower()).strip("_") or "secret"
    return RuleKind(kind, GENERIC_PRIORITY if short in _GENERIC else 90)


def hidden_rule_is_secret(rule_id: str) -> bool:
    return not _HIDDEN_NOT_SECRET.search(rule_id)


@dataclass(frozen=True)
class Hit:
    """One engine match in a buffer, in bytes: a provider finding, or a Forge anchor."""

    rule_id: str
    start: int
    end: int


class Engine:
    """A compiled Kingfisher catalogue (built-ins + Forge's anchors) and a scanner over it.

    One per process and anchor set. Scanning is offline and re-entrant: the native scanner is
    shared by threads (measured: concurrent scans return the same findings as serial ones)."""

    def __init__(self, anchors: dict[str, str]):
        from importlib.metadata import version

        import kingfisher_sdk as kf

        self.version = version(ENGINE_PACKAGE)
        self.anchors = dict(anchors)
        self._sharing = shared_anchors(anchors)
        paths = []
        tmp = None
        if anchors:
            tmp = tempfile.TemporaryDirectory(prefix="forge-anchors-")
            path = Path(tmp.name) / "forge-anchors.yml"
            path.write_text(_anchor_yaml(anchors), encoding="utf-8")
            paths.append(str(path))
        try:
            rules = kf.Rules(paths, builtins=True, confidence="medium")
        finally:
            if tmp is not None:
                tmp.cleanup()
        self.rule_count = len(rules) - len(self._sharing)  # (each distinct anchor is one rule)
        visible = {m["id"]: m["visible"] for m in rules.metadata()}
        # which built-in rules become candidates: visible ones, and hidden ones that are secrets
        self._wanted = {
            rid
            for rid, vis in visible.items()
            if not rid.startswith(ANCHOR_PREFIX) and (vis or hidden_rule_is_secret(rid))
        }
        # base64=False: Forge decodes nothing; a secret inside a base64 blob stays inside it, and
        # the blob (a file, an image) is kept. Decoding layers cost half the speed (measured).
        self._scanner = kf.Scanner(rules, base64=False)._native

    def scan(self, data: bytes, starts: Sequence[int] = (0,)) -> tuple[list[Hit], dict[str, list[tuple[int, int]]]]:
        """Provider hits (rule, byte span) and anchor hits per Forge detector name. data: texts
        joined by SEPARATOR, each starting at its offset in `starts` (by default, one text), as
        find.rule_view shows them."""
        found: list[Hit] = []
        anchors: dict[str, list[tuple[int, int]]] = {}
        for base, piece in pieces(data, starts):
            if not piece:
                continue
            for f in self._scanner.scan_bytes(piece):
                rid = f.rule_id
                loc = f.location
                span = (base + loc["start_offset"], base + loc["end_offset"])
                if rid.startswith(ANCHOR_PREFIX):
                    for name in self._sharing[rid[len(ANCHOR_PREFIX) :]]:
                        anchors.setdefault(name, []).append(span)
                elif rid in self._wanted:
                    found.append(Hit(rid, *span))
        return found, anchors

    def describe(self) -> str:
        return f"{ENGINE_NAME} {self.version} ({self.rule_count} rules)"


def pieces(data: bytes, starts: Sequence[int], size: int = SCAN_PIECE) -> list[tuple[int, bytes]]:
    """(offset, piece) of data, texts joined by SEPARATOR that start at `starts`: consecutive
    whole texts, at most `size` bytes together unless one text alone is longer (a text is never
    cut). The separators between pieces are left out."""
    if len(starts) <= 1:
        return [(0, data)]
    ends = [s - len(SEPARATOR) for s in starts[1:]] + [len(data)]
    out: list[tuple[int, bytes]] = []
    first = 0  # the piece's first text
    for i in range(1, len(starts)):
        if ends[i] - starts[first] > size:
            out.append((starts[first], data[starts[first] : ends[i - 1]]))
            first = i
    out.append((starts[first], data[starts[first] :]))
    return out


def view_pattern(anchor: str) -> str:
    """An anchor as the engine runs it: on the rule view (find.rule_view), where a transcript
    line's escaped quote reads ' "', so the optional backslash an anchor allows before a quote
    (key\\\\?" then a colon) may be a blank there."""
    return anchor.replace("\\\\?", "[\\\\ ]?")


def shared_anchors(anchors: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """Each distinct anchor once: the first detector (by name) that has it -> all that have it.
    Detectors that share an anchor (a rule's password and secret forms) share its engine rule,
    so the pattern is compiled and matched once (17 of 251 anchors repeat one)."""
    by_pattern: dict[str, list[str]] = {}
    for name, pattern in sorted(anchors.items()):
        by_pattern.setdefault(pattern, []).append(name)
    return {names[0]: tuple(names) for names in by_pattern.values()}


def _anchor_yaml(anchors: dict[str, str]) -> str:
    """Forge's anchors as Kingfisher custom rules (each distinct pattern once, see
    shared_anchors): no entropy floor, every hit reported."""

    def quoted(value: str) -> str:  # YAML single quotes: a rule id may hold '#', ': ' or quotes
        return "'" + value.replace("'", "''") + "'"

    lines = ["rules:"]
    for name in shared_anchors(anchors):
        pattern = anchors[name]
        lines += [
            f"  - name: {quoted('forge anchor ' + name)}",
            f"    id: {quoted(ANCHOR_PREFIX + name)}",
            f"    pattern: {quoted(view_pattern(pattern))}",
            "    min_entropy: 0",
            "    confidence: medium",
        ]
    return "\n".join(lines) + "\n"


_lock = threading.Lock()
_engines: dict[str, Engine | None] = {}
_warned = False


def engine_disabled() -> bool:
    return os.environ.get("FORGE_SCRUB_ENGINE", "").strip().lower() in ("none", "off", "0", "forge")


def get_engine(anchors: dict[str, str]) -> Engine | None:
    """The process's engine for this anchor set, built on first use; None when unavailable."""
    if engine_disabled():
        return None
    key = hashlib.sha256(repr(sorted(anchors.items())).encode()).hexdigest()
    engine = _engines.get(key, False)
    if engine is not False:
        return engine  # type: ignore[return-value]
    with _lock:
        if key in _engines:
            return _engines[key]
        try:
            engine = Engine(anchors)
        except ImportError:
            _warn_once(
                f"{ENGINE_PACKAGE} is not installed for this platform: secrets are scrubbed "
                f"with Forge's own detectors only, which know fewer provider token formats"
            )
            engine = None
        except Exception as exc:  # a broken wheel or rule cache: still scrub, with our own rules
            _warn_once(
                f"the {ENGINE_NAME} rule engine failed to load ({exc.__class__.__name__}): "
                f"secrets are scrubbed with Forge's own detectors only"
            )
            engine = None
        _engines[key] = engine
        return engine


def _warn_once(message: str) -> None:
    global _warned
    if not _warned:
        _warned = True
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def describe(engine: Engine | None) -> str:
    return engine.describe() if engine is not None else "forge detectors only (no rule engine)"


def anchors_of(detectors: Iterable) -> dict[str, str]:
    """{detector name: anchor pattern source} for detectors whose anchor the engine can run."""
    return {d.name: d.anchor.pattern for d in detectors if d.anchor is not None and d.engine_anchor}
