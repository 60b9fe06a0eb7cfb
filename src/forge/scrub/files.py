"""Scrub files as they are (any text format), for `forge scrub PATH [--out DIR]`.

Every text file under PATH is scrubbed with the same detectors as the corpus stage; with an
output folder, the scrubbed copy keeps each file's path relative to PATH, itself scrubbed (a user
name in a Claude Code project folder's name becomes its placeholder; `--keep-names` keeps it). Binary files are set
aside (never copied: a secret could hide in them). Bytes that are not UTF-8 are carried through
unchanged (surrogateescape), so nothing is lost. JSON and JSONL files stay valid: a line whose
text-level scrub would break its JSON is scrubbed value by value instead.
Compressed files (`.gz`, `.bz2`, `.xz`) are scrubbed as what they hold and written compressed the
same way; an archive (`.tar*`, `.tgz`, `.zip`) is scrubbed as the folder it holds, into a new
archive of its kind.
The report holds counts and (scrubbed) relative paths only — never a secret.
"""

from __future__ import annotations

import errno
import io
import json
import lzma
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.compression import OPENERS, SQLITE_MAGIC, is_archive, pack, unpack
from forge.errors import InputError
from forge.progress import NULL_PROGRESS, Progress, Task
from forge.scrub.databases import scrub_database, sqlite_sidecar_of
from forge.scrub.nested_json import holds_nested, scrub_nested
from forge.scrub.notebooks import scrub_line_lists
from forge.scrub.resume import BOOKKEEPING, Finished, Journal, options_hash
from forge.scrub.scrubber import Scrubber, Tally
from forge.scrub.secret_commands import CommandOutputs

BLOCK_CHARS = 8 * 1024 * 1024  # JSON lines are scrubbed this many characters of them at a time ...
# ... and other text in blocks of at most this many (a block is one text to the rule engine, whose
# cost per finding grows with the text: measured on 5.3 MB of dense sessions as a .log file,
# 8 MB blocks 9.2 MB/s, 1 MB blocks 13.7; on real sessions 68.5 and 65.4)
STREAM_BLOCK_CHARS = 1024 * 1024
# ... and carry the last OVERLAP characters of each block into the next, unscrubbed, so that a
# secret across a block boundary is seen whole: no detector matches more than this (a PEM block
# is at most ~20,000 characters; tokens are far shorter).
OVERLAP = 64 * 1024
_CANNOT_WRITE = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}
_UNREAD = "could not read"  # a file that failed to read is not finished: a resumed run tries it again
LINE_FILES = (".jsonl", ".ndjson")  # one JSON record per line: lines are scrubbed as records
SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules", BOOKKEEPING}


@dataclass
class FileReport:
    path: str  # relative to the input
    status: str  # scrubbed / clean / skipped
    findings: int = 0
    reason: str | None = None


@dataclass
class ScrubFilesReport:
    files: list[FileReport] = field(default_factory=list)
    bytes: int = 0  # the size of the files scrubbed (archives and compressed files as stored)
    workers: int = 1  # processes that scrubbed them
    resumed: int = 0  # input files an earlier, interrupted run had finished (--resume)

    def to_dict(self, scrub: dict[str, Any]) -> dict[str, Any]:
        by_status: dict[str, int] = {}
        for f in self.files:
            by_status[f.status] = by_status.get(f.status, 0) + 1
        return {
            "files": len(self.files),
            "by_status": by_status,
            "findings": scrub["total"],
            "bytes": self.bytes,
            "workers": self.workers,
            "resumed": self.resumed,
            "by_kind": scrub["by_kind"],
            "by_engine": scrub["by_engine"],
            "engine": scrub["engine"],
            "by_detector": scrub["by_detector"],
            "per_file": [f.__dict__ for f in self.files],
        }


def _walk(root: Path) -> list[tuple[Path, str]]:
    if root.is_file():
        return [(root, root.name)]
    if not root.is_dir():
        raise InputError("no such file or folder", path=str(root))
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            p = Path(dirpath) / name
            out.append((p, p.relative_to(root).as_posix()))
    return out


# Characters JSON has outside its strings: numbers, true/false/null, structure, whitespace
_OUTSIDE_STRINGS = frozenset("0123456789.+-eEtruefalsn{}[],: \t\r\n")


