"""The Scrubber: rewrites conversations and work items with secrets replaced, and counts them.

It touches every piece of text a model could see: message contents, tool-call arguments
(recursively: keys kept, string values scrubbed), tool schemas, the work-item field and
metadata strings. Ids, roles, tool names and the source reference are kept as they are.

A conversation's strings are scanned together: one rule-engine pass over all of them (see
find.py), since a pass has a fixed cost that thousands of short strings would each pay.
The report counts findings by kind, by detector and by engine; it never holds a secret.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from forge.progress import NULL_PROGRESS, Progress
from forge.records import Conversation, ToolCall, WorkItem
from forge.scrub import engine as eng
from forge.scrub import known_names, known_values, secret_commands
from forge.scrub.builtin import CREDENTIAL_KEY_NAME
from forge.scrub.detectors import Finding, select_detectors
from forge.scrub.find import ENGINE_DETECTOR_PREFIX, engine_for, find_secrets_many, redact
from forge.scrub.rules import RULE_PREFIX, cached_rule_files


@dataclasses.dataclass(frozen=True)
class Tally:
    """One conversation's findings, by kind and by detector (counts only)."""

    by_kind: dict[str, int]
    by_detector: dict[str, int]

    def minus(self, earlier: Tally) -> Tally:
        """The findings counted since `earlier` (a tally of the same scrubber)."""

        def diff(now: dict[str, int], then: dict[str, int]) -> dict[str, int]:
            return {k: n - then.get(k, 0) for k, n in now.items() if n != then.get(k, 0)}

        return Tally(diff(self.by_kind, earlier.by_kind), diff(self.by_detector, earlier.by_detector))


SpanCheck = Callable[[str, int, int], bool]  # (text, start, end) of a span about to be replaced
MEMO_MAX_CHARS = 512  # strings this short are remembered with their findings ...
MEMO_MAX_ENTRIES = 100_000  # ... up to this many (then the memo starts afresh)
MAX_PASSES = 4  # overlapping findings are rare; nested ones more than two deep rarer still


@dataclasses.dataclass
class _Job:
    """One string to scrub. Framed: the value of a credential-like key, scanned as
    `"key": "value"` so the key gives it context; only findings inside the value count."""

    value: str
    key: str | None = None


_KEY_CACHE: dict[str, bool] = {}


def _credential_key(key: str) -> bool:
    """Whether a dict key names a credential (cached: the same keys recur in every record)."""
    hit = _KEY_CACHE.get(key)
    if hit is None:
        hit = CREDENTIAL_KEY_NAME.search(key) is not None
        if len(_KEY_CACHE) < 100_000:
            _KEY_CACHE[key] = hit
    return hit


def engine_of(detector: str) -> str:
    if detector.startswith(ENGINE_DETECTOR_PREFIX):
        return eng.ENGINE_NAME
    return "rules" if detector.startswith(RULE_PREFIX) else "forge"


USER_KIND = "user"  # the placeholder kind of a login name


