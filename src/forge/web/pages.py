"""The web UI's pages: jobs, one job (live), its run report, the registry, one model with its
lineage, datasets and corpora, eval reports, sign-in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from forge.api import schemas as s
from forge.api.routes.jobs import job_detail
from forge.api.security import principal
from forge.errors import ForgeError, NotFound, Unauthorized

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters["pct"] = lambda v: "–" if v is None else f"{v * 100:.1f}%"
templates.env.filters["delta"] = lambda v: "–" if v is None else f"{v * 100:+.1f} pts"
templates.env.filters["iso"] = lambda t: "" if t is None else datetime.fromtimestamp(int(t), UTC).isoformat()
templates.env.filters["num"] = lambda v: (
    "–" if v is None else (f"{v:,}" if isinstance(v, int) else f"{v:,.4g}" if isinstance(v, float) else str(v))
)

JobId = Annotated[str, PathParam(pattern=s.JOB_ID)]
ModelRef = Annotated[str, PathParam(pattern=s.MODEL_REF)]
DatasetId = Annotated[str, PathParam(pattern=r"^dataset-[A-Za-z0-9_]{1,64}$")]
CorpusId = Annotated[str, PathParam(pattern=r"^corpus-[A-Za-z0-9_]{1,64}$")]
EvalId = Annotated[str, PathParam(pattern=r"^eval_report-[A-Za-z0-9_]{1,64}$")]


def page(request: Request, template: str, title: str, **context: Any) -> Response:
    """Render a page for a caller allowed to read; others go to the sign-in page."""
    try:
        caller = principal(request, "read")
    except Unauthorized:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    try:
        data = context.pop("load")() if "load" in context else {}
    except NotFound as e:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": "Not found", "caller": caller, "message": str(e.args[0]), "hint": e.hint},
            status_code=404,
        )
    except ForgeError as e:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"title": "Error", "caller": caller, "message": str(e.args[0]), "hint": e.hint},
            status_code=400,
        )
    return templates.TemplateResponse(request, template, {"title": title, "caller": caller, **data, **context})


def forge_of(request: Request) -> Any:
    return request.app.state.forge


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return RedirectResponse("/jobs", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login(request: Request, next: str = "/jobs") -> Response:
    safe_next = next if next.startswith("/") and not next.startswith("//") else "/jobs"
    return templates.TemplateResponse(request, "login.html", {"title": "Sign in", "next": safe_next, "caller": None})


@router.get("/jobs", response_class=HTMLResponse)
def jobs_page(request: Request) -> Response:
    from forge.service import DEFAULT_BASE_MODEL

    forge = forge_of(request)

    def load() -> dict[str, Any]:
        return {
            "jobs": [job_detail(forge, j.id, trail=False) for j in forge.list_jobs(100)],
            "default_base": DEFAULT_BASE_MODEL,
            "environment": forge.environment_state()["state"],
        }

    return page(request, "jobs.html", "Jobs", load=load)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, job_id: JobId) -> Response:
    forge = forge_of(request)
    return page(request, "job.html", f"Job {job_id}", load=lambda: {"job": job_detail(forge, job_id)})


@router.get("/jobs/{job_id}/report", response_class=HTMLResponse)
def report_page(request: Request, job_id: JobId) -> Response:
    forge = forge_of(request)

    def load() -> dict[str, Any]:
        return {"job": job_detail(forge, job_id, trail=False), "report": forge.run_report_html_fragment(job_id)}

    return page(request, "report.html", f"Run report {job_id}", load=load)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    forge = forge_of(request)

    def load() -> dict[str, Any]:
        current = forge.current_deployments()
        models = []
        for m in forge.list_models():
            d = m.to_dict()
            d["deployed_to"] = sorted(t for t, dep in current.items() if dep["model"] == m.display_name)
            models.append(d)
        return {
            "models": models,
            "current": current,
            "history": [d.to_dict() for d in forge.deployment_history()][::-1][:50],
        }

    return page(request, "models.html", "Models", load=load)


@router.get("/models/{ref}", response_class=HTMLResponse)
def model_page(request: Request, ref: ModelRef) -> Response:
    forge = forge_of(request)

    def load() -> dict[str, Any]:
        info = forge.lineage(ref)
        cats = info["eval"].get("categories") or {}
        base, cand = cats.get("base") or {}, cats.get("candidate") or {}
        rows = []
        for name in sorted(set(base) | set(cand)):
            b, c = base.get(name) or {}, cand.get(name) or {}
            br = b["passed"] / b["total"] if b.get("total") else None
            cr = c["passed"] / c["total"] if c.get("total") else None
            rows.append(
                {
                    "category": name,
                    "base": br,
                    "candidate": cr,
                    "base_n": b,
                    "cand_n": c,
                    "delta": cr - br if br is not None and cr is not None else None,
                }
            )
        current = forge.current_deployments()
        return {
            "model": info,
            "eval_rows": rows,
            "chain": forge.lineage_chain(ref),
            "current": current,
            "siblings": [m.display_name for m in forge.list_models() if m.name == info["family"]],
        }

    return page(request, "model.html", f"Model {ref}", load=load)


@router.get("/data", response_class=HTMLResponse)
def data_page(request: Request) -> Response:
    forge = forge_of(request)

    def load() -> dict[str, Any]:
        return {
            "datasets": [forge.dataset_view(a.id) for a in forge.artifacts_of("dataset")],
            "corpora": [forge.corpus_view(a.id) for a in forge.artifacts_of("corpus")],
        }

    return page(request, "data.html", "Data", load=load)


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(request: Request, dataset_id: DatasetId) -> Response:
    forge = forge_of(request)
    return page(request, "dataset.html", f"Dataset {dataset_id}", load=lambda: {"ds": forge.dataset_view(dataset_id)})


@router.get("/corpora/{corpus_id}", response_class=HTMLResponse)
def corpus_page(request: Request, corpus_id: CorpusId) -> Response:
    forge = forge_of(request)
    return page(request, "corpus.html", f"Corpus {corpus_id}", load=lambda: {"corpus": forge.corpus_view(corpus_id)})


@router.get("/evals", response_class=HTMLResponse)
def evals_page(request: Request) -> Response:
    forge = forge_of(request)

    def load() -> dict[str, Any]:
        models = {m.lineage.get("eval_candidate"): m.display_name for m in forge.list_models()}
        bases = {m.lineage.get("eval_base") for m in forge.list_models()}
        return {
            "reports": [
                {
                    "id": a.id,
                    "created_at": a.manifest.get("created_at"),
                    "model": models.get(a.id),
                    "role": "base" if a.id in bases else "candidate" if a.id in models else "",
                    "score": _score(forge, a),
                }
                for a in forge.artifacts_of("eval_report")
            ]
        }

    return page(request, "evals.html", "Eval reports", load=load)


def _score(forge: Any, art: Any) -> float | None:
    try:
        return forge.eval_report(art.id).get("score")
    except ForgeError:
        return None


@router.get("/evals/{report_id}", response_class=HTMLResponse)
def eval_page(request: Request, report_id: EvalId) -> Response:
    forge = forge_of(request)
    return page(request, "eval.html", f"Eval {report_id}", load=lambda: {"ev": forge.eval_comparison(report_id)})