def in_json_string(text: str, start: int, end: int) -> bool:
    """Whether replacing text[start:end] with a placeholder keeps JSON text as valid as it was.
    True when the span holds neither a quote nor a backslash (so it lies wholly inside one string
    or wholly outside all), a character no JSON has outside its strings (so: inside one), and no
    backslash in the 6 characters before it (so it cuts no escape: \\n, \\u00e9)."""
    span = text[start:end]
    return (
        '"' not in span
        and "\\" not in span
        and "\\" not in text[max(0, start - 6) : start]
        and not _OUTSIDE_STRINGS.issuperset(span)
    )


def scrub_json_lines(lines: list[str], scrubber: Scrubber) -> list[str]:
    """Text-level scrub of each line (one batch); a line whose JSON that broke is scrubbed value
    by value instead. Where every replaced span lay inside a JSON string, the line's JSON is as
    valid as it was, and is not parsed to check."""
    out, vouched = scrubber.scrub_texts_vouched(lines, in_json_string)
    for i, clean in enumerate(out):
        if holds_nested(clean):  # JSON in a JSON string: its text scrubbed as text too
            deeper = scrub_nested(clean, scrubber)
            if deeper != clean:
                out[i], vouched[i] = deeper, False
    for i, (line, clean) in enumerate(zip(lines, out)):
        if clean == line or vouched[i]:
            continue
        try:
            json.loads(clean)
            continue  # still valid: the usual case, one parse
        except ValueError:
            pass
        try:
            obj = json.loads(line)
        except ValueError:
            continue  # was not JSON to begin with: the text-level scrub stands
        end = line[len(line.rstrip("\r\n")) :]
        out[i] = json.dumps(scrubber._scrub_value(obj), ensure_ascii=False) + end
    return out


def _nested_too(clean: str, scrubber: Scrubber) -> str:
    """A block of any text may be JSON (a .traj, a large .json, a log of JSON records): strings in
    it that hold escaped text are scrubbed as that text too (nested_json.py)."""
    return scrub_nested(clean, scrubber) if holds_nested(clean) else clean


def _stream_text(f: Any, out: Any, scrubber: Scrubber, block_chars: int, overlap: int) -> None:
    """Scrub a text stream block by block; nothing within `overlap` of a block's end is written
    until the next block has joined it (see Scrubber.scrub_prefix). A login name a home path
    gives away is replaced from the block it first shows in on, as in JSON lines."""
    carry = ""
    names: set[str] = set()
    values: dict[str, str] = {}
    while True:
        chunk = f.read(block_chars)
        text = carry + chunk
        if not chunk:
            if text:
                with scrubber.collecting_names(names), scrubber.collecting_values(values):
                    clean = _nested_too(scrubber.scrub_text(text), scrubber)
                clean = scrubber.replace_values(scrubber.replace_names([clean], names), values)[0]
                if out:
                    out.write(clean)
            return
        if len(text) <= 2 * overlap:
            carry = text
            continue
        with scrubber.collecting_names(names), scrubber.collecting_values(values):
            clean, carry = scrubber.scrub_prefix(text, keep=overlap)
            clean = _nested_too(clean, scrubber)
        clean = scrubber.replace_values(scrubber.replace_names([clean], names), values)[0]
        if out:
            out.write(clean)


def scrub_file(
    src: Path, dest: Path | None, scrubber: Scrubber, *, block_chars: int = BLOCK_CHARS, overlap: int = OVERLAP
) -> int | str:
    """Scrub one file into dest (when given). Returns the findings count, or why it was skipped.
    A compressed file (`x.jsonl.gz`, `.bz2`, `.xz`) is scrubbed as the file it holds and written
    compressed the same way."""
    if is_archive(src):  # scrub_path takes archives member by member (scrub_archive)
        return "archive of many files: scrub it with forge scrub (each member is scrubbed)"
    opener = OPENERS.get(src.suffix)
    if opener is None:
        with open(src, "rb") as fb:  # (one open: the SQLite sniff reads the head the text sniff reads)
            if fb.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                fb.close()
                return scrub_database(src, dest, scrubber)  # an agent's session database (Crush): its values
            database = sqlite_sidecar_of(src)
            if database is not None:
                return f"{database.name}'s SQLite log: its rows are scrubbed into that database's copy"
            fb.seek(0)
            return _scrub_handle(
                fb, src.suffix, os.fstat(fb.fileno()).st_size, open, dest, scrubber, block_chars, overlap
            )
    try:
        with opener(src, "rb") as fb:  # the size it expands to is not known before reading: streamed
            return _scrub_handle(fb, Path(src.stem).suffix, None, opener, dest, scrubber, block_chars, overlap)
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:  # its message may quote the file
        if dest is not None:
            dest.unlink(missing_ok=True)  # a partial copy is not a copy
        if isinstance(exc, EOFError):
            return "compressed file is cut off (the compressed stream ends early): not copied"
        return f"compressed file does not decompress ({type(exc).__name__}): not copied"


