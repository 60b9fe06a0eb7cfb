"""Independent scrubber benchmark: public secret-scanner test vectors, near misses, benign ids, real transcripts.

    .venv/bin/python benchmarks/scrub_independent.py              # dev half (look at misses here)
    .venv/bin/python benchmarks/scrub_independent.py --heldout    # also the held-out half
    .venv/bin/python benchmarks/scrub_independent.py --show 20    # print missed dev cases
    .venv/bin/python benchmarks/scrub_independent.py --heldout --by-detector  # which detectors alter negatives
    .venv/bin/python benchmarks/scrub_independent.py --workers 2  # also forge scrub --workers 2, wall clock
    .venv/bin/python benchmarks/scrub_independent.py --shown      # also each case shown in 8 ways a session
                                                                  # shows a file (a fence, a diff, grep -rn ...)

Data (benchmarks/data/secrets/, see SOURCES.md): positives are Nosey Parker's rule examples,
secretlint's snapshot tests, ripsecrets' test files, detect-secrets' plugin tests, whispers'
config and code fixtures (added later: passwords in YAML, JSON, XML, .properties, shell and
code, as agents cat them), Trivy's secret scanner test files (added after the detectors were
written: its builtin rules' expected findings, the secret read off the masked match) and GitHub's
secret scanning custom patterns (added later still: each pattern's test data, and the spans its
expected entries and GitHub's own scan snapshots give in the repository's sample files), labelled by
those projects
(none is the engine's rule source:
Kingfisher 1.5.0 ships the Betterleaks/gitleaks catalogue and Google's Veles detectors, so
gitleaks' own test cases are left out on purpose). Negatives are their near misses that no rule
of the set matches, secretlint's "ok" snapshots, ripsecrets' "none" file and the detect-secrets
test lines that none of its plugins flags, whispers' "compliant" lines, the lines of Trivy's test files
that its tests expect no finding in, and the lines of GitHub's sample files that no pattern's
expected entry or snapshot touches. Benign: git commit ids, UUIDs, sha256
digests, npm integrity hashes and base64 blobs, in the lines tools print them in.

Scoring. A positive is caught when no secret-bearing token of its labelled spans (8+ characters,
not a mask) survives even half-way in the scrubbed text. Where a labelled span is a URL with
credentials (scheme://user:password@host...), its secret is the password, whatever its length:
the scheme, user name and host name are not secrets (they used to count as leaked tokens), and
a span a scanner labelled inside such a URL (its host) stands for that password too; and where
a labelled span starts with the key its value is assigned to (NAME = value), the name is not a
secret token. Each half is
scored twice: on the text as it is, and with each case inside a Claude Code JSONL line (a tool
result), read as `forge scrub` reads such a file, where quotes come escaped and line breaks as \\n.
A negative is altered when the scrubbed text differs at all. A benign value is kept when it is still
whole in the scrubbed line.

Speed, per core (process CPU seconds, so other jobs on the machine do not count), a fresh
Scrubber for every pass (no memo carried over), median of 11 passes (the real transcripts take
milliseconds a pass, so fewer passes wander with the machine):
- `forge scrub` path: scrub_path, as the command runs it in one process, on the folder of Claude
  Code JSONL files as they are, into a new folder (`--out`: the walk, writing each copy whole and
  moving it into place, and the resume journal are timed too), and without an output (a findings
  report only);
- ingest path: Scrubber.scrub_conversation_tallied on the conversations the Claude Code reader
  makes of the same files (reading not timed), as src/forge/ingest/pool.py calls it;
- detect-secrets 1.5.0: its line scan over the same JSONL text (see benchmarks/scrub.py).
Files: the real transcripts; the real Claude Code sessions (1.0 to 2.1) of five more projects the
readers are tested on (tests/fixtures/real/claude_code_*, see SOURCES.md there; what is found in
them is printed by kind); the real transcripts with their working folder (a temporary one) moved
under a home folder, as a user's own sessions have it (the cwd of every line names the user); and
sessions from the example generator (dense with planted secrets, a home path in every line),
as separate files and as one long file.
The last line is `ratio=<forge scrub MB/s / detect-secrets MB/s>`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GITLEAKS_CONFIG = ROOT / "tests" / "fixtures" / "real" / "gitleaks" / "config" / "gitleaks.toml"
DATA = ROOT / "benchmarks" / "data" / "secrets"
sys.path.insert(0, str(ROOT / "benchmarks"))

import re  # noqa: E402

from forge.scrub import Scrubber, find_secrets_many  # noqa: E402
from forge.scrub.files import scrub_file, scrub_path  # noqa: E402

TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.~%]{8,}")
PLACEHOLDER = re.compile(r"<SECRET:[a-z0-9_]+>")
TMP_WORKDIR = re.compile(r"/tmp/tmp[a-z0-9_]{8}")  # the transcripts' working folders (Python's mkdtemp)
PLACEHOLDER_KIND = re.compile(r"<SECRET:([a-z0-9_]+)>")
PERSONAL_DATA_KINDS = {"email", "ipv4", "ipv6", "user", "phone", "name"}
# A labelled span that starts with the key it is assigned to (AWS_SECRET_ACCESS_KEY = wJal...):
# the key's name is not secret, its value is
KEY_PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,80}[\"']?\s*(?:=>|:=|=|:)\s*[\"']?(?=\S)")
URL_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]{1,20}://[^:/\s@]{1,128}:(?P<pw>[^@\s/]{1,256})@[^\s\"'<>]+")
BENIGN_LINES = {
    "git_sha": "commit {v}\nAuthor: CI <ci@example.invalid>",
    "git_sha_short": "{v} Fix the flaky test (#412)",
    "uuid": '{{"sessionId":"{v}","type":"user"}}',
    "sha256_digest": 'hash = "{v}"',
    "sha256_hex": "{v}  dist/forge-0.1.0.tar.gz",
    "npm_integrity": '      "integrity": "{v}",',
    "base64_blob": "$ base64 README.md\n{v}",
}


def load(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def secret_tokens(case: dict) -> list[str]:
    text, out = case["text"], []
    urls = list(URL_USERINFO.finditer(text))
    for s, e in case["secrets"]:
        # a span inside (or around) a URL with credentials: the secret is that URL's password
        url = next((u for u in urls if u.start() < e and s < u.end()), None)
        if url:
            out.append(url["pw"])
            continue
        key = KEY_PREFIX.match(text, s, e)
        out += [t for t in TOKEN.findall(text[key.end() if key else s : e]) if entropy(t) >= 2.5]
    return out


def leaked(token: str, out: str, context: str) -> bool:
    """Half of the token (or more) is still in the output, and that half is not also written
    elsewhere in the case (a user name that a password starts with is not a leak). A token
    shorter than 8 characters (a URL password) leaks when it is still whole in the output."""
    if len(token) < 8:
        return token in out and token not in context
    half = (len(token) + 1) // 2
    return any(token[i : i + half] in out and token[i : i + half] not in context for i in range(len(token) - half + 1))


def caught(case: dict, out: str, around: str = "") -> bool:
    """`around`: text a way of showing the case added (--shown), which is no secret either."""
    out = PLACEHOLDER.sub("", out)  # "<SECRET:password>" does not leak a password "pass"
    text, spans = case["text"], sorted(case["secrets"])
    context, pos = [around], 0
    for s, e in spans:
        context.append(text[pos:s])
        pos = max(pos, e)
    context.append(text[pos:])
    return not any(leaked(t, out, "\x00".join(context)) for t in secret_tokens(case))


# --- the scrubbers compared --------------------------------------------------------------------


def forge_outputs(texts: list[str], use_engine: bool = True) -> list[str]:
    from forge.scrub import redact

    res = find_secrets_many(texts, use_engine=use_engine)
    if use_engine:
        return Scrubber().scrub_texts(texts)
    return [redact(t, f) for t, (f, _) in zip(texts, res)]


def transcript_line_outputs(texts: list[str]) -> list[str]:
    """Each case as a Claude Code tool result, scrubbed as `forge scrub` reads a JSONL file: the
    line's JSON text, where quotes are \\" and line breaks \\n (then decoded back for scoring)."""
    from forge.scrub.files import scrub_json_lines

    lines = [
        json.dumps(
            {"type": "user", "message": {"content": [{"type": "tool_result", "content": t}]}}, ensure_ascii=False
        )
        for t in texts
    ]
    return [json.loads(line)["message"]["content"][0]["content"] for line in scrub_json_lines(lines, Scrubber())]


