"""Request and response shapes (they make /openapi.json). Jobs follow OpenAI's fine-tuning job
object (`object`, `id`, `model`, `status`, `fine_tuned_model`, `hyperparameters`, `error` ...)
with Forge's own fields beside them (`state`, `authorization`, `stages`, `eval` ...)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
MODEL_REF = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(-v[0-9]{1,6})?$"
JOB_ID = r"^job-[0-9a-f]{8}$"
ARTIFACT_ID = r"^[a-z][a-z0-9_]{0,63}-[A-Za-z0-9_]{1,64}$"
TARGET = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors ------------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    message: str
    hint: str | None = None
    type: str


class ErrorBody(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": why}
    for code, why in (
        (400, "Bad input (the message names it)"),
        (401, "No token, or not a valid one"),
        (403, "The token's scope does not allow this"),
        (404, "No such job, model or artifact"),
        (409, "Not possible in the current state"),
        (413, "Request body too large"),
        (422, "The request does not match the schema"),
    )
}


# -- jobs --------------------------------------------------------------------------------------
class Method(Strict):
    type: Literal["supervised", "dpo", "supervised+dpo"] = Field(
        "supervised", description="supervised: SFT; dpo: preference pairs; supervised+dpo: SFT, then DPO on it."
    )


# a path on the server: printable, as long as a path gets
SourcePath = Annotated[str, Field(max_length=4096, pattern=r"^[^\x00-\x1f]*$")]


class JobCreate(Strict):
    """A fine-tuning job: ingest → scrub → build → train → merge → eval gate → register."""

    model: str | None = Field(
        None,
        max_length=256,
        pattern=r"^[^\x00-\x1f]*$",
        description="Base model: an alias, a Hub id, or forge/tiny-llama (the default).",
    )
    authorization: str = Field(
        ...,
        min_length=1,
        max_length=128,
        pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$",
        description="The bead or ticket id that authorises this job (audit trail).",
    )
    suffix: str | None = Field(
        None, pattern=NAME, description="Model family name to register (NAME-vN), e.g. polecat. Default: polecat."
    )
    training_file: str | None = Field(
        None,
        max_length=4096,
        pattern=r"^[^\x00-\x1f]*$",
        description="A transcript file or folder on the server (under the folders "
        "server.toml [api] source_roots allows). Default: the bundled "
        "example corpus.",
    )
    sources: list[SourcePath] | None = Field(
        None, max_length=64, description="Several training sources (as training_file)."
    )
    hyperparameters: dict[str, Any] | None = Field(
        None,
        description="OpenAI's n_epochs and batch_size, or any train.* option of Forge (max_steps, "
        "learning_rate, lora_r, logging_steps, trainer_args from the allow-list ...).",
    )
    method: Method | None = None
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    role: str | None = Field(None, pattern=NAME, description="Gas Town role the model is for (default: the name).")
    gate: float | None = Field(
        None, ge=0.0, le=1.0, description="Minimum weighted eval score, for every role (default 0.5)."
    )
    require_improvement: bool | None = Field(None, description="The candidate must also beat the base (default true).")
    gate_rules: dict[str, Any] | None = Field(
        None, description="gate_rules.* options (weights, other_weight, per_role, min_role_prompts)."
    )
    ingest: dict[str, Any] | None = Field(None, description="ingest.* options.")
    build: dict[str, Any] | None = Field(None, description="build.* options.")
    evaluate: dict[str, Any] | None = Field(None, description="evaluate.* options (max_prompts, max_new_tokens ...).")
    export: dict[str, Any] | None = Field(None, description="export.* options.")


class JobError(BaseModel):
    code: str
    message: str
    param: str | None = None


class Job(BaseModel):
    object: Literal["fine_tuning.job"] = "fine_tuning.job"
    id: str
    model: str
    created_at: int
    finished_at: int | None
    fine_tuned_model: str | None
    status: Literal["validating_files", "queued", "running", "succeeded", "failed", "cancelled"]
    hyperparameters: dict[str, Any]
    method: dict[str, Any]
    training_file: str | None
    validation_file: str | None = None
    result_files: list[str]
    trained_tokens: int | None
    error: JobError | None
    seed: int | None
    estimated_finish: int | None = None
    metadata: dict[str, str] | None = None
    # Forge's own
    state: str = Field(description="Forge's job state (QUEUED → RUNNING → ... → TESTS_PASSED | FAILED | CANCELLED).")
    kind: str
    authorization: str
    resumed_from: str | None = None
    progress: dict[str, Any] | None = Field(
        None, description="Where the job is now: its newest progress or stage event."
    )
    stages: dict[str, Any] = Field(default_factory=dict, description="Artifact id and time of each stage done.")
    eval: dict[str, Any] | None = Field(None, description="Scores and the gate, once evaluated.")
    transitions: list[dict[str, Any]] | None = Field(None, description="The audit trail (in GET /jobs/{id}).")
    runner: dict[str, Any] | None = Field(None, description="Who runs the job (after POST).")


class JobList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Job]
    has_more: bool


class JobEvent(BaseModel):
    object: Literal["fine_tuning.job.event"] = "fine_tuning.job.event"
    id: str
    created_at: int
    level: Literal["info", "warn", "error"]
    message: str
    type: Literal["message", "metrics"]
    data: dict[str, Any]


class JobEventList(BaseModel):
    object: Literal["list"] = "list"
    data: list[JobEvent]
    has_more: bool


class Checkpoint(BaseModel):
    object: Literal["fine_tuning.job.checkpoint"] = "fine_tuning.job.checkpoint"
    id: str
    created_at: int | None
    fine_tuned_model_checkpoint: str
    fine_tuning_job_id: str
    step_number: int
    metrics: dict[str, Any]
    kind: Literal["training", "final"]
    phase: str


class CheckpointList(BaseModel):
    object: Literal["list"] = "list"
    data: list[Checkpoint]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None


# -- registry ----------------------------------------------------------------------------------
class DeployRequest(Strict):
    target: str = Field(..., pattern=TARGET, description="A role (deacon, witness, polecat, crew, mayor) or a rig.")


class Deployment(BaseModel):
    target: str
    model: str
    action: str
    previous: str | None
    at: str
    actor: str
    reason: str | None


class PromoteResult(BaseModel):
    model: str
    deployments: list[Deployment]


# -- tokens and the session --------------------------------------------------------------------
class TokenCreate(Strict):
    name: str = Field(..., pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    scope: Literal["read", "write", "admin"] = "read"


class Token(BaseModel):
    id: str
    name: str
    scope: str
    prefix: str
    created_at: str
    created_by: str
    last_used_at: str | None
    revoked_at: str | None
    active: bool


class NewToken(Token):
    token: str = Field(description="The secret. Shown once: it is not stored (only its SHA-256 is).")


class WhoAmI(BaseModel):
    name: str
    scope: str
    token_id: str | None
    loopback_bind: bool
    open_loopback_reads: bool
