"""Text for the tiny base model's pre-training: committed, licence-clean, the same everywhere.

A real base model has read a lot of text and code before anyone fine-tunes it. Forge's tiny
base gets a small taste of the same from two sources shipped beside this file in tiny_text/
(SOURCES.md there names commits and licences):
- tldr-pages, each page rewritten as a shell snippet: shell commands, flags, paths, git;
- public-domain / CC0 Python Enhancement Proposals: English prose about software, with code.
From the tldr pages it also makes generic ChatML chats ("How do I …?" → the command) and
tool-like JSON descriptions, so the base knows the turn structure and JSON but has never seen a
tool call or a Gas Town tool.

The text used to come from the host Python's standard library, so the base (tokenizer and
weights) differed between machines and Python patch releases; these files do not change.
Pure apart from reading them; no heavy imports.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from forge.models.chat_format import IM_END, IM_START

TEXT_DIR = Path(__file__).resolve().parent / "tiny_text"
SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a concise assistant for the command line.",
    "You are a programming assistant. Answer briefly.",
)
QUESTIONS = (
    "How do I {task}?",
    "What is the command to {task}?",
    "I want to {task}. What should I run?",
    "Show me how to {task} with {command}.",
)


@cache
def read_texts(name: str) -> tuple[str, ...]:
    """The documents of one committed text file (tldr or peps), in file order."""
    with gzip.open(TEXT_DIR / f"{name}.jsonl.gz", "rt", encoding="utf-8") as f:
        return tuple(json.loads(line) for line in f)


def tldr_examples(page: str) -> Iterator[tuple[str, str, str]]:
    """(command name, task description, command line) for each example on a tldr page."""
    lines = page.splitlines()
    name = lines[0][2:].strip() if lines and lines[0].startswith("# ") else ""
    for i, line in enumerate(lines[:-1]):
        nxt = lines[i + 1]
        if line.startswith("# ") and nxt and not nxt.startswith("#") and i > 0 and not lines[i - 1].strip():
            task = line[2:].strip().rstrip(":.")
            if name and 8 <= len(task) <= 200:
                yield name, task[0].lower() + task[1:], nxt.strip()


def tldr_schema(page: str) -> dict | None:
    """A tool-like JSON description of a tldr page's command (real bases know JSON well)."""
    lines = page.splitlines()
    if not lines or not lines[0].startswith("# "):
        return None
    summary = next((line[2:] for line in lines[1:] if line.startswith("# ")), "")
    flags = sorted({w.lstrip("-") for ex in tldr_examples(page) for w in ex[2].split() if w.startswith("--")})
    props = {f.split("=")[0]: {"type": "string"} for f in flags[:4] if f}
    return {
        "type": "function",
        "function": {
            "name": lines[0][2:].strip(),
            "description": summary[:160],
            "parameters": {"type": "object", "properties": props, "required": []},
        },
    }


def chatml(system: str, user: str, assistant: str) -> str:
    return (
        f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{user}{IM_END}\n"
        f"{IM_START}assistant\n{assistant}{IM_END}\n"
    )


def general_documents() -> list[str]:
    """tldr pages and PEP sections, interleaved in a fixed order (so a small budget gets both)."""
    peps = [chunk for pep in read_texts("peps") for chunk in _chunks(pep, 4000)]
    tldr = list(read_texts("tldr"))
    out: list[str] = []
    ratio = max(1, len(tldr) // max(1, len(peps)))
    for i, pep in enumerate(peps):
        out.extend(tldr[i * ratio : (i + 1) * ratio])
        out.append(pep)
    out.extend(tldr[len(peps) * ratio :])
    return out


def pretraining_documents(max_chars: int, chat_fraction: float, seed: int) -> list[str]:
    """Documents for pre-training: shell snippets, PEP prose, command chats and JSON.

    `chat_fraction` of the characters (approximately) are ChatML chats; the rest is text, plus
    the JSON descriptions of the commands it covers (one object a line, as tools are listed).
    """
    rng = random.Random(seed)
    text_docs, used, pages = [], 0, []
    for doc in general_documents():
        if used >= max_chars * (1 - chat_fraction):
            break
        text_docs.append(doc)
        used += len(doc)
        if doc.startswith("# "):
            pages.append(doc)
    chats = []
    for page in read_texts("tldr"):
        for name, task, command in tldr_examples(page):
            question = rng.choice(QUESTIONS).format(task=task, command=name)
            chats.append(chatml(rng.choice(SYSTEM_PROMPTS), question, f"Run:\n{command}"))
    rng.shuffle(chats)
    picked_chats, used = [], 0
    for c in chats:
        if used >= max_chars * chat_fraction:
            break
        picked_chats.append(c)
        used += len(c)
    schemas = [json.dumps(s) for s in map(tldr_schema, pages) if s]
    json_docs = ["\n".join(schemas[i : i + 6]) for i in range(0, len(schemas), 6)]
    docs = picked_chats + json_docs + text_docs
    rng.shuffle(docs)
    return docs


def _chunks(text: str, size: int) -> Iterator[str]:
    """Split at line boundaries into pieces of about `size` characters."""
    buf: list[str] = []
    n = 0
    for line in text.splitlines(keepends=True):
        buf.append(line)
        n += len(line)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    if buf:
        yield "".join(buf)
