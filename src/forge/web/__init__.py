"""The web UI: server-rendered pages (Jinja2 templates in templates/) with one small script
(static/forge.js, no build step) for live job progress over Server-Sent Events, the loss
curve, and the buttons that call the REST API (cancel, resume, deploy, promote, rollback,
new job, sign in).

Pages read through the facade like every edge; what they show comes from scrubbed artifacts
and the job records, and job errors, audit reasons and log lines pass through
`forge.service.scrub_text` first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def mount(app: Any) -> None:
    from fastapi.staticfiles import StaticFiles

    from forge.web.pages import router

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(router)


__all__ = ["mount"]
