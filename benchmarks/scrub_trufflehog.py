"""Recall on TruffleHog's detector tests: ~800 provider formats we did not write, read from a checkout.

    git clone --depth 1 https://github.com/trufflesecurity/trufflehog /tmp/trufflehog
    .venv/bin/python benchmarks/scrub_trufflehog.py /tmp/trufflehog          # ~20 s
    .venv/bin/python benchmarks/scrub_trufflehog.py /tmp/trufflehog --show 30  # some misses

TruffleHog (AGPL-3.0) keeps, beside each detector, a Go test of its pattern: inputs (a config
file, a log, code, a Jenkins credentials file ...) and the secrets the detector must report. The
data is not copied into this repository (its licence is not ours); this script reads a checkout.
Each `input:` / `want:` pair of `pkg/detectors/**/*_test.go` (not the live-API `_integration`
tests) is evaluated from the Go source: string and raw-string literals, the file's `var`/`const`
strings, `+` and `fmt.Sprintf`. Pairs whose expressions use anything else are skipped (counted).

Scoring, as scrub_independent.py scores its positives: a case is caught when no secret of it
survives even half-way in the scrubbed input; the secret of each wanted string is its longest
high-entropy token that the input holds (a wanted string may join an id, a URL and the secret).
Many inputs are TruffleHog's own templates (`[DEBUG] Using Key=...`, a Jenkins `<secret>{name
AQAAABAAA token}</secret>` that Jenkins never writes in the clear, `name 'token'` pairs): the
figure measures formats and contexts together. The baseline is the engine's catalogue alone
(Kingfisher's built-in rules, no Forge detector), measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import scrub_independent as si  # noqa: E402

from forge.scrub import Scrubber  # noqa: E402

_GO_TOKEN = re.compile(
    r"""\s*(?:(?P<s>"(?:[^"\\\n]|\\.)*")|(?P<r>`[^`]*`)|(?P<id>[A-Za-z_][\w.]*)|(?P<num>\d+)"""
    r"""|(?P<op>\[\]string|[+(),{}:=\[\]]))""",
    re.S,
)


class Unsupported(ValueError):
    """An expression this reader does not evaluate (a call, a name from another file)."""


def _go_string(literal: str) -> str:
    if literal[0] == "`":
        return literal[1:-1]
    try:
        return json.loads('"' + literal[1:-1].replace("\\'", "'") + '"')
    except ValueError:
        return literal[1:-1].encode("utf-8").decode("unicode_escape")


def _sprintf(fmt: str, args: list) -> str:
    out, i = [], 0
    for part in re.split(r"(%%|%[-+# 0-9.]*[svdqx])", fmt):
        if part == "%%":
            out.append("%")
        elif len(part) > 1 and part[0] == "%":
            arg = args[i] if i < len(args) else ""
            i += 1
            out.append(json.dumps(arg) if part.endswith("q") else str(arg))
        else:
            out.append(part)
    return "".join(out)


class _Expr:
    """A Go string expression at a position of a source, evaluated with the file's strings."""

    def __init__(self, src: str, names: dict[str, object]):
        self.src, self.names = src, names

    def _tok(self, pos: int) -> re.Match[str]:
        m = _GO_TOKEN.match(self.src, pos)
        if m is None:
            raise Unsupported(f"at {pos}")
        return m

    def parse(self, pos: int) -> tuple[object, int]:
        value, pos = self._term(pos)
        while (m := _GO_TOKEN.match(self.src, pos)) and m["op"] == "+":
            more, pos = self._term(m.end())
            value = value + more  # type: ignore[operator]
        return value, pos

    def _term(self, pos: int) -> tuple[object, int]:
        m = self._tok(pos)
        if m["s"] or m["r"]:
            return _go_string(m["s"] or m["r"]), m.end()
        if m["num"]:
            return int(m["num"]), m.end()
        if not m["id"]:
            raise Unsupported(m.group(0))
        name, pos = m["id"], m.end()
        call = _GO_TOKEN.match(self.src, pos)
        if not (call and call["op"] == "("):
            if name not in self.names:
                raise Unsupported(name)
            return self.names[name], pos
        args, pos = [], call.end()
        while (m := self._tok(pos))["op"] != ")":
            arg, pos = self.parse(pos)
            args.append(arg)
            if (m := self._tok(pos))["op"] == ",":
                pos = m.end()
        pos = m.end()
        if name == "fmt.Sprintf":
            return _sprintf(str(args[0]), args[1:]), pos
        if name == "strings.Repeat":
            return str(args[0]) * int(args[1]), pos  # type: ignore[call-overload]
        raise Unsupported(name)


