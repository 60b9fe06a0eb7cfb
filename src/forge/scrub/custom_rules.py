"""Your own secret rules, in the formats secret scanners already use: a gitleaks config (`.toml`,
e.g. a repository's `.gitleaks.toml`) or Kingfisher rule files (`.yml`/`.yaml`).

Each rule becomes a Forge detector (`rules:<id>`) beside the built-in ones: its regex finds
candidates, the secret is the rule's `secretGroup` (gitleaks) or else the first capture group
that matched, or else the whole match (as both scanners take it), and the candidate is dropped
when its entropy is at or under the rule's floor (`entropy`, `min_entropy`) or an allowlist
lets it pass (gitleaks `regexes` against the secret, the match or the line, and `stopwords`).
A rule's `keywords` are its prefilter, as in gitleaks. Verification and file-path rules do not
apply to transcripts and are left out (said in `notes`).

Everything wrong in the files is reported at once (ConfigError), each problem naming its file
and rule: unreadable files, TOML/YAML errors with their line, regexes Python cannot run, a
`secretGroup` the regex does not have, a Kingfisher example its own rule does not find.
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from forge.errors import ConfigError
from forge.scrub.detectors import Detector
from forge.scrub.regex_dialect import RegexDialectError, compile_go, compile_rule
from forge.scrub.validators import shannon_entropy

RULE_PREFIX = "rules:"  # detector names of custom rules: rules:<rule id>
PRIORITY = 90  # as provider formats: an explicit rule outranks key-context guesses
MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
_TARGETS = ("secret", "match", "line")
MAX_EXTEND_DEPTH = 2  # as gitleaks: a config, its base and its base's base; deeper [extend]s are not read


@dataclass(frozen=True)
class Allowlist:
    regexes: tuple[Any, ...] = ()  # compiled, re's API (RE2 or re)
    target: str = "secret"  # what the regexes are matched against: secret | match | line
    stopwords: tuple[str, ...] = ()  # lower case; a secret containing one is allowed
    # AND: every criterion must hold. A path or commit criterion cannot be judged on a
    # transcript's text, so an AND list that has one never allows (the secret is scrubbed).
    all_of: bool = False
    undecidable: bool = False  # has path/commit criteria
    rules: frozenset[str] = frozenset()  # global lists only: the rule ids it applies to (empty: all)

    def allows(self, secret: str, match: str, line: str) -> bool:
        target = match if self.target == "match" else line if self.target == "line" else secret
        by_regex = bool(target) and any(r.search(target) for r in self.regexes)
        low = secret.lower()
        by_word = bool(secret) and any(w in low for w in self.stopwords)
        if self.all_of:
            checks = ([by_regex] if self.regexes else []) + ([by_word] if self.stopwords else [])
            return not self.undecidable and bool(checks) and all(checks)
        return by_regex or by_word


@dataclass
class Rule:
    id: str
    pattern: Any  # compiled, re's API: RE2 for gitleaks' Go regexes, re for Kingfisher's translated
    source: str  # the file it came from (for messages)
    secret_group: int = 0  # 0: the first capture group that matched, else the whole match
    group_or_whole: bool = False  # Kingfisher: secret_group if it took part, else the whole match
    min_entropy: float = 0.0
    keywords: tuple[str, ...] = ()
    allowlists: list[Allowlist] = field(default_factory=list)
    description: str = ""


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    allowlists: list[Allowlist] = field(default_factory=list)  # global (gitleaks)
    notes: list[str] = field(default_factory=list)  # what was read but does not apply


def _line_at(text: str, start: int, end: int) -> str:
    lo = text.rfind("\n", 0, start) + 1
    hi = text.find("\n", end)
    return text[lo : len(text) if hi < 0 else hi]


def rule_spans(rule: Rule, global_lists: Sequence[Allowlist], text: str) -> Iterator[tuple[int, int]]:
    """The rule's secrets in text, as (start, end)."""
    lists = [a for a in global_lists if not a.rules or rule.id in a.rules] + rule.allowlists
    try:
        matches = list(rule.pattern.finditer(text))
    except UnicodeEncodeError:
        # RE2 reads UTF-8, and forge scrub keeps undecodable bytes as lone surrogates: each
        # becomes '?', one character for one, so every span still fits the text
        text = text.encode("utf-8", "replace").decode("utf-8")
        matches = list(rule.pattern.finditer(text))
    for m in matches:
        if rule.secret_group:
            if m.group(rule.secret_group) is not None:
                start, end = m.span(rule.secret_group)
            elif rule.group_or_whole:
                start, end = m.span()
            else:
                continue
        else:
            start, end = m.span()
            for g in range(1, (rule.pattern.groups or 0) + 1):
                if m.group(g):
                    start, end = m.span(g)
                    break
        secret = text[start:end]
        if not secret.strip("\n"):
            continue
        if rule.min_entropy and shannon_entropy(secret) <= rule.min_entropy:
            continue
        if lists and any(a.allows(secret, m.group(0), _line_at(text, *m.span())) for a in lists):
            continue
        yield start, end


