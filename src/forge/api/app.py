"""One FastAPI app: the REST API under /api/v1, the web UI at /, OpenAPI at /openapi.json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from forge import __version__
from forge.api import errors
from forge.api.limits import BodyLimit

DESCRIPTION = """Forge's REST API: fine-tuning jobs in OpenAI's job shape (with Forge's states, audit
trail, stages and eval beside it), live events over Server-Sent Events, checkpoints and run
reports; datasets and corpora; the model registry with lineage, deploy, promote and rollback;
eval reports.

Auth: `Authorization: Bearer TOKEN` (`forge token create --name NAME --scope read|write|admin`).
Every write needs a write token; on a server not bound to loopback every request needs a token.
Errors are JSON: `{"error": {"message", "hint", "type"}}`."""


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")


def create_app(
    forge: Any = None,
    *,
    host: str = "127.0.0.1",
    ui: bool = True,
    start_job: Callable[[str], dict[str, Any]] | None = None,
) -> Any:
    """The ASGI app. `host`: the address it is bound to (loopback binds may serve reads without
    a token, by config). `start_job`: how a queued job gets run (default: make sure a
    `forge worker` process is running)."""
    if forge is None:
        from forge.service import Forge

        forge = Forge()
    app = FastAPI(
        title="Forge",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    # (no Swagger UI: it loads its scripts from a CDN, and Forge runs offline)
    app.state.forge = forge
    app.state.loopback = forge.is_loopback(host)
    app.state.start_job = start_job or (lambda _job_id: forge.start_worker())
    errors.install(app)

    from forge.api.routes import access, data, jobs, models

    app.include_router(jobs.router, prefix="/api/v1/fine-tuning/jobs")
    # the same routes where OpenAI's clients look for them (/fine_tuning/jobs), not in the schema twice
    app.include_router(jobs.router, prefix="/api/v1/fine_tuning/jobs", include_in_schema=False)
    for module in (data, models, access):
        app.include_router(module.router, prefix="/api/v1")
    if ui:
        from forge.web import mount

        mount(app)
    app.add_middleware(BodyLimit, max_bytes=forge.server_config().limits.max_body_bytes)
    if app.state.loopback:
        # DNS rebinding: a web page whose name resolves to 127.0.0.1 would otherwise read what
        # loopback serves without a token. Only loopback names reach a loopback bind.
        from starlette.middleware.trustedhost import TrustedHostMiddleware

        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOOPBACK_NAMES))
    return app
