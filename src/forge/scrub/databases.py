"""`forge scrub` on a SQLite database (Crush's `.crush/crush.db`, OpenCode's `opencode.db`: agents
that keep sessions in one): every text value of every table is scrubbed, JSON values value by
value (a message's parts stay JSON the agent reads), and the copy is written compacted, so no
page of it still holds what was replaced.

The database is read from a private copy with its write-ahead log (the original is never locked
or changed, and rows still in the log are scrubbed too). Triggers are set aside while values are
rewritten (Crush's would stamp every row as updated now) and put back. A text value stored as a
BLOB that decodes as UTF-8 is scrubbed as text, and a login name a home path or listing gave away
is replaced in every cell (known_names.py). A database with full-text indexes is not copied:
their index pages keep every word outside any value Forge can rewrite.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from forge.compression import SQLITE_MAGIC
from forge.scrub.scrubber import Scrubber


def is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def sqlite_sidecar_of(path: Path) -> Path | None:
    """The database a `-wal`, `-shm` or `-journal` file belongs to, when it is one."""
    for suffix in ("-wal", "-shm", "-journal"):
        if path.name.endswith(suffix):
            database = path.with_name(path.name[: -len(suffix)])
            return database if is_sqlite(database) else None
    return None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scrub_values(values: list[Any], scrubber: Scrubber) -> list[Any]:
    """Cells scrubbed, in one batch (a cell at a time cost a scan's setup per cell): JSON text value
    by value, other text as text, text in a BLOB as text."""
    texts: list[tuple[int, str]] = []  # (cell, its text) to scrub as text
    docs: list[tuple[int, Any]] = []  # (cell, its parsed JSON) to scrub value by value
    for i, value in enumerate(values):
        text = value
        if isinstance(value, bytes):
            try:
                text = value.decode("utf-8")
            except UnicodeDecodeError:
                continue  # binary data: an image, a hash
        if not isinstance(text, str) or not text.strip():
            continue
        if text.lstrip()[:1] in ("{", "["):
            try:
                docs.append((i, json.loads(text)))
                continue
            except ValueError:
                pass
        texts.append((i, text))
    out = list(values)
    for (i, text), clean in zip(texts, scrubber.scrub_texts([t for _, t in texts]), strict=True):
        if clean != text:
            out[i] = clean.encode("utf-8") if isinstance(values[i], bytes) else clean
    for (i, parsed), clean in zip(docs, scrubber._scrub_value([d for _, d in docs]), strict=True):
        if clean != parsed:
            dumped = json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
            out[i] = dumped.encode("utf-8") if isinstance(values[i], bytes) else dumped
    return out


def _cells(con: sqlite3.Connection, table: str, scrubber: Scrubber) -> list[tuple[str, int, str, Any, Any]]:
    """(table, rowid, column, value, scrubbed value) of every cell of a table."""
    columns = [r[1] for r in con.execute(f"PRAGMA table_info({_quoted(table)})")]
    select = ", ".join(_quoted(c) for c in columns)
    cells = [
        (table, row[0], column, value)
        for row in con.execute(f"SELECT rowid, {select} FROM {_quoted(table)}").fetchall()
        for column, value in zip(columns, row[1:], strict=True)
    ]
    clean = _scrub_values([c[3] for c in cells], scrubber)
    return [(*cell, after) for cell, after in zip(cells, clean, strict=True)]


def _with_names(
    cells: list[tuple[str, int, str, Any, Any]], names: set[str], values: dict[str, str], scrubber: Scrubber
) -> list:
    """The cells with the login names and secrets the scrub found replaced wherever else they stand."""
    texts = [c[4].decode("utf-8") if isinstance(c[4], bytes) else c[4] for c in cells]
    at = [i for i, t in enumerate(texts) if isinstance(t, str)]
    clean = scrubber.replace_values(scrubber.replace_names([texts[i] for i in at], names), values)
    out = list(cells)
    for i, text in zip(at, clean, strict=True):
        if text != texts[i]:
            t, rowid, column, value, _ = cells[i]
            out[i] = (t, rowid, column, value, text.encode("utf-8") if isinstance(value, bytes) else text)
    return out


def scrub_database(src: Path, dest: Path | None, scrubber: Scrubber) -> int | str:
    """Scrub a SQLite database into dest (when given); the findings count, or why it was not."""
    before = scrubber.total
    with tempfile.TemporaryDirectory(prefix="forge-scrub-db-") as tmp:
        copy = Path(tmp) / "copy.db"
        shutil.copyfile(src, copy)
        wal = src.with_name(src.name + "-wal")
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name("copy.db-wal"))
        try:
            con = sqlite3.connect(copy)
            try:
                schema = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
                if any(kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL") for kind, _, sql in schema):
                    return "database with full-text or other virtual tables: not copied"
                triggers = [sql for kind, _, sql in schema if kind == "trigger" and sql]
                for kind, name, _ in schema:
                    if kind == "trigger":
                        con.execute(f"DROP TRIGGER {_quoted(name)}")
                tables = {n: sql or "" for kind, n, sql in schema if kind == "table" and not n.startswith("sqlite_")}
                for table, sql in tables.items():
                    if "WITHOUT ROWID" in sql.upper():
                        return f"table without rowids ({table[:40]}): not copied"
                names: set[str] = set()
                values: dict[str, str] = {}
                with scrubber.collecting_names(names), scrubber.collecting_values(values):
                    cells = [cell for table in tables for cell in _cells(con, table, scrubber)]
                for table, rowid, column, value, clean in _with_names(cells, names, values, scrubber):
                    if clean != value:
                        con.execute(
                            f"UPDATE {_quoted(table)} SET {_quoted(column)} = ? WHERE rowid = ?", (clean, rowid)
                        )
                for sql in triggers:
                    con.execute(sql)
                con.commit()
                if dest is not None:
                    dest.unlink(missing_ok=True)
                    con.execute("VACUUM INTO ?", (str(dest),))  # compacted: no freed page keeps old text
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            if dest is not None:
                dest.unlink(missing_ok=True)
            return f"database could not be read ({type(exc).__name__}): not copied"
    return scrubber.total - before
