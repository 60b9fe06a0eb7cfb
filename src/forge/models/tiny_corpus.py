"""General text for the tiny base model's pre-training, available offline and deterministic.

A real base model has read a lot of text and code before anyone fine-tunes it. Forge's tiny
default base gets a small taste of the same: the Python standard library's own source files
(code, comments, English docstrings) plus generic ChatML chats made from those docstrings, so
the base knows the turn structure (`<|im_start|>user … <|im_end|>`) but has never seen a tool
call or a Gas Town tool. Files are taken in sorted order from the interpreter's stdlib folder,
found with `sysconfig` so the selection does not depend on where Python is installed.
Pure apart from reading those files; no heavy imports.
"""

from __future__ import annotations

import ast
import json
import random
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from forge.models.chat_format import IM_END, IM_START

SYSTEM_PROMPTS = (
    "You are a helpful assistant.",
    "You are a concise assistant that explains Python code.",
    "You are a programming assistant. Answer briefly.",
)
QUESTIONS = (
    "What does {name} in {module} do?",
    "Explain {name} from the {module} module.",
    "Can you describe the function {name}?",
    "Tell me what {module}.{name} is for.",
)


def stdlib_files() -> list[Path]:
    """Top-level stdlib modules, sorted by name: a fixed, installation-independent selection."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.glob("*.py") if not p.name.startswith("_"))


def read_sources(max_chars: int) -> list[tuple[str, str]]:
    """(module name, source text) for stdlib files until max_chars are gathered."""
    out, total = [], 0
    for path in stdlib_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        out.append((path.stem, text))
        total += len(text)
        if total >= max_chars:
            break
    return out


def docstring_pairs(module: str, source: str) -> Iterator[tuple[str, str]]:
    """(qualified name, first docstring paragraph) for each documented function or class."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            doc = ast.get_docstring(node)
            if not doc or node.name.startswith("_"):
                continue
            para = doc.strip().split("\n\n", 1)[0].strip()
            if 20 <= len(para) <= 600:
                yield node.name, " ".join(para.split())


def function_schemas(source: str) -> Iterator[dict]:
    """JSON-schema descriptions of documented public functions (real bases know JSON well)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            continue
        doc = ast.get_docstring(node)
        params = [a.arg for a in node.args.args + node.args.kwonlyargs if a.arg not in ("self", "cls")]
        if not doc or not params:
            continue
        n_required = len(node.args.args) - len(node.args.defaults)
        required = [a.arg for a in node.args.args[:n_required] if a.arg not in ("self", "cls")]
        yield {
            "type": "function",
            "function": {
                "name": node.name,
                "description": " ".join(doc.split("\n\n")[0].split())[:160],
                "parameters": {
                    "type": "object",
                    "properties": {p: {"type": "string"} for p in params},
                    "required": required,
                },
            },
        }


def chatml(system: str, user: str, assistant: str) -> str:
    return (
        f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{user}{IM_END}\n"
        f"{IM_START}assistant\n{assistant}{IM_END}\n"
    )


def pretraining_documents(max_chars: int, chat_fraction: float, seed: int) -> list[str]:
    """Documents for pre-training: stdlib source, docstring chats and function schemas as JSON.

    `chat_fraction` of the characters (approximately) are ChatML chats; the rest is source,
    plus the schemas of the functions in it (one JSON object a line, as tools are listed).
    """
    rng = random.Random(seed)
    sources = read_sources(max_chars)
    chats: list[str] = []
    for module, text in sources:
        for name, para in docstring_pairs(module, text):
            question = rng.choice(QUESTIONS).format(name=name, module=module)
            chats.append(chatml(rng.choice(SYSTEM_PROMPTS), question, para))
    rng.shuffle(chats)
    schemas = [json.dumps(s) for _m, text in sources for s in function_schemas(text)]
    json_docs = ["\n".join(schemas[i : i + 6]) for i in range(0, len(schemas), 6)]
    chat_budget = int(max_chars * chat_fraction)
    picked_chats, used = [], 0
    for c in chats:
        if used >= chat_budget:
            break
        picked_chats.append(c)
        used += len(c)
    code_docs, used = [], 0
    for _module, text in sources:
        for chunk in _chunks(text, 4000):
            if used >= max_chars - chat_budget:
                break
            code_docs.append(chunk)
            used += len(chunk)
    docs = picked_chats + json_docs + code_docs
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
