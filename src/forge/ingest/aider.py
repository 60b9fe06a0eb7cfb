"""Reader for aider chat logs (`.aider.chat.history.md`, written in the repository aider ran in).

aider appends markdown: `# aider chat started at <time>` opens a session; what the person typed
is on lines prefixed `#### `; aider's own notes (startup banner, "Applied edit to x", "Commit
abc123 ...", token counts, questions) are block quotes, `> ` lines; everything else is the
model's reply. Each session becomes one Conversation; `/clear` and `/reset` start a new one,
as they empty aider's chat. Other `/commands` are not prompts: they are counted and left out
(`/ask`, `/code`, `/architect` carry a prompt and are kept).

aider edits files from the reply text itself, so there are no tool calls. Quote blocks before a
reply with no prompt since the last reply (or since /clear) are aider sending lint/test errors
or command output back (a reflection): they are kept as the user turn they were. Other notes
go to metadata (edited files, commits). The role comes from the folder the log lies in (the
repository root).

aider quotes only the first line of a multi-line note (a failed edit, test output) and ends the
note with a markdown hard break (two trailing spaces), so a quote line without one runs on,
blank lines included, to the next line that has one. A `####` line that is a confirmation
question with its answer (`... (Y)es/(N)o ... [Yes]: all`) is aider answering for the person
after "All"/"Skip all", a note; `!cmd` runs a shell command, as `/run` does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forge.ingest.classify import role_from_cwd
from forge.ingest.openai_chat import Counts, has_dialogue
from forge.ingest.readers import Reader, Warn, register
from forge.jsonl import iter_text_lines
from forge.records import Conversation, Message, SourceRef

STARTED = re.compile(r"^# aider chat started at (.+?)\s*$")
PROMPT_COMMANDS = ("/ask", "/code", "/architect", "/context")
RESET_COMMANDS = ("/clear", "/reset")
APPLIED = re.compile(r"^Applied edit to (.+)$")
COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40})\b")
# aider's bookkeeping, never part of what it sends back to the model
BOOKKEEPING = re.compile(
    r"^(Applied edit to |Commit [0-9a-f]{7,40}\b|Tokens: |Cost: |Added .+ to the chat|"
    r"Add .+ to the chat\?|Git repo: |Repo-map: |Aider v)"
)
MODEL = re.compile(r"^(?:Main model|Model|Models): (\S+)")
# a confirmation question and its answer: aider's own prompt, never sent to the model
CONFIRM = re.compile(r"\(Y\)es/\(N\)o\b.*\[(?:Yes|No)\]: ?\S*\s*$")
# how aider ends every line it appends: the text, right-stripped, then a markdown hard break
HARD_BREAK = re.compile(r"\S  $")
HISTORY_NAME = ".aider.chat.history.md"


def detect(path: Path, head: bytes) -> bool:
    if path.name.endswith(HISTORY_NAME):
        return True
    return path.suffix == ".md" and b"# aider chat started at" in head[:4096]


@dataclass
class _Block:
    kind: str  # "user" | "note" | "reply"
    line: int
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(self.lines).strip()


@dataclass
class _Session:
    line: int
    started_at: str | None
    blocks: list[_Block] = field(default_factory=list)


def _note_end(lines: list[tuple[int, str]], i: int) -> int | None:
    """For a quote line without aider's closing hard break: the index of the later line that
    closes the note, when one does before the next prompt, session or whole note; else None.
    (Lines inside the note that look like quotes, such as pytest's `>   code`, have no hard break,
    and its whitespace-only lines are not one.)"""
    for j in range(i + 1, len(lines)):
        text = lines[j][1]
        if STARTED.match(text) or text.startswith("####"):
            return None
        if HARD_BREAK.search(text):
            return None if text.startswith("> ") or text.rstrip() == ">" else j
    return None


def _sessions(path: Path, warn: Warn) -> list[_Session]:
    sessions: list[_Session] = []
    block: _Block | None = None
    in_fence = False
    lines = list(iter_text_lines(path, warn))
    i = -1
    while i + 1 < len(lines):
        i += 1
        lineno, text = lines[i]
        m = STARTED.match(text)
        if m:  # a new session wins even over a reply cut off inside a code block
            sessions.append(_Session(lineno, m.group(1)))
            block, in_fence = None, False
            continue
        if not sessions:
            if not text.strip():
                continue
            sessions.append(_Session(lineno, None))  # a log whose header was cut off
        if in_fence and block is not None and block.kind == "reply":
            kind, body = "reply", text  # inside a code block of the reply: SEARCH/REPLACE markers
        elif text.startswith("####"):
            kind, body = "user", text[4:].removeprefix(" ").rstrip()
            if CONFIRM.search(body):  # aider answering its own question for the person
                kind = "note"
        elif text.startswith("> ") or text.rstrip() == ">":
            kind, body = "note", text[1:].removeprefix(" ").rstrip()
        elif not text.strip():
            # a blank line ends prompts and notes; inside a reply it is part of the reply
            if block is not None and block.kind == "reply":
                block.lines.append("")
            else:
                block = None
            continue
        elif block is not None and block.kind == "note":
            kind, body = "note", text.rstrip()  # markdown lazy continuation of the quote
        else:
            kind, body = "reply", text
        if block is None or block.kind != kind:
            block = _Block(kind, lineno)
            sessions[-1].blocks.append(block)
            in_fence = False
        block.lines.append(body)
        if kind == "note" and text.startswith("> ") and not HARD_BREAK.search(text):
            end = _note_end(lines, i)  # a multi-line note: the rest is note too, blank lines and all
            if end is not None:
                block.lines.extend(t.rstrip() for _, t in lines[i + 1 : end + 1])
                i = end
        if kind == "reply" and body.lstrip().startswith("```"):
            in_fence = not in_fence
    return sessions


def _conversations(session: _Session, counts: Counts, notes: dict[str, Any]) -> list[list[Message]]:
    """The session's conversations (split at /clear), from its blocks."""
    convs: list[list[Message]] = [[]]
    pending_notes: list[str] = []
    for block in session.blocks:
        text = block.text()
        if block.kind == "note":
            for note in block.lines:
                if applied := APPLIED.match(note):
                    notes["edited_files"].append(applied.group(1).strip())
                elif commit := COMMIT.match(note):
                    notes["commits"].append(commit.group(1))
                elif (model := MODEL.match(note)) and not notes["model"]:
                    notes["model"] = model.group(1)
            counts.bump("notes")
            pending_notes.extend(
                n for n in block.lines if n.strip() and not BOOKKEEPING.match(n) and not CONFIRM.search(n)
            )
            continue
        messages = convs[-1]
        if block.kind == "user":
            pending_notes = []
            if text.startswith("!"):  # a shell command, as /run
                counts.bump("commands")
                continue
            if text.startswith("/"):
                command, _, rest = text.partition(" ")
                if command in RESET_COMMANDS:
                    counts.bump("resets")
                    convs.append([])
                    continue
                if command not in PROMPT_COMMANDS or not rest.strip():
                    counts.bump("commands")
                    continue
                text = rest.strip()
            if text:
                messages.append(Message("user", text))
            continue
        if not text:
            continue
        if pending_notes and not (messages and messages[-1].role == "user"):
            # no prompt since the last reply (or since /clear): aider sent its own output back
            # (lint/test errors, command output), and that was the user turn
            counts.bump("reflections")
            messages.append(Message("user", "\n".join(pending_notes)))
            messages.append(Message("assistant", text))
        elif messages and messages[-1].role == "assistant":
            messages[-1].content += "\n\n" + text
        else:
            messages.append(Message("assistant", text))
        pending_notes = []
    return [c for c in convs if has_dialogue(c)]


def read(path: Path, warn: Warn) -> Iterator[Conversation]:
    try:
        root = str(path.resolve().parent)
    except OSError:
        root = None
    role, where = role_from_cwd(root)
    for session in _sessions(path, warn):
        counts = Counts()
        notes: dict[str, Any] = {"edited_files": [], "commits": [], "model": None}
        parts = _conversations(session, counts, notes)
        for n, messages in enumerate(parts):
            blob = "\x00".join(f"{m.role}:{m.content}" for m in messages)
            digest = hashlib.sha256(f"{session.started_at}\x00{blob}".encode()).hexdigest()[:16]
            yield Conversation(
                id=f"aider-{digest}",
                messages=messages,
                source=SourceRef(str(path), session.line),
                agent_role=role,
                metadata={
                    "format": "aider",
                    "started_at": session.started_at,
                    "part": n,
                    "model": notes["model"],
                    "edited_files": sorted(set(notes["edited_files"])),
                    "commits": notes["commits"],
                    **where,
                    "counts": dict(sorted(counts.items())),
                },
            )


READER = register(Reader("aider", (".md",), detect, read, "aider chat logs (.aider.chat.history.md)"))