def engine_only_outputs(texts: list[str]) -> list[str]:
    """Kingfisher's built-in rules alone, each finding's secret replaced (no Forge detectors)."""
    from forge.scrub import detectors

    dets = [d for d in detectors().values() if d.name == "kingfisher"]
    from forge.scrub import redact

    return [redact(t, f) for t, (f, _) in zip(texts, find_secrets_many(texts, dets))]


def betterleaks_outputs(texts: list[str]) -> list[str] | None:
    try:
        import betterleaks
    except ImportError:
        return None
    out = []
    for t in texts:
        for f in betterleaks.scan_string(t):
            if f.secret:
                t = t.replace(f.secret, "<SECRET>")
        out.append(t)
    return out


def score(cases: list[dict], outs: list[str]) -> tuple[Counter, Counter, list[int]]:
    total, got, missed = Counter(), Counter(), []
    for i, (c, out) in enumerate(zip(cases, outs)):
        total[c["kind"]] += 1
        if caught(c, out):
            got[c["kind"]] += 1
        else:
            missed.append(i)
    return total, got, missed


def accuracy(name: str, outputs, pos: list[dict], neg: list[dict], benign: list[dict], per_kind: bool) -> dict:
    p_out = outputs([c["text"] for c in pos])
    if p_out is None:
        print(f"{name}: not installed")
        return {}
    total, got, missed = score(pos, p_out)
    n_out = outputs([c["text"] for c in neg])
    altered = sum(o != c["text"] for c, o in zip(neg, n_out))
    # altered only where personal data was replaced, which Forge does on purpose (not a secret
    # false positive); told apart, not left out of the figure
    pii_only = sum(
        o != c["text"] and set(PLACEHOLDER_KIND.findall(o)) <= PERSONAL_DATA_KINDS and bool(PLACEHOLDER_KIND.findall(o))
        for c, o in zip(neg, n_out)
    )
    lines = [BENIGN_LINES[b["kind"]].format(v=b["text"]) for b in benign]
    b_out = outputs(lines)
    kept = Counter(b["kind"] for b, o in zip(benign, b_out) if b["text"] in o)
    btotal = Counter(b["kind"] for b in benign)
    r = sum(got.values()) / sum(total.values())
    print(
        f"{name}: recall {r:.4f} ({sum(got.values())}/{sum(total.values())}), near-miss negatives altered "
        f"{altered / len(neg):.2%} ({altered}/{len(neg)}; {pii_only} of them personal data only), "
        f"benign kept {sum(kept.values()) / len(benign):.2%} ({sum(kept.values())}/{len(benign)})"
    )
    if per_kind:
        sources = sorted({c["source"] for c in pos} | {c["source"] for c in neg})
        missed_set = set(missed)
        by_src = []
        for src in sources:
            ps = [i for i, c in enumerate(pos) if c["source"] == src]
            ns = [(c, o) for c, o in zip(neg, n_out) if c["source"] == src]
            got_src = sum(i not in missed_set for i in ps)
            alt_src = sum(o != c["text"] for c, o in ns)
            by_src.append(f"{src} {got_src}/{len(ps)}, negatives altered {alt_src}/{len(ns)}")
        print("  by source: " + "; ".join(by_src))
        print("  benign kept by kind: " + ", ".join(f"{k} {kept[k]}/{btotal[k]}" for k in sorted(btotal)))
        print("  recall by kind (kinds below 1.0 first):")
        rows = sorted(total, key=lambda k: (got[k] / total[k], k))
        print("    " + "; ".join(f"{k} {got[k]}/{total[k]}" for k in rows))
    return {"recall": r, "missed": missed}


