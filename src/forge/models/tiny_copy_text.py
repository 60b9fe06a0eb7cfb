"""Generated text that teaches the tiny base to copy from its context.

An agent's next action mostly repeats what is already in front of it: the issue id it was
given, the file it just read, the branch it made, a line of code it must replace. Real bases
learn that copying from trillions of tokens; a 1.5M-token text budget does not teach it. These
documents are made of random ids, paths and words (and real lines of code from the committed
PEPs) in shapes where a later part must repeat an earlier one: shell sessions, JSON records and
the updates that name them, key-value lookups, edit requests, short chats. Every value is drawn
at random, so nothing can be memorised: only copying lowers the loss.

They carry no tool-call tags and no Gas Town tool or command, so the base still cannot make a
tool call before it is tuned (its score on the demo's held-out prompts stays 0).
Pure and deterministic for a seed; no heavy imports.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections.abc import Callable
from functools import cache

from forge.models.chat_format import IM_END, IM_START
from forge.models.tiny_corpus import read_texts, tldr_examples

_DIRS = ("src", "lib", "internal", "cmd", "pkg", "tests", "docs", "app", "scripts", "config", "api", "core")
_EXTS = (".py", ".go", ".rs", ".js", ".ts", ".md", ".toml", ".json", ".sh", ".yaml", ".c", ".txt")
_TYPES = ("fix", "feat", "docs", "test", "refactor", "chore", "perf")
_STATUSES = ("open", "in_progress", "blocked", "closed", "done", "review")
_KINDS = ("bug", "task", "feature", "epic", "chore")
_ID_KEYS = ("id", "issue_id", "ticket", "issue", "key", "ref")
_PATH_KEYS = ("path", "file_path", "file", "filename", "target")
_USERS = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "oscar")


@cache
def _words() -> tuple[str, ...]:
    words: set[str] = set()
    for page in read_texts("tldr")[:3000]:
        for _, task, _ in tldr_examples(page):
            words.update(w for w in re.findall(r"\b[a-z]{3,10}\b", task))
    return tuple(sorted(words))


@cache
def _code_lines() -> tuple[str, ...]:
    lines = {
        line.strip()
        for pep in read_texts("peps")
        for line in pep.splitlines()
        if line.startswith("    ") and 8 <= len(line.strip()) <= 60 and '"' not in line and "\\" not in line
    }
    return tuple(sorted(lines))


class _Draw:
    """Random values of the shapes agents copy: ids, paths, branches, titles, shas."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.words = _words()

    def word(self) -> str:
        return self.rng.choice(self.words)

    def title(self) -> str:
        n = self.rng.randint(2, 6)
        text = " ".join(self.word() for _ in range(n))
        return text[0].upper() + text[1:]

    def ident(self) -> str:
        prefix = "".join(self.rng.choices(string.ascii_lowercase, k=self.rng.randint(2, 4)))
        tail = "".join(self.rng.choices(string.ascii_lowercase + string.digits, k=self.rng.randint(3, 5)))
        return f"{prefix}-{tail}" if self.rng.random() < 0.8 else f"{prefix.upper()}-{self.rng.randint(1, 9999)}"

    def path(self, absolute: bool | None = None) -> str:
        parts = [self.rng.choice(_DIRS)] + [self.word() for _ in range(self.rng.randint(0, 2))]
        rel = "/".join(parts) + "/" + self.word() + self.rng.choice(_EXTS)
        if absolute if absolute is not None else self.rng.random() < 0.4:
            return f"/home/{self.rng.choice(_USERS)}/{self.word()}/{rel}"
        return rel

    def sha(self, n: int = 7) -> str:
        return "".join(self.rng.choices("0123456789abcdef", k=n))

    def code(self) -> str:
        return self.rng.choice(_code_lines())


