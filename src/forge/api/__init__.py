"""The REST API (`forge ui` serves it under /api/v1, with the web UI at /).

    from forge.api import create_app
    app = create_app(Forge(), host="127.0.0.1")     # an ASGI app: uvicorn.run(app, ...)

Every route calls the facade (forge.service.Forge); this package holds only HTTP concerns:
routing, request/response shapes (OpenAI's fine-tuning job shape where one exists), bearer-token
auth, size limits and JSON errors with a message and a hint. Imported lazily: `forge --help`
never loads FastAPI.
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any) -> Any:
    from forge.api.app import create_app as make

    return make(*args, **kwargs)


__all__ = ["create_app"]
