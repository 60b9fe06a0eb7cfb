"""`forge mcp`: Forge as an MCP server (official `mcp` SDK), over stdio or streamable HTTP.

The pipeline's eight job tools — initialize_forge_environment, check_resource_availability,
initiate_model_forge, get_forge_job_status, package_and_deploy_artifact, run_inference_test,
publish_to_registry, retrieve_registry_artifact — plus corpus ingest, dataset build, eval and
registry tools. Every tool is thin over the facade (forge.service.Forge): the same calls the
CLI makes. Expected errors (ForgeError) reach the client as a ToolError with the message and
hint; nothing else leaks beyond "Error executing tool".

Long work is asynchronous: initiate_model_forge queues the job and returns its id;
the job runs in a `forge worker` process (started when none runs), or with `--in-process` in
a thread of this server; the client polls get_forge_job_status.

Over HTTP every request passes `McpAuth` first: a bearer token (`forge token create`) is
required off loopback, and a tool that changes anything (queues work, writes artifacts,
deploys, publishes) needs a write token on any bind; reads on loopback may go without one, as
FORGE_HOME/server.toml [auth] says. Bodies are limited ([limits] max_body_bytes), and so are
prompts. Remote callers train only from the folders server.toml [api] source_roots allows.
Publishing (stdio too) goes only to the repos registry.toml [publish] allows, private by default.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

ACTOR = "mcp"
PIPELINE_KEYS = (
    "sources",
    "role",
    "gate",
    "require_improvement",
    "gate_rules",
    "ingest",
    "build",
    "evaluate",
    "export",
)
# Tools that only read. Every other tool — and any tool added later — needs a write token over HTTP.
READ_TOOLS = frozenset(
    {"check_resource_availability", "get_forge_job_status", "list_models", "show_model", "provider_config"}
)


def _tool_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """ForgeError → ToolError (the client sees message and hint); the rest stays generic."""
    from mcp.server.mcpserver.exceptions import ToolError

    from forge.errors import ForgeError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ForgeError as e:
            from forge.service import scrub_text

            raise ToolError(scrub_text(str(e))) from None

    return wrapper


class JobRunner:
    """Starts queued jobs: in a worker process (the default) or in a thread of this server."""

    def __init__(self, forge: Any, in_process: bool):
        self.forge, self.in_process = forge, in_process
        self.threads: dict[str, threading.Thread] = {}

    def start(self, job_id: str) -> dict[str, Any]:
        if not self.in_process:
            return {"runner": "worker", **self.forge.start_worker()}
        t = threading.Thread(target=self._run, args=(job_id,), name=f"forge-{job_id}", daemon=True)
        self.threads[job_id] = t
        t.start()
        return {"runner": "in-process thread"}

    def _run(self, job_id: str) -> None:
        try:
            self.forge.run_job(job_id, actor=ACTOR)
        except BaseException:
            pass


def build_server(*, in_process: bool = False, forge: Any = None, remote: bool = False):
    """The MCP server. `remote`: callers come over the network (HTTP), so the sources they name
    must lie under the folders the server allows."""
    from mcp.server.mcpserver import MCPServer

    from forge import __version__

    state: dict[str, Any] = {"forge": forge}

    def F():  # opened on first use, so FORGE_HOME is read when the server runs
        if state["forge"] is None:
            from forge.service import Forge

            state["forge"] = Forge()
        return state["forge"]

    def runner() -> JobRunner:
        if "runner" not in state:
            state["runner"] = JobRunner(F(), in_process)
        return state["runner"]

    server = MCPServer(
        "forge",
        version=__version__,
        log_level="WARNING",
        instructions=(
            "Forge fine-tunes self-hosted agent models on agent session transcripts. Call "
            "initialize_forge_environment first, then initiate_model_forge, and poll "
            "get_forge_job_status until the job settles (TESTS_PASSED, FAILED or CANCELLED). "
            "Publishing is refused before TESTS_PASSED."
        ),
    )

    def tool(fn: Callable[..., Any]) -> Callable[..., Any]:
        server.add_tool(_tool_errors(fn), name=fn.__name__, description=(fn.__doc__ or "").strip())
        return fn

    # -- the pipeline's job tools ------------------------------------------------------------------
    @tool
    def initialize_forge_environment(
        allow_cpu: Annotated[bool, Field(description="Accept a host without CUDA (tiny models, tests).")] = False,
    ) -> dict[str, Any]:
        """Check accelerator, disk and memory and record them: INACTIVE_UNSAFE → ACTIVE. Jobs refuse
        to start on a host that is not ACTIVE. Must be called first."""
        return _jsonable(F().init_environment(allow_cpu=allow_cpu, actor=ACTOR))

    @tool
    def check_resource_availability(
        base_model: Annotated[str | None, Field(description="Estimate needs for this base model.")] = None,
    ) -> dict[str, Any]:
        """What this host has free (accelerator, disk, memory), its environment state, and — for a
        base model — the estimated needs of a job on it."""
        return F().resources(base_model)

    @tool
    def initiate_model_forge(
        forge_id: Annotated[str, Field(description="Model name to register, e.g. polecat.")],
        base_model: Annotated[str, Field(description="Base model: HF id, local path, or forge/tiny-llama.")],
        authorization_task_id: Annotated[str, Field(description="The bead or ticket id authorising this job.")],
        hyperparameters: Annotated[
            dict[str, Any] | None,
            Field(description='Training options (train.*), e.g. {"max_steps": 200, "learning_rate": 1e-4}.'),
        ] = None,
        dataset_config: Annotated[
            dict[str, Any] | None,
            Field(
                description="sources (paths; default the bundled example corpus), role, gate, "
                "require_improvement, and ingest/build/evaluate/export options."
            ),
        ] = None,
    ) -> dict[str, Any]:
        """Queue a fine-tuning job (ingest → scrub → build → train → export → eval → register) and
        start it in the background. Returns the job id; poll get_forge_job_status."""
        from forge.errors import ConfigError
        from forge.service import example_sources

        extra = dict(dataset_config or {})
        unknown = sorted(set(extra) - set(PIPELINE_KEYS))
        if unknown:
            raise ConfigError(
                [f"'dataset_config.{k}': unknown key (known: {', '.join(PIPELINE_KEYS)})" for k in unknown]
            )
        forge = F()
        forge.require_active()
        if remote and "sources" in extra:
            extra["sources"] = forge.check_api_sources([str(x) for x in extra["sources"]])
        if remote and isinstance(extra.get("ingest"), dict):
            extra["ingest"] = forge.check_api_ingest_options(extra["ingest"])
        config = {
            "sources": example_sources(),
            **extra,
            "name": forge_id,
            "base_model": base_model,
            "authorization": authorization_task_id,
            "train": dict(hyperparameters or {}),
        }
        job = forge.submit("pipeline", config, actor=ACTOR)
        started = runner().start(job.id)
        return {
            "job_id": job.id,
            "state": forge.job(job.id).state.value,
            "authorization": job.authorization,
            **_jsonable(started),
        }

    @tool
    def get_forge_job_status(
        job_id: Annotated[str, Field(description="The id initiate_model_forge returned.")],
        events: Annotated[int, Field(ge=0, le=200, description="How many recent events to include.")] = 10,
    ) -> dict[str, Any]:
        """A job's state, audit trail, latest progress and result (artifact ids, eval scores)."""
        from forge.service import scrub_text

        status = F().job_status(job_id, events=events)
        config = status.get("config") or {}
        if config.get("sources"):  # (a session folder's path names its user: /home/NAME/...)
            status["config"] = {**config, "sources": [scrub_text(str(p)) for p in config["sources"]]}
        return _jsonable({"job_id": status["id"], "events": [], **status})

    @tool
    def package_and_deploy_artifact(
        job_id: Annotated[str, Field(description="A job at PACKAGING_COMPLETE or later.")],
        quantization: Annotated[
            Literal["f16", "bf16", "q8_0", "q4_k_m"], Field(description="GGUF type; q4_k_m needs llama.cpp.")
        ] = "f16",
        parity: Annotated[bool, Field(description="Check llama.cpp's greedy output against HF's.")] = True,
    ) -> dict[str, Any]:
        """Export the job's merged model to GGUF (with a parity check against the HF model)."""
        return F().package_job(job_id, quant=quantization, parity=parity)

    @tool
    def run_inference_test(
        model_path: Annotated[str, Field(description="A registered model (NAME or NAME-vN) or a model directory.")],
        test_prompts: Annotated[list[str], Field(min_length=1, max_length=32, description="User prompts.")],
        mode: Annotated[
            Literal["hf", "gguf", "ollama"],
            Field(
                description="hf: transformers; gguf: llama.cpp on the model's GGUF (exported with a "
                "parity check if needed); ollama: a local Ollama server. All greedy."
            ),
        ] = "hf",
        max_new_tokens: Annotated[int, Field(ge=1, le=1024)] = 64,
    ) -> dict[str, Any]:
        """Generate a greedy reply to each prompt with the model and return the replies."""
        from forge.errors import InputError

        limit = F().server_config().limits.max_prompt_chars
        if sum(len(p) for p in test_prompts) > limit:
            raise InputError(
                f"test_prompts: over {limit} characters in all",
                hint="[limits] max_prompt_chars in FORGE_HOME/server.toml",
            )
        done = F().infer(
            model_path,
            [[{"role": "user", "content": p}] for p in test_prompts],
            mode=mode,
            max_new_tokens=max_new_tokens,
        )
        return {
            "model": model_path,
            "path": done["path"],
            "mode": mode,
            "results": [{"prompt": p, "reply": r["reply"]} for p, r in zip(test_prompts, done["results"])],
        }

    @tool
    def publish_to_registry(
        job_id: Annotated[str, Field(description="A job that reached TESTS_PASSED.")],
        repo_name: Annotated[str, Field(description="Hub repository ORG/NAME.")],
        private: Annotated[
            bool,
            Field(
                description="Private repository (the default; public only where "
                "registry.toml [publish] allow_public says so)."
            ),
        ] = True,
        model_card: Annotated[str | None, Field(description="Extra text for the model card (scrubbed).")] = None,
    ) -> dict[str, Any]:
        """Publish the job's registered model to the Hugging Face Hub: only to a repository or
        organisation listed in FORGE_HOME/registry.toml [publish] allowed, private unless it allows
        public. Refused unless the job reached TESTS_PASSED; the job then moves to PUBLISHED."""
        return F().publish_remote(job_id, repo_name, private=private, actor=ACTOR, card_text=model_card)

    @tool
    def retrieve_registry_artifact(
        repo_name: Annotated[str, Field(description="Hub repository ORG/NAME.")],
        revision: Annotated[str | None, Field(description="Branch, tag or commit.")] = None,
    ) -> dict[str, Any]:
        """Download a published model and verify the SHA-256 of every file against its manifest."""
        return F().pull(repo_name, revision=revision)

    # -- corpus, dataset, eval -----------------------------------------------------------------
    @tool
    def ingest_corpus(
        sources: Annotated[list[str], Field(min_length=1, description="Transcript files or folders.")],
        options: Annotated[dict[str, Any] | None, Field(description="ingest.* options.")] = None,
    ) -> dict[str, Any]:
        """Read and scrub transcripts into a corpus artifact; return its id and counts."""
        forge = F()
        if remote:
            sources = forge.check_api_sources(sources)
            options = forge.check_api_ingest_options(options)
        art = forge.ingest([Path(s) for s in sources], options=options)
        return {
            "corpus_id": art.id,
            "path": str(art.path),
            "counts": art.manifest.get("counts"),
            "report": forge.corpus_report(art),
        }

    @tool
    def build_dataset(
        corpus_id: Annotated[str, Field(description="A corpus artifact id from ingest_corpus.")],
        options: Annotated[dict[str, Any] | None, Field(description="build.* options.")] = None,
    ) -> dict[str, Any]:
        """Build SFT and DPO datasets from a corpus; return the dataset id and statistics."""
        forge = F()
        art = forge.build_dataset(forge.stored_artifact(corpus_id, "corpus"), options=options)
        return {"dataset_id": art.id, "path": str(art.path), "stats": forge.dataset_stats(art)["stats"]}

    @tool
    def evaluate_model(
        model: Annotated[str, Field(description="A registered model (NAME or NAME-vN) or a model directory.")],
        dataset_id: Annotated[str | None, Field(description="Score on this dataset's held-out split.")] = None,
        options: Annotated[dict[str, Any] | None, Field(description="evaluate.* options, e.g. max_prompts.")] = None,
    ) -> dict[str, Any]:
        """Run the eval suite on a model; return the score and per-category pass rates."""
        return F().score(model, dataset=dataset_id, options=options)

    # -- registry ---------------------------------------------------------------------------
    @tool
    def list_models() -> dict[str, Any]:
        """Registered model versions (name, role, base, version, eval, status)."""
        return {"models": [_jsonable(m.to_dict()) for m in F().list_models()]}

    @tool
    def show_model(name: Annotated[str, Field(description="NAME-vN or NAME (latest).")]) -> dict[str, Any]:
        """A model version's lineage: dataset, corpus size, DPO pairs, hyperparameters, adapters,
        eval, deployments."""
        return _jsonable(F().lineage(name))

    @tool
    def deploy_model(
        name: Annotated[str, Field(description="NAME-vN or NAME (latest).")],
        target: Annotated[str, Field(description="A role (deacon, witness, ...) or a rig.")],
    ) -> dict[str, Any]:
        """Deploy a model version to a target; roles follow the rollout order, each gated on its eval."""
        return _jsonable(F().deploy(name, target, actor=ACTOR).to_dict())

    @tool
    def rollback_deployment(target: Annotated[str, Field(description="A deployed target.")]) -> dict[str, Any]:
        """Point a target back at the version it ran before."""
        return _jsonable(F().rollback(target, actor=ACTOR).to_dict())

    @tool
    def provider_config(target: Annotated[str, Field(description="A deployed target.")]) -> dict[str, Any]:
        """The Gas Town town-settings agent entry (command, args, role_agents) for a deployed target."""
        return F().provider_config(target)

    @tool
    def model_drift(
        name: Annotated[str, Field(description="NAME-vN or NAME (latest).")], retrain: bool = False
    ) -> dict[str, Any]:
        """How far today's convention files (CLAUDE.md, AGENTS.md, *.formula.toml) have drifted from
        those in the model's corpus; with retrain, queue a retrain job."""
        forge = F()
        report = forge.drift(name)
        if retrain:
            report["retrain_job"] = forge.retrain(name, actor=ACTOR).id
        return _jsonable(report)

    setattr(server, "forge_state", state)  # noqa: B010 -- not an MCPServer attribute; tests reach the Forge and runner threads through this
    return server


