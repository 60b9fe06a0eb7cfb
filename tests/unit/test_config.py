from dataclasses import dataclass, field

import pytest

from forge.config import apply_overrides, parse_config
from forge.errors import ConfigError


@dataclass
class Sample:
    name: str
    steps: int = 10
    lr: float = 1e-3
    targets: list[str] = field(default_factory=list)

    def problems(self):
        return [f"'steps': must be > 0, got {self.steps}"] if self.steps <= 0 else []


def test_parses_and_coerces_int_to_float():
    cfg = parse_config(Sample, {"name": "x", "lr": 1})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float)


def test_reports_every_problem_at_once_naming_keys():
    with pytest.raises(ConfigError) as e:
        parse_config(Sample, {"stpes": 3, "lr": "fast", "targets": [1]}, source="r.toml", prefix="train.")
    msg = str(e.value)
    assert "r.toml" in msg
    assert "'train.stpes': unknown key (did you mean 'train.steps'?)" in msg
    assert "'train.lr': expected float" in msg
    assert "'train.targets'" in msg
    assert "'train.name': required key is missing" in msg
    assert len(e.value.problems) == 4


def test_cross_field_checks_run():
    with pytest.raises(ConfigError, match="'steps': must be > 0"):
        parse_config(Sample, {"name": "x", "steps": 0})


def test_overrides_nest_and_coerce():
    out = apply_overrides(
        {"train": {"lr": 1}}, ["train.max_steps=20", "name=polecat", "train.lr=2e-4", "flags=[1, 2]", "x.y.z=true"]
    )
    assert out == {"train": {"lr": 2e-4, "max_steps": 20}, "name": "polecat", "flags": [1, 2], "x": {"y": {"z": True}}}