def shell_session(d: _Draw) -> str:
    issue, title, path, user = d.ident(), d.title(), d.path(False), d.rng.choice(_USERS)
    branch = f"{user}/{issue}" if d.rng.random() < 0.5 else f"{d.rng.choice(_TYPES)}/{issue}"
    kind = d.rng.choice(_TYPES)
    steps = [
        f"$ cat TICKET\n{issue}: {title}",
        f"$ git checkout -b {branch}\nSwitched to a new branch '{branch}'",
        f"$ grep -n {d.word()} {path}\n{d.rng.randint(1, 400)}:{d.code()}",
        f"$ git add {path}",
        f'$ git commit -m "{kind}: {title.lower()} ({issue})"\n[{branch} {d.sha()}] {kind}: {title.lower()} ({issue})',
        f"$ git push -u origin {branch}",
        f'$ gh pr create --title "{kind}: {title.lower()} ({issue})" --body "Closes {issue}"',
    ]
    keep = sorted(d.rng.sample(range(1, len(steps)), d.rng.randint(3, len(steps) - 1)))
    return "\n".join([steps[0]] + [steps[i] for i in keep]) + "\n"


def json_records(d: _Draw) -> str:
    key = d.rng.choice(_ID_KEYS)
    records = [
        {key: d.ident(), "title": d.title(), "status": d.rng.choice(_STATUSES), "priority": d.rng.randint(0, 4)}
        for _ in range(d.rng.randint(2, 6))
    ]
    lines = [json.dumps(r) for r in records]
    for _ in range(d.rng.randint(1, 3)):
        r = d.rng.choice(records)
        status = d.rng.choice(_STATUSES)
        lines.append(f"Next: {r['title']} is {status.replace('_', ' ')}.")
        lines.append(json.dumps({key: r[key], "status": status}))
    return "\n".join(lines) + "\n"


def key_values(d: _Draw) -> str:
    pairs = {d.word(): d.rng.choice([d.ident(), d.path(), d.sha(), str(d.rng.randint(0, 99999))]) for _ in range(6)}
    lines = [f"{k}: {v}" for k, v in pairs.items()]
    for k in d.rng.sample(list(pairs), d.rng.randint(1, 3)):
        lines.append(f"{k} = {pairs[k]}")
    return "\n".join(lines) + "\n"


def edit_request(d: _Draw) -> str:
    path, old, new = d.path(), d.code(), d.code()
    key = d.rng.choice(_PATH_KEYS)
    return (
        f"$ sed -n 1,3p {path}\n{d.code()}\n{old}\n{d.code()}\n"
        f"Replace `{old}` with `{new}` in {path}.\n"
        + json.dumps({key: path, "old_string": old, "new_string": new})
        + "\n"
    )


def chat(d: _Draw) -> str:
    issue, path, title = d.ident(), d.path(), d.title()
    asks = [
        (f"Please look at {path}.", {d.rng.choice(_PATH_KEYS): path}),
        (f"Start work on {issue} ({title}).", {d.rng.choice(_ID_KEYS): issue, "status": "in_progress"}),
        (f"Close {issue}: {title.lower()}.", {d.rng.choice(_ID_KEYS): issue, "reason": title}),
        (f"File a {d.rng.choice(_KINDS)}: {title}.", {"title": title, "priority": d.rng.randint(0, 4)}),
        (f"Run the tests in {path.rsplit('/', 1)[0]}.", {"command": f"cd {path.rsplit('/', 1)[0]} && make test"}),
    ]
    question, action = d.rng.choice(asks)
    reply = f"{d.rng.choice(('Sure.', 'On it.', 'Okay.', ''))}\n{json.dumps(action)}".lstrip()
    return (
        f"{IM_START}system\nReply with the action as one JSON object.{IM_END}\n"
        f"{IM_START}user\n{question}{IM_END}\n{IM_START}assistant\n{reply}{IM_END}\n"
    )


SHAPES: tuple[Callable[[_Draw], str], ...] = (shell_session, json_records, key_values, edit_request, chat)


def copy_documents(n: int, seed: int) -> list[str]:
    """`n` generated documents, each of a random shape, the same for a seed."""
    d = _Draw(random.Random(seed))
    return [d.rng.choice(SHAPES)(d) for _ in range(n)]


def fingerprint(seed: int, n: int = 1000) -> str:
    """SHA-256 of the first `n` documents for a seed: what a base's record pins the generator by."""
    import hashlib

    return hashlib.sha256("\0".join(copy_documents(n, seed)).encode()).hexdigest()
