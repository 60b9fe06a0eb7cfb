"""Bearer-token auth for the API and the web UI.

A caller presents its token as `Authorization: Bearer TOKEN`, or — the web UI — as the
`forge_token` cookie that POST /api/v1/session sets (HttpOnly, SameSite=Strict). A write made
with the cookie must also carry `X-Requested-With: forge-ui`: a header another site's page cannot
add without a CORS preflight this server never grants, so a cookie alone cannot be used
cross-site. The rule itself (who may do what on which bind) is the facade's `authorize`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from forge.errors import Forbidden

COOKIE = "forge_token"
UI_HEADER = ("x-requested-with", "forge-ui")

bearer = HTTPBearer(auto_error=False, description="A Forge API token: `forge token create --name NAME --scope write`")


def forge_of(request: Request) -> Any:
    return request.app.state.forge


def authorization_of(request: Request, need: str) -> str | None:
    """The Authorization value this request stands on: the header, else the UI's cookie."""
    header = request.headers.get("authorization")
    if header is not None:
        return header
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    if need != "read" and request.headers.get(UI_HEADER[0]) != UI_HEADER[1]:
        raise Forbidden(
            "a write signed by the session cookie must come from the Forge web UI",
            hint="send the token as `Authorization: Bearer TOKEN` instead",
        )
    return f"Bearer {cookie}"


def principal(request: Request, need: str) -> Any:
    return forge_of(request).authorize(authorization_of(request, need), need, loopback=request.app.state.loopback)


def requires(need: str) -> Callable[..., Any]:
    """A dependency: the calling Principal, if it may do what needs scope `need`."""

    def dependency(request: Request, _credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Any:
        return principal(request, need)

    dependency.__name__ = f"requires_{need}"
    return dependency


Read = Depends(requires("read"))
Write = Depends(requires("write"))
Admin = Depends(requires("admin"))
