"""The MCP server driven by the official SDK's own client, over stdio and over streamable HTTP.

`forge mcp` runs as a real subprocess; the client initialises the environment, starts a real
tiny pipeline with initiate_model_forge (tiny local base pretrained for 20 steps, a few
training steps, gate 0 so a barely-trained model passes — as in test_pipeline.py), polls
get_forge_job_status to TESTS_PASSED, and checks publish is refused before that.

Publishing after TESTS_PASSED goes to tests/local_hub.py, a LOCAL STAND-IN for the Hugging
Face Hub (an HTTP server on 127.0.0.1 speaking the endpoints huggingface_hub uses), set
through HF_ENDPOINT in the server's environment — not the real Hub, which is unreachable here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from helpers import free_port
from local_hub import LocalHub

pytestmark = pytest.mark.slow

SEED_TOOLS = {
    "initialize_forge_environment",
    "check_resource_availability",
    "initiate_model_forge",
    "get_forge_job_status",
    "package_and_deploy_artifact",
    "run_inference_test",
    "publish_to_registry",
    "retrieve_registry_artifact",
}
JOB = {
    "forge_id": "polecat",
    "base_model": "forge/tiny-llama",
    "authorization_task_id": "gt-mcp1",
    "hyperparameters": {"max_steps": 4, "logging_steps": 1},
    "dataset_config": {"gate": 0.0, "require_improvement": False, "evaluate": {"max_prompts": 4, "max_new_tokens": 16}},
}
TIMEOUT_S = 900


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("mcp-home")
    # remote callers publish only where the owner allows (private by default)
    (home / "registry.toml").write_text('[publish]\nallowed = ["gastown/*"]\n')
    return home


@pytest.fixture(scope="module")
def hub():
    with LocalHub() as h:
        yield h


def _env(home: Path, hub: LocalHub) -> dict[str, str]:
    return {
        **os.environ,
        "FORGE_HOME": str(home),
        "FORGE_TINY_PRETRAIN_STEPS": "20",
        "HF_ENDPOINT": hub.url,
        "HF_HUB_DISABLE_XET": "1",
        "FORGE_WORKER_IDLE_EXIT": "5",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
    }


async def _call(client: Client, name: str, args: dict) -> dict:
    r = await client.call_tool(name, args)
    assert not r.is_error, r.content[0].text
    return r.structured_content


async def _error(client: Client, name: str, args: dict) -> str:
    r = await client.call_tool(name, args)
    assert r.is_error, r.structured_content
    return r.content[0].text


async def _forge_to_tests_passed(client: Client) -> dict:
    names = {t.name for t in (await client.list_tools()).tools}
    assert names >= SEED_TOOLS and {"ingest_corpus", "build_dataset", "evaluate_model", "list_models"} <= names
    env = await _call(client, "initialize_forge_environment", {"allow_cpu": True})
    assert env["state"] == "ACTIVE", env
    started = await _call(client, "initiate_model_forge", JOB)
    job_id = started["job_id"]
    # sequencing: publish is refused while the job has not passed its tests
    msg = await _error(client, "publish_to_registry", {"job_id": job_id, "repo_name": "gastown/polecat"})
    assert "refused" in msg and "publishing needs TESTS_PASSED" in msg
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        status = await _call(client, "get_forge_job_status", {"job_id": job_id})
        if status["settled"] or time.monotonic() > deadline:
            break
        await anyio.sleep(2)
    assert status["state"] == "TESTS_PASSED", status["error"]
    assert [t["to"] for t in status["transitions"]] == [
        "QUEUED",
        "RUNNING",
        "COMPLETED_SUCCESS",
        "PACKAGING_COMPLETE",
        "TESTS_PASSED",
    ]
    assert status["transitions"][0]["reason"] == "created; authorized by gt-mcp1"
    return status


def test_stdio_job_to_tests_passed_then_publish_and_retrieve(home, hub):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "forge.cli", "mcp", "--in-process"], env=_env(home, hub)
    )

    async def main():
        async with Client(params, read_timeout_seconds=300) as client:
            status = await _forge_to_tests_passed(client)
            model = status["result"]["model"]
            shown = await _call(client, "show_model", {"name": model})
            assert shown["lineage"]["adapter"] == status["result"]["stages"]["adapter"]["id"]
            msg = await _error(client, "deploy_model", {"name": model, "target": "polecat"})
            assert "rollout order" in msg
            pub = await _call(
                client,
                "publish_to_registry",
                {"job_id": status["job_id"], "repo_name": "gastown/polecat", "private": True},
            )
            assert pub["model"] == model and hub.state.repos["gastown/polecat"]["private"]
            after = await _call(client, "get_forge_job_status", {"job_id": status["job_id"]})
            assert after["state"] == "PUBLISHED"
            got = await _call(client, "retrieve_registry_artifact", {"repo_name": "gastown/polecat"})
            assert got["verified"] and got["files"] >= 5
            pkg = await _call(
                client,
                "package_and_deploy_artifact",
                {"job_id": status["job_id"], "quantization": "f16", "parity": False},
            )
            assert pkg["file"] == "model-f16.gguf" and len(pkg["sha256"]) == 64
            examples = Path(__file__).resolve().parents[2] / "examples"
            corpus = await _call(
                client, "ingest_corpus", {"sources": [str(examples / "sessions"), str(examples / "beads")]}
            )
            assert corpus["corpus_id"] == status["result"]["stages"]["corpus"]["id"]  # same inputs, same artifact
            built = await _call(client, "build_dataset", {"corpus_id": corpus["corpus_id"]})
            assert built["stats"]["sft"]["train"] > 0
            scored = await _call(
                client,
                "evaluate_model",
                {
                    "model": model,
                    "dataset_id": status["result"]["stages"]["dataset"]["id"],
                    "options": {"max_prompts": 4, "max_new_tokens": 16},
                },
            )
            assert scored["score"] == status["result"]["eval_score"]  # same model, prompts, greedy decoding
            reply = await _call(
                client,
                "run_inference_test",
                {"model_path": model, "test_prompts": ["Close bead gt-1"], "max_new_tokens": 8},
            )
            assert len(reply["results"]) == 1 and isinstance(reply["results"][0]["reply"], str)
            via_gguf = await _call(
                client,
                "run_inference_test",
                {"model_path": model, "mode": "gguf", "test_prompts": ["Close bead gt-1"], "max_new_tokens": 8},
            )
            # llama.cpp on the F16 GGUF decodes the same greedy tokens as transformers
            assert via_gguf["path"].endswith(".gguf")
            assert via_gguf["results"][0]["reply"] == reply["results"][0]["reply"]

    anyio.run(main)


def test_http_job_to_tests_passed_through_a_worker(home, hub):
    """Same flow over streamable HTTP; the job runs in a `forge worker` the server starts (it
    exits on its own 5 s after the queue empties). Shares the stdio test's FORGE_HOME, so the
    stages find their artifacts and the second job mostly reuses them."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "forge.cli", "mcp", "--http", f"127.0.0.1:{port}"],
        env=_env(home, hub),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "MCP HTTP server did not start"
                time.sleep(0.3)

        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        from forge.service import Forge
        from forge.settings import load_settings

        token = Forge(load_settings(home)).create_token("mcp-http-test", "write", actor="pytest")["token"]

        async def main():
            http = httpx2.AsyncClient(
                headers={"Authorization": f"Bearer {token}"},  # writes need a token
                timeout=httpx2.Timeout(30, read=300),
            )
            async with (
                http,
                Client(
                    streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http), read_timeout_seconds=300
                ) as client,
            ):
                status = await _forge_to_tests_passed(client)
                assert status["result"]["model"].startswith("polecat-v")
                models = await _call(client, "list_models", {})
                assert {m["name"] for m in models["models"]} >= {status["result"]["model"]}
                # a network caller's rule files come from the folders its sources may, no others
                sessions = str(Path(__file__).resolve().parents[2] / "examples" / "sessions")
                msg = await _error(
                    client, "ingest_corpus", {"sources": [sessions], "options": {"scrub_rules": ["/etc/x.toml"]}}
                )
                assert "outside the folders" in msg

        anyio.run(main)
    finally:
        server.terminate()
        server.wait(timeout=30)
        _wait_for_workers_to_exit(home)


def _wait_for_workers_to_exit(home: Path, timeout_s: float = 60) -> None:
    """The worker the server started must not outlive the test."""
    from forge.jobs import presence
    from forge.service import Forge
    from forge.settings import load_settings

    forge = Forge(load_settings(home))
    deadline = time.monotonic() + timeout_s
    while presence.live(forge.engine, within_seconds=10) and time.monotonic() < deadline:
        time.sleep(1)
    assert not presence.live(forge.engine, within_seconds=10), "a forge worker is still running"
