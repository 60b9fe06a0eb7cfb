"""Rebuild the independent scrubber vectors in this folder from public repositories (see SOURCES.md).

    python benchmarks/data/secrets/extract.py MIRROR_DIR
    python benchmarks/data/secrets/extract.py MIRROR_DIR --only=detect-secrets   # that source's rows only
    python benchmarks/data/secrets/extract.py MIRROR_DIR --only=whispers
    python benchmarks/data/secrets/extract.py MIRROR_DIR --only=trivy
    python benchmarks/data/secrets/extract.py MIRROR_DIR --only=github-patterns

MIRROR_DIR holds bare git clones named OWNER+NAME/repo (the commits in SOURCES.md). Writes:
  positives.jsonl  {"id", "source", "kind", "text", "secrets": [[start, end], ...], "split"}
  negatives.jsonl  {"id", "source", "text", "split"}   near misses: nothing in them may be replaced
  benign.jsonl     {"id", "source", "kind", "text"}    ids and digests agents must keep seeing
  transcripts/*.jsonl                                  real Claude Code sessions, as published

Labels come from the sources themselves, never from Forge: a Nosey Parker example's secret is
what its rule's capture group matches; a secretlint snapshot's is the range its expected output
reports; a whispers fixture's are its values that hold "hardcoded" (its tests assert every finding
does, and how many each fixture has); a Trivy test file's are what its scanner test's expected
findings mask with `*` (builtin rules only; the streaming tests' inline inputs are not read); a
GitHub custom pattern's are its test's offsets, the spans its `expected` entries give in its
sample files and those its snapshots of GitHub's own scan report, each snapshot span confirmed by
the sha256 the snapshot gives (patterns whose match is no secret are left out); a
detect-secrets test line's is what the plugin under test reports (detect-secrets and pytest must
be installed: `make bench`). Cases whose every
secret-bearing token is a mask (XXXX, 0000) are dropped: they are not secrets and Forge rightly
keeps them. `split` is a hash of the case id: "dev" (looked at while tuning) or "heldout" (only
measured).
"""

from __future__ import annotations

import base64
import bisect
import csv
import hashlib
import io
import json
import math
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NP = (
    "praetorian-inc+noseyparker",
    "2e6e7f36ce36619852532bbe698d8cb7a26d2da7",
    "crates/noseyparker/data/default/builtin/rules",
)
SL = ("secretlint+secretlint", "18346ba31b8173d52060b971221ab38c1943def0", "packages/@secretlint")
CR = ("DRMacIver+claude-reliability", "4e49f16a86de76d9b0dc3ea2b8526677abe89f52", "snapshot-tests/tests")
RS = ("sirwart+ripsecrets", "416e9d04d6ba8941fc3106bf986b6c8aa875767e", "test")
DS = ("Yelp+detect-secrets", "5e141933554a0b74e7341841f318be21e895339c", "tests/plugins")
WH = ("Skyscanner+whispers", "5832bf74dcb127128ba653ed87601c927124b5aa", "tests/fixtures")
TV = ("aquasecurity+trivy", "dc3c56eed58ab21c7e08d26757c517bc946a86c5", "pkg/fanal/secret")
GP = ("advanced-security+secret-scanning-custom-patterns", "9b84660dfcad6cc3d0e2c40a1a5f61dd7edca4b9", "")
# ripsecrets' own patterns (src/lib.rs, src/matcher/mod.rs at RS): they label its test files, as
# Nosey Parker's rules label its examples. The span is group 1 where a pattern has one (a URL's
# password, a key's value), else the whole match.
RS_PATTERNS = [
    r"[A-Za-z]+://\S{3,50}:(\S{8,50})@[\dA-Za-z#%&+./:=?_~-]+",
    r"\beyJ[\dA-Za-z=_-]+(?:\.[\dA-Za-z=_-]{3,}){1,4}",
    r"(?:gh[oprsu]|github_pat)_[\dA-Za-z_]{36}",
    r"glpat-[\dA-Za-z_=-]{20,22}",
    r"[rs]k_live_[\dA-Za-z]{24,247}",
    r"sq0i[a-z]{2}-[\dA-Za-z_-]{22,43}",
    r"sq0c[a-z]{2}-[\dA-Za-z_-]{40,50}",
    r"EAAA[\dA-Za-z+=-]{60}",
    r"AccountKey=[\d+/=A-Za-z]{88}",
    r"AIzaSy[\dA-Za-z_-]{33}",
    r"npm_[\dA-Za-z]{36}",
    r"//.+/:_authToken=[\dA-Za-z_-]+",
    r"xox[aboprs]-(?:\d+-)+[\da-z]+",
    r"<master>\{[\dA-Za-z]+\\}</master>",
    r"https://hooks\.slack\.com/services/T[\dA-Za-z_]+/B[\dA-Za-z_]+/[\dA-Za-z_]+",
    r"SG\.[\dA-Za-z_-]{22}\.[\dA-Za-z_-]{43}",
    r"(?:AC|SK)[\da-z]{32}",
    r"[\da-f]{32}-us\d{1,2}",
    r"s-s4t2(?:af|ud)-[\da-f]{64}",
    r"AGE-SECRET-KEY-1[\dA-Z]{58}",
    r"-{5}BEGIN (?:DSA |EC |OPENSSH |RSA |SSH2 ENCRYPTED )?PRIVATE KEY-{5}(?:$|[^-]{63,}-{5}END)",
    r"-{5}BEGIN PGP PRIVATE KEY BLOCK-{5}(?:$|[^-]{63,}-{5}END)",
    r"""(?i:key|token|secret|password)\w*["']?]?\s*(?:[:=]|:=|=>|<-|>)\s*[\t "'`]?"""
    r"""([\w+./=~\-\\`^]{15,90})(?:[\t\n "'`]|</|$)""",
]
# lines of its "none" file that hold a live-format secret and pass only through ripsecrets' own
# suppressions (an allowlist comment, its .secretsignore): not near misses
RS_FILE_KINDS = {"aws_json": "aws", "pem_key": "pem", "private_key": "pem"}  # the kinds other sources name them
RS_SUPPRESSED = ("pragma: allowlist secret", "secret is in .secretsignore")
# secretlint rule packages that test the tool, not secrets (or duplicate other packages)
SL_SKIP = {
    "config-loader",
    "formatter",
    "secretlint-formatter-sarif",
    "secretlint-rule-filter-comments",
    "secretlint-rule-pattern",
    "secretlint-rule-example",
    "secretlint-rule-preset-canary",
    "secretlint-rule-preset-recommend",
    "secretlint-rule-no-dotenv",
}
TOKEN = re.compile(r"[A-Za-z0-9+/=_\-.~%]{8,}")