# Ways a session shows a file's text (--shown): each adds text around the case's lines or before
# each line, never inside one (an echo escapes the quotes, as a shell command must)
SHOWN = {
    "in a code fence": lambda t: "```\n" + t + "\n```",
    "in a heredoc": lambda t: "cat > .env <<'EOF'\n" + t + "\nEOF",
    "as a diff's added lines": lambda t: "\n".join("+" + line for line in t.split("\n")),
    "in grep -rn's output": lambda t: "\n".join(f"deploy/app.conf:{i + 12}:{ln}" for i, ln in enumerate(t.split("\n"))),
    "numbered by a Read tool": lambda t: "\n".join(f"{i + 1:>6}\u2192{ln}" for i, ln in enumerate(t.split("\n"))),
    "indented by a tab": lambda t: "\n".join("\t" + line for line in t.split("\n")),
    "after a sentence": lambda t: "I found this in the file:\n" + t + "\nShould I rotate it?",
    "echoed in double quotes": lambda t: 'echo "' + t.replace('"', '\\"') + '" >> notes.txt',
}


def shown_accuracy(pos: list[dict], neg: list[dict]) -> None:
    """Recall and negatives altered with each case shown each way, as text and in a transcript line."""
    for name, show in SHOWN.items():
        texts, ntexts = [show(c["text"]) for c in pos], [show(c["text"]) for c in neg]
        parts = []
        for where, outputs in (("as text", forge_outputs), ("in a transcript line", transcript_line_outputs)):
            outs, nouts = outputs(texts), outputs(ntexts)
            got = sum(caught(c, o, show("")) for c, o in zip(pos, outs))
            altered = sum(o != t for t, o in zip(ntexts, nouts))
            parts.append(f"{where} {got / len(pos):.4f} ({got}), negatives altered {altered}")
        print(f"  {name}: " + "; ".join(parts))


