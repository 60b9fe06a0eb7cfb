"""Every error the API returns is JSON: {"error": {"message", "hint", "type"}}.

Forge's own errors keep their message and hint (what went wrong, what to do next); validation
errors name the field and never echo the value sent (it could be a secret); anything unexpected
is a 500 that names only the exception type, its text scrubbed.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forge.errors import (
    ConfigError,
    Forbidden,
    ForgeError,
    GateFailed,
    IllegalTransition,
    InputError,
    IntegrityError,
    NotFound,
    ResourceError,
    Unauthorized,
)

log = logging.getLogger("forge.api")

STATUS: list[tuple[type[ForgeError], int]] = [
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (IllegalTransition, 409),
    (GateFailed, 409),
    (ResourceError, 409),
    (InputError, 400),
    (ConfigError, 400),
    (IntegrityError, 500),
]


def status_of(exc: ForgeError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_body(message: str, hint: str | None, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "hint": hint, "type": kind}}


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() and i else c.lower() for i, c in enumerate(name))


def forge_error_response(exc: ForgeError) -> JSONResponse:
    status = status_of(exc)
    message = str(exc.args[0]) if exc.args else type(exc).__name__
    headers = {"WWW-Authenticate": 'Bearer realm="forge"'} if status == 401 else None
    return JSONResponse(error_body(message, exc.hint, _snake(type(exc).__name__)), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ForgeError)
    async def forge_error(_request: Request, exc: ForgeError) -> JSONResponse:
        return forge_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:10]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        return JSONResponse(
            error_body(
                "invalid request: " + "; ".join(problems), "the request shapes are in /openapi.json", "validation_error"
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        hint = "the API's routes are listed in /openapi.json" if exc.status_code in (404, 405) else None
        return JSONResponse(
            error_body(str(exc.detail), hint, "http_error"),
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        from forge.service import scrub_text

        log.error("internal error: %s: %s", type(exc).__name__, scrub_text(str(exc)))
        return JSONResponse(
            error_body(
                f"internal error: {type(exc).__name__}",
                "the server log says more; report it if it repeats",
                "internal_error",
            ),
            status_code=500,
        )