def sl_allowlisted(rc_text: str | None) -> bool:
    """A secretlint "ok" snapshot whose .secretlintrc.json allowlists the very values it holds
    (a rule's `allows`): it passes because the user said so, as ripsecrets' suppressed lines do,
    so it is not a near miss. (secretlint 13.0.4's recommended preset, run with default options
    over every "ok" snapshot, reports these and nothing else.)"""
    if rc_text is None:
        return False
    return any((rule.get("options") or {}).get("allows") for rule in json.loads(rc_text).get("rules", []))
    for rule in json.loads(rc_text).get("rules", []):
        options = rule.get("options") or {}
        if options.get("allows") or any(k.startswith("enable") and v is False for k, v in options.items()):
            return True
    return False


def git(mirror: Path, repo: str, *args: str) -> str:
    out = subprocess.run(["git", "-C", str(mirror / repo / "repo"), *args], check=True, capture_output=True).stdout
    return out.decode("utf-8", errors="replace")  # (binary inputs become U+FFFD and are skipped)


def split_of(case_id: str) -> str:
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "heldout"


def entropy(s: str) -> float:
    n = len(s)
    return -sum(c / n * math.log2(c / n) for c in Counter(s).values()) if n else 0.0


def has_secret_material(text: str, spans: list[list[int]]) -> bool:
    """At least one labelled span holds a token that is not a mask."""
    return any(entropy(t) >= 2.5 for s, e in spans for t in TOKEN.findall(text[s:e]))


