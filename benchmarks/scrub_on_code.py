"""Scrubber precision on real code: findings per detector over a tree of source files we did not
write (by default the installed Python packages of this venv), with a few examples of each.

    .venv/bin/python benchmarks/scrub_on_code.py [DIR] [--examples N]

Code is most of what coding-agent transcripts hold; a detector that fires on it (a slice read as
an IPv6 address, `token=self._token` read as a secret) corrupts the training data. Some findings
are right (test fixtures hold e-mails and sample keys): read the examples. The figures depend on
what is installed, so they are compared within one venv, before and after a change.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from forge.scrub import find_secrets_many

SUFFIXES = (".py", ".md", ".txt", ".json", ".toml", ".yaml", ".yml", ".cfg", ".js", ".rst", ".jsonl", ".sh")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages"
    ap.add_argument("root", nargs="?", default=str(default))
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args(argv)
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    size, start = 0, time.process_time()
    for dirpath, dirnames, filenames in os.walk(args.root):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(SUFFIXES):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            size += len(text.encode())
            for found in find_secrets_many([text])[0][0]:
                counts[found.detector] += 1
                shown = text[max(0, found.start - 40) : found.end + 15].replace("\n", " ")
                examples[found.detector].append(f"{os.path.relpath(path, args.root)}: {shown}")
    seconds = time.process_time() - start
    print(f"{size / 1e6:.0f} MB of source under {args.root}: {sum(counts.values())} findings ({seconds:.0f} s CPU)")
    pick = random.Random(0)
    for detector, n in counts.most_common():
        print(f"{detector}: {n}")
        for line in pick.sample(examples[detector], min(args.examples, n)):
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
