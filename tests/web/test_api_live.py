"""The REST API over a real socket on the shared trained job: OpenAI's official client against
the fine-tuning job routes, the SSE event stream, the run report in every format (CLI and API)
checked against the artifacts it reports on, and `curl` against a non-loopback bind."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import httpx2
import pytest
from typer.testing import CliRunner
from web_server import UiServer

from forge.cli import app
from forge.service import example_sources

pytestmark = pytest.mark.slow


def test_openai_client_reads_jobs_events_and_checkpoints(trained, ui_server):
    from openai import OpenAI

    client = OpenAI(base_url=f"{ui_server.url}/api/v1", api_key=trained.tokens["read"], max_retries=0)
    listed = client.fine_tuning.jobs.list(limit=50)
    assert trained.job_id in [j.id for j in listed.data]
    job = client.fine_tuning.jobs.retrieve(trained.job_id)
    assert (job.status, job.fine_tuned_model, job.model) == ("succeeded", trained.model, "forge/tiny-llama")
    assert job.hyperparameters.batch_size == "auto" and job.finished_at >= job.created_at
    events = client.fine_tuning.jobs.list_events(trained.job_id, limit=1000).data
    losses = [e.data["loss"] for e in events if e.type == "metrics" and e.data.get("stage") == "train"]
    log = json.loads((trained.forge.stored_artifact(_stage(trained, "adapter")).file("train_log.json")).read_text())
    assert losses == [round(e["loss"], 5) for e in log["log"]]  # every logged loss is an event, in order
    ckpts = client.fine_tuning.jobs.checkpoints.list(trained.job_id).data
    final = ckpts[-1]
    assert final.fine_tuned_model_checkpoint == _stage(trained, "adapter") and final.step_number == 12
    assert final.metrics.train_loss == log["final_loss"]


def test_openai_client_creates_and_cancels_with_a_write_token(trained, ui_server):
    from openai import OpenAI, PermissionDeniedError

    reader = OpenAI(base_url=f"{ui_server.url}/api/v1", api_key=trained.tokens["read"], max_retries=0)
    with pytest.raises(PermissionDeniedError):
        reader.fine_tuning.jobs.create(
            model="forge/tiny-llama", training_file=example_sources()[0], extra_body={"authorization": "gt-oa1"}
        )
    writer = OpenAI(base_url=f"{ui_server.url}/api/v1", api_key=trained.tokens["write"], max_retries=0)
    job = writer.fine_tuning.jobs.create(
        model="forge/tiny-llama",
        training_file=example_sources()[0],
        suffix="oaclient",
        hyperparameters={"batch_size": 2},
        extra_body={"authorization": "gt-oa1"},
    )
    assert job.status in ("queued", "running") and job.hyperparameters.batch_size == 2
    cancelled = writer.fine_tuning.jobs.cancel(job.id)
    deadline = time.monotonic() + 120
    while cancelled.status != "cancelled" and time.monotonic() < deadline:  # a running one stops within a step
        time.sleep(1)
        cancelled = writer.fine_tuning.jobs.retrieve(job.id)
    assert cancelled.status == "cancelled"
    trail = trained.forge.job_transitions(job.id)
    assert trail[0]["actor"] == "token:web-write" and trail[-1]["to"] == "CANCELLED"
    assert "web-write" in trail[-1]["actor"] + (trail[-1]["reason"] or "")  # who cancelled it


def test_events_stream_as_server_sent_events_until_the_job_settles(trained, ui_server):
    frames, kinds = [], []
    with httpx2.stream(
        "GET",
        f"{ui_server.url}/api/v1/fine-tuning/jobs/{trained.job_id}/events",
        headers={"Accept": "text/event-stream"},
        timeout=60,
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("event: "):
                kinds.append(line[7:])
            elif line.startswith("data: "):
                frames.append(json.loads(line[6:]))
    assert kinds[-2:] == ["state", "end"] and frames[-1] == {"id": trained.job_id, "state": "TESTS_PASSED"}
    ids = [int(f["id"]) for f, k in zip(frames, kinds, strict=True) if k not in ("state", "end")]
    assert ids == sorted(ids) and len(ids) == len(trained.forge.job_events(trained.job_id))
    # a reconnecting EventSource sends Last-Event-ID and gets only what came after it
    with httpx2.stream(
        "GET",
        f"{ui_server.url}/api/v1/fine-tuning/jobs/{trained.job_id}/events",
        headers={"Accept": "text/event-stream", "Last-Event-ID": str(ids[-3])},
        timeout=60,
    ) as r:
        resumed = [line for line in r.iter_lines() if line.startswith("id: ")]
    assert [int(x[4:]) for x in resumed] == ids[-2:]


def _stage(trained, name: str) -> str:
    return trained.forge.job(trained.job_id).result["stages"][name]["id"]


def test_run_report_reproduces_the_retrospective_table(trained, ui_server, tmp_path):
    r = CliRunner().invoke(app, ["job", "report", trained.job_id], env={"FORGE_HOME": str(trained.home)})
    assert r.exit_code == 0, r.output
    md = r.output
    adapter = trained.forge.stored_artifact(_stage(trained, "adapter"))
    log = json.loads(adapter.file("train_log.json").read_text())
    merged = trained.forge.stored_artifact(_stage(trained, "merged_model"))
    # seed 002's rows, with this run's numbers
    for row in (
        "Final Epoch",
        "Total Duration",
        "Train Loss (first → final)",
        "Output",
        "Samples/Second",
        "Steps/Second",
        "Tokens/Second",
    ):
        assert f"| **{row}** |" in md, row
    assert f"| **Train Loss (first → final)** | {log['first_loss']:.4f}".rstrip("0") in md
    runtime = log["train_runtime_s"]
    steps_per_s = float(re.search(r"\| \*\*Steps/Second\*\* \| ([0-9.]+) \|", md)[1])
    assert steps_per_s == pytest.approx(12 / runtime, abs=1e-3)  # rounded to 3 decimals
    samples = float(re.search(r"\| \*\*Samples/Second\*\* \| ([0-9.]+) \|", md)[1])
    assert samples == pytest.approx(12 * adapter.config["batch_size"] / runtime, abs=1e-3)
    assert f"| {_cat_row(trained)}" in md
    for name, digest in merged.manifest["files"].items():  # every merged file with its SHA-256 and size
        size = merged.file(name).stat().st_size
        assert f"`{name}`" in md and f"`{digest}`" in md and size > 0
    assert "## Next steps" in md and f"forge model deploy {trained.model}" in md
    # JSON and HTML from the CLI, the same through the API
    data = json.loads(
        CliRunner()
        .invoke(app, ["job", "report", trained.job_id, "--format", "json"], env={"FORGE_HOME": str(trained.home)})
        .output
    )
    assert data["training"]["steps"] == 12 and data["training"]["final_loss"] == log["final_loss"]
    assert [p[1] for p in data["training"]["phases"][0]["loss"]] == [e["loss"] for e in log["log"]]
    out = tmp_path / "report.md"
    r = CliRunner().invoke(
        app, ["job", "report", trained.job_id, "--out", str(out)], env={"FORGE_HOME": str(trained.home)}
    )
    svg = (tmp_path / "report-loss.svg").read_text()
    assert r.exit_code == 0 and "![training loss](report-loss.svg)" in out.read_text()
    pairs = re.search(r'class="loss-line"[^>]* points="([^"]+)"', svg)[1].split()
    assert svg.startswith("<svg") and len(pairs) == len(log["log"])  # one x,y pair per logged loss
    api = httpx2.get(f"{ui_server.url}/api/v1/fine-tuning/jobs/{trained.job_id}/report?format=html", timeout=30)
    assert api.status_code == 200 and "<polyline" in api.text and "Samples/Second" in api.text
    api_md = httpx2.get(f"{ui_server.url}/api/v1/fine-tuning/jobs/{trained.job_id}/report?format=md", timeout=30)
    assert api_md.headers["content-type"].startswith("text/markdown") and "| **Final Epoch** |" in api_md.text


def _cat_row(trained) -> str:
    """The first eval category's row as the report prints it: name | base | candidate."""
    cats = trained.forge.job(trained.job_id).result["categories"]
    name = sorted(set(cats["base"]) | set(cats["candidate"]))[0]
    b, c = cats["base"][name], cats["candidate"][name]
    return (
        f"{name} | {b['passed']}/{b['total']} ({b['passed'] / b['total'] * 100:.1f}%) | "
        f"{c['passed']}/{c['total']} ({c['passed'] / c['total'] * 100:.1f}%) |"
    )


