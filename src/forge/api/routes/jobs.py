"""/api/v1/fine-tuning/jobs: create, list, show, cancel, resume, events (JSON or live SSE),
checkpoints, run report. POST queues the job and a `forge worker` process runs it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response, StreamingResponse
from fastapi.sse import format_sse_event

from forge.api import schemas as s
from forge.api.security import Read, Write, forge_of
from forge.api.shapes import SETTLED, checkpoint_object, event_object, job_object, pipeline_config
from forge.errors import ForgeError, IllegalTransition

router = APIRouter(tags=["fine-tuning jobs"], responses=s.ERRORS)  # mounted at /api/v1/fine-tuning/jobs
JobId = Annotated[str, Path(pattern=s.JOB_ID, description="A job id, e.g. job-1a2b3c4d.")]
POLL_S = 0.5  # how often a live stream looks for new events
KEEPALIVE_S = 15.0  # a comment line this often keeps proxies from closing an idle stream


def _scrub() -> Any:
    from forge.service import scrub_text

    return scrub_text


def require_active(forge: Any) -> None:
    """Jobs start only on a host that passed `forge env init`: otherwise a 409 saying so."""
    try:
        forge.require_active()
    except ForgeError as e:
        raise IllegalTransition(str(e.args[0]), hint=e.hint) from None


def job_detail(forge: Any, job_id: str, *, trail: bool = True) -> dict[str, Any]:
    return job_object(forge.job_status(job_id), scrub=_scrub(), trail=trail)


@router.post("", response_model=s.Job, status_code=201, summary="Create a fine-tuning job")
def create_job(body: s.JobCreate, request: Request, caller: Any = Write) -> dict[str, Any]:
    """Validate and queue a pipeline job, then make sure a worker runs it. The host must have
    passed `forge env init` (409 otherwise)."""
    from forge.service import DEFAULT_BASE_MODEL, example_sources

    forge = forge_of(request)
    require_active(forge)
    wanted = [*(body.sources or []), *([body.training_file] if body.training_file else [])]
    sources = forge.check_api_sources(wanted) if wanted else example_sources()
    config = pipeline_config(body, sources, DEFAULT_BASE_MODEL)
    if "ingest" in config:
        config["ingest"] = forge.check_api_ingest_options(config["ingest"])
    job = forge.submit_pipeline(config, actor=caller.actor)
    runner = request.app.state.start_job(job.id)
    return {**job_detail(forge, job.id), "runner": runner}


@router.get("", response_model=s.JobList, summary="List fine-tuning jobs, newest first")
def list_jobs(
    request: Request,
    after: Annotated[str | None, Query(pattern=s.JOB_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    _caller: Any = Read,
) -> dict[str, Any]:
    forge = forge_of(request)
    jobs = forge.list_jobs(1000)
    ids = [j.id for j in jobs]
    start = ids.index(after) + 1 if after in ids else 0
    page = jobs[start : start + limit]
    return {
        "object": "list",
        "data": [job_detail(forge, j.id, trail=False) for j in page],
        "has_more": start + limit < len(jobs),
    }


@router.get("/{job_id}", response_model=s.Job, summary="One job with its audit trail")
def get_job(job_id: JobId, request: Request, _caller: Any = Read) -> dict[str, Any]:
    return job_detail(forge_of(request), job_id)


@router.post("/{job_id}/cancel", response_model=s.Job, summary="Cancel a job")
def cancel_job(job_id: JobId, request: Request, caller: Any = Write) -> dict[str, Any]:
    """A queued job is cancelled at once; a running one within one training step (its state
    says CANCELLED once its worker stops it)."""
    forge = forge_of(request)
    forge.cancel(job_id, actor=caller.actor)
    return job_detail(forge, job_id)


@router.post("/{job_id}/resume", response_model=s.Job, status_code=201, summary="Resume a failed or cancelled job")
def resume_job(job_id: JobId, request: Request, caller: Any = Write) -> dict[str, Any]:
    """The continuation is a new job linked to this one (`resumed_from`), sharing its checkpoints."""
    forge = forge_of(request)
    require_active(forge)
    new = forge.resume(job_id, actor=caller.actor)
    runner = request.app.state.start_job(new.id)
    return {**job_detail(forge, new.id), "runner": runner}


EVENTS_DOC = (
    "JSON (`fine_tuning.job.event` list, oldest first after `after`) by default; with "
    "`Accept: text/event-stream` a live Server-Sent Events stream: every event as it is "
    "recorded (`event:` progress | stage | log | resources, `id:` its id, so a reconnecting "
    "EventSource resumes via Last-Event-ID), a `state` event when the job's state changes and "
    "an `end` event once it settles."
)


@router.get(
    "/{job_id}/events",
    summary="A job's events: JSON, or live as Server-Sent Events",
    description=EVENTS_DOC,
    response_model=s.JobEventList,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
def job_events(
    job_id: JobId,
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
    accept: Annotated[str | None, Header()] = None,
    last_event_id: Annotated[str | None, Header()] = None,
    _caller: Any = Read,
) -> Any:
    forge = forge_of(request)
    forge.job(job_id)  # 404 before a stream starts
    if accept and "text/event-stream" in accept:
        start = int(last_event_id) if last_event_id and last_event_id.isdigit() else after
        return StreamingResponse(
            _stream(request, forge, job_id, start),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    events = forge.job_events(job_id, after_id=after)
    scrub = _scrub()
    return {
        "object": "list",
        "data": [event_object(e, scrub=scrub) for e in events[:limit]],
        "has_more": len(events) > limit,
    }


async def _stream(request: Request, forge: Any, job_id: str, after: int) -> AsyncIterator[bytes]:
    scrub = _scrub()
    last, state, idle = after, None, 0.0
    while True:
        # the state is read before the events, so none recorded before it settled can slip past
        status = await to_thread.run_sync(forge.job_status, job_id)
        events = await to_thread.run_sync(forge.job_events, job_id, last)
        for ev in events:
            last = ev["id"]
            obj = event_object(ev, scrub=scrub)
            yield format_sse_event(data_str=json.dumps(obj, default=str), event=ev["kind"], id=str(ev["id"]))
        if status["state"] != state:
            state = status["state"]
            yield format_sse_event(
                data_str=json.dumps(job_object(status, scrub=scrub, trail=True), default=str), event="state"
            )
        if state in SETTLED:
            yield format_sse_event(data_str=json.dumps({"id": job_id, "state": state}), event="end")
            return
        if events:
            idle = 0.0
        else:
            idle += POLL_S
            if idle >= KEEPALIVE_S:
                idle = 0.0
                yield b": keepalive\n\n"
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_S)


@router.get("/{job_id}/checkpoints", response_model=s.CheckpointList, summary="A job's checkpoints")
def job_checkpoints(job_id: JobId, request: Request, _caller: Any = Read) -> dict[str, Any]:
    """Training checkpoints on disk now (a failed or cancelled job resumes from the newest) and,
    once training finished, the adapter artifact as the final checkpoint."""
    data = [checkpoint_object(job_id, c) for c in forge_of(request).job_checkpoints(job_id)]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
    }


@router.get(
    "/{job_id}/report",
    summary="The run report",
    responses={200: {"content": {"application/json": {}, "text/markdown": {}, "text/html": {}}}},
)
def job_report(
    job_id: JobId,
    request: Request,
    format: Annotated[Literal["json", "md", "html"], Query(description="json, md or html")] = "json",
    _caller: Any = Read,
) -> Response:
    """Epochs, duration, first and final loss, samples/s, steps/s, tokens/s, eval per category
    against the base, the exports with their sizes and SHA-256, next steps; html has the loss plot."""
    forge = forge_of(request)
    if format == "json":
        return Response(json.dumps(forge.run_report(job_id), default=str), media_type="application/json")
    text = forge.render_run_report(job_id, format)
    if format == "html":
        return HTMLResponse(text)
    return PlainTextResponse(text, media_type="text/markdown; charset=utf-8")


@router.get("/{job_id}/loss.svg", summary="The loss curve as SVG", responses={200: {"content": {"image/svg+xml": {}}}})
def job_loss_svg(job_id: JobId, request: Request, _caller: Any = Read) -> Response:
    return Response(forge_of(request).loss_plot_svg(job_id), media_type="image/svg+xml")