def kind_of(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def nosey_parker(mirror: Path) -> tuple[list[dict], list[dict]]:
    repo, commit, folder = NP
    files = [f for f in git(mirror, repo, "ls-tree", "--name-only", commit, folder + "/").split() if f.endswith(".yml")]
    rules = []
    for f in files:
        for rule in yaml.safe_load(git(mirror, repo, "show", f"{commit}:{f}"))["rules"]:
            try:
                rx = re.compile(rule["pattern"])
            except re.error:
                continue  # a Rust-only regex construct: this rule's examples cannot be labelled here
            rules.append((Path(f).stem, rule, rx))
    pos, neg = [], []
    for stem, rule, rx in rules:
        # identifiers (S3 buckets, ARNs, client ids) are not secrets: only rules that say "secret"
        if "secret" not in (rule.get("categories") or []):
            continue
        for i, text in enumerate(rule.get("examples") or []):
            spans = []
            for m in rx.finditer(text):
                g = rx.groups
                if g and m.group(g) is not None:
                    spans.append(list(m.span(g)))  # the last group: the secret (earlier ones: ids, logins)
            cid = f"np:{rule['id']}:{i}"
            if spans and has_secret_material(text, spans):
                pos.append(
                    {
                        "id": cid,
                        "source": "noseyparker",
                        "kind": kind_of(stem),
                        "rule": rule["id"],
                        "text": text,
                        "secrets": spans,
                        "split": split_of(cid),
                    }
                )
        for i, text in enumerate(rule.get("negative_examples") or []):
            # a negative for one rule is often a positive for another (a Slack user token is a
            # negative of the bot-token rule): keep only those no rule of the set matches
            if not any(rx2.search(text) for _, _, rx2 in rules):
                cid = f"np-neg:{rule['id']}:{i}"
                neg.append({"id": cid, "source": "noseyparker", "text": text, "split": split_of(cid)})
    return pos, neg


def secretlint(mirror: Path) -> tuple[list[dict], list[dict]]:
    repo, commit, folder = SL
    names = git(mirror, repo, "ls-tree", "-r", "--name-only", commit, folder + "/").split("\n")
    pos, neg = [], []
    for name in sorted(n for n in names if n.endswith("/output.json") and "/test/snapshots/" in n):
        pkg = name.split("/")[2]
        if pkg in SL_SKIP:
            continue
        case_dir = name.rsplit("/", 1)[0]
        inputs = [n for n in names if n.startswith(case_dir + "/input")]
        if len(inputs) != 1:
            continue
        text = git(mirror, repo, "show", f"{commit}:{inputs[0]}")
        if "\ufffd" in text:
            continue  # a binary input (a keystore, an image): not text an agent would show
        messages = json.loads(git(mirror, repo, "show", f"{commit}:{name}")).get("messages", [])
        case = case_dir.split("/")[-1]
        cid = f"sl:{pkg}:{case}"
        kind = kind_of(pkg.replace("secretlint-rule-", ""))
        rc = case_dir + "/.secretlintrc.json"
        if case.startswith("ok") and not messages:
            if sl_allowlisted(git(mirror, repo, "show", f"{commit}:{rc}") if rc in names else None):
                continue
            neg.append({"id": cid, "source": "secretlint", "text": text, "split": split_of(cid)})
        elif case.startswith("ng") and messages:
            if not text.isascii():
                continue  # ranges are UTF-16 offsets; keep to inputs where they are string offsets
            spans = [list(m["range"]) for m in messages if "range" in m]
            if spans and has_secret_material(text, spans):
                pos.append(
                    {
                        "id": cid,
                        "source": "secretlint",
                        "kind": kind,
                        "rule": pkg,
                        "text": text,
                        "secrets": spans,
                        "split": split_of(cid),
                    }
                )
    return pos, neg


def ripsecrets(mirror: Path) -> tuple[list[dict], list[dict]]:
    """Its tests: every line of test/one_per_line/* holds one secret, every test/one_per_file/*
    file one; no line of test/none holds any."""
    repo, commit, folder = RS
    rx = re.compile("|".join(f"(?:{p})" for p in RS_PATTERNS))  # `$`: the end of the text, as in Rust
    names = sorted(git(mirror, repo, "ls-tree", "-r", "--name-only", commit, folder + "/").split())
    pos, neg = [], []

    def add(cid: str, kind: str, text: str) -> None:
        m = rx.search(text)
        if m is None:
            return
        g = next((i for i in range(1, (m.lastindex or 0) + 1) if m.group(i) is not None), None)
        span = list(m.span(g)) if g else list(m.span())
        # a test writer's mask (Txxxxxxxx, xxxxxxxxxxxxxxxxxxxx) is no secret, nor is a span
        # without secret material
        if re.search(r"(.)\1{7}", text[span[0] : span[1]]) or not has_secret_material(text, [span]):
            return
        pos.append(
            {
                "id": cid,
                "source": "ripsecrets",
                "kind": kind,
                "rule": "ripsecrets",
                "text": text,
                "secrets": [span],
                "split": split_of(cid),
            }
        )

    for name in names:
        text = git(mirror, repo, "show", f"{commit}:{name}")
        part, kind = name.split("/")[1:3] if name.count("/") >= 2 else ("none", "none")
        if name == f"{folder}/none":
            for i, line in enumerate(text.splitlines()):
                if line.strip() and not any(s in line for s in RS_SUPPRESSED):
                    cid = f"rs-neg:none:{i}"
                    neg.append({"id": cid, "source": "ripsecrets", "text": line, "split": split_of(cid)})
        elif part == "one_per_line":
            for i, line in enumerate(text.splitlines()):
                add(f"rs:{kind}:{i}", kind_of(kind), line)
        elif part == "one_per_file":
            add(f"rs:{kind}", RS_FILE_KINDS.get(kind, kind_of(kind)), text)
    return pos, neg


# Whispers' test_detection_by_value: each fixture's expected number of findings, every one a value
# holding "hardcoded" (or base64 of it, or all digits). A fixture whose lines this reads to a
# different count is left out (its labels are not line-shaped: an HTML comment, a Python 2 file).
WH_SECTION = re.compile(r"(?i)\b(non-?)?compliant\d*\b")
WH_RUN = re.compile(r"[^\s\"'`<>,;()\[\]{}]+")


def _wh_value_spans(line: str, noncompliant: bool) -> list[list[int]]:
    """The values whispers reports on a line: runs holding 'hardcoded' that are not keys or tag
    names, cut after the key they are assigned to (NAME=value, user:password), unless a URL
    carries them as credentials; in a noncompliant part, also a number of 12+ digits."""
    spans = []
    for m in WH_RUN.finditer(line):
        run, s = m.group(), m.start()
        try:
            decoded = base64.b64decode(run, validate=True) if len(run) >= 12 else b""
        except ValueError:
            decoded = b""
        numeric = noncompliant and run.isdigit() and len(run) >= 12
        if not ("hardcoded" in run.lower() or b"hardcoded" in decoded or numeric):
            continue
        after = line[m.end() :]
        # a key or a tag named after the fixture (`02_hardcoded_passwords:`, `"hardcoded_key": 1`,
        # `<hardcoded>`) is no value; base64 padding (`...=`) and a condition's colon are no key
        key = run.endswith(":") or (run.endswith("=") and re.match(r"\s+\S", after))
        if key or re.match(r"[\"']?\s*(?::\s*\S|=(?!=))", after) or line[:s].endswith(("<", "</")):
            continue
        if not ("://" in run and "@" in run):
            at = run.lower().find("hardcoded")
            cut = max(run.rfind("=", 0, at), run.rfind(":", 0, at)) if at > 0 else -1
            if cut >= 0:
                s += cut + 1
        spans.append([s, m.end()])
    return spans


def _wh_context(lines: list[str], i: int) -> list[int]:
    """Line i with what an agent reading the file sees it under: the lines it is nested in (less
    indented, nearest first), up to two siblings before it, and shell lines it continues."""

    def indent(s: str) -> int:
        return len(s) - len(s.lstrip())

    keep, level, siblings = [i], indent(lines[i]), 0
    for j in range(i - 1, -1, -1):
        if not lines[j].strip():
            continue
        if lines[j].rstrip().endswith("\\") and j == keep[-1] - 1:
            keep.append(j)
        elif indent(lines[j]) < level:
            keep.append(j)
            level = indent(lines[j])
        elif indent(lines[j]) == level == indent(lines[i]) and siblings < 2:
            keep.append(j)
            siblings += 1
    return sorted(keep)


def whispers(mirror: Path) -> tuple[list[dict], list[dict]]:
    repo, commit, folder = WH
    test = git(mirror, repo, "show", f"{commit}:tests/unit/test_secrets.py")
    block = test[: test.index("def test_detection_by_value")]
    counts = {m.group(1): int(m.group(2)) for m in re.finditer(r'\("([^"]+)", (\d+)\),', block)}
    pos, neg = [], []
    for name, expected in sorted(counts.items()):
        lines = git(mirror, repo, "show", f"{commit}:{folder}/{name}").splitlines()
        section, fpos, fneg, found, labelled = None, [], [], 0, set()
        for i, line in enumerate(lines):
            mark = WH_SECTION.search(line)
            spans = _wh_value_spans(line, section == "non" or bool(mark and mark.group(1)))
            if mark and not spans:
                section = "non" if mark.group(1) else "comp"
                continue  # a marker line: where the compliant or noncompliant part starts
            in_compliant = (mark and not mark.group(1)) or (section == "comp" and not mark)
            cid = f"wh:{name}:{i}"
            if spans and not in_compliant:
                found += len(spans)
                labelled.add(i)
                text = "\n".join(lines[j] for j in _wh_context(lines, i))
                shift = len(text) - len(line)  # the line ends the context
                fpos.append(
                    {
                        "id": cid,
                        "source": "whispers",
                        "kind": kind_of(Path(name).name.lstrip(".")),
                        "rule": f"whispers:{name}",
                        "text": text,
                        "secrets": [[s + shift, e + shift] for s, e in spans],
                        "split": split_of(cid),
                    }
                )
            elif line.strip() and (in_compliant or (section is None and not spans)):
                # (a line of a noncompliant part that holds no value is neither: left out)
                context = _wh_context(lines, i)
                # a value or a command (not bare structure), under no line that holds a secret
                if re.search(r"[:=]\s*\S|\S\s+\S", line.strip()) and not labelled & set(context):
                    nid = f"wh-neg:{name}:{i}"
                    text = "\n".join(lines[j] for j in context)
                    fneg.append({"id": nid, "source": "whispers", "text": text, "split": split_of(nid)})
        if found == expected:
            pos += fpos
            neg += fneg
        else:
            print(f"whispers: {name} left out ({found} values read, its test expects {expected})", file=sys.stderr)
    return pos, neg


# Trivy's secret scanner tests (pkg/fanal/secret/scanner_test.go): each case names a config file,
# an input file under testdata/ and the findings it expects, written as Go values. A finding's
# `Match` (and its code lines) is the line with the secret masked byte for byte by `*`; a line
# over 100 bytes is cut to a window around the secret. Only tests whose config leaves the builtin
# rules as they are count: it may add custom rules (their findings are dropped) and must disable
# the builtin "tests" allow rule (else nothing under testdata/ is scanned), and nothing else.
GO_STRING = r'"(?:[^"\\\n]|\\.)*"|`[^`]*`'
GO_TOKEN = re.compile(GO_STRING + r"|//[^\n]*|[{}]")
GO_TERM = re.compile(
    rf"\s*(?:(?P<s>{GO_STRING})|strings\.Repeat\((?P<r>{GO_STRING}),\s*(?P<n>\w+)\)|(?P<id>[A-Za-z_]\w*))\s*(?P<plus>\+)?"
)
TV_STRUCTURED = (".xml", ".json", ".yaml", ".yml")  # files whose cases carry whispers' context
TV_LONG_LINE = 1000  # a longer line (minified JS) is cut to the window Trivy's Match shows
TV_TAG = re.compile(r"</?[\w.:-]+>")


def _go_block(src: str, i: int) -> str:
    """The {...} block whose opening brace is src[i] (braces in strings and comments skipped)."""
    depth = 0
    for m in GO_TOKEN.finditer(src, i):
        depth += {"{": 1, "}": -1}.get(m.group(), 0)
        if depth == 0:
            return src[i : m.end()]
    raise ValueError("unbalanced braces")


def _go_items(block: str) -> list[str]:
    """The {...} blocks directly inside a block."""
    items, depth, start = [], 0, 0
    for m in GO_TOKEN.finditer(block):
        if m.group() == "{":
            depth += 1
            start = m.start() if depth == 2 else start
        elif m.group() == "}":
            if depth == 2:
                items.append(block[start : m.end()])
            depth -= 1
    return items


def _go_literal(lit: str) -> str:
    return lit[1:-1] if lit[0] == "`" else json.loads(lit)  # (the file's escapes are JSON's)


def _go_value(expr: str, env: dict):
    """A Go expression's value: an integer, or strings, strings.Repeat and names joined by +;
    None where it is anything else."""
    if num := re.match(r"\s*(\d+)\b", expr):
        return int(num.group(1))
    out, pos = "", 0
    while m := GO_TERM.match(expr, pos):
        if m["s"]:
            out += _go_literal(m["s"])
        elif m["r"]:
            n = str(env.get(m["n"], m["n"]))
            if not n.isdigit():
                return None  # (a count not known here: a helper's parameter, outside its call)
            out += _go_literal(m["r"]) * int(n)
        elif isinstance(env.get(m["id"]), str):
            out += env[m["id"]]
        else:
            return None
        pos = m.end()
        if not m["plus"]:
            return out
    return None


def _go_line(block: str, name: str) -> str:
    """What follows `name:` on the first line that sets it ("" where none does)."""
    m = re.search(rf"^\s*{name}:\s*(.*)$", block, re.M)
    return m.group(1) if m else ""


def _go_field(block: str, name: str, env: dict):
    return _go_value(_go_line(block, name), env)


def _go_assignments(body: str, env: dict) -> dict:
    """`name := value` lines of a function body that evaluate (the masks the findings share)."""
    env = dict(env)
    for m in re.finditer(r"^\s*(\w+) := (.+)$", body, re.M):
        if (v := _go_value(m.group(2), env)) is not None:
            env[m.group(1)] = v
    return env


def _tv_finding(block: str, env: dict) -> dict:
    """RuleID, StartLine, EndLine, Match and the code lines marked IsCause (number, content)."""
    f = {k: _go_field(block, k, env) for k in ("RuleID", "StartLine", "EndLine", "Match")}
    lines = re.search(r"Lines:\s*\[\]types\.Line\{", block)
    items = _go_items(_go_block(block, lines.end() - 1)) if lines else []
    f["causes"] = [
        (_go_field(item, "Number", env), _go_field(item, "Content", env))
        for item in items
        if re.search(r"IsCause:\s*true", item)
    ]
    return f


def _tv_tests(src: str) -> list[tuple[str, str, list[dict]]]:
    """TestSecretScanner's cases: (config file, input file, expected findings)."""
    body = src[src.index("func TestSecretScanner(") : src.index("func TestSecretScannerWithStreaming(")]
    env = _go_assignments(body, {})
    named = {}
    for m in re.finditer(r"(\w+) := types\.SecretFinding\{", body):
        named[m.group(1)] = _tv_finding(_go_block(body, m.end() - 1), env)
    # findings a helper builds (openAIFinding(ruleID, title, severity, length)): its body, with
    # the call's arguments bound to its parameters
    for h in re.finditer(r"(\w+) := func\(([^)]*)\) types\.SecretFinding \{", body):
        params = [p.split()[0] for p in h.group(2).split(",")]
        helper = _go_block(body, h.end() - 1)
        ret = helper.index("return types.SecretFinding{") + len("return types.SecretFinding")
        for call in re.finditer(rf"(\w+) := {h.group(1)}\((.*)\)$", body, re.M):
            args = [_go_value(a, env) for a in re.findall(rf"{GO_STRING}|\d+", call.group(2))]
            local = _go_assignments(helper, {**env, **dict(zip(params, args))})
            named[call.group(1)] = _tv_finding(_go_block(helper, ret), local)
    table = body.index("{", body.index("}", body.index("tests := []struct")))
    out = []
    for case in _go_items(_go_block(body, table)):
        # filepath.Join("testdata", "x.txt") or "testdata/x.txt"
        config, path = (
            "/".join(map(_go_literal, re.findall(GO_STRING, _go_line(case, k))))
            for k in ("configPath", "inputFilePath")
        )
        findings = []
        if fm := re.search(r"Findings:\s*\[\]types\.SecretFinding\{", case):
            block = _go_block(case, fm.end() - 1)
            inline = _go_items(block)
            findings = [_tv_finding(item, env) for item in inline]
            for item in inline:
                block = block.replace(item, "")
            findings += [named[name] for name in re.findall(r"\w+", block)]
        out.append((config, path, findings))
    return out


def _tv_align(line: str, masked: str) -> tuple[int, list[list[int]]] | None:
    """Where Trivy's masked line (or window of it) sits in the original line, and the spans its
    `*` runs cover there; None unless exactly one place fits."""
    fits = [
        o for o in range(len(line) - len(masked) + 1) if all(c == "*" or c == line[o + k] for k, c in enumerate(masked))
    ]
    if len(fits) != 1 or not masked:
        return None
    o = fits[0]
    return o, [[o + m.start(), o + m.end()] for m in re.finditer(r"\*+", masked)]


def trivy(mirror: Path) -> tuple[list[dict], list[dict]]:
    """Positives: the builtin-rule findings Trivy's scanner tests expect, each secret's span
    read off its masked Match. Negatives: the value lines of input files no test expects any
    finding in (and that no builtin allow rule skips by path)."""
    repo, commit, folder = TV

    def show(name: str) -> str:
        return git(mirror, repo, "show", f"{commit}:{folder}/{name}")

    builtin = set(re.findall(r'^\s*ID:\s*"([^"]+)"', show("builtin-rules.go"), re.M))
    allow_paths = re.findall(r'ID:\s*"([^"]+)",[^{}]*?Path:\s*MustCompile\(`([^`]+)`\)', show("builtin-allow-rules.go"))
    tests = _tv_tests(show("scanner_test.go"))
    flagged = {path for _, path, findings in tests if findings}  # (under any config)
    left_out: Counter = Counter()
    by_file: dict[str, dict] = {}  # input -> {(rule, start line): finding}
    scanned, disabled = set(), {}
    for config, path, findings in tests:
        cfg = yaml.safe_load(show(config)) or {}
        if not (set(cfg) <= {"rules", "disable-allow-rules"} and cfg.get("disable-allow-rules") == ["tests"]):
            left_out["finding under a config that changes the builtin rules"] += len(findings)
            continue
        scanned.add(path)
        disabled[path] = set(cfg["disable-allow-rules"])
        for f in findings:
            if f["RuleID"] not in builtin:
                left_out["finding of a custom rule"] += 1
            else:
                by_file.setdefault(path, {})[f["RuleID"], f["StartLine"]] = f
    pos, neg = [], []
    for path, found in sorted(by_file.items()):
        name = path.removeprefix("testdata/")
        lines = show(path).replace("\r", "").split("\n")  # (the test drops CRs before scanning)
        spans: dict[int, list[list[int]]] = {}  # line index -> secret spans on it
        cases: dict[int, tuple] = {}  # start line index -> (rule, line indexes, window)
        for (rule, start), f in sorted(found.items()):
            causes = f["causes"]
            if [n for n, _ in causes] != list(range(f["StartLine"], f["EndLine"] + 1)) or causes[0][1] != f["Match"]:
                left_out["code lines do not match the finding"] += 1
                continue
            aligned = [a for n, masked in causes if (a := _tv_align(lines[n - 1], masked))]
            if len(aligned) < len(causes):
                left_out["Match does not align with the line"] += 1
                continue
            for (n, _), (_, s) in zip(causes, aligned):
                spans.setdefault(n - 1, [])
                spans[n - 1] += [x for x in s if x not in spans[n - 1]]
            i, j = start - 1, f["EndLine"] - 1
            if j > i:  # a multi-line secret (a PEM key): with the line above and below it
                rows = list(range(max(i - 1, 0), min(j + 2, len(lines))))
            elif name.endswith(TV_STRUCTURED):
                rows = _wh_context(lines, i)
            else:
                rows = [i]
            window = (aligned[0][0], len(f["Match"])) if rows == [i] and len(lines[i]) > TV_LONG_LINE else None
            cases.setdefault(i, (rule, rows, window))
        for i, (rule, rows, window) in sorted(cases.items()):
            text, labels = "", []
            for j in rows:
                shift = len(text) + (1 if text else 0)
                labels += [[s + shift, e + shift] for s, e in sorted(spans.get(j, []))]
                text += ("\n" if text else "") + lines[j]
            if window:  # (a single line)
                o, n = window
                text = text[o : o + n]
                labels = [[s - o, e - o] for s, e in labels if o <= s and e <= o + n]
            if not has_secret_material(text, labels):
                left_out["secret is a mask"] += 1
                continue
            cid = f"tv:{name}:{i}"
            pos.append(
                {
                    "id": cid,
                    "source": "trivy",
                    "kind": kind_of(rule),
                    "rule": rule,
                    "text": text,
                    "secrets": labels,
                    "split": split_of(cid),
                }
            )
    for path in sorted(scanned - flagged):
        allowed = [rid for rid, rx in allow_paths if rid not in disabled[path] and re.search(rx, path)]
        if allowed:
            left_out[f"input skipped by the builtin allow rule {allowed[0]!r}"] += 1
            continue
        name = path.removeprefix("testdata/")
        lines = show(path).replace("\r", "").split("\n")
        for i, line in enumerate(lines):
            # a value: a token outside XML tags, on a line that is not a label ("base64:")
            if TOKEN.search(TV_TAG.sub("", line)) and not line.rstrip().endswith(":"):
                rows = _wh_context(lines, i) if name.endswith(TV_STRUCTURED) else [i]
                nid = f"tv-neg:{name}:{i}"
                text = "\n".join(lines[j] for j in rows)
                neg.append({"id": nid, "source": "trivy", "text": text, "split": split_of(nid)})
    for why, n in sorted(left_out.items()):
        print(f"trivy: {n} left out: {why}", file=sys.stderr)
    return pos, neg


# GitHub's secret scanning custom patterns: each folder's patterns.yml lists patterns (a `type`, a
# regex, a `test` and the `expected` spans in the folder's sample files, byte offsets, both checked
# by GitHub's test tool in the repository's CI), and __snapshots__/<type>.csv what GitHub's own
# engine reported for the pattern anywhere in the repository's history: the sha256 of the secret,
# its path, 1-based lines and 1-based byte columns, the end column one past the secret's last byte.
# Patterns whose match is no secret or credential, left out (their spans still keep lines out of
# the negatives):
GP_NOT_SECRETS = {
    "common_passwords_shortlist": "a word list matched after any key, not a value found as a secret",
    "github_actions_sha_checker": "an action reference not pinned to a commit",
    "uuids": "any UUID",
    "arc": "an Arc password store's meta.json (its comments: not the secrets themselves)",
    "iban": "bank account numbers: not a credential, and not personal data Forge scrubs",
    "no_national_id_number": "a national identity number",
    "ssh_public_key": "a public key",
    "hardcoded_internal_emails": "e-mail addresses",
    "hardcoded_internal_urls": "URLs",
    "any_ipv4_addresses": "IP addresses",
    "ghcr_typos": "a misspelt registry host name",
    "azure_sql_connection_string": "its match is the database server's host name",
}
GP_SKIP_FOLDERS = ("pii/generate_iban/",)  # IBAN patterns generated per country, with their generator
GP_STRUCTURED = TV_STRUCTURED + (".config",)  # files whose cases carry whispers' context
GP_COMMENT = re.compile(r"\s*(?:#|//|/\*|\*|<!--)")
# sample files with lines that hold a secret no pattern reported there, read by hand (GitHub's
# engine lists some places of a secret it found, not every one): no negatives from them
GP_UNCOVERED = {
    "configs/application.properties": "an encrypted password, ENC(...), which generic_passwords reads as a call",
    "configs/example.json": "the password reported in example.yml, here in JSON",
    "configs/postgres/docker-compose.yml": "the password reported on three lines, on three more (JDBC URL, Spring)",
    "database/docker_sqlserver.yml": "SA_PASSWORD=, the password reported only inside the connection string",
    "jwt/owasp-juice-shop.ts": "password: 'hooooorst' on four more lines than the one reported",
    "pii/credit-cards.txt": "test card numbers no card pattern covers (Dankort, Switch/Solo)",
    "vendors/datadog.txt": "the placeholder keys the DataDog patterns are meant to find, where they miss them",
    "vendors/okta.txt": "okta_key: with a 32-digit value, too short for an Okta token (in doubt)",
}
# sample files whose lines are near misses only of patterns left out: no negatives from them
# either (they would measure a rule no source here tests, and swell the negatives)
GP_OUT_OF_SCOPE = {
    "pii/iban.txt": "IBAN test numbers, near misses of the IBAN pattern, which is left out",
}


def git_bytes(mirror: Path, repo: str, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(mirror / repo / "repo"), *args], check=True, capture_output=True).stdout


