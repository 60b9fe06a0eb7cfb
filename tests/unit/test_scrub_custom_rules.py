"""Users' own secret rules: gitleaks configs and Kingfisher rule files, read from the real public
files of both projects (tests/fixtures/real/SOURCES.md): gitleaks' default config and the
configs its own tests load or must refuse, and Kingfisher rule files with their authors'
examples, judged against the Kingfisher engine itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forge.errors import ConfigError
from forge.scrub import Scrubber
from forge.scrub.rules import load_rule_files
from forge.scrub.rules.dialect import RegexDialectError, compile_rule, to_python

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
GITLEAKS = REAL / "gitleaks"
KINGFISHER = REAL / "kingfisher_rules"
TOKEN = "acme_dk_Q7fT2mXz9LpR4vWc8NbY3kJd6HsA1eGu"  # made up: the format of an in-house key
ACME = """title = "acme"
[[rules]]
id = "acme-deploy-key"
regex = '''acme_dk_([A-Za-z0-9]{32})'''
keywords = ["acme_dk_"]
entropy = 3.0
[[rules.allowlists]]
stopwords = ["example"]
"""


def only_rules(paths):
    return Scrubber(detectors=[], rules=[str(p) for p in paths])


# --- the regex dialects ----------------------------------------------------------------------


def test_flags_mid_pattern_hold_to_the_end_of_their_group_across_alternatives_as_in_re2():
    p = compile_rule(r"a(?i)b|c", ascii_classes=True)  # RE2: a[bB] | [cC]
    assert p.fullmatch("aB") and p.fullmatch("C") and not p.fullmatch("AB")
    p = compile_rule(r"(?i)(facebook|fb)(.{0,20})?(?-i)['\"][0-9a-f]{32}['\"]", ascii_classes=True)
    assert p.search('FB_KEY = "' + "ab" * 16 + '"') and not p.search('FB_KEY = "' + "AB" * 16 + '"')
    assert to_python(r"[[:alnum:]_-]+\z") == r"[A-Za-z0-9_-]+\Z"
    assert compile_rule(r"(?<tok>x)\x{1F600}", ascii_classes=False).fullmatch("x\U0001f600")
    verbose = compile_rule(
        "(?x)\n \\b ( age1 [0-9a-z]{4} ) # a comment (with a paren\n (?# and this )", ascii_classes=False
    )
    assert verbose.search("key age1abcd here").group(1) == "age1abcd"
    assert compile_rule(r"\w+", ascii_classes=True).fullmatch("é") is None  # RE2's \w is ASCII
    for bad, why in ((r"\pL+", "Unicode classes"), (r"(?U)a+", "'U'"), (r"(a", "never closed"), ("[a", "never closed")):
        with pytest.raises(RegexDialectError, match=why):
            to_python(bad)


# --- gitleaks configs ------------------------------------------------------------------------


def test_gitleaks_default_config_loads_whole_and_its_rules_find_secrets():
    loaded = load_rule_files([GITLEAKS / "config" / "gitleaks.toml"])
    assert len(loaded.detectors) == 221  # 222 rules; pkcs12-file matches file names only
    assert loaded.notes == [
        f"{GITLEAKS / 'config' / 'gitleaks.toml'} rule 'pkcs12-file': matches file paths only, "
        "which transcripts do not have; left out"
    ]
    s = Scrubber(detectors=[], rules=[GITLEAKS / "config" / "gitleaks.toml"])
    out = s.scrub_text("pushed with ghp_" + "k3J9xQ2mZ7pL4vN8cW1bY6tR5sD0fH3gA2eK" + " today")
    assert out == "pushed with <SECRET:github_pat> today", out
    assert s.report()["by_engine"] == {"rules": 1}


def test_the_configs_gitleaks_refuses_are_refused_each_naming_its_file_and_problem():
    expected = {
        "allowlist_global_empty": "needs at least one of regexes",
        "allowlist_global_old_and_new": "not both",
        "allowlist_global_regextarget": "regexTarget 'mtach'",
        "allowlist_global_target_rule_id": "rules that do not exist: github-pat",
        "allowlist_rule_empty": "needs at least one of regexes",
        "allowlist_rule_old_and_new": "not both",
        "allowlist_rule_regextarget": "regexTarget 'mtach'",
        "extend_invalid_base": "does_not_exist.toml, which is neither beside it",
        "extend_invalid_ruleid": "rule 1: has no id",
        "rule_bad_entropy_group": "secretGroup 5 but the regex has 3 group(s)",
        "rule_missing_id": "rule 1: has no id",
        "rule_no_regex_or_path": "'discord-api-key': has no regex",
    }
    found = sorted(p.stem for p in (GITLEAKS / "testdata/config/invalid").glob("*.toml"))
    assert found == sorted(expected)
    for name, why in expected.items():
        with pytest.raises(ConfigError) as err:
            load_rule_files([GITLEAKS / "testdata/config/invalid" / f"{name}.toml"])
        assert len(err.value.problems) == 1 and why in err.value.problems[0], (name, err.value.problems)
        assert name in err.value.problems[0] or "does_not_exist" in err.value.problems[0]


def test_the_configs_gitleaks_loads_load_with_its_extend_semantics(monkeypatch):
    monkeypatch.chdir(GITLEAKS / "config")  # their extend paths are relative to gitleaks' config/
    valid = sorted((GITLEAKS / "testdata/config").glob("*.toml")) + sorted(
        p
        for p in (GITLEAKS / "testdata/config/valid").glob("*.toml")
        if p.stem not in ("extend_base_1", "extend_base_2")
    )  # (those two are bases read through extend.toml, at the depth gitleaks stops)
    for path in valid:
        load_rule_files([path])
    ids = lambda name: {d.name for d in load_rule_files([GITLEAKS / "testdata/config/valid" / name]).detectors}  # noqa: E731
    # gitleaks' own expectations (config/config_test.go) for these files
    assert ids("extend.toml") == {"rules:aws-access-key", "rules:aws-secret-key", "rules:aws-secret-key-again"}
    assert ids("extend_disabled.toml") == {"rules:aws-secret-key", "rules:pypi-upload-token"}
    overridden = load_rule_files([GITLEAKS / "testdata/config/valid/extend_rule_override_regex.toml"])
    aws = next(d for d in overridden.detectors if d.name == "rules:aws-access-key")
    assert aws.pattern.pattern == "(?:a)"


def test_allowlists_regexes_stopwords_and_target_rules(tmp_path):
    valid = GITLEAKS / "testdata/config/valid"
    s = only_rules([valid / "allowlist_rule_regex.toml"])
    assert s.scrub_text("AKIALALEMEL33243OLIA") == "AKIALALEMEL33243OLIA"  # the rule's allowlisted key
    assert s.scrub_text("AKIALALEMEL33243OLIB") == "<SECRET:aws_access_key>"
    s = only_rules([valid / "allowlist_global_target_rules.toml"])
    fake, real = "ghp_" + "fake" * 9, "ghp_" + "k3J9xQ2mZ7pL4vN8cW1bY6tR5sD0fH3gA2eK"
    assert s.scrub_text(fake) == fake  # the global `.*fake.*` list applies to every rule
    assert s.scrub_text(real) == "<SECRET:github_pat>"  # a paths-only list cannot allow text
    rules = tmp_path / "acme.toml"
    rules.write_text(ACME, encoding="utf-8")
    s = only_rules([rules])
    low = "acme_dk_" + "ab" * 16  # entropy 1.0, under the rule's floor of 3.0
    text = f"{TOKEN} acme_dk_exampleexampleexampleexample12 {low}"
    assert s.scrub_text(text) == f"acme_dk_<SECRET:acme_deploy_key> acme_dk_exampleexampleexampleexample12 {low}"


def test_problems_in_several_files_are_reported_at_once(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[rules]]\nid = "x"\nregex = "a(?=b)"\n[[rules]]\nid = "y"\nregex = "(a"\n[[rules]]\nid = "z"\nregex = "t*"\n',
        encoding="utf-8",
    )
    broken = tmp_path / "broken.toml"
    broken.write_text("[[rules]\nid =", encoding="utf-8")
    yml = tmp_path / "k.yml"
    yml.write_text("rules:\n  - id: k.1\n    pattern: '\\pL[a'\n  - pattern: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_rule_files([bad, broken, yml, tmp_path / "missing.toml", tmp_path / "rules.json"])
    text = "\n".join(err.value.problems)
    for want in (
        "bad.toml rule 'x': regex cannot be used: invalid perl operator: (?=",  # as Go's regexp says
        "bad.toml rule 'y': regex cannot be used: missing ): (a",
        "bad.toml rule 'z': regex matches the empty string, so it would match everywhere",
        "broken.toml: not valid TOML",
        "k.yml rule 'k.1': pattern cannot be used: \\p Unicode classes are not supported by Python's re",
        "k.yml rule 2: has no id",
        "missing.toml: no such file",
        "rules.json: rule files are gitleaks configs (.toml) or Kingfisher rules (.yml, .yaml)",
    ):
        assert want in text, text


# --- Kingfisher rule files -------------------------------------------------------------------


def test_kingfisher_rule_files_load_and_agree_with_the_kingfisher_engine_on_every_example(tmp_path):
    kf = pytest.importorskip("kingfisher_sdk", reason="Kingfisher's wheel is not built for this platform")
    yaml = pytest.importorskip("yaml")
    files = sorted(KINGFISHER.glob("*.yml"))
    loaded = load_rule_files(files)
    ours = {d.name.removeprefix("rules:"): d for d in loaded.detectors}
    rules, examples = [], []
    for f in files:
        for r in yaml.safe_load(f.read_text(encoding="utf-8"))["rules"]:
            # the engine is asked about the pattern alone: no entropy floor, no live validation
            rules.append(
                {k: v for k, v in r.items() if k not in ("validation", "depends_on_rule")} | {"min_entropy": 0}
            )
            examples += [(r["id"], e) for e in r.get("examples") or [] if r["id"] in ours]
    catalogue = tmp_path / "all.yml"
    catalogue.write_text(yaml.safe_dump({"rules": rules}), encoding="utf-8")
    engine = kf.Scanner(kf.Rules([str(catalogue)], builtins=False, confidence="low"), base64=False)._native
    agree = missed_by_both = 0
    for rid, example in examples:
        theirs = any(h.rule_id == rid for h in engine.scan_bytes(example.encode()))
        mine = ours[rid].pattern.search(example) is not None
        assert theirs == mine, (rid, example[:80])
        agree += 1
        missed_by_both += not mine
    assert agree == len(examples) == 163 and missed_by_both == 0
    # low-confidence rules are left out, as Kingfisher leaves them out by default, and said so
    assert len(loaded.detectors) == 82
    assert len(loaded.notes) == 7 and all("confidence: low" in n for n in loaded.notes)


# --- through forge scrub and ingest ----------------------------------------------------------


def test_forge_scrub_rules_flag_scrubs_an_in_house_key_the_built_ins_miss(tmp_path):
    from typer.testing import CliRunner

    from forge.cli import app

    rules = tmp_path / "acme.toml"
    rules.write_text(ACME, encoding="utf-8")
    session = tmp_path / "in" / "s.jsonl"
    session.parent.mkdir()
    line = {"type": "user", "message": {"role": "user", "content": f"deploy with {TOKEN} now"}}
    session.write_text(json.dumps(line) + "\n", encoding="utf-8")
    runner = CliRunner()
    plain = runner.invoke(app, ["scrub", str(session.parent), "--json"])
    assert plain.exit_code == 0 and json.loads(plain.stdout)["findings"] == 0  # Forge alone misses it
    r = runner.invoke(
        app, ["scrub", str(session.parent), "--out", str(tmp_path / "out"), "--rules", str(rules), "--json"]
    )
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["by_kind"] == {"acme_deploy_key": 1} and report["by_detector"] == {"rules:acme-deploy-key": 1}
    clean = json.loads((tmp_path / "out" / "s.jsonl").read_text(encoding="utf-8"))
    assert clean["message"]["content"] == "deploy with acme_dk_<SECRET:acme_deploy_key> now"
    assert TOKEN not in r.output
    r = runner.invoke(app, ["scrub", str(session.parent), "--rules", str(tmp_path / "nope.toml")])
    said = r.output  # the path whole, however long this machine's temporary folder
    assert r.exit_code != 0 and f"{tmp_path / 'nope.toml'}: no such file" in said and "Traceback" not in said


def test_ingest_scrub_rules_scrub_the_corpus_and_name_it_by_the_rules(forge_home, tmp_path):
    from forge.service import Forge

    rules = tmp_path / "acme.toml"
    rules.write_text(ACME, encoding="utf-8")
    src = tmp_path / "sessions" / "s.jsonl"
    src.parent.mkdir()
    lines = [
        {
            "type": "user",
            "sessionId": "s1",
            "uuid": "u1",
            "timestamp": "2026-09-01T10:00:00Z",
            "message": {"role": "user", "content": f"use {TOKEN} to deploy"},
        },
        {
            "type": "assistant",
            "sessionId": "s1",
            "uuid": "u2",
            "parentUuid": "u1",
            "timestamp": "2026-09-01T10:00:05Z",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Deploying."}]},
        },
    ]
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    forge = Forge()
    art = forge.ingest([src.parent], options={"scrub_rules": [str(rules)], "workers": 1})
    corpus = "".join(p.read_text(encoding="utf-8") for p in art.path.rglob("*.jsonl"))
    assert TOKEN not in corpus and "<SECRET:acme_deploy_key>" in corpus
    plain = forge.ingest([src.parent], options={"workers": 1})
    assert plain.id != art.id
    path_only = tmp_path / "paths.toml"  # a rule that cannot apply is said, not dropped silently
    path_only.write_text("[[rules]]\nid = 'p12'\npath = 'p12$'\n", encoding="utf-8")
    noted = forge.corpus_report(forge.ingest([src.parent], options={"scrub_rules": [str(path_only)], "workers": 1}))
    assert [w["reason"] for w in noted["ingest"]["warnings"] if w["path"] == "scrub_rules"] == [
        f"{path_only} rule 'p12': matches file paths only, which transcripts do not have; left out"
    ]
    rules.write_text(ACME.replace("entropy = 3.0", "entropy = 4.5"), encoding="utf-8")  # same path, new rules
    assert forge.ingest([src.parent], options={"scrub_rules": [str(rules)], "workers": 1}).id != art.id
    with pytest.raises(ConfigError, match="'scrub_rules': .*missing.toml: no such file"):
        forge.ingest([src.parent], options={"scrub_rules": [str(tmp_path / "missing.toml")]})


def test_rule_keywords_run_in_the_engine_pass_and_give_what_the_python_prefilter_gives(tmp_path, monkeypatch):
    pytest.importorskip("kingfisher_sdk", reason="Kingfisher's wheel is not built for this platform")
    rules = tmp_path / "punct.toml"
    odd = r"""
