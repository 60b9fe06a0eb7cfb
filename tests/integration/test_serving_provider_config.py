"""`forge model provider-config TARGET --engine ...`: the printed launch commands work. The hf
and llama.cpp commands are started as printed (real subprocesses, real registry, the tiny
tool-calling model of serving_models.py) and answer the openai client. vLLM cannot be
installed here (CUDA wheels, no GPU): its command is checked against vLLM's own `vllm serve`
flags, restated below as argparse (vllm/engine/arg_utils.py and
vllm/entrypoints/openai/cli_args.py: --served-model-name, --enable-lora, --lora-modules
name=path, --max-lora-rank and its choices)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forge.artifacts import artifact_id
from forge.cli import app
from helpers import free_port, llama_cpp_or_skip
from serving_models import ASK, TOOLS, tool_model_and_adapters

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """rigbot-v1 (the tool model as a merged-model artifact, with a GGUF export) deployed to
    the rig `rig1`, with the task adapter bead-create registered for it."""
    from forge.registry.api import adapters, deployments
    from forge.service import Forge
    from forge.settings import Settings

    model, task_adapters = tool_model_and_adapters()
    home = tmp_path_factory.mktemp("home")
    forge = Forge(Settings(home=home).ensure())
    with forge.store.staged("merged_model") as staging:
        for f in model.iterdir():
            if f.is_file():
                shutil.copy(f, staging / f.name)
        merged = forge.store.commit(
            staging, kind="merged_model", aid=artifact_id("merged_model", {"t": "rigbot"}, []), config={}, inputs=[]
        )
    with forge.store.staged("adapter") as staging:
        for f in task_adapters["bead-create"].iterdir():
            shutil.copy(f, staging / f.name)
        adapter = forge.store.commit(
            staging, kind="adapter", aid=artifact_id("adapter", {"t": "bead-create"}, []), config={}, inputs=[]
        )
    forge.registry.register(
        name="rigbot",
        role=None,
        base=str(model),
        eval_score=0.9,
        base_eval_score=0.1,
        lineage={"merged_model": merged.id},
        hyperparameters={},
        details={"merged_path": str(merged.path)},
    )
    adapters(forge).register("bead-create", task="bead create", artifact_id=adapter.id, compatible_with=["rigbot-v1"])
    deployments(forge).deploy("rigbot-v1", "rig1", actor="t")
    return forge, home, forge.create_token("gastown", "read", actor="t")["token"]


def _config(home: Path, engine: str, port: int) -> dict:
    os.environ["FORGE_HOME"] = str(home)  # CliRunner runs in this process
    try:
        r = CliRunner().invoke(app, ["model", "provider-config", "rig1", "--engine", engine, "--port", str(port)])
    finally:
        del os.environ["FORGE_HOME"]
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _start(cfg: dict, home: Path, token: str):
    run = cfg["launch"]
    forge_bin = Path(sys.executable).parent / run["command"]
    proc = subprocess.Popen(
        [str(forge_bin), *run["args"]],
        env={**os.environ, "FORGE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    from openai import OpenAI

    client = OpenAI(base_url=run["base_url"], api_key=token, max_retries=0)  # bearer auth
    from openai import APIConnectionError

    try:
        for _ in range(240):
            try:
                client.models.list()
                return proc, client
            except APIConnectionError:  # not listening yet
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read()) from None
                time.sleep(0.5)
        raise AssertionError("the printed command did not start serving in 120 s")
    except BaseException:
        proc.terminate()  # never leave a server behind
        proc.wait(timeout=20)
        raise


def test_printed_hf_command_starts_and_serves_the_adapters(deployed):
    _forge, home, token = deployed
    cfg = _config(home, "hf", free_port())
    assert cfg["launch"]["shell"].startswith("forge serve --engine hf --model rigbot-v1 --adapters bead-create")
    agent = cfg["agents"]["forge-rig1"]
    assert agent["base_url"] == cfg["launch"]["base_url"] and agent["model"] == "rigbot-v1"
    proc, client = _start(cfg, home, token)
    try:
        assert [m.id for m in client.models.list()] == cfg["launch"]["models"] == ["rigbot-v1", "rigbot-v1+bead-create"]
        out = client.chat.completions.create(model="rigbot-v1+bead-create", messages=ASK, tools=TOOLS, max_tokens=48)
        assert json.loads(out.choices[0].message.tool_calls[0].function.arguments) == {"title": "Fix login page"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_printed_llama_cpp_command_serves_the_gguf_export(deployed):
    llama_cpp_or_skip()
    forge, home, token = deployed
    forge.export("rigbot-v1", fmt="gguf", quant="f32", parity=False)
    cfg = _config(home, "llama.cpp", free_port())
    assert cfg["launch"]["args"][:4] == ["serve", "--engine", "llama.cpp", "--model"]
    assert cfg["launch"]["args"][4].endswith(".gguf") and "--adapters" in cfg["launch"]["args"]
    proc, client = _start(cfg, home, token)
    try:
        assert [m.id for m in client.models.list()] == ["rigbot-v1", "rigbot-v1+bead-create"]
        for model, title in (("rigbot-v1", "Fix login"), ("rigbot-v1+bead-create", "Fix login page")):
            stream = client.chat.completions.create(model=model, messages=ASK, tools=TOOLS, max_tokens=48, stream=True)
            calls = [tc for c in stream for ch in c.choices for tc in (ch.delta.tool_calls or [])]
            assert calls[0].function.name == "bd_create"
            assert json.loads("".join(tc.function.arguments or "" for tc in calls)) == {"title": title}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def _vllm_serve_parser() -> argparse.ArgumentParser:
    """The `vllm serve` flags Forge emits, as vLLM declares them."""
    p = argparse.ArgumentParser(prog="vllm serve", exit_on_error=False)
    p.add_argument("model_tag")
    p.add_argument("--served-model-name", nargs="+")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--enable-lora", action="store_true")
    p.add_argument("--lora-modules", nargs="+", default=None)
    p.add_argument("--max-lora-rank", type=int, choices=[1, 8, 16, 32, 64, 128, 256, 320, 512], default=16)
    return p


def test_printed_vllm_command_parses_with_vllms_flags(deployed):
    _forge, home, _token = deployed
    cfg = _config(home, "vllm", 8123)
    assert cfg["launch"]["command"] == "vllm" and cfg["launch"]["args"][0] == "serve"
    args = _vllm_serve_parser().parse_args(cfg["launch"]["args"][1:])
    assert (Path(args.model_tag) / "config.json").is_file()  # the merged role model
    assert args.served_model_name == ["rigbot-v1"] and args.port == 8123 and args.enable_lora
    modules = dict(m.split("=", 1) for m in args.lora_modules)
    assert list(modules) == ["rigbot-v1+bead-create"]
    rank = json.loads((Path(modules["rigbot-v1+bead-create"]) / "adapter_config.json").read_text())["r"]
    assert args.max_lora_rank >= rank
    assert cfg["launch"]["base_url"] == "http://127.0.0.1:8123/v1"


def test_ollama_entry_exports_then_serves(deployed):
    _forge, home, _token = deployed
    cfg = _config(home, "ollama", 8000)
    assert cfg["launch"]["prepare"] == [["forge", "export", "rigbot-v1", "--format", "ollama", "--name", "rigbot-v1"]]
    assert cfg["launch"]["shell"] == "ollama serve" and cfg["launch"]["base_url"] == "http://127.0.0.1:11434/v1"
    assert cfg["agents"]["forge-rig1"]["model"] == "rigbot-v1"


def test_serving_a_target_follows_deploy_and_rollback(deployed):
    """`forge serve --target rig1` serves what rig1 runs under the name rig1; deploying
    another version (and rolling back) swaps the served model without a restart."""
    import threading

    import torch
    from openai import OpenAI
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from forge.api.limits import Guard
    from forge.registry.api import deployments

    forge, _, _ = deployed
    model, task_adapters = tool_model_and_adapters()
    with forge.store.staged("merged_model") as staging:  # v2: v1 with the bead-create adapter merged in
        merged = PeftModel.from_pretrained(
            AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32), str(task_adapters["bead-create"])
        ).merge_and_unload()
        merged.save_pretrained(staging)
        for f in model.iterdir():
            if f.is_file() and not (staging / f.name).exists():
                shutil.copy(f, staging / f.name)
        v2 = forge.store.commit(
            staging, kind="merged_model", aid=artifact_id("merged_model", {"t": "rigbot-v2"}, []), config={}, inputs=[]
        )
    forge.registry.register(
        name="rigbot",
        role=None,
        base=str(model),
        eval_score=0.9,
        base_eval_score=0.1,
        lineage={"merged_model": v2.id},
        hyperparameters={},
        details={"merged_path": str(v2.path)},
    )
    server = forge.serve_app(
        forge.deployed_model("rig1"), engine="hf", port=0, guard=Guard(), follow="rig1", follow_seconds=0.1
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="local", max_retries=0)

    def title():
        out = client.chat.completions.create(model="rig1", messages=ASK, tools=TOOLS, max_tokens=48)
        return json.loads(out.choices[0].message.tool_calls[0].function.arguments)["title"]

    def title_after(change):
        engine = server.router.engine
        change()
        for _ in range(600):  # the follower loads the new version, then swaps
            if server.router.engine is not engine:
                break
            time.sleep(0.1)
        return title()

    try:
        assert [m.id for m in client.models.list()] == ["rig1"]
        assert title() == "Fix login"
        assert title_after(lambda: deployments(forge).deploy("rigbot-v2", "rig1", actor="t")) == "Fix login page"
        assert title_after(lambda: deployments(forge).rollback("rig1", actor="t")) == "Fix login"
    finally:
        server.stop_following.set()
        server.shutdown()
        server.server_close()
