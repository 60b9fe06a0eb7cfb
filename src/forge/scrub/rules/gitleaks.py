"""gitleaks configs (`.gitleaks.toml`): rules, allowlists and `[extend]`, read as gitleaks 8 reads
them (and what gitleaks 7 wrote: rules named by description, file-name rules), into a RuleSet."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from forge.scrub.rules.model import Allowlist, Rule, RuleSet
from forge.scrub.rules.reading import compile_regex, read_rule_file, strings

_TARGETS = ("secret", "match", "line")
MAX_EXTEND_DEPTH = 2  # as gitleaks: a config, its base and its base's base; deeper [extend]s are not read


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
            compile_regex(p, where, "allowlist regex", problems, go=True, secret=False)
            for p in strings(raw.get("regexes"), where, "regexes", problems)
        )
        if r is not None
    ]
    stopwords = tuple(w.lower() for w in strings(raw.get("stopwords"), where, "stopwords", problems))
    undecidable = bool(raw.get("paths") or raw.get("commits") or raw.get("files"))  # (files: gitleaks 7)
    if not (regexes or stopwords or undecidable) and not raw.get("regexes"):
        problems.append(f"{where}: an allowlist needs at least one of regexes, stopwords, paths or commits")
        return None
    rules = frozenset(strings(raw.get("targetRules"), where, "targetRules", problems)) if global_list else frozenset()
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


def load_gitleaks(path: Path, problems: list[str], notes: list[str], seen: set[Path], depth: int = 0) -> RuleSet | None:
    """A gitleaks config, with the configs it extends (extend.path) under it."""
    real = path.resolve()
    if real in seen:
        problems.append(f"{path}: extends itself (a loop of [extend] paths)")
        return None
    seen.add(real)
    text = read_rule_file(path, problems)
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
        base = load_gitleaks(base_path, problems, notes, seen, depth + 1) if base_path.exists() else None
        if base is not None:
            disabled = set(strings(extend.get("disabledRules"), f"{path} [extend]", "disabledRules", problems))
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
    if not rid.isprintable():
        problems.append(f"{where}: its id {rid!r} holds a control character")
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
        pattern = compile_regex(raw.get("regex"), where, "regex", problems, go=True)
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
    keywords = [k.lower() for k in strings(raw.get("keywords"), where, "keywords", problems)]
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