def _jsonable(obj: Any) -> Any:
    import json

    return json.loads(json.dumps(obj, default=str))


class McpAuth:
    """ASGI middleware in front of the MCP HTTP endpoint: who may call what (see the module doc).

    A JSON-RPC `tools/call` of a tool outside READ_TOOLS needs scope write; every other request
    (initialize, tools/list, a read tool, the GET stream, DELETE of a session) needs read. The
    body is read here (BodyLimit, outside, bounds it) and handed on unchanged."""

    def __init__(self, app: Any, forge: Any, loopback: bool):
        self.app, self.forge, self.loopback = app, forge, loopback

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        import anyio

        from forge.errors import Forbidden, Unauthorized

        body, more = b"", True
        if scope.get("method") == "POST":
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away
                body += message.get("body", b"")
                more = message.get("more_body", False)
        need = scope_needed(body)
        header = next(
            (v.decode("latin-1") for k, v in scope.get("headers") or [] if k.lower() == b"authorization"), None
        )
        try:
            await anyio.to_thread.run_sync(lambda: self.forge.authorize(header, need, loopback=self.loopback))
        except Unauthorized as e:
            return await _refuse(send, 401, e)
        except Forbidden as e:
            return await _refuse(send, 403, e)
        if scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Any, status: int, exc: Any) -> None:
    import json

    payload = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {
                "code": -32001 if status == 401 else -32003,
                "message": str(exc.args[0]),
                "data": {"hint": exc.hint},
            },
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="forge"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def scope_needed(body: bytes) -> str:
    """read | write for a JSON-RPC body (a message or a batch): write when any message calls a
    tool outside READ_TOOLS (model_drift counts as a read unless it asks to retrain)."""
    import json

    try:
        data = json.loads(body) if body.strip() else None
    except ValueError:
        return "read"  # not JSON: the MCP app answers with a parse error, and nothing runs
    for msg in data if isinstance(data, list) else [data]:
        if not isinstance(msg, dict) or msg.get("method") != "tools/call":
            continue
        params: dict[str, Any] = msg["params"] if isinstance(msg.get("params"), dict) else {}
        name, args = params.get("name"), params.get("arguments") or {}
        if name == "model_drift" and isinstance(args, dict) and not args.get("retrain"):
            continue
        if name not in READ_TOOLS:
            return "write"
    return "read"


def http_app(host: str, *, in_process: bool = False, forge: Any = None) -> Any:
    """The MCP streamable-HTTP app behind McpAuth and the body limit, as an ASGI app."""
    from forge.api.limits import BodyLimit

    if forge is None:
        from forge.service import Forge

        forge = Forge()
    server = build_server(in_process=in_process, forge=forge, remote=True)
    limit = forge.server_config().limits.max_body_bytes
    app = server.streamable_http_app(host=host, max_request_body_size=limit)
    return BodyLimit(McpAuth(app, forge, forge.is_loopback(host)), limit)


def serve(http: str | None = None, *, in_process: bool = False) -> None:
    if not http:
        build_server(in_process=in_process).run("stdio")
        return
    import uvicorn

    host, _, port = http.rpartition(":")
    host = (host or "127.0.0.1").strip("[]")
    uvicorn.run(http_app(host, in_process=in_process), host=host, port=int(port), log_level="warning")