[[rules]]
id = "odd-keywords"
regex = '''z\.k-(\w{12})'''
keywords = ["z.k-", "a b'c", "\\x"]
"""
    rules.write_text(ACME + odd, encoding="utf-8")
    texts = [
        f"key {TOKEN}",
        "Z.K-abcdefghijkl and z.k-mnopqrstuvwx",
        "nothing here",
        "acme_dk_exampleexampleexampleexample12",
    ]
    with_engine = Scrubber(rules=[rules])
    assert with_engine.report()["engine"].startswith("kingfisher")  # the keyword anchors compiled
    monkeypatch.setenv("FORGE_SCRUB_ENGINE", "none")
    without = Scrubber(rules=[rules])
    assert without.report()["engine"].startswith("forge detectors only")
    assert (
        [with_engine.scrub_text(t) for t in texts]
        == [without.scrub_text(t) for t in texts]
        == [
            "key acme_dk_<SECRET:acme_deploy_key>",
            "Z.K-abcdefghijkl and z.k-<SECRET:odd_keywords>",  # the regex is case-sensitive, its keywords not
            "nothing here",
            "acme_dk_exampleexampleexampleexample12",
        ]
    )


def test_without_re2_gitleaks_rules_are_translated_for_python_and_find_the_same(monkeypatch):
    config = GITLEAKS / "config" / "gitleaks.toml"
    line = "pushed with ghp_k3J9xQ2mZ7pL4vN8cW1bY6tR5sD0fH3gA2eK and AKIALALEMEL33243OLIB"
    with_re2 = load_rule_files([config])
    monkeypatch.setitem(__import__("sys").modules, "re2", None)  # as on a platform without its wheel
    translated = load_rule_files([config])
    assert [type(d.pattern).__module__ for d in translated.detectors] == ["re"] * 221
    assert {type(d.pattern).__module__ for d in with_re2.detectors} == {"re2"}
    assert translated.digest != with_re2.digest  # a corpus scrubbed by either says which
    found = {
        name: [(d.name, s) for d in loaded.detectors for s in d.finder(line)]
        for name, loaded in (("re2", with_re2), ("re", translated))
    }
    assert found["re"] == found["re2"] and len(found["re"]) >= 2, found


def test_a_queued_job_keeps_its_rule_files_where_they_were_named(forge_home, tmp_path, monkeypatch):
    from forge.service import Forge, example_sources

    (tmp_path / "acme.toml").write_text(ACME, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a worker runs the job from another folder
    forge = Forge()
    config = {"sources": example_sources(), "name": "polecat", "base_model": "forge/tiny-llama"}
    job = forge.submit_pipeline({**config, "authorization": "gt-1", "ingest": {"scrub_rules": ["acme.toml"]}})
    assert forge.job(job.id).config["ingest"]["scrub_rules"] == [str(tmp_path / "acme.toml")]
    with pytest.raises(ConfigError, match="missing.toml: no such file"):
        forge.submit_pipeline({**config, "authorization": "gt-2", "ingest": {"scrub_rules": ["missing.toml"]}})


def test_rules_scrub_text_with_other_scripts_and_undecodable_bytes(tmp_path):
    rules = tmp_path / "acme.toml"
    rules.write_text(ACME, encoding="utf-8")
    s = only_rules([rules])
    assert s.scrub_text(f"日本語 {TOKEN} é") == "日本語 acme_dk_<SECRET:acme_deploy_key> é"
    # forge scrub carries bytes that are not UTF-8 as lone surrogates (surrogateescape)
    assert s.scrub_text(f"\udcff\udcfe {TOKEN}") == "\udcff\udcfe acme_dk_<SECRET:acme_deploy_key>"
    src = tmp_path / "in" / "raw.log"
    src.parent.mkdir()
    src.write_bytes(b"caf\xe9 " + TOKEN.encode() + b"\n")
    from forge.service import scrub_files

    report = scrub_files(src.parent, tmp_path / "out", rules=[str(rules)])
    assert report["findings"] == 1
    assert (tmp_path / "out" / "raw.log").read_bytes() == b"caf\xe9 acme_dk_<SECRET:acme_deploy_key>\n"


def test_corpus_ingest_scrub_rules_flag(forge_home, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from forge.cli import app

    (tmp_path / "acme.toml").write_text(ACME, encoding="utf-8")
    src = tmp_path / "in" / "s.jsonl"
    src.parent.mkdir()
    lines = [
        {"type": "user", "sessionId": "s1", "uuid": "u1", "message": {"role": "user", "content": f"use {TOKEN}"}},
        {"type": "assistant", "sessionId": "s1", "uuid": "u2", "parentUuid": "u1",
         "message": {"role": "assistant", "content": [{"type": "text", "text": "Done."}]}},
    ]  # fmt: skip
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a relative path, as a user types it
    r = CliRunner().invoke(
        app, ["corpus", "ingest", "in", "--scrub-rules", "acme.toml", "--out", str(tmp_path / "c"), "--json"]
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["scrub"]["by_kind"] == {"acme_deploy_key": 1}
    corpus = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "c").rglob("*.jsonl"))
    assert TOKEN not in corpus and TOKEN not in r.output


def test_a_projects_gitleaks_config_as_most_are_written_loads_and_says_what_it_adds(tmp_path):
    # useDefault plus path allowlists: no rule of its own, so nothing is added, and it says why
    for name in ("honeclaw.gitleaks.toml", "tool-turnkey-migrate.gitleaks.toml"):
        loaded = load_rule_files([GITLEAKS / "wild" / name])
        assert loaded.detectors == [] and len(loaded.notes) == 1 and "useDefault" in loaded.notes[0]
    old = tmp_path / "v7.toml"  # gitleaks 7: rules named by description, file-name rules, whitelists
    old.write_text(
        "[[rules]]\ndescription = \"AWS Manager ID\"\nregex = '''(A3T[A-Z0-9]|AKIA|ASIA)[A-Z0-9]{16}'''\n"
        "[[rules.whitelist]]\nregex = '''AKIAIOSFODNN7EXAMPLE'''\n"
        "[[rules]]\ndescription = \"Files with keys\"\nfile = '''(?i)id_rsa'''\n",
        encoding="utf-8",
    )
    loaded = load_rule_files([old])
    assert [d.name for d in loaded.detectors] == ["rules:aws-manager-id"]
    assert [n.split(": ", 1)[1] for n in loaded.notes] == [
        "no id (a gitleaks 7 rule); named 'aws-manager-id' from its description",
        "[[rules.whitelist]] (gitleaks before 7) is not read, so nothing is let through by it",
        "matches file paths only, which transcripts do not have; left out",
    ]


def test_rule_ids_with_yaml_and_comment_characters_still_anchor_in_the_engine(tmp_path, monkeypatch):
    pytest.importorskip("kingfisher_sdk", reason="Kingfisher's wheel is not built for this platform")
    rules = tmp_path / "ids.toml"
    rules.write_text(
        "[[rules]]\nid = \"my rule #1: x\"\nregex = '''zq_[a-z0-9]{12}'''\nkeywords = [\"zq_\"]\n"
        "[[rules]]\nid = \"it's\"\nregex = '''yq_[a-z0-9]{12}'''\nkeywords = [\"yq_\"]\n"
        "[[rules]]\nid = \"a\\tb\"\nregex = '''xq_[a-z0-9]{12}'''\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"its id 'a\\tb' holds a control character"):
        load_rule_files([rules])
    rules.write_text(rules.read_text(encoding="utf-8").split('[[rules]]\nid = "a')[0], encoding="utf-8")
    text = "a zq_abcdef123456 b yq_abcdef123456"
    with_engine = Scrubber(rules=[rules]).scrub_text(text)
    monkeypatch.setenv("FORGE_SCRUB_ENGINE", "none")
    assert with_engine == Scrubber(rules=[rules]).scrub_text(text) == "a <SECRET:my_rule_1_x> b <SECRET:it_s>"


def test_one_id_with_two_patterns_in_two_files_runs_both():
    # Kingfisher's own catalogue gives kingfisher.fullstory.1 two patterns in two files
    clash = sorted((KINGFISHER / "clash").glob("*.yml"))
    loaded = load_rule_files(clash)
    assert [d.name for d in loaded.detectors] == ["rules:kingfisher.fullstory.1", "rules:kingfisher.fullstory.1#2"]
    assert loaded.notes == [
        f"{clash[1]}: rule 'kingfisher.fullstory.1' is also in {clash[0]} with another pattern; both run"
    ]
    s = Scrubber(detectors=[], rules=clash)
    yaml = pytest.importorskip("yaml")
    for f in clash:
        for example in yaml.safe_load(f.read_text(encoding="utf-8"))["rules"][0]["examples"]:
            assert "<SECRET:kingfisher_fullstory_1>" in s.scrub_text(example), (f.name, example[:40])
    assert load_rule_files(clash[:1] * 2).notes[0].endswith("repeats the one in " + str(clash[0]) + "; used once")


def test_a_folder_of_rule_files_stands_for_the_rule_files_in_it(tmp_path):
    files = sorted([*KINGFISHER.glob("*.yml"), *KINGFISHER.glob("*.yaml")])
    by_folder = load_rule_files([KINGFISHER])  # (LICENSE and the clash/ folder beside them are not rules)
    assert [d.name for d in by_folder.detectors] == [d.name for d in load_rule_files(files).detectors]
    assert by_folder.digest == load_rule_files(files).digest
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="a folder with no rule file"):
        load_rule_files([tmp_path / "empty"])


def test_a_line_target_allowlist_sees_one_line_of_a_tool_output_not_the_whole_record(tmp_path):
    rules = tmp_path / "line.toml"
    rules.write_text(
        ACME.replace('stopwords = ["example"]', "regexTarget = \"line\"\nregexes = ['''(?i)fixture''']"),
        encoding="utf-8",
    )
    s = only_rules([rules])
    # one line says "fixture"; the token is on another line of the same tool output
    record = json.dumps({"content": f"tests/fixture.txt\nexport KEY={TOKEN}\n"})
    assert TOKEN not in s.scrub_text(record)
    assert TOKEN in s.scrub_text(json.dumps({"content": f"fixture: {TOKEN}\n"}))  # the same line: allowed
    assert TOKEN not in s.scrub_text(f"fixture\n{TOKEN}")