def altered_by_detector(neg: list[dict]) -> Counter:
    """Altered negatives counted by the detectors that altered them (names only, no texts)."""
    counts: Counter = Counter()
    for c in neg:
        s = Scrubber()
        if s.scrub_text(c["text"]) != c["text"]:
            counts.update(s.report()["by_detector"].keys())
    return counts


# --- speed ---------------------------------------------------------------------------------------


def _load_generator():
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "benchmarks" / "corpus.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def cpu_median(fn, passes: int = 11, after=None) -> float:
    """Median CPU seconds of fn over the passes; `after` (untimed) tidies up between them."""
    times = []
    for _ in range(passes):
        c = time.process_time()
        fn()
        times.append(time.process_time() - c)
        if after is not None:
            after()
    return statistics.median(times)


def speed(name: str, root: Path, tmp: Path, ingest_too: bool = True) -> tuple[float, float]:
    """`forge scrub ROOT` as the command runs it (scrub_path: the walk, each copy written whole
    then moved into place, the journal), with and without --out, and the ingest path."""
    from forge.ingest.claude_code import read

    files = sorted(root.rglob("*.jsonl")) if root.is_dir() else [root]
    mb = sum(f.stat().st_size for f in files) / 1e6
    convs = [c for f in files for c in read(f, lambda *a, **k: None)] if ingest_too else []
    out = tmp / "out"

    def forge_scrub_out() -> None:
        # as `forge scrub DIR --out NEW` runs it: a new output folder each pass, removed (untimed)
        # after it. Rewriting the same files costs ext4 a flush per file, and letting the copies
        # pile up slows the kernel's writes pass by pass; no real run pays either.
        scrub_path(root, out, Scrubber(), workers=1)

    def forge_scrub_report() -> None:  # `forge scrub DIR`: findings counted, nothing written
        scrub_path(root, None, Scrubber(), workers=1)

    def ingest() -> None:
        s = Scrubber()
        for c in convs:
            s.scrub_conversation_tallied(c)

    Scrubber().scrub_text(
        "warm-up: aws_access_key_id = AKIAUQ2A3Q81998Z5VX3\n"
        "aws_secret_access_key = j5hAQ9TzRwTG6dcUJvV15UvKp90abcdeFGHIJ123"
    )
    fs = mb / cpu_median(forge_scrub_out, after=lambda: (shutil.rmtree(out), os.sync()))
    rep = mb / cpu_median(forge_scrub_report)
    # (the ingest path reads one session per file: sessions joined into one file are not one)
    ing = f", Scrubber.scrub_conversation {mb / cpu_median(ingest):.1f} MB/s" if ingest_too else ""
    print(
        f"{name} ({mb:.2f} MB of Claude Code JSONL, {len(files)} files): forge scrub --out {fs:.1f} MB/s, "
        f"forge scrub (report only) {rep:.1f} MB/s{ing} (per core)"
    )
    return fs, rep


