"""Scrubber precision on what programs say in other languages: findings per detector over the
message translations of this machine's gettext catalogues, with a few examples of each.

    .venv/bin/python benchmarks/scrub_on_translations.py [LOCALE_DIR] [--languages de,es,...] [--examples N]

Users of coding agents write their prompts in their own language, and the rules for a password or
a key said in one (other_languages.py) read the word, its "is" and the next word. Programs'
translated messages are full of those words ("Passwort ist erforderlich", "パスワードは8文字以上")
and hold no password: every finding of a password or key rule here is a false positive (e-mails
and names in the catalogues' headers are real personal data). The figures depend on what the
system has installed, so they are compared on one machine, before and after a change.
"""

from __future__ import annotations

import argparse
import gettext
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

from forge.scrub import find_secrets_many

LANGUAGES = "de es fr pt pt_BR it nl ru ja zh_CN zh_TW ko pl tr sv da fi"
BATCH = 5_000  # messages scrubbed together


def messages(root: Path, languages: list[str]) -> list[str]:
    """Every translated message of every catalogue of the languages, in a fixed order."""
    out: list[str] = []
    for lang in languages:
        for mo in sorted((root / lang / "LC_MESSAGES").glob("*.mo")):
            try:
                with open(mo, "rb") as f:
                    catalogue = gettext.GNUTranslations(f)
            except (OSError, UnicodeDecodeError):  # a damaged catalogue (gettext says: bad magic number)
                continue
            table = catalogue._catalog  # type: ignore[attr-defined]  (gettext keeps its messages here)
            out += [m for _, m in sorted(table.items(), key=repr) if isinstance(m, str) and m]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", nargs="?", default="/usr/share/locale")
    ap.add_argument("--languages", default=LANGUAGES.replace(" ", ","))
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args(argv)
    texts = messages(Path(args.root), args.languages.split(","))
    counts: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    start = time.process_time()
    for i in range(0, len(texts), BATCH):
        batch = texts[i : i + BATCH]
        for text, (found, _) in zip(batch, find_secrets_many(batch)):
            for f in found:
                counts[f.detector] += 1
                examples[f.detector].append(text[max(0, f.start - 40) : f.end + 15].replace("\n", " "))
    seconds = time.process_time() - start
    size = sum(len(t.encode()) for t in texts) / 1e6
    print(
        f"{len(texts)} messages ({size:.1f} MB) under {args.root}: "
        f"{sum(counts.values())} findings ({seconds:.0f} s CPU)"
    )
    pick = random.Random(0)
    for detector, n in counts.most_common():
        print(f"{detector}: {n}")
        for line in pick.sample(examples[detector], min(args.examples, n)):
            print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