def _gp_char(data: bytes, offset: int) -> int:
    """A byte offset into UTF-8 data as a string offset."""
    return len(data[:offset].decode("utf-8", errors="replace"))


def _gp_line_starts(data: bytes) -> list[int]:
    return [0] + [m.end() for m in re.finditer(rb"\n", data)]


def _gp_snapshot_span(row: dict, data: bytes) -> tuple[int, int] | None:
    """The byte span a snapshot row names (1-based lines and columns, the end column one past the
    secret), or None unless the sha256 of the bytes there is the row's `secret`: the rows come from
    every commit GitHub scanned, so a file changed since may hold something else there."""
    starts = _gp_line_starts(data)
    first, last = int(row["start_line"]), int(row["end_line"])
    if not 1 <= first <= last <= len(starts):
        return None
    s, e = starts[first - 1] + int(row["start_column"]) - 1, starts[last - 1] + int(row["end_column"]) - 1
    if hashlib.sha256(data[s:e]).hexdigest() != row["secret"]:
        return None
    return s, e


def _gp_lines_of(data: bytes, s: int, e: int) -> range:
    """The line indexes a byte span covers."""
    starts = _gp_line_starts(data)
    return range(bisect.bisect_right(starts, s) - 1, bisect.bisect_right(starts, max(s, e - 1)))