@pytest.fixture(scope="module")
def public_server(trained):
    """`forge ui` bound to every interface: not loopback, so every request needs a token."""
    server = UiServer(trained, host="0.0.0.0")
    yield server
    server.stop()


def _curl(*args: str) -> tuple[int, dict]:
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, timeout=30)
    body, _, code = out.stdout.rpartition("\n")
    return int(code), json.loads(body) if body.strip() else {}


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on this machine")
def test_curl_non_loopback_bind_needs_a_token_and_read_tokens_cannot_write(trained, public_server):
    url = f"{public_server.url}/api/v1/fine-tuning/jobs"
    code, body = _curl(url)
    assert code == 401 and body["error"]["type"] == "unauthorized"
    code, body = _curl("-H", f"Authorization: Bearer {trained.tokens['read']}", url)
    assert code == 200 and trained.job_id in [j["id"] for j in body["data"]]
    job = json.dumps({"authorization": "gt-curl"})
    code, body = _curl(
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "-d",
        job,
        "-H",
        f"Authorization: Bearer {trained.tokens['read']}",
        url,
    )
    assert code == 403 and "needs write" in body["error"]["message"]
    code, body = _curl(
        "-X",
        "POST",
        "-H",
        f"Authorization: Bearer {trained.tokens['read']}",
        f"{public_server.url}/api/v1/models/{trained.model}/deploy",
        "-H",
        "Content-Type: application/json",
        "-d",
        '{"target": "rig-x"}',
    )
    assert code == 403
    code, _ = _curl(f"{public_server.url}/jobs")  # pages too: they send you to sign in
    assert code == 303
