"""trainer_args pass through to TrainingArguments only from an allow-list: how training runs
at scale (sharding, optimiser, compilation), never outputs, logging or the Hub (push_to_hub
would upload before the eval gate). One check in TrainConfig, so a recipe, the CLI, MCP and
the REST API all get it."""

from __future__ import annotations

import shutil

import pytest

from forge.errors import ConfigError
from forge.service import demo_recipe_path, load_recipe, validate_pipeline_config


def test_allowed_trainer_args_pass_and_the_rest_are_named():
    ok = validate_pipeline_config(
        {
            "sources": ["x"],
            "train": {
                "trainer_args": {"optim": "adamw_torch", "fsdp": "full_shard", "max_grad_norm": 0.5, "ddp_timeout": 600}
            },
        }
    )
    assert ok["train"]["trainer_args"]["optim"] == "adamw_torch"
    with pytest.raises(ConfigError) as e:
        validate_pipeline_config(
            {
                "sources": ["x"],
                "train": {
                    "trainer_args": {
                        "push_to_hub": True,
                        "hub_token": "x",
                        "output_dir": "/tmp/elsewhere",
                        "report_to": "wandb",
                        "learning_rate": 1.0,
                        "optim": "adamw_torch",
                    }
                },
            }
        )
    problems = "\n".join(e.value.problems)
    for key in ("push_to_hub", "hub_token", "output_dir", "report_to", "learning_rate"):
        assert f"'trainer_args.{key}': not allowed" in problems
    assert "trainer_args.optim" not in problems


def test_a_recipe_cannot_smuggle_push_to_hub(tmp_path):
    recipe = tmp_path / "recipes" / "demo.toml"
    shutil.copytree(demo_recipe_path().parent.parent, tmp_path, dirs_exist_ok=True)
    text = recipe.read_text() + '\n[steps.train.trainer_args]\npush_to_hub = true\nhub_model_id = "me/leak"\n'
    recipe.write_text(text)
    with pytest.raises(ConfigError, match="'steps.train.trainer_args.push_to_hub': not allowed"):
        load_recipe(recipe)