def _gp_value_line(lines: list[str], i: int) -> bool:
    """A line that holds a value (a token outside XML tags), not a label ("base64:") or a comment."""
    line = lines[i]
    return bool(TOKEN.search(TV_TAG.sub("", line))) and not line.rstrip().endswith(":") and not GP_COMMENT.match(line)


def _gp_armour(lines: list[str]) -> dict[int, range]:
    """The lines of each -----BEGIN ...----- to -----END ...----- block, mapped to the block: a
    negative there is the whole block (a public key), as a positive there is the whole key."""
    blocks, start = {}, None
    for i, line in enumerate(lines):
        if line.startswith("-----BEGIN "):
            start = i
        elif line.startswith("-----END ") and start is not None:
            blocks.update(dict.fromkeys(range(start, i + 1), range(start, i + 1)))
            start = None
    return blocks


def _gp_kind(path: str, types: set[str], order: dict[str, tuple[int, str]]) -> str:
    """The type a case is filed under when several patterns found it: one of the file's own
    folder, else the first in the repository's order (a vendor's pattern before the generic one)."""
    return min(types, key=lambda t: (not path.startswith(order[t][1] + "/"), order[t][0]))


def _gp_test_cases(kept: list[tuple[str, dict]], left_out: Counter) -> list[dict]:
    """Each kept pattern's `test`, read as GitHub's test tool reads it: its data, the secret at its
    byte offsets (a missing start is 0, a missing or -1 end the end of the data)."""
    pos, seen = [], Counter()
    for _, p in kept:
        test, kind = p.get("test"), p["type"]
        if not isinstance(test, dict) or "data" not in test:
            left_out["test written as a list (GitHub's test tool reads only a mapping)"] += 1
            continue
        data = test["data"].encode()
        s, e = test.get("start_offset", 0), test.get("end_offset", -1)
        span = [_gp_char(data, s), _gp_char(data, len(data) if e == -1 else e)]
        cid = f"gh:{kind}:{seen[kind]}"
        seen[kind] += 1  # (two patterns share the type yaml_passwords_single_quoted)
        if not has_secret_material(test["data"], [span]):
            left_out["test data whose secret is a mask or shorter than 8 characters"] += 1
            continue
        pos.append(
            {
                "id": cid,
                "source": "github-patterns",
                "kind": kind_of(kind),
                "rule": kind,
                "text": test["data"],
                "secrets": [span],
                "split": split_of(cid),
            }
        )
    return pos


