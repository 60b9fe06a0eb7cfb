"""Scrubber speed on large tool outputs, one in a transcript line: does the cost grow with the size?

    .venv/bin/python benchmarks/scrub_shapes.py            # every shape
    .venv/bin/python benchmarks/scrub_shapes.py csv ls     # some

An agent's tool result is one JSON string, however long: a screenshot as base64, `find` under the
home folder, `ls -l`, `git log`, `env`, a test run, a CSV of contacts, pretty-printed JSON, a
minified bundle, coloured terminal output. Each shape is made (seeded) at two sizes, 1x and 4x,
put in one Claude Code JSONL line and scrubbed as `forge scrub FILE` runs it (scrub_path, report
only, one process, a fresh Scrubber): per core (process CPU seconds), the best of 3 passes.
`growth` is the 4x time over the 1x time: 4 when the cost grows with the size, 16 when with its
square (the shapes that grew with the square are why this benchmark exists). detect-secrets 1.5.0
(the baseline of benchmarks/scrub.py) scans the 1x file line by line, as it scans any file.

Last line: `ratio=<geometric mean over the shapes of forge MB/s / detect-secrets MB/s>` (1x size).
"""

from __future__ import annotations

import base64
import json
import math
import random
import shutil
import string
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from forge.scrub import Scrubber
from forge.scrub.files import scrub_path


def _shapes(rng: random.Random) -> dict[str, Callable[[int], str]]:
    def word(n: int = 8) -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))

    def hexes(n: int) -> str:
        return "".join(rng.choice("0123456789abcdef") for _ in range(n))

    snippets = ["var a=b;", "function(x){return x+1}", "if(a&&b){c()}", 'x.y="z";', "apiKey:k,", "token:t,"]
    return {
        "base64_image": lambda n: base64.b64encode(rng.randbytes(n * 45)).decode(),
        "find_home": lambda n: "\n".join(f"/home/alice/proj/src/{word()}/{word(5)}.py" for _ in range(n)),
        "ls_long": lambda n: "\n".join(
            f"-rw-r--r--  1 alice  staff  {rng.randint(1, 99999)} Jan  3 10:1{i % 10} {word()}.py" for i in range(n)
        ),
        "git_log": lambda n: "\n".join(
            f"commit {hexes(40)}\nAuthor: {word(5).title()} <{word(6)}@corp.io>\nDate:   Mon Jan 3 10:00:00 2026\n\n"
            f"    fix {word()}\n"
            for _ in range(n // 6)
        ),
        "env": lambda n: "\n".join(f"{word(6).upper()}_{word(4).upper()}={word(12)}" for _ in range(n)),
        "pytest": lambda n: "\n".join(
            f"tests/test_{word()}.py::test_{word()} PASSED [{i % 100:3d}%]" for i in range(n)
        ),
        "csv_contacts": lambda n: "\n".join(
            f"{i},{word(6).title()},{word(7)}@mail{i % 9}.com,+1 415 555 {rng.randint(1000, 9999)}" for i in range(n)
        ),
        "json_pretty": lambda n: json.dumps(
            [
                {"id": i, "name": word(), "token_count": rng.randint(1, 999), "apiKey": None, "password": ""}
                for i in range(n // 7)
            ],
            indent=2,
        ),
        "minified_js": lambda n: "".join(rng.choice(snippets) for _ in range(n * 3)),
        "terminal_colours": lambda n: "\n".join(
            f"\x1b[32m✓\x1b[0m test_{word()} \x1b[2m({rng.randint(1, 99)}ms)\x1b[0m" for _ in range(n)
        ),
    }


def _line(text: str) -> str:
    result = {"type": "tool_result", "tool_use_id": "toolu_01", "content": text}
    return json.dumps({"type": "user", "message": {"role": "user", "content": [result]}}) + "\n"


def _forge_seconds(folder: Path) -> float:
    best = math.inf
    for _ in range(3):
        c = time.process_time()
        scrub_path(folder, None, Scrubber(), workers=1)
        best = min(best, time.process_time() - c)
    return best


def _detect_secrets_seconds(path: Path) -> float | None:
    try:
        from detect_secrets.core.scan import _process_line_based_plugins
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    lines = path.read_text(encoding="utf-8").split("\n")
    with default_settings():
        c = time.process_time()
        list(_process_line_based_plugins(list(enumerate(lines, 1)), "t.jsonl"))
        return time.process_time() - c


def main(argv: list[str]) -> int:
    shapes = _shapes(random.Random(7))
    chosen = argv or list(shapes)
    unknown = [s for s in chosen if s not in shapes]
    if unknown:
        sys.exit(f"unknown shape(s): {', '.join(unknown)}; known: {', '.join(shapes)}")
    Scrubber().scrub_text("warm-up: aws_secret_access_key = j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123")
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in chosen:
            row, times = [], []
            for size in (5_000, 20_000):
                folder = Path(tmp) / f"{name}-{size}"
                folder.mkdir()
                path = folder / "session.jsonl"
                path.write_text(_line(shapes[name](size)), encoding="utf-8")
                mb = path.stat().st_size / 1e6
                t = _forge_seconds(folder)
                times.append(t)
                row.append(f"{mb:.2f} MB {mb / t:6.1f} MB/s")
                if size == 5_000:
                    ds = _detect_secrets_seconds(path)
                    ds_rate = mb / ds if ds else None
                    if ds_rate:
                        ratios.append((mb / t) / ds_rate)
                shutil.rmtree(folder)
            baseline = f"detect-secrets {ds_rate:5.2f} MB/s" if ds_rate else "detect-secrets not installed"
            print(f"{name:17s} forge scrub {row[0]} | {row[1]} | growth {times[1] / times[0]:4.1f}x | {baseline}")
    if not ratios:
        sys.exit("detect-secrets is not installed: .venv/bin/pip install 'detect-secrets==1.5.0' (or make bench)")
    print(f"ratio={math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
