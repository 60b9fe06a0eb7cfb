"""Recipes: every example validates, problems are listed at once in the recipe's own key names,
profiles < recipe < overrides, {{variables}}, and the demo recipe is the demo's own settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from forge.errors import ConfigError, InputError
from forge.recipes import PROFILES, load_recipe
from forge.train.config import TrainConfig

RECIPES = Path(__file__).resolve().parents[2] / "examples" / "recipes"
EXAMPLES = sorted(RECIPES.glob("*.toml"))

GOOD = """
[formula]
name = "t"
[variables]
role = "polecat"
sources = ["{src}"]
authorization = "gt-1"
method = "{method}"
profile = "{profile}"
"""


def write(tmp_path: Path, text: str, name: str = "r.toml") -> Path:
    (tmp_path / "data").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(text)
    return path


def good(tmp_path, extra: str = "", method: str = "sft", profile: str = "fast_dev") -> Path:
    return write(tmp_path, GOOD.format(src="data", method=method, profile=profile) + extra)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_recipe_validates_and_compiles(path):
    from forge.pipeline import PipelineConfig, stage_configs

    r = load_recipe(path)
    assert r.formula.name and r.job_config["authorization"]
    assert all(Path(s).exists() for s in r.job_config["sources"])
    stage_configs(PipelineConfig(**r.job_config))  # the pipeline accepts what the recipe compiles to


def test_examples_cover_the_methods():
    methods = {load_recipe(p).method for p in EXAMPLES}
    assert {"sft", "sft+dpo"} <= methods and len(EXAMPLES) >= 3


def test_demo_recipe_is_the_demo_settings():
    from forge.bundled import example_sources

    r = load_recipe(RECIPES / "demo.toml")
    train = {k: v for k, v in r.job_config["train"].items() if k not in ("method", "dpo")}
    assert TrainConfig(**train) == TrainConfig()  # defaults.py: the demo's tuned values
    assert r.job_config["gate"] == 0.5 and r.method == "sft"  # the default gate, as the README states
    assert r.job_config["base_model"] == "forge/tiny-llama"
    assert sorted(r.job_config["sources"]) == sorted(str(Path(s).resolve()) for s in example_sources())


def test_every_problem_at_once_named_as_written(tmp_path):
    path = good(
        tmp_path,
        """
methd = "dpo"
[steps.train]
lora_rnak = 8
max_steps = "ten"
[steps.dpoo]
beta = 1
[steps.dpo]
beta = -1
[steps.evaluate]
max_prompts = 0
""",
    )
    with pytest.raises(ConfigError) as e:
        load_recipe(path, ["steps.build.min_succes=0.5"])
    msg = str(e.value)
    assert str(path) in msg
    for expected in (
        "'steps.train.lora_rnak': unknown key (did you mean 'steps.train.lora_r'?)",
        "'steps.train.max_steps': expected int, got 'ten'",
        "'steps.dpoo': unknown key (did you mean 'steps.dpo'?)",
        "'steps.dpo.beta': must be positive",
        "'steps.evaluate.max_prompts': must be at least 1",
        "'steps.build.min_succes': unknown key (did you mean 'steps.build.min_success'?)",
        "'variables.methd'",
    ):
        assert expected in msg, (expected, msg)
    assert len(e.value.problems) == 7


def test_cross_field_problem_of_a_stage_names_the_recipe_key(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_recipe(good(tmp_path, "[steps.train]\nlora_r = 0\n"))
    assert e.value.problems == ["'steps.train.lora_r': must be at least 1, got 0"]


def test_old_lora_rank_key_still_works_and_says_its_new_name(tmp_path):
    path = good(tmp_path, "[steps.train]\nlora_rank = 4\n")
    with pytest.warns(FutureWarning, match=r"'steps.train.lora_rank' is deprecated: rename it 'steps.train.lora_r'"):
        assert load_recipe(path).job_config["train"]["lora_r"] == 4
    with pytest.raises(ConfigError) as e:  # both names: which one is meant is unclear
        load_recipe(good(tmp_path, "[steps.train]\nlora_rank = 4\nlora_r = 8\n"))
    assert e.value.problems == ["'steps.train.lora_rank': the old name of 'steps.train.lora_r'; set only lora_r"]


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, '[formula]\nname = "x"\n[variables\nrole = "a"\n')
    with pytest.raises(InputError) as e:
        load_recipe(path)
    assert str(e.value).startswith(f"{path}:3: TOML syntax error")


def test_missing_required_variables_and_sources(tmp_path):
    path = write(tmp_path, '[formula]\nname = "x"\n[variables]\nsources = ["nowhere"]\n')
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    msg = str(e.value)
    assert "'variables.role': required key is missing" in msg
    assert "'variables.authorization': required key is missing" in msg


def test_missing_source_folder_is_reported(tmp_path):
    path = write(tmp_path, GOOD.format(src="nope", method="sft", profile="fast_dev"))
    with pytest.raises(ConfigError, match="'variables.sources': no such file or folder: nope"):
        load_recipe(path)


def test_profile_then_recipe_then_override(tmp_path):
    path = good(tmp_path, "[steps.train]\nlora_alpha = 7\n")
    train = load_recipe(path).job_config["train"]
    assert train["lora_r"] == PROFILES["fast_dev"]["train"]["lora_r"] and train["lora_alpha"] == 7
    train = load_recipe(path, ["variables.profile=max_quality", "steps.train.lora_alpha=9"]).job_config["train"]
    assert train["lora_r"] == 128 and train["lora_alpha"] == 9 and train["epochs"] == 3.0


def test_max_steps_in_the_recipe_wins_over_profile_epochs(tmp_path):
    path = good(tmp_path, profile="balanced")
    assert load_recipe(path).job_config["train"]["epochs"] == 1.0
    train = load_recipe(path, ["steps.train.max_steps=20"]).job_config["train"]
    assert train["max_steps"] == 20 and "epochs" not in train


def test_dpo_settings_only_travel_with_a_dpo_method(tmp_path):
    assert load_recipe(good(tmp_path, "[steps.dpo]\nbeta = 0.3\n")).job_config["train"]["dpo"] == {}
    r = load_recipe(good(tmp_path, "[steps.dpo]\nbeta = 0.3\n", method="sft+dpo"))
    assert r.job_config["train"]["method"] == "sft+dpo" and r.job_config["train"]["dpo"]["beta"] == 0.3
    with pytest.raises(ConfigError, match="'steps.build.dpo': method dpo trains on DPO rows"):
        load_recipe(good(tmp_path, "[steps.build]\ndpo = false\n", method="dpo"))


def test_variables_substitute_with_their_types(tmp_path):
    path = good(
        tmp_path,
        """rank = { type = "int", default = 32 }