def _gp_findings(
    patterns: list[tuple[str, dict]],
    kept_types: set[str],
    snapshots: list[tuple[str, list[dict]]],
    content: Callable[[str], bytes | None],
    left_out: Counter,
) -> tuple[dict[str, dict[tuple[int, int], set[str]]], dict[str, set[int]]]:
    """What the patterns found in the sample files: the kept patterns' byte spans by file (each
    with the types that found it), and every pattern's lines by file (kept or not, reproduced or
    not: no negative may touch them)."""
    found: dict[str, dict[tuple[int, int], set[str]]] = {}
    touched: dict[str, set[int]] = {}
    for f, p in patterns:
        for entry in p.get("expected") or []:
            path, s, e = f"{f}/{entry['name']}", entry.get("start_offset"), entry.get("end_offset")
            data = content(path)
            if data is None or s is None or e is None or not 0 <= s < e <= len(data):
                left_out["expected entry without a span in an existing file"] += 1
                continue
            touched.setdefault(path, set()).update(_gp_lines_of(data, s, e))
            if p["type"] in kept_types and not f"{f}/".startswith(GP_SKIP_FOLDERS):
                found.setdefault(path, {}).setdefault((s, e), set()).add(p["type"])
    for snap, rows in snapshots:
        for row in rows:
            data = content(row["path"])
            if data is None:
                left_out["snapshot row of a file no longer in the repository"] += 1
                continue
            touched.setdefault(row["path"], set()).update(range(int(row["start_line"]) - 1, int(row["end_line"])))
            span = _gp_snapshot_span(row, data)
            keep = row["secret_type"] in kept_types and not snap.startswith(GP_SKIP_FOLDERS)
            if span is None:
                which = "a kept" if keep else "a left-out"
                left_out[f"snapshot row of {which} pattern whose span does not hash to its secret"] += 1
            elif keep:
                found.setdefault(row["path"], {}).setdefault(span, set()).add(row["secret_type"])
    return found, touched


def _gp_file_cases(path: str, data: bytes, spans: dict, order: dict, left_out: Counter) -> list[dict]:
    """One case per line a secret starts on: the line (a multi-line secret with all its lines; in a
    structured file with the lines it is nested in and two siblings before it), every secret that
    lies within it labelled."""
    lines = data.decode().split("\n")
    starts = [0]  # each line's string offset
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    located = []  # (first line, last line, string span, types)
    for (s, e), types in sorted(spans.items()):
        covered = _gp_lines_of(data, s, e)
        located.append((covered[0], covered[-1], (_gp_char(data, s), _gp_char(data, e)), types))
    cases: dict[int, tuple[int, set[str]]] = {}  # first line -> (last line, types)
    for first, last, _, types in located:
        end, known = cases.get(first, (first, set()))
        cases[first] = (max(end, last), known | types)
    pos = []
    for i, (last, types) in sorted(cases.items()):
        if last > i:
            rows = list(range(i, last + 1))
        else:
            rows = _wh_context(lines, i) if path.endswith(GP_STRUCTURED) else [i]
        base, at = {}, 0  # each row's offset in the case's text
        for r in rows:
            base[r] = at
            at += len(lines[r]) + 1
        text = "\n".join(lines[r] for r in rows)
        labels = [
            [base[a] + s - starts[a], base[b] + e - starts[b]]
            for a, b, (s, e), _ in located
            if all(r in base for r in range(a, b + 1))
        ]
        if not has_secret_material(text, labels):
            left_out["sample-file line whose secret is a mask or shorter than 8 characters"] += 1
            continue
        kind = _gp_kind(path, types, order)
        cid = f"gh:{path}:{i}"
        pos.append(
            {
                "id": cid,
                "source": "github-patterns",
                "kind": kind_of(kind),
                "rule": kind,
                "text": text,
                "secrets": labels,
                "split": split_of(cid),
            }
        )
    return pos