def _scrub_handle(
    fb: Any,
    suffix: str,
    size: int | None,
    open_out: Any,
    dest: Path | None,
    scrubber: Scrubber,
    block_chars: int,
    overlap: int,
) -> int | str:
    """One handle for the binary sniff and the text read (an open costs more than a small
    transcript's scan); `open_out` opens the copy (`open`, or the file's compressor)."""
    if b"\x00" in fb.read(8192):
        return "binary file (NUL bytes): not copied"
    fb.seek(0)
    out = open_out(dest, "wt", encoding="utf-8", errors="surrogateescape", newline="") if dest else None
    text = io.TextIOWrapper(fb, encoding="utf-8", errors="surrogateescape", newline="")
    return _scrub_open_file(suffix, size, text, out, scrubber, block_chars, overlap)


def _scrub_open_file(
    suffix: str, size: int | None, f: Any, out: Any, scrubber: Scrubber, block_chars: int, overlap: int
) -> int:
    before = scrubber.total
    try:
        with f:
            if suffix in LINE_FILES:
                names: set[str] = set()  # login names the file's home paths gave away so far
                values: dict[str, str] = {}  # secrets found so far, to replace where they recur
                outputs = CommandOutputs()  # calls that printed a secret, and what they printed
                while True:
                    lines = f.readlines(block_chars)
                    if not lines:
                        break
                    commands: list[str] = []
                    with (
                        scrubber.collecting_names(names),
                        scrubber.collecting_values(values),
                        scrubber.watching_commands(commands),
                    ):
                        clean = scrub_json_lines(lines, scrubber)
                    local = outputs.see_json_lines(lines, commands)
                    clean = scrubber.replace_values(scrubber.replace_names(clean, names), values)
                    clean = scrubber.replace_command_outputs(clean, outputs, local)
                    if out:
                        out.writelines(clean)
            elif suffix in (".json", ".ipynb") and size is not None and size <= block_chars:
                text = f.read()
                names = set()
                values = {}
                commands = []  # (a session's calls and their results in one document: Gemini CLI)
                with (
                    scrubber.collecting_names(names),
                    scrubber.collecting_values(values),
                    scrubber.watching_commands(commands),
                ):
                    clean_text = scrub_json_lines([text], scrubber)[0]
                    if suffix == ".ipynb":  # cells' and outputs' lines, each its own string
                        clean_text = scrub_line_lists(clean_text, scrubber)
                outputs = CommandOutputs()
                local = outputs.see_json_lines([text], commands)
                clean_text = scrubber.replace_values(scrubber.replace_names([clean_text], names), values)[0]
                clean_text = scrubber.replace_command_outputs([clean_text], outputs, local)[0]
                if out:
                    out.write(clean_text)
            else:
                _stream_text(f, out, scrubber, min(block_chars, STREAM_BLOCK_CHARS), overlap)
    finally:
        if out:
            out.close()
    return scrubber.total - before


@dataclass(frozen=True)
class _FileWork:
    """One file (or archive) to scrub, in the report's order."""

    src: Path
    rel: str
    dest: Path | None
    size: int
    mtime_ns: int = 0
    partials: Path | None = None  # the folder its copy is written in until it is whole
    scrub_names: bool = True  # an archive's member names too


@dataclass(frozen=True)
class _Earlier:
    """A file an earlier run into the same output folder finished (taken from its journal)."""

    work: _FileWork
    done: Finished