def workers_speed(files: list[Path], folder: Path, workers: int) -> None:
    """`forge scrub FOLDER --out NEW` in one process and in `workers`, wall clock (what a user
    waits; each worker starts and builds its own engine), median of 3: the files copied until
    the folder passes the size from which forge scrub spreads them."""
    from forge.scrub.files import PARALLEL_MIN_BYTES

    folder.mkdir()
    size, copy = 0, 0
    while size < PARALLEL_MIN_BYTES:
        for f in files:
            dest = folder / f"c{copy}" / f.name
            dest.parent.mkdir(exist_ok=True)
            shutil.copyfile(f, dest)
            size += f.stat().st_size
        copy += 1
    times: dict[int, float] = {}
    for n in (1, workers):
        runs = []
        for i in range(3):
            out = folder.parent / f"many-out-{n}-{i}"
            t = time.perf_counter()
            scrub_path(folder, out, Scrubber(), workers=n)
            runs.append(time.perf_counter() - t)
            shutil.rmtree(out)
        times[n] = statistics.median(runs)
    mb = size / 1e6
    print(
        f"forge scrub --out on {mb:.0f} MB in {copy * len(files)} files, wall clock: one process "
        f"{mb / times[1]:.1f} MB/s, {workers} workers {mb / times[workers]:.1f} MB/s "
        f"({times[1] / times[workers]:.2f}x; {os.cpu_count()} CPU cores)"
    )


