"""The Scrubber: rewrites conversations and work items with secrets replaced, and counts them.

It touches every piece of text a model could see: message contents, tool-call arguments
(recursively: keys kept, string values scrubbed), tool schemas, the work-item field and
metadata strings. Ids, roles, tool names and the source reference are kept as they are.
The report counts findings by kind and detector; it never holds a secret.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any, Iterable

from forge.records import Conversation, Message, ToolCall, WorkItem
from forge.scrub.find import find_secrets, find_secrets_resolved, redact
from forge.scrub.builtin import CREDENTIAL_KEY_NAME
from forge.scrub.detectors import Finding, select_detectors

@dataclasses.dataclass(frozen=True)
class Tally:
    """One conversation's findings, by kind and by detector (counts only)."""
    by_kind: dict[str, int]
    by_detector: dict[str, int]


MEMO_MAX_CHARS = 512        # strings this short are remembered with their findings ...
MEMO_MAX_ENTRIES = 100_000  # ... up to this many (then the memo starts afresh)
MAX_PASSES = 4  # overlapping findings are rare; nested ones more than two deep rarer still


class Scrubber:
    def __init__(self, allowlist: Iterable[str] = (), detectors: list[str] | None = None):
        """allowlist: exact strings never replaced (e.g. a public test address); detectors: names
        of registered detectors to run (all when None; unknown names raise ConfigError)."""
        self.allowlist = tuple(a for a in allowlist if a)
        self.detectors = select_detectors(detectors)
        self._by_kind: Counter[str] = Counter()
        self._by_detector: Counter[str] = Counter()
        self._conversations = 0
        self._conversations_with_findings = 0
        self._work_items = 0
        self._work_items_with_findings = 0
        self._memo: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {}

    # --- text -----------------------------------------------------------------------------

    def scrub_text(self, text: str) -> str:
        """Replace every secret with its placeholder. Where findings overlapped, the output is
        scanned again (rarely more than once) so that scrub_text(scrub_text(x)) == scrub_text(x).
        Short strings recur (tool names, commands, paths): their results are remembered."""
        if len(text) > MEMO_MAX_CHARS:
            return self._scrub_text(text, [])
        hit = self._memo.get(text)
        if hit is None:
            found: list[Finding] = []
            hit = (self._scrub_text(text, found), tuple((f.kind, f.detector) for f in found))
            if len(self._memo) >= MEMO_MAX_ENTRIES:
                self._memo.clear()
            self._memo[text] = hit
        else:
            for kind, detector in hit[1]:
                self._by_kind[kind] += 1
                self._by_detector[detector] += 1
        return hit[0]

    def _scrub_text(self, text: str, found: list[Finding]) -> str:
        for _ in range(MAX_PASSES):
            findings, conflicts = find_secrets_resolved(text, self.detectors, self.allowlist)
            self._count(findings)
            found.extend(findings)
            text = redact(text, findings)
            if not (findings and conflicts):
                break
        return text

    def _count(self, findings: list[Finding]) -> None:
        for f in findings:
            self._by_kind[f.kind] += 1
            self._by_detector[f.detector] += 1

    def _scrub_field(self, key: Any, value: str) -> str:
        """A dict value under a credential-like key is read in context, as `"key": "value"`,
        so {"AWS_SECRET_ACCESS_KEY": "..."} is caught though the value alone looks like noise."""
        if not (isinstance(key, str) and CREDENTIAL_KEY_NAME.search(key)):
            return self.scrub_text(value)
        prefix = f'"{key}": "'
        framed = find_secrets(f'{prefix}{value}"', self.detectors, self.allowlist)
        lo, hi = len(prefix), len(prefix) + len(value)
        inside = [Finding(f.kind, f.start - lo, f.end - lo, f.detector) for f in framed
                  if lo <= f.start and f.end <= hi]
        if not inside:
            return self.scrub_text(value)
        self._count(inside)
        return redact(value, inside)

    def _scrub_value(self, value: Any) -> Any:
        """Strings scrubbed; dict keys kept; lists, tuples and dicts walked; anything else kept."""
        if isinstance(value, str):
            return self.scrub_text(value)
        if isinstance(value, dict):
            return {k: self._scrub_field(k, v) if isinstance(v, str) else self._scrub_value(v)
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._scrub_value(v) for v in value]
        return value

    def _total(self) -> int:
        return sum(self._by_kind.values())

    # --- records --------------------------------------------------------------------------

    def _scrub_message(self, msg: Message) -> Message:
        calls = [ToolCall(id=c.id, name=c.name, arguments=self._scrub_value(c.arguments))
                 for c in msg.tool_calls]
        return dataclasses.replace(msg, content=self.scrub_text(msg.content), tool_calls=calls)

    def scrub_conversation(self, conv: Conversation) -> Conversation:
        """A new Conversation with every secret replaced; the input is left unchanged."""
        clean, tally = self.scrub_conversation_tallied(conv)
        self.add_tally(tally)
        return clean

    def scrub_conversation_tallied(self, conv: Conversation) -> tuple[Conversation, "Tally"]:
        """Scrub without counting: the caller decides whether the conversation is kept and then
        adds its tally (add_tally), so a report counts only kept conversations, whichever
        process did the scrubbing."""
        saved = self._by_kind, self._by_detector
        self._by_kind, self._by_detector = Counter(), Counter()
        try:
            clean = dataclasses.replace(
                conv,
                messages=[self._scrub_message(m) for m in conv.messages],
                tools=self._scrub_value(conv.tools),
                task=self.scrub_text(conv.task) if conv.task else conv.task,
                work_item=self.scrub_text(conv.work_item) if conv.work_item else conv.work_item,
                metadata=self._scrub_value(conv.metadata),
            )
            tally = Tally(dict(self._by_kind), dict(self._by_detector))
        finally:
            self._by_kind, self._by_detector = saved
        return clean, tally

    def add_tally(self, tally: "Tally") -> None:
        """Count one scrubbed conversation's findings in this scrubber's report."""
        self._by_kind.update(tally.by_kind)
        self._by_detector.update(tally.by_detector)
        self._conversations += 1
        if tally.by_kind:
            self._conversations_with_findings += 1

    def scrub_work_item(self, item: WorkItem) -> WorkItem:
        before = self._total()
        clean = dataclasses.replace(item, title=self.scrub_text(item.title))
        self._work_items += 1
        if self._total() > before:
            self._work_items_with_findings += 1
        return clean

    # --- report ---------------------------------------------------------------------------

    def report(self) -> dict[str, Any]:
        """Counts only — never a secret, never a position in a file."""
        return {
            "total": self._total(),
            "by_kind": dict(sorted(self._by_kind.items())),
            "by_detector": dict(sorted(self._by_detector.items())),
            "conversations": self._conversations,
            "conversations_with_findings": self._conversations_with_findings,
            "work_items": self._work_items,
            "work_items_with_findings": self._work_items_with_findings,
            "detectors": [d.name for d in self.detectors],
        }
