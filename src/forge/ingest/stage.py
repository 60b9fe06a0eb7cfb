"""The corpus stage: read every source, link outcomes, scrub, write a `corpus` artifact.

Nothing raw reaches the store: each conversation and work item is scrubbed in memory before
its line is written. The artifact holds
  conversations.jsonl   one `Conversation.to_dict()` per line
  work_items.jsonl      one `WorkItem` (dataclass fields) per line, sorted by id
  report.json           {"ingest": counts and warnings, "scrub": the scrubber's report}
and its manifest's `sources` lists every input file with its SHA-256; the artifact id depends
on the config and those hashes, so re-running on unchanged files returns the same artifact.

Files other than beads are read, labelled and scrubbed in a pool of `workers` processes
(worker.py); results come back in input order and the parent does everything order-dependent,
so the corpus is byte-identical for any number of workers.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.artifacts import Artifact, ArtifactStore, artifact_id, sha256_file
from forge.compression import OPENERS, SQLITE_MAGIC, expand, expanded_name, is_archive, is_compressed, unpack
from forge.config import parse_config
from forge.errors import InputError
from forge.ingest.beads import BeadEvent, SessionOutcome
from forge.ingest.beads_backup import BeadComment, BeadDependency, BeadLabel
from forge.ingest.linking import Links
from forge.ingest.outcome import DEFAULT_SIGNALS, SIGNALS
from forge.ingest.pool import FileResult, Prepared, ReadContext, file_results, parse_time, read_source
from forge.ingest.readers import Reader, candidate_suffixes, detect_reader, read_head, readers
from forge.ingest.rules import BUILTIN_OUTCOME_RULES, Labeller, compile_rules, rule_problems
from forge.progress import NULL_PROGRESS, Progress
from forge.records import WorkItem

KIND = "corpus"


@dataclass
class IngestConfig:
    readers: list[str] = field(default_factory=list)  # reader names to use; empty: all
    min_messages: int = 2  # shorter conversations are skipped (counted)
    default_role: str | None = None  # role for sessions no reader, bead or rule labels
    default_task: str | None = None  # task for sessions no reader, bead or rule labels
    # recipe rules (see ingest/rules.py): built-in outcome rule names or pattern tables
    outcome_rules: list[str | dict[str, Any]] = field(default_factory=list)
    # after beads, the record and outcome_rules: infer outcomes from the transcript's end state
    # and git evidence, signals tried in this order (ingest/outcome.py); [] turns inference off
    outcome_inference: list[str] = field(default_factory=lambda: list(DEFAULT_SIGNALS))
    role_rules: list[dict[str, Any]] = field(default_factory=list)
    task_rules: list[dict[str, Any]] = field(default_factory=list)
    scrub_allowlist: list[str] = field(default_factory=list)  # exact strings never replaced
    scrub_detectors: list[str] | None = None  # detector names; None: all
    # your own secret rules: gitleaks configs (.toml) or Kingfisher rule files (.yml), run beside
    # Forge's detectors (see scrub/rules/)
    scrub_rules: list[str] = field(default_factory=list)
    # only sessions that started in [since, until): ISO dates or times ("2026-09-01"), UTC
    # unless they say otherwise; sessions whose reader records no start time are kept
    since: str | None = None
    until: str | None = None
    # processes that read and scrub files; None: one per CPU. The output does not depend on it.
    workers: int | None = None

    def problems(self) -> list[str]:
        out = []
        known = readers()
        for name in self.readers:
            if name not in known:
                out.append(f"'readers': unknown reader {name!r} (known: {', '.join(sorted(known))})")
        if self.min_messages < 1:
            out.append("'min_messages': must be at least 1")
        out += rule_problems(
            "outcome_rules", self.outcome_rules, "outcome", ("success", "failure"), BUILTIN_OUTCOME_RULES
        )
        out += [
            f"'outcome_inference': unknown signal {n!r} (known: {', '.join(SIGNALS)})"
            for n in self.outcome_inference
            if n not in SIGNALS
        ]
        out += rule_problems("role_rules", self.role_rules, "role", None)
        out += rule_problems("task_rules", self.task_rules, "task", None)
        if self.scrub_detectors is not None:
            from forge.scrub.detectors import detectors

            table = detectors()
            out += [
                f"'scrub_detectors': unknown detector {n!r} (known: {', '.join(table)})"
                for n in self.scrub_detectors
                if n not in table
            ]
        if self.scrub_rules:
            from forge.errors import ConfigError
            from forge.scrub.rules import cached_rule_files

            try:
                cached_rule_files(self.scrub_rules)
            except ConfigError as exc:
                out += [f"'scrub_rules': {p}" for p in exc.problems]
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and parse_time(value) is None:
                out.append(f"'{name}': not an ISO date or time (2026-09-01, 2026-09-01T12:00:00Z), got {value!r}")
        if self.since and self.until and (parse_time(self.since) or 0) >= (parse_time(self.until) or 0):
            out.append(f"'since' ({self.since}) must come before 'until' ({self.until})")
        if self.workers is not None and self.workers < 1:
            out.append(f"'workers': must be at least 1, got {self.workers}")
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str | None = None) -> IngestConfig:
        return parse_config(cls, data, source=source)

    def labeller(self) -> Labeller:
        return Labeller(
            compile_rules("outcome_rules", self.outcome_rules, "outcome"),
            compile_rules("role_rules", self.role_rules, "role"),
            compile_rules("task_rules", self.task_rules, "task"),
            self.default_role,
            self.default_task,
            tuple(self.outcome_inference),
        )

    def identity(self) -> dict[str, Any]:
        """The config as the artifact id sees it: everything that can change the output."""
        d = dataclasses.asdict(self)
        d.pop("workers")
        if self.scrub_rules:  # the rules as loaded, not where their files lie
            from forge.scrub.rules import cached_rule_files

            d["scrub_rules"] = cached_rule_files(self.scrub_rules).digest
        else:
            d.pop("scrub_rules")  # (ids of corpora made before rule files existed stay the same)
        return d


@dataclass
class SourceFile:
    path: Path
    display: str  # path as recorded: relative to the input given, no home dirs; scrubbed (below)
    sha256: str = ""
    reader: Reader | None = None
    problem: str | None = None  # empty / binary / unrecognised
    walked: bool = False  # found by walking a folder, not named by the user
    group: int = 0  # which of the paths given it came from
    compressed: Path | None = None  # the compressed file `path` was expanded from
    name_as_found: str = ""  # display before scrubbing: what labelling rules on `path` match
    wal_sha256: str = ""  # a SQLite database's write-ahead log, whose rows are read with it

    def identity(self) -> str:
        """What the corpus's id rests on: the file, and its log where it has one (a running
        agent appends there, leaving the database file as it was)."""
        return f"{self.display}@{self.sha256}" + (f"+wal@{self.wal_sha256}" if self.wal_sha256 else "")


def scrub_names(sources: list[SourceFile], config: IngestConfig, progress: Progress = NULL_PROGRESS) -> None:
    """Paths as recorded (each row's source, the manifest, warnings) pass through the scrubber:
    Claude Code names a project's folder after its path (-Users-alice-code-app), so a user name
    would otherwise ride along in every row built from it. (The first scrub: the rule engine is
    built here, under a progress task, before any worker starts.)"""
    from forge.scrub import Scrubber

    scrubber = Scrubber(config.scrub_allowlist, config.scrub_detectors, config.scrub_rules)
    scrubber.prepare(progress)
    for src, clean in zip(sources, scrubber.scrub_texts([s.display for s in sources]), strict=True):
        src.name_as_found, src.display = src.display, clean


@dataclass
class IngestStats:
    files: int = 0
    files_by_reader: dict[str, int] = field(default_factory=dict)
    conversations: int = 0
    work_items: int = 0
    messages: int = 0
    tool_calls: int = 0
    skipped_records: int = 0
    skipped_conversations: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # thinking blocks, images
    reader_counts: dict[str, int] = field(default_factory=dict)  # every entry a reader set aside
    linked: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    outcome_rules: dict[str, int] = field(default_factory=dict)  # outcomes a recipe rule decided
    # outcome coverage: sessions by where their label came from ("beads:attempt", "transcript:
    # tests_passed", ... "none"), and per format {"sessions", "labelled"}
    outcome_sources: dict[str, int] = field(default_factory=dict)
    outcome_coverage: dict[str, Any] = field(default_factory=dict)
    by_format: dict[str, dict[str, int]] = field(default_factory=dict)
    by_role: dict[str, int] = field(default_factory=dict)
    by_task: dict[str, int] = field(default_factory=dict)

    def warn(self, path: str, line: int | None, reason: str) -> None:
        self.skipped_records += 1
        self.warnings.append({"path": path, "line": line, "reason": reason})

    def count_outcome(self, fmt: str, outcome: str, source: str | None) -> None:
        _bump(self.outcome_sources, source if outcome != "unknown" and source else "none")
        per = self.by_format.setdefault(fmt, {"sessions": 0, "labelled": 0})
        per["sessions"] += 1
        per["labelled"] += outcome != "unknown"

    def finish(self) -> None:
        labelled = sum(v for k, v in self.outcome_sources.items() if k != "none")
        by_kind: dict[str, int] = {}
        for source, n in self.outcome_sources.items():
            if source != "none":
                _bump(by_kind, source.split(":", 1)[0], n)
        self.outcome_coverage = {
            "sessions": self.conversations,
            "labelled": labelled,
            "unknown": self.conversations - labelled,
            "by_evidence": dict(sorted(by_kind.items())),
        }

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["warning_count"] = len(self.warnings)
        return d


def _bump(table: dict[str, int], key: Any, n: int = 1) -> None:
    table[str(key)] = table.get(str(key), 0) + n


KEPT_HIDDEN = (".beads", ".aider.chat.history.md", ".crush", ".opencode")  # (session databases live there)
GENERIC_SUFFIXES = (".json", ".md", ".toml")


def discover(paths: list[Path], only: list[str] | None = None, expand_into: Path | None = None) -> list[SourceFile]:
    """Every file to read: files as given, folders walked for files a reader may claim,
    compressed copies of those (`.gz`, `.bz2`, `.xz`) and archives of them (`.tar*`, `.tgz`,
    `.zip`: read as folders of the archive's name), expanded under `expand_into` (a temporary
    folder, removed at exit, when not given) and read from there."""
    suffixes = candidate_suffixes(only)
    found: list[SourceFile] = []
    for n, raw in enumerate(paths):
        path = Path(raw)
        if path.is_dir():
            root = path.resolve()
            for p in sorted(root.rglob("*")):
                rel = p.relative_to(root)
                hidden = any(part.startswith(".") and part not in KEPT_HIDDEN for part in rel.parts)
                wanted = p.suffix in suffixes or is_compressed(p, suffixes) or is_archive(p)
                if p.is_file() and not hidden and wanted:
                    found.append(SourceFile(p, f"{root.name}/{rel.as_posix()}", walked=True, group=n))
        elif path.is_file():
            found.append(SourceFile(path, path.name, group=n))
        else:
            raise InputError("no such file or folder", path=str(path))
    seen: set[Path] = set()  # a file named directly and also inside a walked folder is read once
    unique: list[SourceFile] = []
    for s in found:
        if s.path.resolve() not in seen:
            seen.add(s.path.resolve())
            unique.append(s)
    found = unique
    if any(is_archive(s.path) for s in found):
        expand_into = expand_into or _expansion_folder()
        found = _unpacked(found, suffixes, expand_into)
    for src in found:
        if src.problem is not None:
            continue
        if src.path.suffix in OPENERS:
            # the same place under the expansion folder: readers that look beside a file
            # (subagent folders, a session's newer copy) find the expanded neighbours
            expand_into = expand_into or _expansion_folder()
            dest = expand_into / str(src.group) / Path(src.display).with_name(expanded_name(Path(src.display)))
            src.problem = expand(src.path, dest)
            if src.problem is not None:
                continue
            src.compressed, src.path = src.path, dest
        src.sha256 = sha256_file(src.path)
        head = read_head(src.path)
        wal = src.path.with_name(src.path.name + "-wal")
        if head.startswith(SQLITE_MAGIC) and wal.is_file() and wal.stat().st_size:
            src.wal_sha256 = sha256_file(wal)
        if not head:
            src.problem = "empty file"
        elif b"\x00" in head[:8192] and not head.startswith(SQLITE_MAGIC):
            src.problem = "binary file (NUL bytes), not a transcript"
        else:
            src.reader = detect_reader(src.path, head, only)
            if src.reader is None:
                src.problem = "no reader recognises this file"
    # In a folder walk, a README.md or package.json nobody claims is not a problem worth a warning.
    return [
        s
        for s in found
        if not (
            s.walked
            and s.reader is None
            and s.problem == "no reader recognises this file"
            and s.path.suffix in GENERIC_SUFFIXES
        )
    ]


def run_ingest(
    store: ArtifactStore, paths: list[Path], config: IngestConfig, progress: Progress = NULL_PROGRESS
) -> Artifact:
    import tempfile

    # compressed inputs, expanded for the ingest's length: in the system's temporary folder (0700,
    # $TMPDIR), never under FORGE_HOME, where a killed run would leave unscrubbed text behind
    with tempfile.TemporaryDirectory(prefix="forge-expanded-") as expanded:
        return _run_ingest(store, paths, config, progress, Path(expanded))


def _run_ingest(
    store: ArtifactStore, paths: list[Path], config: IngestConfig, progress: Progress, expanded: Path
) -> Artifact:
    sources = discover(paths, config.readers or None, expanded)
    if not sources:
        raise InputError(
            "no input files found in " + ", ".join(str(p) for p in paths),
            hint="pass transcripts (Claude Code, Codex, Gemini CLI, Crush/OpenCode databases, Goose, OpenHands, "
            "SWE-agent, OpenAI chat, ShareGPT, Aider), beads issues.jsonl, convention files, or folders of them",
        )
    scrub_names(sources, config, progress)
    config_dict = config.identity()
    aid = artifact_id(KIND, config_dict, [s.identity() for s in sources])
    found = store.existing(KIND, aid)
    if found is not None:
        return found
    with store.staged(KIND) as staging:
        stats = _ingest(sources, config, staging, progress)
        manifest_sources = [
            {
                "path": s.display,
                "sha256": s.sha256,
                "reader": s.reader.name if s.reader else None,
                "bytes": s.path.stat().st_size,
            }
            for s in sources
        ]
        return store.commit(
            staging,
            kind=KIND,
            aid=aid,
            config=config_dict,
            inputs=[],
            extra={
                "sources": manifest_sources,
                "counts": {
                    "conversations": stats.conversations,
                    "work_items": stats.work_items,
                    "messages": stats.messages,
                    "skipped_records": stats.skipped_records,
                },
            },
        )


def _unpacked(found: list[SourceFile], suffixes: set[str], into: Path) -> list[SourceFile]:
    """Each archive replaced by the files in it a reader may claim, as if it were a folder of
    that name; what would land outside it, and an archive that does not unpack, are warnings."""
    out: list[SourceFile] = []
    for n, src in enumerate(found):
        if not is_archive(src.path):
            out.append(src)
            continue
        root = into / "archives" / str(n)
        members, outside, problem = unpack(src.path, root)
        for name in members:
            member = root / name
            hidden = any(part.startswith(".") and part not in KEPT_HIDDEN for part in Path(name).parts)
            if not hidden and (member.suffix in suffixes or is_compressed(member, suffixes)):
                out.append(SourceFile(member, f"{src.display}/{name}", walked=True, group=src.group))
        out += [
            SourceFile(src.path, f"{src.display}/{name}", problem="archive member outside the archive: not read")
            for name in outside
        ]
        if problem is not None:
            out.append(SourceFile(src.path, src.display, problem=problem))
    return out


def _expansion_folder() -> Path:
    import atexit
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="forge-expanded-"))
    atexit.register(shutil.rmtree, folder, True)
    return folder


def _is_beads(src: SourceFile) -> bool:
    return src.reader is not None and src.reader.provides == "work_items"


def _ingest(sources: list[SourceFile], config: IngestConfig, out: Path, progress: Progress) -> IngestStats:
    stats = IngestStats(files=len(sources))
    links = Links()
    task = progress.task("ingest", total=len(sources))
    # beads first, so every session can be linked to its outcome as it streams past
    ordered = sorted(sources, key=lambda s: (not _is_beads(s), s.display))
    beads = [s for s in ordered if _is_beads(s)]
    bead_job = ReadContext(config, links, config.labeller())
    scrubber = bead_job.scrubber()  # the report's: counts only what is kept
    for note in scrubber.rule_notes:  # rules read but left out (file-name rules, low confidence)
        stats.warn("scrub_rules", None, note)
    seen: dict[str, str] = {}
    with open(out / "conversations.jsonl", "w", encoding="utf-8") as conv_out:
        for src in beads:
            _bump(stats.files_by_reader, src.reader.name)  # type: ignore[union-attr]
            result = read_source(src, bead_job, scrubber)
            for prepared in _absorb_records(result, src, links, stats):  # (a beads file has none)
                _one_conversation(prepared, src, links, seen, stats, scrubber, conv_out)
            task.advance(1)
        links.finish_beads()  # the Dolt backup's side tables, whatever order they came in
        # workers link against the beads as read; the parent's copy learns sessions in order
        job = ReadContext(config, copy.deepcopy(links), config.labeller())
        rest = [s for s in ordered if not _is_beads(s)]
        results = file_results([s for s in rest if s.reader is not None], job)
        for src in rest:
            if src.reader is None:
                stats.warn(src.display, None, src.problem or "unreadable")
            else:
                _bump(stats.files_by_reader, src.reader.name)
                for prepared in _absorb_records(next(results), src, links, stats):
                    _one_conversation(prepared, src, links, seen, stats, scrubber, conv_out)
            task.advance(1, conversations=stats.conversations)
        results.close()  # stops the worker pool now, not when the generator is collected
    items = sorted(links.items.values(), key=lambda i: i.id)
    with open(out / "work_items.jsonl", "w", encoding="utf-8") as items_out:
        for item in items:
            clean = _scrub_item(scrubber, item)
            items_out.write(json.dumps(dataclasses.asdict(clean), ensure_ascii=False, sort_keys=True) + "\n")
    stats.work_items = len(items)
    stats.finish()
    report = {"ingest": stats.to_dict(), "scrub": scrubber.report()}
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True), encoding="utf-8")
    task.done(conversations=stats.conversations, warnings=len(stats.warnings))
    return stats


def _absorb_records(result: FileResult, src: SourceFile, links: Links, stats: IngestStats) -> list[Prepared]:
    """Warnings and beads into the parent's state; the conversations, in order, to the caller."""
    for line, reason in result.warnings:
        stats.warn(src.display, line, reason)
    conversations = []
    for record in result.records:
        if isinstance(record, WorkItem):
            links.add_item(record)
        elif isinstance(record, SessionOutcome):
            links.add_attempt(record)
        elif isinstance(record, BeadEvent):
            links.add_event(record)
        elif isinstance(record, (BeadLabel, BeadDependency, BeadComment)):
            links.add_side_row(record)
        elif isinstance(record, Prepared):
            conversations.append(record)
    return conversations


def _one_conversation(
    conv: Prepared, src: SourceFile, links: Links, seen: dict[str, str], stats: IngestStats, scrubber: Any, out: Any
) -> None:
    if conv.id in seen:
        stats.warn(src.display, conv.source_line, f"duplicate session id (first read from {seen[conv.id]})")
        return
    seen[conv.id] = src.display
    if conv.line is None:
        _bump(stats.skipped_conversations, conv.skipped)
        return
    links.learn(conv.id, conv.work_item, conv.agent_role, conv.task)
    _bump(stats.linked, conv.linked)
    for key, n in conv.counts.items():
        _bump(stats.reader_counts, key, n)
        if key in ("thinking", "images"):
            _bump(stats.dropped, key, n)
    if conv.tally is not None:
        scrubber.add_tally(conv.tally)
    out.write(conv.line + "\n")
    stats.conversations += 1
    stats.messages += conv.messages
    stats.tool_calls += conv.tool_calls
    _bump(stats.outcomes, conv.outcome)
    stats.count_outcome(conv.format, conv.outcome, conv.outcome_source)
    if conv.outcome_rule:
        _bump(stats.outcome_rules, conv.outcome_rule)
    _bump(stats.by_role, conv.agent_role)
    _bump(stats.by_task, conv.task)


def _scrub_item(scrubber: Any, item: WorkItem) -> WorkItem:
    """The scrubber's work-item pass (title), plus the free-text fields beads may carry."""
    clean = scrubber.scrub_work_item(item)
    return dataclasses.replace(
        clean,
        close_reason=scrubber.scrub_text(clean.close_reason) if clean.close_reason else None,
        labels=[scrubber.scrub_text(lab) for lab in clean.labels],
        assignee=scrubber.scrub_text(clean.assignee) if clean.assignee else None,
    )