class Scrubber:
    def __init__(
        self, allowlist: Iterable[str] = (), detectors: list[str] | None = None, rules: Sequence[str | Path] = ()
    ):
        """allowlist: exact strings never replaced (e.g. a public test address); detectors: names
        of registered detectors to run (all when None; unknown names raise ConfigError); rules:
        your own rule files, gitleaks configs (.toml) or Kingfisher rules (.yml), run beside them
        (problems in them raise ConfigError)."""
        self.allowlist = tuple(a for a in allowlist if a)
        self._spec = (self.allowlist, None if detectors is None else list(detectors), tuple(str(r) for r in rules))
        self.detectors = select_detectors(detectors)
        self.rule_notes: list[str] = []
        if rules:
            loaded = cached_rule_files(list(rules))
            self.rule_notes = loaded.notes
            self.detectors = [*self.detectors, *loaded.detectors]
        self._by_kind: Counter[str] = Counter()
        self._by_detector: Counter[str] = Counter()
        self._conversations = 0
        self._conversations_with_findings = 0
        self._work_items = 0
        self._work_items_with_findings = 0
        # a string's scrubbed text, its findings (kind, detector), the login names and the
        # secret values (value, kind) found in it
        self._memo: dict[
            str, tuple[str, tuple[tuple[str, str], ...], tuple[str, ...], tuple[tuple[str, str], ...]]
        ] = {}
        self._names: set[str] | None = None  # where _run collects login names, while one is set
        self._values: dict[str, str] | None = None  # and secret values (value -> kind)
        self._known: tuple[frozenset[tuple[str, str]], known_values.Known] | None = None  # the last values' matcher
        # where _run collects the texts that run a generator or a reader, while one is set
        self._commands: list[str] | None = None

    # --- text -----------------------------------------------------------------------------

    def scrub_text(self, text: str) -> str:
        """Replace every secret with its placeholder. Where findings overlapped, the output is
        scanned again (rarely more than once) so that scrub_text(scrub_text(x)) == scrub_text(x)."""
        return self.scrub_texts([text])[0]

    def scrub_texts(self, texts: list[str]) -> list[str]:
        """scrub_text for many strings, in one engine pass. Short strings recur (tool names,
        commands, paths): their results are remembered."""
        return self._run([_Job(t) for t in texts])

    def scrub_texts_vouched(self, texts: list[str], span_ok: SpanCheck) -> tuple[list[str], list[bool]]:
        """scrub_texts, and for each text whether `span_ok(text, start, end)` held for every span
        replaced in it, all found in one scan (False where a result came from the memo, or a
        second scan was needed: the spans replaced are then not all spans of the input)."""
        vouched = [False] * len(texts)
        return self._run([_Job(t) for t in texts], span_ok, vouched), vouched

    def _run(self, jobs: list[_Job], span_ok: SpanCheck | None = None, vouched: list[bool] | None = None) -> list[str]:
        out: list[str | None] = [None] * len(jobs)
        pending: list[int] = []
        for i, job in enumerate(jobs):
            v = job.value
            if not v:
                out[i] = v
            elif job.key is None and len(v) <= MEMO_MAX_CHARS and (hit := self._memo.get(v)) is not None:
                clean, memo_found, memo_names, memo_values = hit
                for kind, detector in memo_found:
                    self._by_kind[kind] += 1
                    self._by_detector[detector] += 1
                if memo_names and self._names is not None:
                    self._names.update(memo_names)
                if memo_values and self._values is not None:
                    self._values.update(memo_values)
                out[i] = clean
            else:
                pending.append(i)
        if not pending:
            return out  # type: ignore[return-value]
        texts = [self._framed(jobs[i]) for i in pending]
        watched: set[int] | None = set() if self._commands is not None else None
        results = find_secrets_many(
            texts, self.detectors, self.allowlist, watch=secret_commands.WATCHED, watched=watched
        )
        unframed: list[int] = []
        for i, text, (findings, conflicts) in zip(pending, texts, results):
            job = jobs[i]
            if not findings and job.key is None:  # most strings: nothing to replace, count or settle
                out[i] = job.value
                if vouched is not None and span_ok is not None:
                    vouched[i] = True
                if len(job.value) <= MEMO_MAX_CHARS:
                    if len(self._memo) >= MEMO_MAX_ENTRIES:
                        self._memo.clear()
                    self._memo[job.value] = (job.value, (), (), ())
                continue
            if job.key is not None:
                lo = len(text) - len(job.value) - 1
                inside = [
                    Finding(f.kind, f.start - lo, f.end - lo, f.detector)
                    for f in findings
                    if lo <= f.start and f.end <= lo + len(job.value)
                ]
                if not inside:
                    unframed.append(i)
                    continue
                findings, conflicts = inside, True  # settle it as plain text from here on
            found = list(findings)
            names = known_names.names_of(job.value, findings)
            if names and self._names is not None:
                self._names.update(names)
            values = known_values.values_of(job.value, findings)
            if values and self._values is not None:
                self._values.update(values)
            clean = redact(job.value, findings)
            if findings and conflicts:
                clean = self._settle(clean, found)
            elif vouched is not None and span_ok is not None:
                vouched[i] = all(span_ok(job.value, f.start, f.end) for f in findings)
            self._count(found)
            # the same secret again in this string (a substring test for a few values; for many, a
            # test per value would read the string once per value: replace_values reads it once)
            if values and (len(values) > 4 or any(f in clean for v, _ in values for f in known_values.spellings(v))):
                clean = self.replace_values([clean], dict(values))[0]
            out[i] = clean
            if job.key is None and len(job.value) <= MEMO_MAX_CHARS:
                if len(self._memo) >= MEMO_MAX_ENTRIES:
                    self._memo.clear()
                self._memo[job.value] = (clean, tuple((f.kind, f.detector) for f in found), names, values)
        if unframed:
            for i, clean in zip(unframed, self._run([_Job(jobs[i].value) for i in unframed])):
                out[i] = clean
        if watched and self._commands is not None:
            for k in sorted(watched):
                value = jobs[pending[k]].value
                self._commands.append(value)
                self._memo.pop(value, None)  # (scanned again when it recurs, to be seen again)
        return out  # type: ignore[return-value]

    @staticmethod
    def _framed(job: _Job) -> str:
        return job.value if job.key is None else f'"{job.key}": "{job.value}"'

    def _settle(self, text: str, found: list[Finding]) -> str:
        """Scan again until nothing new shows (bounded): replacing one finding can reveal another."""
        for _ in range(MAX_PASSES - 1):
            ((findings, conflicts),) = find_secrets_many([text], self.detectors, self.allowlist)
            found.extend(findings)
            text = redact(text, findings)
            if not (findings and conflicts):
                break
        return text

    def scrub_prefix(self, text: str, keep: int) -> tuple[str, str]:
        """For streams: (the scrubbed start of text, the raw rest to carry into the next block).
        The rest is at least the last `keep` characters; the cut never falls inside a finding, and
        goes back to a line end where one is near, so that a secret running past the block's end
        (a PEM block, a long token) is carried whole and found with the next block."""
        ((findings, conflicts),) = find_secrets_many([text], self.detectors, self.allowlist)
        cut = max(0, len(text) - keep)
        for f in findings:
            if f.start < cut < f.end:
                cut = f.start
        newline = text.rfind("\n", max(0, cut - keep // 2), cut)
        if newline < 0:  # no line end near: a space then, so no word (a login name) is cut in two
            newline = max(text.rfind(" ", max(0, cut - keep // 2), cut), text.rfind("\t", max(0, cut - keep // 2), cut))
        if newline >= 0 and not any(f.start <= newline < f.end for f in findings):
            cut = newline + 1
        head = [f for f in findings if f.end <= cut]
        found = list(head)
        if head and self._names is not None:
            self._names.update(known_names.names_of(text, head))
        if head and self._values is not None:
            self._values.update(known_values.values_of(text, head))
        clean = redact(text[:cut], head)
        if head and conflicts:
            clean = self._settle(clean, found)
        self._count(found)
        return clean, text[cut:]

    def _count(self, findings: list[Finding]) -> None:
        for f in findings:
            self._by_kind[f.kind] += 1
            self._by_detector[f.detector] += 1

    # --- values: collect every string, scrub them together, put them back -----------------

    def _collect(self, value: Any, jobs: list[_Job], key: Any = None) -> None:
        """Strings scrubbed; dict keys kept; lists, tuples and dicts walked; anything else kept.
        A string under a credential-like key (password, AWS_SECRET_ACCESS_KEY, slackToken) is
        read in context, so {"AWS_SECRET_ACCESS_KEY": "..."} is caught though the value alone
        looks like noise."""
        t = type(value)
        if t is str or isinstance(value, str):
            framed = type(key) is str and _credential_key(key)
            jobs.append(_Job(value, key if framed else None))
        elif t is dict or isinstance(value, dict):
            for k, v in value.items():
                if type(v) is str:  # the common case, without a call
                    jobs.append(_Job(v, k if type(k) is str and _credential_key(k) else None))
                else:
                    self._collect(v, jobs, k)
        elif t is list or t is tuple or isinstance(value, (list, tuple)):
            for v in value:
                if type(v) is str:
                    jobs.append(_Job(v))
                else:
                    self._collect(v, jobs)

    def _rebuild(self, value: Any, clean: Iterator[str]) -> Any:
        t = type(value)
        if t is str or isinstance(value, str):
            return next(clean)
        if t is dict or isinstance(value, dict):
            return {k: next(clean) if type(v) is str else self._rebuild(v, clean) for k, v in value.items()}
        if t is list or t is tuple or isinstance(value, (list, tuple)):
            return [next(clean) if type(v) is str else self._rebuild(v, clean) for v in value]
        return value

    def _scrub_value(self, value: Any) -> Any:
        jobs: list[_Job] = []
        self._collect(value, jobs)
        return self._rebuild(value, iter(self._run(jobs)))

    def _total(self) -> int:
        return sum(self._by_kind.values())

    # --- records --------------------------------------------------------------------------

    def scrub_conversation(self, conv: Conversation) -> Conversation:
        """A new Conversation with every secret replaced; the input is left unchanged."""
        clean, tally = self.scrub_conversation_tallied(conv)
        self.add_tally(tally)
        return clean

    def scrub_conversation_tallied(self, conv: Conversation) -> tuple[Conversation, Tally]:
        """Scrub without counting: the caller decides whether the conversation is kept and then
        adds its tally (add_tally), so a report counts only kept conversations, whichever
        process did the scrubbing."""
        saved = self._by_kind, self._by_detector
        self._by_kind, self._by_detector = Counter(), Counter()
        try:
            # every string of the conversation, in a fixed order, scrubbed in one batch
            parts = {
                "content": [m.content for m in conv.messages],
                "calls": [[c.arguments for c in m.tool_calls] for m in conv.messages],
                "tools": conv.tools,
                "task": conv.task or "",
                "work_item": conv.work_item or "",
                "metadata": conv.metadata,
            }
            jobs: list[_Job] = []
            self._collect(parts, jobs)
            names: set[str] = set()
            values: dict[str, str] = {}
            with self.collecting_names(names), self.collecting_values(values):
                outs = self._nested_too(self._run(jobs))
            outputs = _command_outputs(conv)
            outs = self.replace_values(self.replace_names(outs, names), values)
            outs = self.replace_command_outputs(outs, outputs)
            clean_parts = self._rebuild(parts, iter(outs))
            messages = []
            for m, content, calls in zip(conv.messages, clean_parts["content"], clean_parts["calls"]):
                tool_calls = [ToolCall(id=c.id, name=c.name, arguments=args) for c, args in zip(m.tool_calls, calls)]
                if m.role == "tool" and m.tool_call_id in outputs.local:  # a word a reader printed
                    content, n = secret_commands.replace_values(content, outputs.local[m.tool_call_id])
                    self._count_command_outputs(n)
                messages.append(dataclasses.replace(m, content=content, tool_calls=tool_calls))
            clean = dataclasses.replace(
                conv,
                messages=messages,
                tools=clean_parts["tools"],
                task=clean_parts["task"] if conv.task else conv.task,
                work_item=clean_parts["work_item"] if conv.work_item else conv.work_item,
                metadata=clean_parts["metadata"],
            )
            tally = Tally(dict(self._by_kind), dict(self._by_detector))
        finally:
            self._by_kind, self._by_detector = saved
        return clean, tally

    def _nested_too(self, texts: list[str]) -> list[str]:
        """Texts that hold JSON in a JSON string (a session file the agent read, Codex's call
        outputs) with that inner text scrubbed as text too, as forge scrub reads it (nested_json)."""
        from forge.scrub.nested_json import holds_nested, scrub_nested  # (it builds on this module)

        # (the backslash test inline: it runs for every string, and few hold one)
        return [scrub_nested(t, self) if "\\\\" in t and holds_nested(t) else t for t in texts]

    @contextmanager
    def watching_commands(self, commands: list[str]) -> Iterator[None]:
        """While open, the texts scanned that run a generator or a reader of secrets (see
        secret_commands.py) are added to `commands`, as given (raw JSON lines: their calls are
        linked to the outputs that answer them)."""
        saved, self._commands = self._commands, commands
        try:
            yield
        finally:
            self._commands = saved

    def replace_command_outputs(
        self, texts: list[str], outputs: secret_commands.CommandOutputs, local: dict[int, set[str]] | None = None
    ) -> list[str]:
        """Scrubbed texts with the values that generators and readers printed (as `outputs` has
        linked them) replaced wherever they stand, and `local`'s words in the text at their index,
        counted as the detector command_output."""
        out, count = outputs.replace(texts, local)
        self._count_command_outputs(count)
        return out

    def _count_command_outputs(self, count: int) -> None:
        if count:
            self._by_kind[secret_commands.KIND] += count
            self._by_detector[secret_commands.LINKED] += count

    @contextmanager
    def collecting_names(self, names: set[str]) -> Iterator[None]:
        """While open, the login names findings give away (a home path's, an `ls -l` owner's)
        are added to `names` (see known_names.py)."""
        saved, self._names = self._names, names
        try:
            yield
        finally:
            self._names = saved

    @contextmanager
    def collecting_values(self, values: dict[str, str]) -> Iterator[None]:
        """While open, the secret values findings replaced (long enough, not words: see
        known_values.py) are added to `values`, with their kinds."""
        saved, self._values = self._values, values
        try:
            yield
        finally:
            self._values = saved

    def replace_values(self, texts: list[str], values: dict[str, str]) -> list[str]:
        """Scrubbed texts with the secret values in `values` replaced wherever else they stand
        (as they are, base64-encoded or percent-encoded), counted as the detector
        repeated_secret."""
        if not values:
            return texts
        if len(values) > known_values.MAX_CHASED:  # the latest found: a repeat is mostly near its first
            values = dict(list(values.items())[-known_values.MAX_CHASED :])
        key = frozenset(values.items())
        if self._known is None or self._known[0] != key:
            self._known = (key, known_values.Known(values))  # (a file's blocks mostly add none)
        known = self._known[1]
        out = list(texts)
        for i in known.holding(texts):
            out[i], kinds = known.replace(texts[i])
            for kind in kinds:
                self._by_kind[kind] += 1
                self._by_detector[known_values.DETECTOR] += 1
        return known.drop_leftovers(out)

    def replace_names(self, texts: list[str], names: set[str]) -> list[str]:
        """Scrubbed texts with the login names in `names` replaced wherever else they stand as
        words (a folder tree, a git author), counted as the detector known_user."""
        pattern = known_names.pattern_for(names)
        if pattern is None:
            return texts
        placeholder = f"<SECRET:{USER_KIND}>"
        # most strings hold none (their paths are placeholders now): a substring test finds those
        # that do, one comprehension per name
        holding: set[int] = set()
        for name in names:
            holding.update(i for i, text in enumerate(texts) if name in text)
        out = list(texts)
        for i in sorted(holding):
            out[i], n = known_names.replace(texts[i], pattern, placeholder)
            if n:
                self._by_kind[USER_KIND] += n
                self._by_detector[known_names.DETECTOR] += n
        return out

    def prepare(self, progress: Progress = NULL_PROGRESS) -> str:
        """Build the rule engine for these detectors now (its catalogue is compiled on a machine's
        first run, about 6-10 s, and cached on disk: later runs load it in under a second), under a
        progress task, so that a first run shows what it waits for. Returns the engine's name."""
        task = progress.task("secret rules", total=1)
        engine = engine_for(self.detectors) if any(d.name == eng.ENGINE_NAME for d in self.detectors) else None
        task.done()
        return eng.describe(engine)

    def spec(self) -> tuple[tuple[str, ...], list[str] | None, tuple[str, ...]]:
        """Scrubber(*spec()) scrubs as this one does (what a worker process builds its own from)."""
        return self._spec

    def counts(self) -> Tally:
        """The findings counted so far, by kind and by detector."""
        return Tally(dict(self._by_kind), dict(self._by_detector))

    def add_counts(self, tally: Tally) -> None:
        """Count findings another scrubber made (in a worker process) in this one's report."""
        self._by_kind.update(tally.by_kind)
        self._by_detector.update(tally.by_detector)

    def add_tally(self, tally: Tally) -> None:
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

    @property
    def total(self) -> int:
        """Findings so far (what report()["total"] says, without building the report)."""
        return self._total()

    def report(self) -> dict[str, Any]:
        """Counts only — never a secret, never a position in a file."""
        by_engine: Counter[str] = Counter()
        for detector, n in self._by_detector.items():
            by_engine[engine_of(detector)] += n
        return {
            "total": self._total(),
            "by_kind": dict(sorted(self._by_kind.items())),
            "by_detector": dict(sorted(self._by_detector.items())),
            "by_engine": dict(sorted(by_engine.items())),
            "engine": eng.describe(eng.get_engine(eng.anchors_of(self.detectors))),
            "conversations": self._conversations,
            "conversations_with_findings": self._conversations_with_findings,
            "work_items": self._work_items,
            "work_items_with_findings": self._work_items_with_findings,
            "detectors": [d.name for d in self.detectors],
        }


def _command_outputs(conv: Conversation) -> secret_commands.CommandOutputs:
    """The conversation's calls that ran a generator or a reader, linked to their results."""
    outputs = secret_commands.CommandOutputs()
    for m in conv.messages:
        if m.tool_calls:
            for call in m.tool_calls:
                outputs.see_call(call.id, call.arguments)
        elif outputs.calls and m.role == "tool":
            outputs.see_result(m.tool_call_id, m.content)
    return outputs
