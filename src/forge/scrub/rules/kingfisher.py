"""Kingfisher rule files (`.yml`): `rules:` with `pattern`, `min_entropy`, `examples`, as
Kingfisher runs them by default (hidden helper rules and low-confidence rules left out)."""

from __future__ import annotations

from pathlib import Path

from forge.scrub.rules.model import Rule, RuleSet
from forge.scrub.rules.reading import compile_regex, read_rule_file, strings


def load_kingfisher(path: Path, problems: list[str], notes: list[str]) -> RuleSet | None:
    import yaml  # only for rule files in this format

    text = read_rule_file(path, problems)
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
        if not rid.isprintable():
            problems.append(f"{where}: its id {rid!r} holds a control character")
            continue
        where = f"{path} rule {rid!r}"
        if raw.get("visible") is False:
            notes.append(f"{where}: visible: false (a helper that matches no secret of its own); left out")
            continue
        if str(raw.get("confidence", "medium")).lower() == "low":
            notes.append(f"{where}: confidence: low, which Kingfisher leaves out by default; left out")
            continue
        pattern = compile_regex(raw.get("pattern"), where, "pattern", problems, go=False)
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
        for i, example in enumerate(strings(raw.get("examples"), where, "examples", problems), 1):
            if pattern.search(example) is None:  # (examples test the pattern, as Kingfisher's do)
                notes.append(f"{where}: its example {i} is not matched by its own pattern")
        for i, example in enumerate(strings(raw.get("negative_examples"), where, "negative_examples", problems), 1):
            if pattern.search(example) is not None:
                notes.append(f"{where}: its negative example {i} is matched by its own pattern")
        out.rules.append(rule)
    return out
