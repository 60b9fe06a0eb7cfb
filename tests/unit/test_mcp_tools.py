"""MCP tools in-process (mcp.Client on the server object): schemas, clear errors, the
publish/packaging sequencing rules and the registry tools. No model runs here; the subprocess
stdio/HTTP tests in tests/integration/test_mcp_server.py run a real job."""

from __future__ import annotations

import anyio
from mcp import Client

from forge.mcp_server import build_server


def _run(fn):
    return anyio.run(fn)


def _register(forge, name, job_id=None):
    return forge.registry.register(
        name=name,
        role=name,
        base="b",
        eval_score=0.9,
        base_eval_score=0.1,
        lineage={},
        hyperparameters={},
        details={},
        job_id=job_id,
    )


def test_seed_tools_have_typed_inputs(forge):
    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            tools = {t.name: t for t in (await c.list_tools()).tools}
            init = tools["initiate_model_forge"].input_schema
            assert init["required"] == ["forge_id", "base_model", "authorization_task_id"]
            assert init["properties"]["hyperparameters"]["anyOf"][0]["type"] == "object"
            quant = tools["package_and_deploy_artifact"].input_schema["properties"]["quantization"]
            assert quant["enum"] == ["f16", "bf16", "q8_0", "q4_k_m"]
            r = await c.call_tool("package_and_deploy_artifact", {"job_id": "j", "quantization": "q2"})
            assert r.is_error and "quantization" in r.content[0].text

    _run(main)


def test_errors_are_clear_and_jobs_refuse_before_env_init(forge):
    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            r = await c.call_tool("get_forge_job_status", {"job_id": "job-nope"})
            assert r.is_error and "no job 'job-nope'" in r.content[0].text and "hint:" in r.content[0].text
            args = {"forge_id": "p", "base_model": "forge/tiny-llama", "authorization_task_id": "gt-1"}
            r = await c.call_tool("initiate_model_forge", args)
            assert r.is_error and "INACTIVE_UNSAFE" in r.content[0].text
            env = await c.call_tool("initialize_forge_environment", {"allow_cpu": True})
            assert env.structured_content["state"] == "ACTIVE"
            r = await c.call_tool("initiate_model_forge", {**args, "hyperparameters": {"max_stpes": 3}})
            assert (
                r.is_error and "'train.max_stpes': unknown key (did you mean 'train.max_steps'?)" in r.content[0].text
            )
            r = await c.call_tool("initiate_model_forge", {**args, "dataset_config": {"sorces": ["x"]}})
            assert r.is_error and "'dataset_config.sorces': unknown key" in r.content[0].text
            r = await c.call_tool("initiate_model_forge", {**args, "authorization_task_id": " "})
            assert r.is_error and "authorization" in r.content[0].text
            assert forge.jobs.list() == []  # nothing was queued by any refused call

    _run(main)


def test_publish_and_packaging_refused_before_their_states(forge, forge_home):
    (forge_home / "registry.toml").write_text('[publish]\nallowed = ["org/*"]\n')
    job = forge.jobs.create("pipeline", {"sources": ["x"]}, authorization="gt-2", actor="t")
    _register(forge, "polecat", job.id)

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "org/polecat"})
            assert r.is_error and f"refused: job {job.id} is QUEUED; publishing needs TESTS_PASSED" in r.content[0].text
            r = await c.call_tool("package_and_deploy_artifact", {"job_id": job.id})
            assert r.is_error and "packaging needs a merged model" in r.content[0].text

    _run(main)
    assert forge.jobs.get(job.id).state.value == "QUEUED"


def test_publish_goes_only_to_configured_repos_and_private_by_default(forge, forge_home):
    job = forge.jobs.create("pipeline", {"sources": ["x"]}, authorization="gt-3", actor="t")
    _register(forge, "polecat", job.id)

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            schema = {t.name: t for t in (await c.list_tools()).tools}["publish_to_registry"].input_schema
            assert schema["properties"]["private"]["default"] is True
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "org/polecat"})
            assert r.is_error and "not allowed for remote callers (allowed: none configured)" in r.content[0].text
            (forge_home / "registry.toml").write_text('[publish]\nallowed = ["gastown/*", "me/polecat"]\n')
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "evil/polecat"})
            assert r.is_error and "'evil/polecat' is not allowed" in r.content[0].text
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "me/other"})
            assert r.is_error and "not allowed" in r.content[0].text
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "gastown/p", "private": False})
            assert r.is_error and "private repositories only" in r.content[0].text
            # an allowed repo reaches the next rule: the job has not passed its tests
            r = await c.call_tool("publish_to_registry", {"job_id": job.id, "repo_name": "me/polecat"})
            assert r.is_error and "publishing needs TESTS_PASSED" in r.content[0].text

    _run(main)


def test_trainer_args_outside_the_allow_list_are_refused(forge):
    forge.init_environment(allow_cpu=True, actor="t")
    args = {"forge_id": "p", "base_model": "forge/tiny-llama", "authorization_task_id": "gt-4"}

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            r = await c.call_tool(
                "initiate_model_forge",
                {
                    **args,
                    "hyperparameters": {
                        "trainer_args": {"push_to_hub": True, "hub_model_id": "evil/x", "optim": "adamw_torch"}
                    },
                },
            )
            text = r.content[0].text
            assert r.is_error and "'trainer_args.push_to_hub': not allowed" in text
            assert "'trainer_args.hub_model_id': not allowed" in text and "trainer_args.optim'" not in text
            r = await c.call_tool("build_dataset", {"corpus_id": "../../etc"})
            assert r.is_error and "is not an artifact id" in r.content[0].text
            assert forge.jobs.list() == []

    _run(main)


def test_registry_tools(forge):
    for role in ("deacon", "boot"):
        _register(forge, role)

    async def main():
        async with Client(build_server(in_process=True, forge=forge)) as c:
            models = (await c.call_tool("list_models", {})).structured_content["models"]
            assert sorted(m["name"] for m in models) == ["boot-v1", "deacon-v1"]
            d = (await c.call_tool("deploy_model", {"name": "deacon", "target": "deacon"})).structured_content
            assert d["model"] == "deacon-v1" and d["actor"] == "mcp"
            cfg = (await c.call_tool("provider_config", {"target": "deacon"})).structured_content
            assert cfg["role_agents"] == {"deacon": "forge-deacon"}
            r = await c.call_tool("rollback_deployment", {"target": "deacon"})
            assert r.is_error and "nothing to roll back to" in r.content[0].text
            shown = (await c.call_tool("show_model", {"name": "deacon-v1"})).structured_content
            assert shown["deployed_to"] == ["deacon"] and shown["status"] == "active"

    _run(main)
