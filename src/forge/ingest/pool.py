"""Per-file ingest work — read, label, scrub, serialise — in this process or a pool of them.

The parent reads the beads first, then hands every other file to `file_results`, which yields
one `FileResult` per file *in input order* whether it ran in-process or in worker processes
(`OrderedPool.map` keeps order). Workers link sessions against a read-only copy of the beads and
return scrubbed JSON lines plus the few fields the parent needs; everything that depends on
order (duplicate session ids, beads learning their sessions, counts) stays in the parent. So
the corpus is byte-identical for any number of workers.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from forge.ingest.beads import BeadEvent, SessionOutcome
from forge.ingest.beads_backup import BeadComment, BeadDependency, BeadLabel
from forge.ingest.linking import Links, link
from forge.ingest.outcome import confidence_of
from forge.ingest.rules import Labeller
from forge.parallel import OrderedPool
from forge.records import Conversation, WorkItem

BEAD_RECORDS = (WorkItem, SessionOutcome, BeadEvent, BeadLabel, BeadDependency, BeadComment)

if TYPE_CHECKING:
    from forge.ingest.stage import IngestConfig, SourceFile
    from forge.scrub.scrubber import Tally

PARALLEL_MIN_FILES = 32  # below this, starting processes costs more than it saves


@dataclass
class Prepared:
    """One conversation as read: kept (line set) or skipped (line None, `skipped` says why)."""

    id: str
    source_line: int
    line: str | None = None  # the scrubbed conversation as one JSON line
    tally: Tally | None = None
    linked: str = "unlinked"
    work_item: str | None = None
    agent_role: str | None = None
    task: str | None = None
    outcome: str = "unknown"
    outcome_rule: str | None = None
    outcome_source: str | None = None
    format: str = "unknown"
    messages: int = 0
    tool_calls: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    skipped: str = "too_short"  # why, when line is None


@dataclass
class FileResult:
    warnings: list[tuple[int | None, str]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # Prepared, or WorkItem / SessionOutcome


@dataclass
class ReadContext:
    """What a worker needs, sent once per worker process."""

    config: IngestConfig
    links: Links  # read-only snapshot: the beads as read, before any session
    labeller: Labeller

    def scrubber(self) -> Any:
        from forge.scrub import Scrubber

        return Scrubber(self.config.scrub_allowlist, self.config.scrub_detectors, self.config.scrub_rules)


def conversation_dict(c: Conversation) -> dict[str, Any]:
    """`c.to_dict()` without dataclasses.asdict's deep copies (the dict is only serialised);
    tests check the two agree."""
    return {
        "id": c.id,
        "source": {"path": c.source.path, "line": c.source.line},
        "tools": c.tools,
        "agent_role": c.agent_role,
        "task": c.task,
        "outcome": c.outcome,
        "work_item": c.work_item,
        "metadata": c.metadata,
        "outcome_source": c.outcome_source,
        "outcome_confidence": c.outcome_confidence,
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "tool_call_id": m.tool_call_id,
                "name": m.name,
                "tool_calls": [{"id": t.id, "name": t.name, "arguments": t.arguments} for t in m.tool_calls],
            }
            for m in c.messages
        ],
    }


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch of an ISO date or time ("2026-09-01", "2026-09-01T12:00:00.5Z",
    "2025-07-15 11:38:37"); UTC unless it names an offset. None when it is not one."""
    from datetime import UTC, datetime

    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _in_window(conv: Conversation, since: str | None, until: str | None) -> bool:
    started = parse_time(conv.metadata.get("started_at"))
    if started is None:
        return True  # no start time recorded: kept rather than lost
    low, high = parse_time(since), parse_time(until)
    return (low is None or started >= low) and (high is None or started < high)


def _prepare(conv: Conversation, src: SourceFile, ctx: ReadContext, scrubber: Any) -> Prepared:
    conv.source.path = src.display
    if len(conv.messages) < ctx.config.min_messages and conv.metadata.get("kind") != "context_document":
        return Prepared(conv.id, conv.source.line)
    if (ctx.config.since or ctx.config.until) and not _in_window(conv, ctx.config.since, ctx.config.until):
        return Prepared(conv.id, conv.source.line, skipped="outside_since_until")
    if conv.outcome != "unknown" and not conv.outcome_source:
        conv.outcome_source = "record"  # the file stated it (a reader that knows how says which)
    if conv.outcome_source and conv.outcome_confidence is None:
        conv.outcome_confidence = confidence_of(conv.outcome_source)
    how = link(conv, ctx.links, learn=False) or "unlinked"
    conv.source.path = src.name_as_found or src.display  # labelling rules see the path as found ...
    ctx.labeller.apply(conv)
    conv.source.path = src.display  # ... what is written, the scrubbed one
    clean, tally = scrubber.scrub_conversation_tallied(conv)
    counts = clean.metadata.get("counts") or {}
    return Prepared(
        clean.id,
        conv.source.line,
        # keys keep the order the agent wrote them in: a model learns to write tool arguments
        # in the order it sees them (title before a long description, command before its note)
        json.dumps(conversation_dict(clean), ensure_ascii=False),
        tally,
        how,
        clean.work_item,
        clean.agent_role,
        clean.task,
        clean.outcome,
        clean.metadata.get("outcome_rule"),
        clean.outcome_source,
        str(clean.metadata.get("format") or "unknown"),
        len(clean.messages),
        sum(len(m.tool_calls) for m in clean.messages),
        {str(k): v for k, v in counts.items() if isinstance(v, int)},
    )


def read_source(src: SourceFile, ctx: ReadContext, scrubber: Any) -> FileResult:
    out = FileResult()
    warn = lambda line, reason: out.warnings.append((line, reason))  # noqa: E731
    assert src.reader is not None
    try:
        for record in src.reader.read(src.path, warn):
            if isinstance(record, Conversation):
                out.records.append(_prepare(record, src, ctx, scrubber))
            elif isinstance(record, BEAD_RECORDS):
                out.records.append(record)
    except OSError as exc:
        out.warnings.append((None, f"could not read file ({exc.__class__.__name__})"))
    except RecursionError:
        out.warnings.append((None, "could not read file (nested too deeply)"))
    return out


# ---------------------------------------------------------------- worker processes

_CONTEXT: ReadContext | None = None
_SCRUBBER: Any = None


def _init_worker(ctx: ReadContext) -> None:
    global _CONTEXT, _SCRUBBER
    _CONTEXT, _SCRUBBER = ctx, ctx.scrubber()


def _read_in_worker(src: SourceFile) -> FileResult:
    assert _CONTEXT is not None
    return read_source(src, _CONTEXT, _SCRUBBER)


def worker_count(config: IngestConfig) -> int:
    return config.workers or os.cpu_count() or 1


def file_results(sources: list[SourceFile], ctx: ReadContext) -> Generator[FileResult, None, None]:
    """One FileResult per source, in order."""
    workers = min(worker_count(ctx.config), len(sources))
    if workers <= 1 or len(sources) < PARALLEL_MIN_FILES:
        scrubber = ctx.scrubber()
        for src in sources:
            yield read_source(src, ctx, scrubber)
        return
    chunk = max(1, min(16, len(sources) // (workers * 8)))
    with OrderedPool(workers, _init_worker, (ctx,)) as pool:
        yield from pool.map(_read_in_worker, sources, chunksize=chunk)