def _plan(
    path: Path, out: Path | None, journal: Journal | None, names: Scrubber | None
) -> list[FileReport | _FileWork]:
    """What scrub_path does with each file under path, in order: a report for a file set aside
    now, the work for one to scrub. `names`: the scrubber the paths go through (see _named)."""
    plan: list[FileReport | _FileWork] = []
    # the output folder inside the input folder: its files are not scrubbed again
    inside = out.resolve() if out is not None and path.resolve() in out.resolve().parents else None
    found = [(src, rel) for src, rel in _walk(path) if inside is None or inside not in src.resolve().parents]
    shown = _named([rel for _, rel in found], names) if names is not None else [rel for _, rel in found]
    for (src, _), rel in zip(found, shown, strict=True):
        if src.is_symlink() or not src.is_file():
            plan.append(FileReport(rel, "skipped", reason="not a regular file"))
            continue
        st = src.stat()
        dest = out / rel if out is not None else None
        partials = journal.partial if journal is not None else None
        plan.append(_FileWork(src, rel, dest, st.st_size, st.st_mtime_ns, partials, names is not None))
    return plan


def _named(rels: list[str], names: Scrubber) -> list[str]:
    """Each relative path as the copy and the report name it: what the scrubber finds in it
    replaced by its placeholder (Claude Code names a project's folder after its path,
    -Users-alice-code-app, so the user name is in every copy's path). Two files that would share
    a path keep apart: the later gets -2, -3, ... before its suffixes."""
    clean = names.scrub_texts(rels)
    taken: set[str] = set()
    out = []
    for name in clean:
        if name in taken:
            folder, _, base = name.rpartition("/")
            stem, dot, suffixes = base.partition(".")
            n = 2
            while (name := f"{folder}/{stem}-{n}{dot}{suffixes}".lstrip("/")) in taken:
                n += 1
        taken.add(name)
        out.append(name)
    return out


def _folder_for(path: Path, made: set[Path]) -> None:
    """Make path's folder, once per run (`made`: the folders this run has made; a mkdir per file
    costs syscalls)."""
    folder = path.parent
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)


def _scrub_work(work: _FileWork, scrubber: Scrubber, made: set[Path]) -> list[FileReport]:
    """Scrub one file; its copy is written under the bookkeeping folder and moved into place
    once whole, so an interrupt never leaves a half copy under the file's own name. The partial
    copy keeps the file's name (a .gz copy's header names it) in a folder of this process's own
    (a process writes one copy at a time): one folder per process, not a tree of them."""
    partial = None
    if work.partials is not None and work.dest is not None:
        partial = work.partials / str(os.getpid()) / work.dest.name
    target = partial if partial is not None else work.dest
    if target is not None:
        _folder_for(target, made)
    try:
        reports = _scrub_one(work, target, scrubber)
        if partial is not None and work.dest is not None:
            _folder_for(work.dest, made)
            try:
                os.replace(partial, work.dest)
            except FileNotFoundError:
                pass  # skipped: no copy was written
    except BaseException:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise
    return reports


def _scrub_one(work: _FileWork, target: Path | None, scrubber: Scrubber) -> list[FileReport]:
    if is_archive(work.src):
        return scrub_archive(work.src, work.rel, target, scrubber, scrub_names=work.scrub_names)
    try:
        result = scrub_file(work.src, target, scrubber)
    except OSError as exc:
        if exc.errno in _CANNOT_WRITE or (target is not None and exc.filename == str(target)):
            # the output side: every later file would fail the same way, so the run stops here
            raise InputError(
                f"could not write the scrubbed copy ({exc.strerror or type(exc).__name__})",
                path=str(work.dest),
                hint="free some space or pass a folder you can write to; --resume then goes on from there",
            ) from None
        result = f"{_UNREAD} file ({exc.__class__.__name__})"
    if isinstance(result, str):
        return [FileReport(work.rel, "skipped", reason=result)]
    return [FileReport(work.rel, "scrubbed" if result else "clean", result)]


# Worker processes: each builds its own Scrubber once (the rule engine included, ~0.4 s), so
# they pay off only on inputs that take longer than that to scrub
PARALLEL_MIN_BYTES = 64 * 1024 * 1024
_WORKER_SCRUBBER: Scrubber | None = None
_WORKER_MADE: set[Path] = set()  # (a worker lives for one run: its pool is the run's)