def detect_secrets_speed(files: list[Path]) -> float | None:
    try:
        from detect_secrets.core.scan import _process_line_based_plugins
        from detect_secrets.settings import default_settings
    except ImportError:
        return None
    texts = [f.read_text(encoding="utf-8") for f in files]
    mb = sum(len(t.encode()) for t in texts) / 1e6
    with default_settings():
        list(_process_line_based_plugins(list(enumerate(texts[0].split("\n")[:50], 1)), "t.txt"))
        c = time.process_time()
        for t in texts:
            list(_process_line_based_plugins(list(enumerate(t.split("\n"), 1)), "t.jsonl"))
        return mb / (time.process_time() - c)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--heldout", action="store_true", help="also measure the held-out half")
    ap.add_argument("--show", type=int, default=0, help="print up to N missed dev positives")
    ap.add_argument(
        "--by-detector",
        action="store_true",
        help="count each half's altered near-miss negatives by detector name (names only)",
    )
    ap.add_argument(
        "--shown",
        action="store_true",
        help="also score each case shown as a session shows a file (a fence, a diff, grep -rn, a numbered Read ...)",
    )
    ap.add_argument("--sessions", type=int, default=150, help="generated sessions for the speed test")
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="also time forge scrub --workers N against one process, wall clock, on a folder of 64+ MB",
    )
    ap.add_argument(
        "--alternatives",
        action="store_true",
        help="also score Kingfisher alone, Betterleaks alone and Forge without the engine",
    )
    args = ap.parse_args(argv)
    pos, neg, benign = load("positives.jsonl"), load("negatives.jsonl"), load("benign.jsonl")
    from forge.scrub import detectors
    from forge.scrub.engine import anchors_of, describe, get_engine

    print(f"engine: {describe(get_engine(anchors_of(detectors().values())))}")
    halves = ["dev"] + (["heldout"] if args.heldout else [])
    for half in halves:
        p = [c for c in pos if c["split"] == half]
        n = [c for c in neg if c["split"] == half]
        print(
            f"\n== {half} half: {len(p)} positives ({len({c['kind'] for c in p})} kinds), {len(n)} near-miss "
            f"negatives, {len(benign)} benign values"
        )
        res = accuracy("forge (engine + detectors)", forge_outputs, p, n, benign, per_kind=True)
        accuracy(
            "forge scrub, each case inside a transcript line", transcript_line_outputs, p, n, benign, per_kind=False
        )
        if args.alternatives:
            accuracy("kingfisher alone", engine_only_outputs, p, n, benign, per_kind=False)
            accuracy("betterleaks alone", betterleaks_outputs, p, n, benign, per_kind=False)
            accuracy(
                "forge detectors without the engine",
                lambda t: forge_outputs(t, use_engine=False),
                p,
                n,
                benign,
                per_kind=False,
            )
            accuracy(
                "forge with gitleaks' default config as a rule file (--rules)",
                lambda t: Scrubber(rules=[GITLEAKS_CONFIG]).scrub_texts(t),
                p,
                n,
                benign,
                per_kind=False,
            )
        if args.shown:
            print("  shown as a session shows a file (recall; negatives altered, of the same cases):")
            shown_accuracy(p, n)
        if args.by_detector:
            counts = altered_by_detector(n)
            print(
                "  altered negatives by detector: " + (", ".join(f"{k} {v}" for k, v in counts.most_common()) or "none")
            )
        if half == "dev" and args.show:
            for i in res["missed"][: args.show]:
                print(f"  MISSED {p[i]['id']}: {p[i]['text'][:200]!r}")
            altered = [c for c, o in zip(n, forge_outputs([c["text"] for c in n])) if o != c["text"]]
            for c in altered[: args.show]:
                print(f"  ALTERED {c['id']}: {c['text'][:200]!r}")

    print()
    real = sorted((DATA / "transcripts").glob("*.jsonl"))
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        found = Scrubber()
        for f in real:
            scrub_file(f, None, found)
        rep = found.report()
        mb = sum(f.stat().st_size for f in real) / 1e6
        print(f"real transcripts: {rep['total']} findings in {mb:.2f} MB ({rep['by_kind']})")
        fs_real, _ = speed("real transcripts", DATA / "transcripts", tmp_path)
        # the Claude Code sessions the readers are tested on: 1.0 to 2.1, from five more projects
        # (tests/fixtures/real/SOURCES.md); their findings by value's kind only
        more = tmp_path / "more"
        for d in sorted((ROOT / "tests" / "fixtures" / "real").glob("claude_code_*")):
            shutil.copytree(d, more / d.name)
        found_more = Scrubber()
        scrub_path(more, None, found_more, workers=1)
        rep_more = found_more.report()
        print(f"more real sessions: {rep_more['total']} findings ({rep_more['by_kind']})")
        speed("more real sessions (Claude Code 1.0-2.1, five projects)", more, tmp_path)
        # as on the user's own machine: their sessions ran in temporary folders; a user's run in
        # a project under the home folder, so every line's cwd (and most paths) name the user
        homed = tmp_path / "homed"
        homed.mkdir()
        for f in real:
            text = TMP_WORKDIR.sub("/Users/alice/code/demo", f.read_text(encoding="utf-8"))
            (homed / f.name).write_text(text, encoding="utf-8")
        speed("real transcripts, working folder under /Users/alice", homed, tmp_path)
        gen_dir = tmp_path / "gen"
        _load_generator().generate(gen_dir, args.sessions, 7)
        gen_files = sorted(gen_dir.glob("sessions/*/*.jsonl"))
        speed("generated sessions", gen_dir / "sessions", tmp_path)
        # one long session file, as a user's longest are (tens of MB): the same sessions in one file
        one = tmp_path / "one" / "all-sessions.jsonl"
        one.parent.mkdir()
        one.write_text("".join(f.read_text(encoding="utf-8") for f in gen_files), encoding="utf-8")
        speed("generated sessions as one file", one, tmp_path, ingest_too=False)
        if args.workers > 1:
            workers_speed(gen_files, tmp_path / "many", args.workers)
        ds = detect_secrets_speed(real)
    if ds is None:
        sys.exit("detect-secrets is not installed: .venv/bin/pip install 'detect-secrets==1.5.0' (or make bench)")
    print(f"detect-secrets 1.5.0 on the real transcripts: {ds:.2f} MB/s (per core)")
    print(f"ratio={fs_real / ds:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
