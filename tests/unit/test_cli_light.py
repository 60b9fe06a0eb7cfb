import json
import subprocess
import sys

import pytest


def test_help_does_not_import_torch():
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom forge.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output\n"
        "print([m for m in ('torch', 'transformers', 'trl', 'peft', 'datasets') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_job_and_model_lists_are_json_and_empty_on_fresh_home(forge_home):
    from typer.testing import CliRunner

    from forge.cli import app

    runner = CliRunner()
    for args in (["job", "list", "--json"], ["model", "list", "--json"]):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output) == []


def test_unknown_model_is_a_clear_error_not_a_traceback(forge_home):
    from typer.testing import CliRunner

    from forge.cli import app

    r = CliRunner().invoke(app, ["model", "show", "nope"])
    assert r.exit_code == 1
    assert "no model 'nope'" in r.output and "Traceback" not in r.output


def test_an_error_keeps_a_long_path_whole_on_one_line(forge_home, tmp_path):
    """The console does not fold messages at the terminal's width (CliRunner's is 80): a path
    longer than a line stays whole, whatever the temporary folder's length on this machine."""
    from typer.testing import CliRunner

    from forge.cli import app

    missing = tmp_path / ("a-folder-with-a-long-name-" * 4) / "sessions-that-are-not-there.jsonl"
    r = CliRunner().invoke(app, ["scrub", str(missing)])
    assert r.exit_code == 1 and len(str(missing)) > 120
    line = next(x for x in r.output.splitlines() if "error:" in x)
    assert str(missing) in line and "no such file or folder" in line


def test_a_bad_stage_key_is_refused_at_submit_naming_the_key(forge_home):
    from forge.errors import ConfigError
    from forge.service import Forge

    forge = Forge()
    with pytest.raises(ConfigError, match=r"'train.max_stpes': unknown key \(did you mean 'train.max_steps'\?\)"):
        forge.submit_pipeline({"sources": ["x"], "train": {"max_stpes": 3}})
    assert forge.jobs.list() == []  # no job was created


def test_model_aliases_lists_every_alias_the_base_resolver_accepts():
    from typer.testing import CliRunner

    from forge.cli import app
    from forge.models.aliases import lookup

    r = CliRunner().invoke(app, ["model", "aliases", "--json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {"qwen2.5-coder-7b", "qwen3-8b", "llama-3.1-8b", "deepseek-r1-distill-qwen-7b"} <= {x["alias"] for x in rows}
    for row in rows:
        assert lookup(row["alias"]).hub_id == row["hub_id"]