def _init_worker(allowlist: tuple[str, ...], detectors: list[str] | None, rules: tuple[str, ...]) -> None:
    global _WORKER_SCRUBBER
    _WORKER_SCRUBBER = Scrubber(allowlist, detectors, rules)
    _WORKER_MADE.clear()


def _scrub_in_worker(work: _FileWork) -> tuple[list[FileReport], Tally]:
    assert _WORKER_SCRUBBER is not None
    before = _WORKER_SCRUBBER.counts()
    reports = _scrub_work(work, _WORKER_SCRUBBER, _WORKER_MADE)
    return reports, _WORKER_SCRUBBER.counts().minus(before)


def scrub_path(
    path: Path,
    out: Path | None,
    scrubber: Scrubber,
    *,
    workers: int = 1,
    progress: Progress = NULL_PROGRESS,
    parallel_min_bytes: int | None = None,
    resume: bool = False,
    keep_names: bool = False,
) -> ScrubFilesReport:
    """Scrub a file or every file under a folder; with `out`, write the scrubbed copies there.
    `workers` > 1 spreads the files over that many processes when there are `parallel_min_bytes`
    (default PARALLEL_MIN_BYTES) of them or more; the copies and the report are the same either
    way (the findings are counted in `scrubber`). `resume`: go on with an interrupted run into
    the same `out` (see forge.scrub.resume); the copies and the report are those of one run.
    Paths are scrubbed too (a user name in a folder's name), in the copies and the report, unless
    `keep_names`; what is found in them is not counted among the findings."""
    path, out = Path(path), (Path(out) if out is not None else None)
    scrubber.prepare(progress)  # (before the workers: they load what this compiles and caches)
    journal, finished = _open_journal(path, out, scrubber, resume, keep_names) if out is not None else (None, {})
    try:
        names = None if keep_names else Scrubber(*scrubber.spec())
        plan = _plan(path, out, journal, names)
        items: list[FileReport | _FileWork | _Earlier] = [_earlier(w, finished) for w in plan]
        todo = [w for w in items if isinstance(w, _FileWork)]
        total_bytes = sum(w.size for w in plan if isinstance(w, _FileWork))
        task = progress.task("scrub", total=sum(1 for w in plan if isinstance(w, _FileWork)))
        workers = min(workers, len(todo))
        if workers > 1 and total_bytes >= (PARALLEL_MIN_BYTES if parallel_min_bytes is None else parallel_min_bytes):
            from forge.parallel import OrderedPool

            # files go out in chunks (a small session file takes less time to scrub than to send)
            chunk = max(1, min(16, len(todo) // (workers * 8)))
            with OrderedPool(workers, _init_worker, scrubber.spec()) as pool:
                done = pool.map(_scrub_in_worker, todo, chunksize=chunk)
                report = _report(items, _counted(done, scrubber), task, scrubber, total_bytes, journal)
                report.workers = workers
                return report
        return _report(items, _in_process(todo, scrubber), task, scrubber, total_bytes, journal)
    finally:
        if journal is not None:
            journal.close()


def _open_journal(
    path: Path, out: Path, scrubber: Scrubber, resume: bool, keep_names: bool
) -> tuple[Journal, dict[str, Finished]]:
    """The output folder's journal, opened for this run, and what an earlier run finished."""
    from forge import __version__

    if out.resolve() == path.resolve():
        raise InputError(
            "the output folder is the input; scrubbing in place is not supported",
            path=str(out),
            hint="pass a new folder to --out",
        )
    journal = Journal(out)
    options = options_hash([scrubber.spec(), keep_names], __version__)
    finished: dict[str, Finished] = {}
    if out.exists() and not out.is_dir():
        raise InputError("--out exists and is not a folder", path=str(out), hint="pass a new or empty folder to --out")
    if out.exists() and any(out.iterdir()):
        if not resume:
            raise InputError(
                "output folder exists and is not empty",
                path=str(out),
                hint="pass a new or empty folder to --out, or --resume to go on with the run that wrote it",
            )
        if not journal.path.is_file():
            raise InputError(
                "output folder holds files no forge scrub run recorded: nothing to resume",
                path=str(out),
                hint="pass a new or empty folder to --out",
            )
        finished = journal.load(options)
    try:
        journal.start(options)
    except OSError as exc:
        raise InputError(
            f"could not write to the output folder ({exc.strerror or type(exc).__name__})",
            path=str(out),
            hint="pass a folder you can write to",
        ) from None
    return journal, finished


def _earlier(item: FileReport | _FileWork, finished: dict[str, Finished]) -> FileReport | _FileWork | _Earlier:
    """The file as an earlier run left it, when that still stands: same size and modification
    time, and its copy (if it made one) still in the output folder."""
    if not isinstance(item, _FileWork):
        return item
    done = finished.get(item.rel)
    if done is None or (done.size, done.mtime_ns) != (item.size, item.mtime_ns):
        return item
    if done.copied and (item.dest is None or not item.dest.exists()):
        return item
    return _Earlier(item, done)


def _in_process(todo: list[_FileWork], scrubber: Scrubber) -> Iterator[tuple[list[FileReport], Tally]]:
    made: set[Path] = set()
    for work in todo:  # (counted in scrubber as they are found)
        before = scrubber.counts()
        reports = _scrub_work(work, scrubber, made)
        yield reports, scrubber.counts().minus(before)


def _counted(
    done: Iterable[tuple[list[FileReport], Tally]], scrubber: Scrubber
) -> Iterator[tuple[list[FileReport], Tally]]:
    for reports, tally in done:
        scrubber.add_counts(tally)
        yield reports, tally


def _report(
    items: list[FileReport | _FileWork | _Earlier],
    results: Iterator[tuple[list[FileReport], Tally]],
    task: Task,
    scrubber: Scrubber,
    total: int,
    journal: Journal | None,
) -> ScrubFilesReport:
    report = ScrubFilesReport()
    done_bytes = 0
    for item in items:
        if isinstance(item, FileReport):
            report.files.append(item)
            continue
        if isinstance(item, _Earlier):
            work, done = item.work, item.done
            report.files += [FileReport(**r) for r in done.reports]
            scrubber.add_counts(Tally(done.by_kind, done.by_detector))
            report.resumed += 1
        else:
            work = item
            reports, tally = next(results)
            report.files += reports
            if journal is not None and not any((r.reason or "").startswith(_UNREAD) for r in reports):
                copied = work.dest is not None and any(r.status != "skipped" for r in reports)
                rows = [r.__dict__ for r in reports]
                journal.record(work.rel, work.size, work.mtime_ns, copied, rows, tally)
        done_bytes += work.size
        task.advance(1, MB=round(done_bytes / 1e6, 1), findings=scrubber.total)
    task.done(MB=round(total / 1e6, 1), findings=scrubber.total)
    report.bytes = total
    return report


def scrub_archive(
    src: Path, rel: str, dest: Path | None, scrubber: Scrubber, *, scrub_names: bool = True
) -> list[FileReport]:
    """An archive of many files (.tar, .tar.gz, .tgz, .tar.bz2, .tar.xz, .zip), scrubbed as the
    folder it holds: one report per member (`backup.tar.gz/<member>`), and with `dest` a new
    archive of the same kind holding the scrubbed members. As in a folder, binary members are set
    aside; so are links and members that would land outside the folder. Member names are
    scrubbed as a folder's paths are (unless not `scrub_names`)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="forge-scrub-") as tmp:  # 0700: unscrubbed until packed
        unpacked, cleaned = Path(tmp) / "in", Path(tmp) / "out"
        members, outside, problem = unpack(src, unpacked)
        if problem is not None:
            return [FileReport(rel, "skipped", reason=f"{problem}: not copied")]
        every = [*members, *outside]
        shown = dict(zip(every, _named(every, Scrubber(*scrubber.spec())) if scrub_names else every, strict=True))
        reports = [
            FileReport(f"{rel}/{shown[name]}", "skipped", reason="outside the archive: not copied") for name in outside
        ]
        kept = []
        for name in members:
            out = cleaned / shown[name] if dest is not None else None
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
            result = scrub_file(unpacked / name, out, scrubber)
            if isinstance(result, str):
                reports.append(FileReport(f"{rel}/{shown[name]}", "skipped", reason=result))
                continue
            kept.append(shown[name])
            reports.append(FileReport(f"{rel}/{shown[name]}", "scrubbed" if result else "clean", result))
        if dest is not None:
            pack(cleaned, kept, dest)
        return reports
