"""/api/v1/datasets and /api/v1/corpora: list and show (by artifact id only, never a path)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from forge.api import schemas as s
from forge.api.security import Read, forge_of

router = APIRouter(tags=["datasets and corpora"], responses=s.ERRORS)
DatasetId = Annotated[str, Path(pattern=r"^dataset-[A-Za-z0-9_]{1,64}$")]
CorpusId = Annotated[str, Path(pattern=r"^corpus-[A-Za-z0-9_]{1,64}$")]


def _summary(art: Any) -> dict[str, Any]:
    return {
        "id": art.id,
        "kind": art.kind,
        "created_at": art.manifest.get("created_at"),
        "inputs": [i.get("id") for i in art.manifest.get("inputs", [])],
        "counts": art.manifest.get("counts"),
    }


@router.get("/datasets", summary="Datasets, newest first")
def list_datasets(request: Request, _caller: Any = Read) -> dict[str, Any]:
    forge = forge_of(request)
    data = []
    for art in forge.artifacts_of("dataset"):
        view = forge.dataset_view(art.id)
        data.append({**_summary(art), "counts": view["counts"], "role_task_total": view["role_task"]["total"]})
    return {"object": "list", "data": data}


@router.get("/datasets/{dataset_id}", summary="A dataset: counts, role × task, tokens, scrub report by kind")
def show_dataset(dataset_id: DatasetId, request: Request, _caller: Any = Read) -> dict[str, Any]:
    return forge_of(request).dataset_view(dataset_id)


@router.get("/corpora", summary="Corpora, newest first")
def list_corpora(request: Request, _caller: Any = Read) -> dict[str, Any]:
    forge = forge_of(request)
    data = []
    for art in forge.artifacts_of("corpus"):
        view = forge.corpus_view(art.id)
        data.append({**_summary(art), "counts": view["counts"], "scrub_total": view["scrub"]["total"]})
    return {"object": "list", "data": data}


@router.get("/corpora/{corpus_id}", summary="A corpus: sessions by format, role, task, outcome; scrub report by kind")
def show_corpus(corpus_id: CorpusId, request: Request, _caller: Any = Read) -> dict[str, Any]:
    return forge_of(request).corpus_view(corpus_id)
