"""/api/v1/tokens (admin), /api/v1/session (the web UI's sign-in cookie), /api/v1/whoami, /api/v1/health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from forge.api import schemas as s
from forge.api.security import COOKIE, Admin, Read, forge_of, principal

router = APIRouter(tags=["access"], responses=s.ERRORS)


@router.get("/health", summary="Liveness")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/whoami", response_model=s.WhoAmI, summary="Who this request acts as")
def whoami(request: Request, caller: Any = Read) -> dict[str, Any]:
    forge = forge_of(request)
    return {
        "name": caller.name,
        "scope": caller.scope,
        "token_id": caller.token_id,
        "loopback_bind": request.app.state.loopback,
        "open_loopback_reads": forge.server_config().auth.open_loopback_reads,
    }


@router.post("/session", response_model=s.WhoAmI, summary="Sign the web UI in with a token (sets a cookie)")
def sign_in(request: Request, response: Response) -> dict[str, Any]:
    """Send the token as `Authorization: Bearer TOKEN`; the answer sets it as an HttpOnly,
    SameSite=Strict cookie for the web UI's pages and live streams."""
    header = request.headers.get("authorization")
    caller = forge_of(request).authorize(header, "read", loopback=False)  # a real token, whatever the bind
    token = header.split(" ", 1)[1].strip() if header else ""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=12 * 3600,
    )
    return {
        "name": caller.name,
        "scope": caller.scope,
        "token_id": caller.token_id,
        "loopback_bind": request.app.state.loopback,
        "open_loopback_reads": forge_of(request).server_config().auth.open_loopback_reads,
    }


@router.delete("/session", status_code=204, summary="Sign the web UI out")
def sign_out(response: Response) -> Response:
    response = Response(status_code=204)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/tokens", response_model=list[s.Token], summary="API tokens (never their secrets)")
def list_tokens(request: Request, _caller: Any = Admin) -> list[dict[str, Any]]:
    return forge_of(request).list_tokens()


@router.post("/tokens", response_model=s.NewToken, status_code=201, summary="Create a token")
def create_token(body: s.TokenCreate, request: Request, caller: Any = Admin) -> dict[str, Any]:
    return forge_of(request).create_token(body.name, body.scope, actor=caller.actor)


@router.delete("/tokens/{ref}", response_model=s.Token, summary="Revoke a token")
def revoke_token(
    ref: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,64}$")], request: Request, _caller: Any = Admin
) -> dict[str, Any]:
    return forge_of(request).revoke_token(ref)


__all__ = ["principal", "router"]
