"""/api/v1/models (the registry: versions, lineage, deploy, promote), /api/v1/deployments
(current targets, history, rollback) and /api/v1/evals (eval reports by id)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from forge.api import schemas as s
from forge.api.security import Read, Write, forge_of

router = APIRouter(tags=["models"], responses=s.ERRORS)
ModelRef = Annotated[str, Path(pattern=s.MODEL_REF, description="NAME-vN for a version, NAME for the latest.")]
Target = Annotated[str, Path(pattern=s.TARGET)]
EvalId = Annotated[str, Path(pattern=r"^eval_report-[A-Za-z0-9_]{1,64}$")]


@router.get("/models", summary="Registered model versions")
def list_models(request: Request, _caller: Any = Read) -> dict[str, Any]:
    forge = forge_of(request)
    current = forge.current_deployments()
    data = []
    for m in forge.list_models():
        d = m.to_dict()
        d["deployed_to"] = sorted(t for t, dep in current.items() if dep["model"] == m.display_name)
        data.append(d)
    return {"object": "list", "data": data}


@router.get("/models/{ref}", summary="A model version with its lineage")
def show_model(ref: ModelRef, request: Request, _caller: Any = Read) -> dict[str, Any]:
    """Dataset, corpus size, DPO pairs, hyperparameters, adapters, eval per category vs base,
    deployments, and the chain sessions → corpus → dataset → adapter → exports → eval → deployment."""
    forge = forge_of(request)
    return {**forge.lineage(ref), "chain": forge.lineage_chain(ref)}


@router.post("/models/{ref}/deploy", response_model=s.Deployment, summary="Deploy a version to a target")
def deploy(ref: ModelRef, body: s.DeployRequest, request: Request, caller: Any = Write) -> dict[str, Any]:
    """Roles follow the rollout order, each gated on the version's eval; other targets (rigs) do not."""
    return forge_of(request).deploy(ref, body.target, actor=caller.actor).to_dict()


@router.post("/models/{ref}/promote", response_model=s.PromoteResult, summary="Promote a version one rollout stage")
def promote(ref: ModelRef, request: Request, caller: Any = Write) -> dict[str, Any]:
    """Deploy to every role of the first rollout stage (deacon/boot → witness → polecat → crew →
    mayor) that does not run this version yet, each gated on its eval."""
    forge = forge_of(request)
    done = forge.promote(ref, actor=caller.actor)
    return {"model": forge.model(ref).display_name, "deployments": [d.to_dict() for d in done]}


@router.get("/deployments", summary="What runs where now, and the history")
def deployments(
    request: Request, target: Annotated[str | None, Query(pattern=s.TARGET)] = None, _caller: Any = Read
) -> dict[str, Any]:
    forge = forge_of(request)
    return {"current": forge.current_deployments(), "history": [d.to_dict() for d in forge.deployment_history(target)]}


@router.post("/deployments/{target}/rollback", response_model=s.Deployment, summary="Roll a target back")
def rollback(target: Target, request: Request, caller: Any = Write) -> dict[str, Any]:
    """Point the target back at the version it ran before."""
    return forge_of(request).rollback(target, actor=caller.actor).to_dict()


@router.get("/evals", summary="Eval reports, newest first")
def list_evals(request: Request, _caller: Any = Read) -> dict[str, Any]:
    forge = forge_of(request)
    return {
        "object": "list",
        "data": [
            {"id": a.id, "created_at": a.manifest.get("created_at"), "score": forge.eval_report(a.id).get("score")}
            for a in forge.artifacts_of("eval_report")
        ],
    }


@router.get(
    "/evals/{report_id}",
    summary="An eval report beside its base model's",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
def show_eval(
    report_id: EvalId,
    request: Request,
    format: Annotated[Literal["json", "html"], Query()] = "json",
    _caller: Any = Read,
) -> Response:
    """Per-category pass rates of the candidate and its base, the delta and failing examples."""
    import json

    forge = forge_of(request)
    if format == "html":
        return HTMLResponse(forge.eval_report_html(report_id))
    return Response(json.dumps(forge.eval_comparison(report_id), default=str), media_type="application/json")