name = "{{role}}-r{{rank}}"
[steps.train]
lora_r = "{{rank}}"
[steps.build]
roles = ["{{role}}"]
""",
    )
    r = load_recipe(path)
    assert r.job_config["train"]["lora_r"] == 32 and r.job_config["name"] == "polecat-r32"
    assert r.job_config["build"]["roles"] == ["polecat"]
    assert load_recipe(path, ["variables.rank=8"]).job_config["train"]["lora_r"] == 8
    with pytest.raises(ConfigError, match=r"'variables.rank': expected int, got 'x'"):
        load_recipe(path, ["variables.rank='x'"])


def test_unknown_variable_reference_and_value_lists(tmp_path):
    path = good(
        tmp_path,
        'kind = { type = "string", values = ["a", "b"], default = "c" }\n'
        '[steps.build]\nroles = ["{{rol}}", "{{kind}}"]\n',
    )
    with pytest.raises(ConfigError) as e:
        load_recipe(path)
    msg = str(e.value)
    assert "'steps.build.roles': unknown variable {{rol}} (did you mean {{role}}?)" in msg
    assert "'variables.kind': must be one of a, b, got 'c'" in msg


def test_bad_override_syntax(tmp_path):
    with pytest.raises(ConfigError, match="expected key=value"):
        load_recipe(good(tmp_path), ["steps.train.max_steps"])


def test_recipe_check_cli_json_and_errors(tmp_path):
    import json

    from typer.testing import CliRunner

    from forge.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["recipe", "check", str(RECIPES / "witness-sft-dpo.toml"), "steps.dpo.beta=0.25", "--json"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["job"]["train"]["method"] == "sft+dpo" and out["job"]["train"]["dpo"]["beta"] == 0.25
    bad = good(tmp_path, "[steps.train]\nlora_rnak = 8\n")
    res = runner.invoke(app, ["recipe", "check", str(bad)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "did you mean 'steps.train.lora_r'" in res.output
    res = runner.invoke(app, ["train", str(bad), "--nproc", "2"])
    assert res.exit_code == 1 and "steps.train.lora_rnak" in res.output


def test_train_nproc_option_is_an_override(tmp_path):
    from forge.cli.pipeline import _load

    assert _load(good(tmp_path), [], nproc=2).job_config["train"]["nproc"] == 2


def test_override_inside_a_value_and_bad_model_name(tmp_path):
    with pytest.raises(ConfigError, match="not a table"):
        load_recipe(good(tmp_path), ["variables.role.x=1"])
    with pytest.raises(ConfigError, match="'variables.name': the model is registered under it"):
        load_recipe(good(tmp_path), ["variables.name='polecat v2'"])


def test_method_and_dpo_have_their_own_places(tmp_path):
    with pytest.raises(ConfigError) as e:
        load_recipe(good(tmp_path, "[steps.train]\nmethod = 'dpo'\ndpo = { beta = 0.1 }\n"))
    assert e.value.problems == [
        "'steps.train.method': set it in [variables] (method = ...)",
        "'steps.train.dpo': give DPO settings a [steps.dpo] table",
    ]


def test_scrub_rule_files_are_found_beside_the_recipe(tmp_path, monkeypatch):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "acme.toml").write_text("[[rules]]\nid = 'acme'\nregex = '''acme_[a-z0-9]{16}'''\n")
    path = good(tmp_path, '[steps.ingest]\nscrub_rules = ["rules/acme.toml"]\n')
    monkeypatch.chdir(tmp_path / "data")  # not where the recipe is
    r = load_recipe(path)
    assert r.job_config["ingest"]["scrub_rules"] == [str(tmp_path / "rules" / "acme.toml")]
    with pytest.raises(ConfigError, match=r"'steps.ingest.scrub_rules': .*nope\.toml: no such file"):
        load_recipe(good(tmp_path, '[steps.ingest]\nscrub_rules = ["rules/nope.toml"]\n'))
