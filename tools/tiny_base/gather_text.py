"""Collect the licence-clean human-written text of the tiny base's pre-training corpus.

Two sources, pinned to commits (SOURCES.md names them and their licences):
- tldr-pages (CC BY 4.0): command-line examples for ~6,600 commands, pages/common and
  pages/linux. Changed as CC BY asks us to say: each page is rewritten as a shell snippet
  (`# description` comment lines, the command below), `{{[-s|--long]}}` placeholders resolved
  to their first form and `{{path/to/file}}` to the text inside, "More information" links dropped.
- Python Enhancement Proposals (public domain or CC0-1.0, per each PEP's Copyright section;
  only PEPs that say so are taken): English prose about software with code blocks. The RFC 822
  header (authors' names and addresses) is dropped.

Usage: python tools/tiny_base/gather_text.py TLDR_GIT_DIR PEPS_GIT_DIR
Reads the pinned commits with `git show` (a bare clone works) and writes
src/forge/models/tiny_text/{tldr,peps}.jsonl.gz, one JSON string (a document) a line.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import subprocess
import sys
from pathlib import Path

TLDR_COMMIT = "08e345f42639f67d99282813247ac670dc6e87cb"
PEPS_COMMIT = "ba4deeb7969588d937da609008d05bb83a47b1ab"
PEPS_CHARS = 1_500_000
TEXT_DIR = Path(__file__).resolve().parents[2] / "src" / "forge" / "models" / "tiny_text"
PUBLIC = re.compile(r"placed in the public domain|CC0-1\.0", re.IGNORECASE)


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True).stdout


def tldr_page(md: str) -> str:
    """A tldr page as a shell snippet."""
    out = []
    for line in md.splitlines():
        line = line.rstrip()
        if line.startswith("# "):
            out.append(line)
        elif line.startswith("> "):
            if "More information" not in line:
                out.append("# " + line[2:])
        elif line.startswith("- "):
            out.append("\n# " + line[2:])
        elif line.startswith("`") and line.endswith("`"):
            cmd = re.sub(r"\{\{\[([^|\]]*)\|[^\]]*\]\}\}", r"\1", line[1:-1])
            out.append(re.sub(r"\{\{(.*?)\}\}", r"\1", cmd))
    return "\n".join(out).strip() + "\n"


def tldr_documents(repo: str) -> list[str]:
    names = [
        n
        for n in git(repo, "ls-tree", "-r", "--name-only", TLDR_COMMIT).splitlines()
        if re.fullmatch(r"pages/(common|linux)/[^/]+\.md", n)
    ]
    return [tldr_page(git(repo, "show", f"{TLDR_COMMIT}:{n}")) for n in sorted(names)]


def pep_documents(repo: str) -> list[str]:
    names = sorted(
        n
        for n in git(repo, "ls-tree", "-r", "--name-only", PEPS_COMMIT).splitlines()
        if re.fullmatch(r"peps/pep-\d{4}\.rst", n)
    )
    out, used = [], 0
    for name in names:
        text = git(repo, "show", f"{PEPS_COMMIT}:{name}")
        copyright_part = text.rsplit("Copyright", 1)[-1]
        if not PUBLIC.search(copyright_part):
            continue
        body = text.split("\n\n", 1)[1] if "\n\n" in text else text  # drop the RFC 822 header
        out.append(body.strip() + "\n")
        used += len(out[-1])
        if used >= PEPS_CHARS:
            break
    return out


def write_docs(path: Path, docs: list[str]) -> None:
    """JSONL, gzipped with no name and time in the header: the same bytes on every run."""
    raw = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs).encode()
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(raw)
    path.write_bytes(buf.getvalue())


def read_docs(path: Path) -> list[str]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main(tldr_repo: str, peps_repo: str) -> None:
    TEXT_DIR.mkdir(parents=True, exist_ok=True)
    for name, docs in (("tldr", tldr_documents(tldr_repo)), ("peps", pep_documents(peps_repo))):
        write_docs(TEXT_DIR / f"{name}.jsonl.gz", docs)
        print(f"{name}: {len(docs)} documents, {sum(map(len, docs)):,} characters")


if __name__ == "__main__":
    main(*sys.argv[1:3])