def kind_of(rule_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", rule_id.lower()).strip("_") or "secret"


def _keyword_anchor(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """The keywords as one case-insensitive anchor for the rule engine's pass, in the syntax
    Python, Rust and Vectorscan share (punctuation as \\xHH); None where one is not ASCII."""
    if not keywords or not all(k.isascii() and k for k in keywords):
        return None
    spelled = ["".join(c if c.isalnum() or c == "_" else f"\\x{ord(c):02x}" for c in k) for k in keywords]
    return re.compile("(?i)(?:" + "|".join(spelled) + ")")


def detector_for(rule: Rule, global_lists: Sequence[Allowlist] = ()) -> Detector:
    lists = tuple(global_lists)
    anchor = _keyword_anchor(rule.keywords)
    return Detector(
        name=RULE_PREFIX + rule.id,
        kind=kind_of(rule.id),
        pattern=cast("re.Pattern[str]", rule.pattern),  # (unused: the finder runs the rule)
        prefilter=rule.keywords,
        prefilter_ignore_case=True,
        priority=PRIORITY,
        # with keywords, the engine's one pass says which texts hold one (a rule file can hold
        # hundreds of rules; checking each rule's keywords in each text costs more than the scan);
        # the rule's regex then runs over that whole text, as gitleaks runs it
        anchor=anchor,
        engine_anchor=anchor is not None,
        finder=lambda text: rule_spans(rule, lists, text),
        description=rule.description or f"rule {rule.id} from {rule.source}",
    )


# --- reading -------------------------------------------------------------------------------


def _read(path: Path, problems: list[str]) -> str | None:
    try:
        size = path.stat().st_size
        if size > MAX_RULE_FILE_BYTES:
            problems.append(f"{path}: {size} bytes, more than a rule file holds (at most {MAX_RULE_FILE_BYTES})")
            return None
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        problems.append(f"{path}: no such file")
    except IsADirectoryError:
        problems.append(f"{path}: is a folder, not a rule file")
    except UnicodeDecodeError:
        problems.append(f"{path}: not UTF-8 text")
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})")
    return None


def _regex(pattern: Any, where: str, what: str, problems: list[str], *, go: bool, secret: bool = True) -> Any:
    """A compiled rule regex (re's API): Go syntax with RE2 (gitleaks), Rust's translated for re.
    secret: it finds secrets, so one that matches the empty string is a mistake (it would match
    at every character and replace nothing)."""
    if not isinstance(pattern, str) or not pattern:
        problems.append(f"{where}: {what} must be a non-empty string")
        return None
    try:
        compiled = compile_go(pattern) if go else compile_rule(pattern, ascii_classes=False)
    except (RegexDialectError, re.error) as exc:
        problems.append(f"{where}: {what} cannot be used: {exc}")
        return None
    if secret and compiled.search("") is not None:
        problems.append(f"{where}: {what} matches the empty string, so it would match everywhere")
        return None
    return compiled


