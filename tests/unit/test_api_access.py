"""The REST API's HTTP rules in-process (Starlette's TestClient over the real app and facade; no
model trains here — tests/web/ runs a real job through the API and the browser): bearer
tokens and scopes, the UI's cookie with its CSRF header, JSON errors with a message and a
hint, body limits, and where API callers may train from."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from forge.api import create_app
from forge.service import Forge

JOB = {"authorization": "gt-api1", "suffix": "polecat", "hyperparameters": {"max_steps": 2}}


@pytest.fixture
def forge(forge_home):
    f = Forge()
    f.init_environment(allow_cpu=True, actor="pytest")
    return f


@pytest.fixture
def tokens(forge):
    return {
        scope: forge.create_token(f"t-{scope}", scope, actor="pytest")["token"] for scope in ("read", "write", "admin")
    }


def client(forge, host="127.0.0.1", started=None):
    started = started if started is not None else []
    app = create_app(forge, host=host, start_job=lambda job_id: started.append(job_id) or {"runner": "test"})
    return TestClient(app, base_url="http://127.0.0.1:8080" if host == "127.0.0.1" else "http://forge.example:8080")


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_off_loopback_no_token_is_401_and_a_read_token_cannot_write(forge, tokens):
    c = client(forge, host="0.0.0.0")
    r = c.get("/api/v1/fine-tuning/jobs")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    err = r.json()["error"]
    assert err["type"] == "unauthorized" and "not bound to loopback" in err["message"]
    assert "forge token create" in err["hint"]
    assert c.get("/jobs", follow_redirects=False).headers["location"] == "/login?next=/jobs"  # pages: sign in
    assert c.get("/api/v1/fine-tuning/jobs", headers=bearer(tokens["read"])).status_code == 200
    r = c.post("/api/v1/fine-tuning/jobs", json=JOB, headers=bearer(tokens["read"]))
    assert r.status_code == 403 and "has scope read; this needs write" in r.json()["error"]["message"]
    assert c.get("/api/v1/tokens", headers=bearer(tokens["write"])).status_code == 403
    listed = c.get("/api/v1/tokens", headers=bearer(tokens["admin"])).json()
    assert {t["name"] for t in listed} == {"t-read", "t-write", "t-admin"} and "token" not in listed[0]
    assert forge.jobs.list() == []


def test_loopback_reads_are_open_and_writes_need_a_write_token(forge, tokens):
    started = []
    c = client(forge, started=started)
    assert c.get("/api/v1/whoami").json()["name"] == "anonymous (loopback)"
    assert c.post("/api/v1/fine-tuning/jobs", json=JOB).status_code == 401
    r = c.post("/api/v1/fine-tuning/jobs", json=JOB, headers=bearer(tokens["write"]))
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["object"] == "fine_tuning.job" and job["status"] == "queued" and job["state"] == "QUEUED"
    assert job["model"] == "forge/tiny-llama" and job["hyperparameters"]["max_steps"] == 2
    assert job["transitions"][0]["actor"] == "token:t-write" and started == [job["id"]]
    r = c.post(f"/api/v1/fine-tuning/jobs/{job['id']}/cancel", headers=bearer(tokens["write"]))
    assert r.json()["status"] == "cancelled" and r.json()["transitions"][-1]["actor"] == "token:t-write"
    r = c.post(f"/api/v1/fine-tuning/jobs/{job['id']}/resume", headers=bearer(tokens["write"]))
    assert r.status_code == 201 and r.json()["resumed_from"] == job["id"] and started[-1] == r.json()["id"]


def test_the_ui_cookie_signs_reads_and_writes_only_with_the_ui_header(forge, tokens):
    c = client(forge, host="0.0.0.0")
    r = c.post("/api/v1/session", headers=bearer(tokens["write"]))
    assert r.status_code == 200 and r.json()["scope"] == "write"
    cookie = r.headers["set-cookie"]
    assert "forge_token=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert c.get("/api/v1/fine-tuning/jobs").status_code == 200  # the cookie now signs reads
    assert c.get("/jobs").status_code == 200
    r = c.post("/api/v1/fine-tuning/jobs", json=JOB)  # a cross-site form could send this much
    assert r.status_code == 403 and "web UI" in r.json()["error"]["message"]
    r = c.post("/api/v1/fine-tuning/jobs", json=JOB, headers={"X-Requested-With": "forge-ui"})
    assert r.status_code == 201
    assert c.post("/api/v1/session", headers=bearer("forge_wrong")).status_code == 401
    c.delete("/api/v1/session")
    assert c.get("/api/v1/fine-tuning/jobs").status_code == 401


def test_errors_are_json_with_a_message_and_a_hint_and_never_echo_values(forge, tokens):
    c = client(forge)
    r = c.get("/api/v1/fine-tuning/jobs/job-00000000")
    assert r.status_code == 404 and r.json()["error"]["hint"] == "`forge job list` shows the jobs there are"
    for path in ("/api/v1/datasets/dataset-..%2F..%2Fetc", "/api/v1/models/..%2Fx", "/api/v1/fine-tuning/jobs/../x"):
        assert c.get(path).status_code in (404, 422)
    secret = "AKIAIOSFODNN7EXAMPLE"
    r = c.post("/api/v1/fine-tuning/jobs", json={**JOB, "suffix": secret + "/x"}, headers=bearer(tokens["write"]))
    assert r.status_code == 422 and "suffix" in r.json()["error"]["message"] and secret not in r.text
    r = c.post(
        "/api/v1/fine-tuning/jobs",
        json={**JOB, "hyperparameters": {"trainer_args": {"push_to_hub": True}}},
        headers=bearer(tokens["write"]),
    )
    msg = r.json()["error"]["message"]
    assert r.status_code == 400 and msg.startswith("train: invalid")
    assert "'trainer_args.push_to_hub': not allowed" in msg
    r = c.post("/api/v1/fine-tuning/jobs", json={**JOB, "training_file": "/etc"}, headers=bearer(tokens["write"]))
    assert r.status_code == 403 and "outside the folders" in r.json()["error"]["message"]
    assert "server.toml" in r.json()["error"]["hint"]
    # rule files are read from the same folders as sources, never from anywhere on the server
    r = c.post(
        "/api/v1/fine-tuning/jobs",
        json={**JOB, "ingest": {"scrub_rules": ["/etc/passwd.toml"]}},
        headers=bearer(tokens["write"]),
    )
    assert r.status_code == 403 and "outside the folders" in r.json()["error"]["message"]
    for body in ({"training_file": "/data/x\x00y"}, {"sources": ["ok", "/data/\x00"]}):
        r = c.post("/api/v1/fine-tuning/jobs", json={**JOB, **body}, headers=bearer(tokens["write"]))
        assert r.status_code == 422 and r.json()["error"]["type"] == "validation_error", r.text
    r = c.get("/nowhere")
    assert r.status_code == 404 and r.json()["error"]["type"] == "http_error"
    assert forge.jobs.list() == []


def test_request_bodies_are_limited_declared_or_streamed(forge, forge_home, tokens):
    (forge_home / "server.toml").write_text("[limits]\nmax_body_bytes = 2000\n")
    c = client(forge)
    big = {**JOB, "authorization": "x" * 3000}
    r = c.post("/api/v1/fine-tuning/jobs", json=big, headers=bearer(tokens["write"]))
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"

    def chunks():  # no Content-Length: counted as it arrives
        yield b'{"authorization": "'
        for _ in range(10):
            yield b"y" * 500
        yield b'"}'

    r = c.post(
        "/api/v1/fine-tuning/jobs",
        content=chunks(),
        headers={**bearer(tokens["write"]), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert forge.jobs.list() == []
    assert c.post("/api/v1/fine-tuning/jobs", json=JOB, headers=bearer(tokens["write"])).status_code == 201


def test_a_loopback_bind_answers_only_loopback_host_names(forge):
    app = create_app(forge, host="127.0.0.1")
    # a page on evil.example whose name was re-pointed at 127.0.0.1 (DNS rebinding) gets nothing
    assert TestClient(app, base_url="http://evil.example:8080").get("/api/v1/whoami").status_code == 400
    for name in ("127.0.0.1", "localhost", "[::1]"):
        assert TestClient(app, base_url=f"http://{name}:8080").get("/api/v1/whoami").status_code == 200


def test_openapi_documents_the_routes_and_bearer_auth(forge):
    spec = client(forge).get("/openapi.json").json()
    paths = spec["paths"]
    for p in (
        "/api/v1/fine-tuning/jobs",
        "/api/v1/fine-tuning/jobs/{job_id}",
        "/api/v1/fine-tuning/jobs/{job_id}/cancel",
        "/api/v1/fine-tuning/jobs/{job_id}/resume",
        "/api/v1/fine-tuning/jobs/{job_id}/events",
        "/api/v1/fine-tuning/jobs/{job_id}/checkpoints",
        "/api/v1/fine-tuning/jobs/{job_id}/report",
        "/api/v1/datasets",
        "/api/v1/datasets/{dataset_id}",
        "/api/v1/corpora",
        "/api/v1/corpora/{corpus_id}",
        "/api/v1/models",
        "/api/v1/models/{ref}",
        "/api/v1/models/{ref}/deploy",
        "/api/v1/models/{ref}/promote",
        "/api/v1/deployments/{target}/rollback",
        "/api/v1/evals/{report_id}",
    ):
        assert p in paths, p
    assert not any(p.startswith("/api/v1/fine_tuning") for p in paths)  # the OpenAI-client alias stays out
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    events = paths["/api/v1/fine-tuning/jobs/{job_id}/events"]["get"]
    assert "text/event-stream" in events["responses"]["200"]["content"]


def test_jobs_refuse_to_start_on_a_host_that_never_passed_env_init(forge_home):
    forge = Forge()  # no init_environment
    token = forge.create_token("w", "write", actor="t")["token"]
    r = client(forge).post("/api/v1/fine-tuning/jobs", json=JOB, headers=bearer(token))
    assert r.status_code == 409 and "INACTIVE_UNSAFE" in r.json()["error"]["message"]
    assert "forge env init" in r.json()["error"]["hint"] and forge.jobs.list() == []


def test_a_job_names_its_sources_without_the_user_name_in_their_path(forge):
    """A job's sources as the API shows them (`training_file`): a user's session folder names the
    user (/home/NAME/..., Claude Code's -home-NAME-app); the reply names neither. (The job is only
    queued: the folders need not exist.)"""
    sources = ["/home/dorotheaquist/.claude/projects/-home-dorotheaquist-app", "/Users/bartholomewk/sessions"]
    job_id = forge.submit_pipeline({"sources": sources, "train": {"max_steps": 2}}).id
    r = client(forge).get(f"/api/v1/fine-tuning/jobs/{job_id}")
    assert r.status_code == 200, r.text
    assert r.json()["training_file"] == (
        "/home/<SECRET:user>/.claude/projects/-home-<SECRET:user>-app, /Users/<SECRET:user>/sessions"
    )
    assert "dorotheaquist" not in r.text and "bartholomewk" not in r.text
