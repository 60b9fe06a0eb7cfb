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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from forge.errors import ConfigError
from forge.scrub.detectors import Detector
from forge.scrub.rules.gitleaks import load_gitleaks
from forge.scrub.rules.kingfisher import load_kingfisher
from forge.scrub.rules.model import RULE_PREFIX, Allowlist, Rule, RuleSet, detector_for

__all__ = ["RULE_PREFIX", "LoadedRules", "cached_rule_files", "load_rule_files"]


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


RULE_SUFFIXES = (".toml", ".yml", ".yaml")


def rule_file_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The files named, a folder standing for the rule files directly in it (Kingfisher keeps
    one file per provider in a rules folder), in name order."""
    out: list[Path] = []
    for p in paths:
        path = Path(p).expanduser()
        if path.is_dir():
            out += sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in RULE_SUFFIXES)
        else:
            out.append(path)
    return out


def load_rule_files(paths: Iterable[str | os.PathLike[str]]) -> LoadedRules:
    """Detectors for the rules in these files (or the rule files in these folders), notes on
    what was read but does not apply, and a digest of the rules. Raises ConfigError naming every
    problem in every file."""
    problems: list[str] = []
    notes: list[str] = []
    sets: list[RuleSet] = []
    folders = [Path(p).expanduser() for p in paths if Path(p).expanduser().is_dir()]
    problems += [
        f"{d}: a folder with no rule file (.toml, .yml, .yaml) in it" for d in folders if not rule_file_paths([d])
    ]
    for path in rule_file_paths(paths):
        if path.suffix.lower() == ".toml":
            got = load_gitleaks(path, problems, notes, set())
        elif path.suffix.lower() in (".yml", ".yaml"):
            got = load_kingfisher(path, problems, notes)
        else:
            problems.append(f"{path}: rule files are gitleaks configs (.toml) or Kingfisher rules (.yml, .yaml)")
            got = None
        if got is not None:
            sets.append(got)
    owner: dict[str, list[Rule]] = {}
    detectors: list[Detector] = []
    described: list[str] = []
    for rs in sets:
        for rule in rs.rules:
            same_id = owner.setdefault(rule.id, [])
            if same_id:
                first = same_id[0]
                if any(r.pattern.pattern == rule.pattern.pattern for r in same_id):
                    notes.append(f"{rule.source}: rule {rule.id!r} repeats the one in {first.source}; used once")
                    continue
                # two files, one id, two patterns (Kingfisher's own catalogue has three such):
                # both run, so whatever either finds is scrubbed
                notes.append(
                    f"{rule.source}: rule {rule.id!r} is also in {first.source} with another pattern; both run"
                )
            same_id.append(rule)
            detectors.append(detector_for(rule, rs.allowlists, copy=len(same_id)))
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
    for p in rule_file_paths(paths):
        try:
            st = p.stat()
            key.append((str(p.resolve()), st.st_mtime_ns, st.st_size))
        except OSError:
            return load_rule_files(paths)  # raises, naming the file
    k = tuple(key)
    if k not in _CACHE:
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE[k] = load_rule_files(paths)
    return _CACHE[k]