def _strings(value: Any, where: str, what: str, problems: list[str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.append(f"{where}: {what} must be a list of strings")
        return []
    return value


def _gitleaks_allowlist(raw: Any, where: str, problems: list[str], *, global_list: bool) -> Allowlist | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: an allowlist must be a table")
        return None
    target = raw.get("regexTarget") or "secret"
    if target not in _TARGETS:
        problems.append(f"{where}: regexTarget {target!r} is not one of {', '.join(_TARGETS)}")
    condition = str(raw.get("condition") or "OR").upper()
    if condition not in ("OR", "AND"):
        problems.append(f"{where}: condition {raw.get('condition')!r} is not OR or AND")
    regexes = [
        r
        for r in (
            _regex(p, where, "allowlist regex", problems, go=True, secret=False)
            for p in _strings(raw.get("regexes"), where, "regexes", problems)
        )
        if r is not None
    ]
    stopwords = tuple(w.lower() for w in _strings(raw.get("stopwords"), where, "stopwords", problems))
    undecidable = bool(raw.get("paths") or raw.get("commits") or raw.get("files"))  # (files: gitleaks 7)
    if not (regexes or stopwords or undecidable) and not raw.get("regexes"):
        problems.append(f"{where}: an allowlist needs at least one of regexes, stopwords, paths or commits")
        return None
    rules = frozenset(_strings(raw.get("targetRules"), where, "targetRules", problems)) if global_list else frozenset()
    return Allowlist(tuple(regexes), target, stopwords, condition == "AND", undecidable, rules)


def _gitleaks_lists(table: dict[str, Any], where: str, problems: list[str], *, global_list: bool) -> list[Allowlist]:
    old, new = table.get("allowlist"), table.get("allowlists")
    if old is not None and new is not None:
        problems.append(f"{where}: give either [allowlist] or [[allowlists]], not both")
        return []
    chosen = old if old is not None else new
    # ([[allowlist]], an array under the old name, is read as [[allowlists]])
    raws = chosen if isinstance(chosen, list) else [chosen] if chosen is not None else []
    out = []
    for i, raw in enumerate(raws, 1):
        a = _gitleaks_allowlist(raw, f"{where} allowlist {i}", problems, global_list=global_list)
        if a is not None:
            out.append(a)
    return out


def _load_gitleaks(
    path: Path, problems: list[str], notes: list[str], seen: set[Path], depth: int = 0
) -> RuleSet | None:
    """A gitleaks config, with the configs it extends (extend.path) under it."""
    real = path.resolve()
    if real in seen:
        problems.append(f"{path}: extends itself (a loop of [extend] paths)")
        return None
    seen.add(real)
    text = _read(path, problems)
    if text is None:
        return None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{path}: not valid TOML: {exc}")
        return None
    out = RuleSet()
    extend = doc.get("extend") or {}
    if not isinstance(extend, dict):
        problems.append(f"{path}: [extend] must be a table")
        extend = {}
    if extend.get("useDefault"):
        notes.append(
            f"{path}: extend.useDefault: Forge's own detectors and its rule engine's catalogue "
            f"(which includes gitleaks' rules) always run"
        )
    if extend.get("url"):
        notes.append(f"{path}: extend.url is not fetched (Forge reads no network); put the file beside it")
    if extend.get("path") and extend.get("useDefault"):
        problems.append(f"{path}: [extend] sets both path and useDefault (gitleaks takes one)")
    elif extend.get("path") and depth >= MAX_EXTEND_DEPTH:
        notes.append(
            f"{path}: extends {extend['path']}, deeper than gitleaks reads ({MAX_EXTEND_DEPTH} levels); not read"
        )
    elif extend.get("path"):
        base_path = Path(str(extend["path"]))
        if not base_path.is_absolute():
            beside = path.parent / base_path
            if not beside.exists() and not base_path.exists():
                problems.append(
                    f"{path}: extends {extend['path']}, which is neither beside it ({beside}) "
                    f"nor in the current folder ({Path.cwd()})"
                )
            base_path = beside if beside.exists() or not base_path.exists() else base_path
        base = _load_gitleaks(base_path, problems, notes, seen, depth + 1) if base_path.exists() else None
        if base is not None:
            disabled = set(_strings(extend.get("disabledRules"), f"{path} [extend]", "disabledRules", problems))
            out.rules = [r for r in base.rules if r.id not in disabled]
            out.allowlists = list(base.allowlists)
    out.allowlists += _gitleaks_lists(doc, str(path), problems, global_list=True)
    if "whitelist" in doc:
        notes.append(f"{path}: [whitelist] (gitleaks before 7) is not read, so nothing is let through by it")
    rules = doc.get("rules") or []
    if not isinstance(rules, list):
        problems.append(f"{path}: rules must be an array of tables ([[rules]])")
        rules = []
    by_id = {r.id: r for r in out.rules}
    for n, raw in enumerate(rules, 1):
        rule = _gitleaks_rule(raw, path, n, by_id, problems, notes, bool(extend.get("useDefault")))
        if rule is not None and rule.id not in by_id:
            out.rules.append(rule)
            by_id[rule.id] = rule
    known = set(by_id)
    for a in out.allowlists:
        unknown = sorted(a.rules - known)
        if unknown and extend.get("useDefault"):
            notes.append(f"{path}: a global allowlist names rules of gitleaks' default config: {', '.join(unknown)}")
        elif unknown:
            problems.append(f"{path}: a global allowlist names rules that do not exist: {', '.join(unknown)}")
    return out


def _slug(description: str, taken: dict[str, Rule]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", description.lower()).strip("-") or "rule"
    rid, n = base, 1
    while rid in taken:
        n += 1
        rid = f"{base}-{n}"
    return rid


def _gitleaks_rule(
    raw: Any, path: Path, n: int, by_id: dict[str, Rule], problems: list[str], notes: list[str], on_default: bool
) -> Rule | None:
    where = f"{path} rule {n}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table")
        return None
    rid = raw.get("id")
    if (
        raw.get("regex") is None
        and (raw.get("path") or raw.get("file"))
        and not (isinstance(rid, str) and rid in by_id)
    ):
        named = f"{path} rule {rid!r}" if isinstance(rid, str) and rid.strip() else where
        notes.append(f"{named}: matches file paths only, which transcripts do not have; left out")
        return None
    gitleaks7 = not any(k in raw for k in ("secretGroup", "entropy", "keywords", "allowlists"))
    if (not isinstance(rid, str) or not rid.strip()) and gitleaks7 and isinstance(raw.get("description"), str):
        # gitleaks 7 named rules by description only (and had none of these keys); 8 wants an id
        rid = _slug(raw["description"], by_id)
        notes.append(f"{where}: no id (a gitleaks 7 rule); named {rid!r} from its description")
    if not isinstance(rid, str) or not rid.strip():
        problems.append(f"{where}: has no id")
        return None
    where = f"{path} rule {rid!r}"
    if "whitelist" in raw:
        notes.append(f"{where}: [[rules.whitelist]] (gitleaks before 7) is not read, so nothing is let through by it")
    if raw.get("entropies") or raw.get("Entropies"):
        notes.append(f"{where}: gitleaks 7 entropies (per-group ranges) are not read; use entropy")
    base = by_id.get(rid)  # a rule of an extended config: this one overrides what it sets
    if raw.get("regex") is None and base is None:
        if raw.get("path"):
            notes.append(f"{where}: matches file paths only, which transcripts do not have; left out")
        elif on_default:
            notes.append(f"{where}: adds to a rule of gitleaks' default config, which is not read; left out")
        elif raw.get("keywords"):
            notes.append(f"{where}: has keywords but no regex, so it finds nothing; left out")
        else:
            problems.append(f"{where}: has no regex")
        return None
    pattern = base.pattern if base is not None and raw.get("regex") is None else None
    if pattern is None:
        pattern = _regex(raw.get("regex"), where, "regex", problems, go=True)
        if pattern is None:
            return None
    group = raw.get("secretGroup", base.secret_group if base else 0)
    if not isinstance(group, int) or isinstance(group, bool) or group < 0:
        problems.append(f"{where}: secretGroup must be a whole number")
        return None
    if group > pattern.groups:
        problems.append(f"{where}: secretGroup {group} but the regex has {pattern.groups} group(s)")
        return None
    entropy = raw.get("entropy", base.min_entropy if base else 0.0)
    if entropy is False:
        entropy = 0.0  # (written in the wild for "no entropy floor")
    if not isinstance(entropy, (int, float)) or isinstance(entropy, bool) or entropy < 0:
        problems.append(f"{where}: entropy must be a number ≥ 0")
        return None
    keywords = [k.lower() for k in _strings(raw.get("keywords"), where, "keywords", problems)]
    lists = _gitleaks_lists(raw, where, problems, global_list=False)
    if base is not None:
        keywords = [*base.keywords, *keywords]
        lists = [*base.allowlists, *lists]
        base.pattern, base.secret_group, base.min_entropy = pattern, group, float(entropy)
        base.keywords, base.allowlists = tuple(dict.fromkeys(keywords)), lists
        base.description = str(raw.get("description") or base.description)
        return base
    if raw.get("required"):
        notes.append(f"{where}: required (multi-part) rules: the rule runs on its own")
    return Rule(
        id=rid,
        pattern=pattern,
        source=str(path),
        secret_group=group,
        min_entropy=float(entropy),
        keywords=tuple(dict.fromkeys(keywords)),
        allowlists=lists,
        description=str(raw.get("description") or ""),
    )


def _load_kingfisher(path: Path, problems: list[str], notes: list[str]) -> RuleSet | None:
    import yaml  # only for rule files in this format

    text = _read(path, problems)
    if text is None:
        return None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problems.append(f"{path}: not valid YAML{at}: {getattr(exc, 'problem', None) or type(exc).__name__}")
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("rules"), list):
        problems.append(f"{path}: a Kingfisher rule file holds `rules:`, a list of rules")
        return None
    out = RuleSet()
    for n, raw in enumerate(doc["rules"], 1):
        where = f"{path} rule {n}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        rid = raw.get("id")
        if not isinstance(rid, str) or not rid.strip():
            problems.append(f"{where}: has no id")
            continue
        where = f"{path} rule {rid!r}"
        if raw.get("visible") is False:
            notes.append(f"{where}: visible: false (a helper that matches no secret of its own); left out")
            continue
        if str(raw.get("confidence", "medium")).lower() == "low":
            notes.append(f"{where}: confidence: low, which Kingfisher leaves out by default; left out")
            continue
        pattern = _regex(raw.get("pattern"), where, "pattern", problems, go=False)
        if pattern is None:
            continue
        entropy = raw.get("min_entropy", 0.0)
        if not isinstance(entropy, (int, float)) or isinstance(entropy, bool) or entropy < 0:
            problems.append(f"{where}: min_entropy must be a number ≥ 0")
            continue
        # as Kingfisher takes them: the first group (where it took part) or the whole match
        rule = Rule(
            rid,
            pattern,
            str(path),
            secret_group=1 if pattern.groups else 0,
            group_or_whole=True,
            min_entropy=float(entropy),
            description=str(raw.get("name") or ""),
        )
        for i, example in enumerate(_strings(raw.get("examples"), where, "examples", problems), 1):
            if pattern.search(example) is None:  # (examples test the pattern, as Kingfisher's do)
                notes.append(f"{where}: its example {i} is not matched by its own pattern")
        for i, example in enumerate(_strings(raw.get("negative_examples"), where, "negative_examples", problems), 1):
            if pattern.search(example) is not None:
                notes.append(f"{where}: its negative example {i} is matched by its own pattern")
        out.rules.append(rule)
    return out


@dataclass(frozen=True)
class LoadedRules:
    detectors: list[Detector]
    notes: list[str]  # what was read but does not apply, and examples their rule misses
    digest: str  # of every rule as loaded (regexes, groups, floors, keywords, allowlists)


def _describe(rule: Rule, lists: Sequence[Allowlist]) -> str:
    engine = type(rule.pattern).__module__  # re or re2: the same regex may match otherwise
    parts = [rule.id, rule.pattern.pattern, engine, str(getattr(rule.pattern, "flags", 0))]
    parts += [str(rule.secret_group), str(rule.group_or_whole)]
    parts += [repr(rule.min_entropy), repr(rule.keywords)]
    for a in [*lists, *rule.allowlists]:
        parts.append(
            repr(([r.pattern for r in a.regexes], a.target, a.stopwords, a.all_of, a.undecidable, sorted(a.rules)))
        )
    return "\x00".join(parts)


def load_rule_files(paths: Iterable[str | os.PathLike[str]]) -> LoadedRules:
    """Detectors for the rules in these files, notes on what was read but does not apply, and
    a digest of the rules. Raises ConfigError naming every problem in every file."""
    problems: list[str] = []
    notes: list[str] = []
    sets: list[RuleSet] = []
    for p in paths:
        path = Path(p).expanduser()
        if path.suffix.lower() == ".toml":
            got = _load_gitleaks(path, problems, notes, set())
        elif path.suffix.lower() in (".yml", ".yaml"):
            got = _load_kingfisher(path, problems, notes)
        else:
            problems.append(f"{path}: rule files are gitleaks configs (.toml) or Kingfisher rules (.yml, .yaml)")
            got = None
        if got is not None:
            sets.append(got)
    owner: dict[str, Rule] = {}
    detectors: list[Detector] = []
    described: list[str] = []
    for rs in sets:
        for rule in rs.rules:
            first = owner.get(rule.id)
            if first is not None:
                if first.pattern.pattern != rule.pattern.pattern:
                    problems.append(f"rule {rule.id!r} is defined in both {first.source} and {rule.source}")
                else:
                    notes.append(f"{rule.source}: rule {rule.id!r} repeats the one in {first.source}; used once")
                continue
            owner[rule.id] = rule
            detectors.append(detector_for(rule, rs.allowlists))
            described.append(_describe(rule, rs.allowlists))
    if problems:
        raise ConfigError(problems, source="scrub rules")
    digest = hashlib.sha256("\x01".join(described).encode("utf-8", "surrogatepass")).hexdigest()
    return LoadedRules(detectors, notes, digest)


_CACHE: dict[tuple[tuple[str, int, int], ...], LoadedRules] = {}


def cached_rule_files(paths: Sequence[str | os.PathLike[str]]) -> LoadedRules:
    """load_rule_files, once per set of unchanged files: the detectors are then the same
    objects, so the scrubber's per-detector-set caches are reused, not grown."""
    key = []
    for p in paths:
        try:
            st = Path(p).expanduser().stat()
            key.append((str(Path(p).expanduser().resolve()), st.st_mtime_ns, st.st_size))
        except OSError:
            return load_rule_files(paths)  # raises, naming the file
    k = tuple(key)
    if k not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[k] = load_rule_files(paths)
    return _CACHE[k]