def _file_strings(src: str) -> dict[str, object]:
    """The file's package-level `var`/`const` strings (in blocks or one per line)."""
    names: dict[str, object] = {}
    decl = re.compile(r"\n\s*(\w+)\s*(?:string\s*)?=\s*")
    bodies = [b.group(1) for b in re.finditer(r"\n(?:var|const) \((.*?)\n\)", src, re.S)]
    for body in bodies:
        for m in decl.finditer(body):
            try:
                names[m.group(1)], _ = _Expr(body, names).parse(m.end())
            except (Unsupported, IndexError, TypeError, ValueError):
                pass
    for m in re.finditer(r"\n(?:var|const) (\w+)\s*(?:string\s*)?=\s*", src):
        try:
            names[m.group(1)], _ = _Expr(src, names).parse(m.end())
        except (Unsupported, IndexError, TypeError, ValueError):
            pass
    return names


def test_cases(src: str, detector: str) -> tuple[list[dict], int]:
    """(cases with a non-empty `want`, pairs skipped) of one test file."""
    names = _file_strings(src)
    cases, skipped = [], 0
    for m in re.finditer(r"\binput:\s*", src):
        expr = _Expr(src, names)
        try:
            text, pos = expr.parse(m.end())
            w = re.compile(r"\s*,\s*want:\s*(?:\[\]string)?\{").match(src, pos)
            if w is None:
                raise Unsupported("want")
            pos, want = w.end(), []
            while (t := expr._tok(pos))["op"] != "}":
                value, pos = expr.parse(pos)
                want.append(value)
                if (t := expr._tok(pos))["op"] == ",":
                    pos = t.end()
        except (Unsupported, IndexError, TypeError, ValueError):
            skipped += 1
            continue
        if isinstance(text, str) and want:
            cases.append({"detector": detector, "input": text, "want": [x for x in want if isinstance(x, str)]})
    return cases, skipped


# A wanted string often joins the secret with where it is used (an endpoint, a host): a token
# that is a URL's tail or a lower-case host name is not the secret.
_HOST = re.compile(r"(?://\S*|(?:[a-z0-9\-]+\.)+[a-z]{2,6}(?::\d+)?(?:/\S*)?)")


def secrets_of(case: dict) -> list[str]:
    out = []
    for wanted in case["want"]:
        tokens = [
            t
            for t in si.TOKEN.findall(wanted)
            if si.entropy(t) >= 2.5 and t in case["input"] and not _HOST.fullmatch(t)
        ]
        if tokens:
            out.append(max(tokens, key=lambda t: len(t) * si.entropy(t)))
    return out


def caught(case: dict, out: str) -> bool:
    out = si.PLACEHOLDER.sub("", out)
    secrets = secrets_of(case)
    context = case["input"]
    for s in secrets:
        context = context.replace(s, "\x00")
    return not any(si.leaked(s, out, context) for s in secrets)


def load(repo: Path) -> tuple[list[dict], int, int]:
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "pkg/detectors"], capture_output=True, text=True, check=True
    ).stdout.split()
    files = [f for f in listing if f.endswith("_test.go") and "integration" not in f]
    cases, skipped = [], 0
    for f in files:
        found, n = test_cases((repo / f).read_text(encoding="utf-8", errors="replace"), f.split("/")[2])
        cases += [c for c in found if secrets_of(c)]
        skipped += n
    return cases, skipped, len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path, help="a checkout of github.com/trufflesecurity/trufflehog")
    parser.add_argument("--show", type=int, default=0, help="print up to N missed cases (around the secret)")
    args = parser.parse_args()
    cases, skipped, files = load(args.repo)
    head = subprocess.run(["git", "-C", str(args.repo), "rev-parse", "HEAD"], capture_output=True, text=True)
    print(
        f"TruffleHog {head.stdout.strip()[:12]}: {len(cases)} positive cases of "
        f"{len({c['detector'] for c in cases})} detectors from {files} test files ({skipped} pairs not evaluated)"
    )
    texts = [c["input"] for c in cases]
    forge = [caught(c, o) for c, o in zip(cases, Scrubber().scrub_texts(texts))]
    engine = [caught(c, o) for c, o in zip(cases, si.engine_only_outputs(texts))]
    for name, hits in (("forge (engine + detectors)", forge), ("engine's catalogue alone", engine)):
        missed_detectors = {c["detector"] for c, ok in zip(cases, hits) if not ok}
        print(
            f"{name}: recall {sum(hits) / len(cases):.4f} ({sum(hits)}/{len(cases)}), "
            f"detectors with a miss {len(missed_detectors)}"
        )
    for c in [c for c, ok in zip(cases, forge) if not ok][: args.show]:
        s = secrets_of(c)[0]
        i = c["input"].index(s)
        print(f"  MISSED {c['detector']}: {c['input'][max(0, i - 80) : i + len(s) + 20]!r}")
    print(f"recall={sum(forge) / len(cases):.4f}")


if __name__ == "__main__":
    main()