def _gp_file_negatives(path: str, lines: list[str], near: set[int]) -> list[dict]:
    """The value lines of a sample file that no pattern touches, each with the context a positive
    there would have (an armoured block, a public key, whole)."""
    neg, armour = [], _gp_armour(lines)
    for i in range(len(lines)):
        if i in armour:
            if i != armour[i][0]:
                continue  # (a block is one case, at its first line)
            rows = list(armour[i])
            value = any(_gp_value_line(lines, j) for j in rows)
        else:
            rows = _wh_context(lines, i) if path.endswith(GP_STRUCTURED) else [i]
            value = _gp_value_line(lines, i)
        if value and not near & set(rows):
            nid = f"gh-neg:{path}:{i}"
            text = "\n".join(lines[j] for j in rows)
            neg.append({"id": nid, "source": "github-patterns", "text": text, "split": split_of(nid)})
    return neg


def github_patterns(mirror: Path) -> tuple[list[dict], list[dict]]:
    """Positives: each secret pattern's `test` data, and the lines of the sample files holding what
    its `expected` entries and snapshot rows say it found (a snapshot span only where the hash of
    the text there is the row's). Negatives: the value lines of the sample files that no pattern's
    expected entry or snapshot row touches."""
    repo, commit, _ = GP
    names = [n for n in git(mirror, repo, "ls-tree", "-r", "-z", "--name-only", commit).split("\0") if n]
    files: dict[str, bytes | None] = {}

    def content(path: str) -> bytes | None:
        if path not in files:
            files[path] = git_bytes(mirror, repo, "show", f"{commit}:{path}") if path in names else None
        return files[path]

    folders = sorted(n.removesuffix("/patterns.yml") for n in names if n.endswith("/patterns.yml"))
    patterns = [(f, p) for f in folders for p in yaml.safe_load(content(f"{f}/patterns.yml"))["patterns"]]
    kept = [(f, p) for f, p in patterns if p["type"] not in GP_NOT_SECRETS and not f"{f}/".startswith(GP_SKIP_FOLDERS)]
    order: dict[str, tuple[int, str]] = {}  # type -> (its first pattern's place in the repository, folder)
    for i, (f, p) in enumerate(kept):
        order.setdefault(p["type"], (i, f))
    snapshots = [
        (n, list(csv.DictReader(io.StringIO(content(n).decode()))))
        for n in names
        if "/__snapshots__/" in n and n.endswith(".csv")
    ]
    left_out: Counter = Counter()
    pos = _gp_test_cases(kept, left_out)
    found, touched = _gp_findings(patterns, set(order), snapshots, content, left_out)
    for path, spans in sorted(found.items()):
        pos += _gp_file_cases(path, content(path), spans, order, left_out)
    # the sample files: every file of a pattern folder but its patterns.yml, README.md and snapshots
    neg = []
    for path in names:
        if (
            not any(path.startswith(f + "/") for f in folders)
            or path.startswith(GP_SKIP_FOLDERS)
            or "/__snapshots__/" in path
            or Path(path).name in ("patterns.yml", "README.md")
        ):
            continue
        try:
            lines = content(path).decode().split("\n")
        except UnicodeDecodeError:
            left_out["binary sample file"] += 1
            continue
        file_neg = _gp_file_negatives(path, lines, touched.get(path, set()))
        why = GP_UNCOVERED.get(path) or GP_OUT_OF_SCOPE.get(path)
        if why:
            left_out[f"negative of {path}: {why}"] += len(file_neg)
        else:
            neg += file_neg
    for why, n in sorted(left_out.items()):
        print(f"github-patterns: {n} left out: {why}", file=sys.stderr)
    return pos, neg


# pytest plugin, run in a subprocess over detect-secrets' own tests: writes every parametrized
# case (test file, test, its str/bool/None parameters) as JSON lines to $FORGE_DS_CASES
DS_COLLECTOR = """
import json, os
def pytest_collection_modifyitems(items):
    with open(os.environ["FORGE_DS_CASES"], "w") as f:
        for item in items:
            params = getattr(getattr(item, "callspec", None), "params", None) or {}
            keep = {k: v for k, v in params.items() if v is None or isinstance(v, (str, bool))}
            f.write(json.dumps({"file": item.path.name, "test": item.originalname, "params": keep}) + "\\n")
"""
DS_RESPONSES_STUB = "def __getattr__(name):\n    return lambda *a, **k: (a[0] if a and callable(a[0]) else None)\n"
# the file names a keyword line is tried under when it is checked to be a near miss: detect-secrets
# reads a line by its file's language (C wants quotes, Go takes :=), a transcript has no language
# The keyword tests' own secret values. A keyword line holding one that its test says is not flagged
# is so only by one language's quoting rule (C wants double quotes, a .py line quotes): in a
# transcript, with no language, it is a secret assignment, not a near miss
DS_KEYWORD_SECRETS = (
    "m{{h}o)p${e]nob(ody[finds>-_$#thisone}}",
    "value with quotes and spaces",
    "A,.:-¨@*¿?!",
    "hopenobodyfindsthisone",
)
DS_FILENAMES = ("x.conf", "x.py", "x.go", "x.c", "x.java", "x.yaml", "x.js", "x.tf", "x")


def _ds_plugins() -> list:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return [cls() for cls in get_mapping_from_secret_type_to_class().values()]


def _ds_flagged(plugins: list, line: str) -> bool:
    """Whether any detect-secrets plugin (no filters, default limits) flags the line under any
    file name: a near miss is one that none does."""
    return any(p.analyze_line(filename=name, line=line) for p in plugins for name in DS_FILENAMES)


