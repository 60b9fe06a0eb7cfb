"""A user's secret rule as Forge runs it: its regex, secret group, entropy floor, keywords and
allowlists, and the detector it becomes beside Forge's own (`rules:<id>`). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from forge.scrub.detectors import Detector
from forge.scrub.validators import shannon_entropy

RULE_PREFIX = "rules:"  # detector names of custom rules: rules:<rule id>
PRIORITY = 90  # as provider formats: an explicit rule outranks key-context guesses


@dataclass(frozen=True)
class Allowlist:
    regexes: tuple[Any, ...] = ()  # compiled, re's API (RE2 or re)
    target: str = "secret"  # what the regexes are matched against: secret | match | line
    stopwords: tuple[str, ...] = ()  # lower case; a secret containing one is allowed
    # AND: every criterion must hold. A path or commit criterion cannot be judged on a
    # transcript's text, so an AND list that has one never allows (the secret is scrubbed).
    all_of: bool = False
    undecidable: bool = False  # has path/commit criteria
    rules: frozenset[str] = frozenset()  # global lists only: the rule ids it applies to (empty: all)

    def allows(self, secret: str, match: str, line: str) -> bool:
        target = match if self.target == "match" else line if self.target == "line" else secret
        by_regex = bool(target) and any(r.search(target) for r in self.regexes)
        low = secret.lower()
        by_word = bool(secret) and any(w in low for w in self.stopwords)
        if self.all_of:
            checks = ([by_regex] if self.regexes else []) + ([by_word] if self.stopwords else [])
            return not self.undecidable and bool(checks) and all(checks)
        return by_regex or by_word


@dataclass
class Rule:
    id: str
    pattern: Any  # compiled, re's API: RE2 for gitleaks' Go regexes, re for Kingfisher's translated
    source: str  # the file it came from (for messages)
    secret_group: int = 0  # 0: the first capture group that matched, else the whole match
    group_or_whole: bool = False  # Kingfisher: secret_group if it took part, else the whole match
    min_entropy: float = 0.0
    keywords: tuple[str, ...] = ()
    allowlists: list[Allowlist] = field(default_factory=list)
    description: str = ""


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    allowlists: list[Allowlist] = field(default_factory=list)  # global (gitleaks)
    notes: list[str] = field(default_factory=list)  # what was read but does not apply


_LINE_BREAK = re.compile(r"\n|\\[nr]")  # a line break, or one escaped in a JSON string
MAX_LINE_SIDE = 4096


def _line_at(text: str, start: int, end: int) -> str:
    """The line the match lies on, as an allowlist's `regexTarget = "line"` sees it. In a JSONL
    record, a tool output's lines are joined by escaped line breaks: the line ends at those too,
    or an allowlist written for one line would pass a whole record's secrets."""
    lo = max(0, start - MAX_LINE_SIDE)  # (a longer line is cut: a narrower line allows less)
    for m in _LINE_BREAK.finditer(text, lo, start):
        lo = m.end()
    hi = min(len(text), end + MAX_LINE_SIDE)
    nxt = _LINE_BREAK.search(text, end, hi)
    return text[lo : nxt.start() if nxt else hi]


def rule_spans(rule: Rule, global_lists: Sequence[Allowlist], text: str) -> Iterator[tuple[int, int]]:
    """The rule's secrets in text, as (start, end)."""
    lists = [a for a in global_lists if not a.rules or rule.id in a.rules] + rule.allowlists
    try:
        matches = list(rule.pattern.finditer(text))
    except UnicodeEncodeError:
        # RE2 reads UTF-8, and forge scrub keeps undecodable bytes as lone surrogates: each
        # becomes '?', one character for one, so every span still fits the text
        text = text.encode("utf-8", "replace").decode("utf-8")
        matches = list(rule.pattern.finditer(text))
    for m in matches:
        if rule.secret_group:
            if m.group(rule.secret_group) is not None:
                start, end = m.span(rule.secret_group)
            elif rule.group_or_whole:
                start, end = m.span()
            else:
                continue
        else:
            start, end = m.span()
            for g in range(1, (rule.pattern.groups or 0) + 1):
                if m.group(g):
                    start, end = m.span(g)
                    break
        secret = text[start:end]
        if not secret.strip("\n"):
            continue
        if rule.min_entropy and shannon_entropy(secret) <= rule.min_entropy:
            continue
        if lists and any(a.allows(secret, m.group(0), _line_at(text, *m.span())) for a in lists):
            continue
        yield start, end


def kind_of(rule_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", rule_id.lower()).strip("_") or "secret"


def _keyword_anchor(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """The keywords as one case-insensitive anchor for the rule engine's pass, in the syntax
    Python, Rust and Vectorscan share (punctuation as \\xHH); None where one is not ASCII."""
    if not keywords or not all(k.isascii() and k for k in keywords):
        return None
    spelled = ["".join(c if c.isalnum() or c == "_" else f"\\x{ord(c):02x}" for c in k) for k in keywords]
    return re.compile("(?i)(?:" + "|".join(spelled) + ")")


def detector_for(rule: Rule, global_lists: Sequence[Allowlist] = (), *, copy: int = 1) -> Detector:
    """copy: the n-th rule of that id (two files may give one id different patterns)."""
    lists = tuple(global_lists)
    anchor = _keyword_anchor(rule.keywords)
    return Detector(
        name=RULE_PREFIX + rule.id + (f"#{copy}" if copy > 1 else ""),
        kind=kind_of(rule.id),
        pattern=cast("re.Pattern[str]", rule.pattern),  # (unused: the finder runs the rule)
        prefilter=rule.keywords,
        prefilter_ignore_case=True,
        priority=PRIORITY,
        # with keywords, the engine's one pass says which texts hold one (a rule file can hold
        # hundreds of rules; checking each rule's keywords in each text costs more than the scan);
        # the rule's regex then runs over that whole text, as gitleaks runs it
        anchor=anchor,
        engine_anchor=anchor is not None,
        finder=lambda text: rule_spans(rule, lists, text),
        description=rule.description or f"rule {rule.id} from {rule.source}",
    )