def detect_secrets(mirror: Path) -> tuple[list[dict], list[dict]]:
    """Its plugin tests' parametrized lines. A positive's secret is what the test's own plugin
    reports (the keyword tests name it); a negative is a line its test says is not flagged and
    that no detect-secrets plugin flags under any file type. Needs detect-secrets and pytest
    installed (`make bench`)."""
    import importlib
    import os
    import tempfile

    from detect_secrets.plugins.base import BasePlugin

    repo, commit, folder = DS
    plugins = _ds_plugins()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(mirror / repo / "repo"), "archive", commit, "tests", "testing"],
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        Path(tmp, "forge_ds_collector.py").write_text(DS_COLLECTOR, encoding="utf-8")
        # its verification tests import `responses` (HTTP mocks) at the top; collecting needs none
        Path(tmp, "responses.py").write_text(DS_RESPONSES_STUB, encoding="utf-8")
        out = Path(tmp, "cases.jsonl")
        env = dict(os.environ, FORGE_DS_CASES=str(out), PYTHONPATH=tmp)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "forge_ds_collector",
                "-p",
                "no:cacheprovider",
                "--noconftest",
                folder,
            ],
            cwd=tmp,
            env=env,
            check=True,
            capture_output=True,
        )
        cases = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        # each test file imports the plugin it tests: that plugin labels its positives
        tested = {
            f.name: re.findall(r"^from detect_secrets\.plugins\.(\w+) import (\w+)", f.read_text(), re.M)
            for f in Path(tmp, folder).glob("*_test.py")
        }
    pos, neg, seen = [], [], set()
    for case in cases:
        params = case["params"]
        text = params.get("payload", params.get("line"))
        if not isinstance(text, str) or not text.strip() or (case["file"], text) in seen:
            continue
        seen.add((case["file"], text))  # (the keyword lines recur once per file type)
        stem = case["file"].removesuffix("_test.py")
        own = [getattr(importlib.import_module(f"detect_secrets.plugins.{m}"), c) for m, c in tested[case["file"]]]
        own = [c for c in own if isinstance(c, type) and issubclass(c, BasePlugin) and c is not BasePlugin]
        if "expected_secret" in params:
            flagged = params["expected_secret"] is not None
            values = [params["expected_secret"]] if flagged else []
        else:
            flagged = params.get("should_flag", True) is True
            values = [s.secret_value for c in own for s in c().analyze_line(filename="mock_filename", line=text)]
        cid = f"ds:{stem}:{hashlib.sha256(text.encode()).hexdigest()[:12]}"
        if flagged:
            spans = [[text.find(v), text.find(v) + len(v)] for v in dict.fromkeys(values) if v and v in text]
            if spans and has_secret_material(text, spans):
                pos.append(
                    {
                        "id": cid,
                        "source": "detect-secrets",
                        "kind": kind_of(stem),
                        "rule": stem,
                        "text": text,
                        "secrets": spans,
                        "split": split_of(cid),
                    }
                )
        elif stem == "keyword" and any(v in text for v in DS_KEYWORD_SECRETS):
            continue
        elif len(text) < 4096 and not _ds_flagged(plugins, text):
            cid = cid.replace("ds:", "ds-neg:", 1)
            neg.append({"id": cid, "source": "detect-secrets", "text": text, "split": split_of(cid)})
    return pos, neg


def transcripts(mirror: Path) -> list[tuple[str, str]]:
    repo, commit, folder = CR
    names = git(mirror, repo, "ls-tree", "-r", "--name-only", commit, folder + "/").split("\n")
    return [
        (n.split("/")[-2], git(mirror, repo, "show", f"{commit}:{n}"))
        for n in sorted(names)
        if n.endswith("/transcript.jsonl")
    ]


def benign(mirror: Path, sessions: list[tuple[str, str]]) -> list[dict]:
    out: list[dict] = []

    def add(kind: str, source: str, values: list[str], limit: int) -> None:
        for v in sorted(set(values))[:limit]:
            out.append({"id": f"{kind}:{v[:24]}", "source": source, "kind": kind, "text": v})

    # commit ids: every commit of the three repositories, as `git log` prints them
    shas = []
    for repo, commit, _ in (NP, SL, CR):
        shas += git(mirror, repo, "log", "--format=%H", "-n", "400", commit).split()
    add("git_sha", "git log of the source repositories", shas, 1000)
    add("git_sha_short", "git log of the source repositories", [s[:7] for s in shas], 300)
    uuids = [
        u
        for _, text in sessions
        for u in re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", text)
    ]
    add("uuid", "Claude Code transcripts (claude-reliability)", uuids, 600)
    lock = git(mirror, CR[0], "show", f"{CR[1]}:snapshot-tests/uv.lock")
    add("sha256_digest", "snapshot-tests/uv.lock (claude-reliability)", re.findall(r"sha256:[0-9a-f]{64}", lock), 400)
    add("sha256_hex", "snapshot-tests/uv.lock (claude-reliability)", re.findall(r"sha256:([0-9a-f]{64})", lock), 200)
    pnpm = git(mirror, SL[0], "show", f"{SL[1]}:pnpm-lock.yaml")
    add("npm_integrity", "pnpm-lock.yaml (secretlint)", re.findall(r"sha512-[A-Za-z0-9+/]{86}==", pnpm), 600)
    # base64 blobs as tools print them: public text files, encoded (76-column lines, as base64(1))
    blobs = []
    for repo, commit, _ in (NP, SL, CR):
        readme = git(mirror, repo, "show", f"{commit}:README.md").encode()
        for i in range(0, min(len(readme), 60_000), 600):
            enc = base64.encodebytes(readme[i : i + 600]).decode()
            blobs.append(enc.strip())
    add("base64_blob", "README.md of the source repositories, base64-encoded", blobs, 200)
    return out


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--only=")]
    only = next((a.split("=", 1)[1] for a in argv[1:] if a.startswith("--only=")), None)
    mirror = Path(args[0] if args else "/work/.mirror")
    one_source = {
        "detect-secrets": detect_secrets,
        "whispers": whispers,
        "trivy": trivy,
        "github-patterns": github_patterns,
    }
    if only in one_source:  # rebuild that source's rows, keep the others as they are
        src_pos, src_neg = one_source[only](mirror)
        for fname, rows in (("positives.jsonl", src_pos), ("negatives.jsonl", src_neg)):
            kept = [r for r in read_rows(HERE / fname) if r["source"] != only]
            write_rows(HERE / fname, kept + rows)
        return 0
    np_pos, np_neg = nosey_parker(mirror)
    sl_pos, sl_neg = secretlint(mirror)
    rs_pos, rs_neg = ripsecrets(mirror)
    ds_pos, ds_neg = detect_secrets(mirror)
    wh_pos, wh_neg = whispers(mirror)
    tv_pos, tv_neg = trivy(mirror)
    gp_pos, gp_neg = github_patterns(mirror)
    sessions = transcripts(mirror)
    (HERE / "transcripts").mkdir(exist_ok=True)
    for name, text in sessions:
        (HERE / "transcripts" / f"{name}.jsonl").write_text(text, encoding="utf-8")
    write_rows(HERE / "positives.jsonl", np_pos + sl_pos + rs_pos + ds_pos + wh_pos + tv_pos + gp_pos)
    write_rows(HERE / "negatives.jsonl", np_neg + sl_neg + rs_neg + ds_neg + wh_neg + tv_neg + gp_neg)
    write_rows(HERE / "benign.jsonl", benign(mirror, sessions))
    return 0


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def write_rows(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{path.name}: {len(rows)}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
