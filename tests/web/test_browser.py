"""The web UI in a real browser: Playwright driving Debian's Chromium (/usr/bin/chromium; no
browser download) against `forge ui` as a subprocess, through a real job:

sign in → start a job from the form → watch it live (progress bar and loss curve fed by
Server-Sent Events while the job runs in a `forge worker`) → it passes its gate → open the
model it registered and its lineage → deploy it over the earlier version on a rig → roll back.

Screenshots of every step are kept under FORGE_TEST_ARTIFACTS (default
.test-artifacts/web-ui in the repository); the test prints the folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUNNING = {"QUEUED", "RUNNING", "COMPLETED_SUCCESS", "PACKAGING_COMPLETE"}
JOB_TIMEOUT_MS = 15 * 60 * 1000  # the whole job on two shared cores, with room to spare


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("FORGE_TEST_ARTIFACTS") or Path(__file__).resolve().parents[2] / ".test-artifacts")
    folder = folder / "web-ui"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    print(f"\nweb UI screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("FORGE_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium); FORGE_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield b
        b.close()


def test_job_live_then_model_lineage_deploy_and_rollback(trained, ui_server, browser, shots):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    url = ui_server.url

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{len(list(shots.glob('*.png'))) + 1:02d}-{name}.png"), full_page=True)

    # sign in with a write token (loopback reads are open; starting jobs needs write)
    page.goto(f"{url}/login?next=/jobs")
    page.fill("#token", trained.tokens["write"])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{url}/jobs")
    assert "signed in as web-write" in page.inner_text("#who")
    assert page.locator(f"tr[data-job='{trained.job_id}']").count() == 1
    shot("jobs")

    # start a job from the form: more steps than the shared job, so it really trains
    page.fill("#new-job input[name=authorization]", "gt-ui-1")
    page.fill("#new-job input[name=max_steps]", "40")
    page.fill("#new-job input[name=logging_steps]", "2")
    page.fill("#new-job input[name=gate]", "0")
    page.uncheck("#new-job input[name=require_improvement]")
    page.fill("#new-job input[name=max_prompts]", "6")
    page.fill("#new-job input[name=max_new_tokens]", "24")
    page.click("#new-job button[type=submit]")
    page.wait_for_url(f"{url}/jobs/job-*")
    job_id = page.url.rsplit("/", 1)[-1]

    # live: loss points arrive over SSE while the job is still running
    page.wait_for_function("Number(document.querySelector('#loss-chart').dataset.points) >= 2", timeout=JOB_TIMEOUT_MS)
    state_then = page.inner_text("#job-state")
    step_then = page.inner_text("#progress-text")
    assert state_then in RUNNING, state_then
    done, total = (int(x) for x in step_then.split("/"))
    assert 0 < done < total == 40
    assert page.locator("#loss-chart polyline.loss-line").count() == 1
    assert "loss" in page.inner_text("#metrics")
    shot("job-live")

    page.wait_for_selector("body[data-job-settled='1']", timeout=JOB_TIMEOUT_MS)
    assert page.inner_text("#job-state") == "TESTS_PASSED", page.inner_text("#job-error")
    points = int(page.get_attribute("#loss-chart", "data-points"))
    assert points == 20  # 40 steps, a loss logged every 2: every one became an event and a point
    trail = page.inner_text("#trail")
    for state in ("QUEUED", "RUNNING", "COMPLETED_SUCCESS", "PACKAGING_COMPLETE", "TESTS_PASSED"):
        assert state in trail
    assert "token:web-write" in trail  # the audit trail names who started it
    model = page.inner_text("#job-model")
    assert model.startswith("polecat-v") and model != trained.model
    shot("job-done")

    # the run report page
    page.click("#report-link")
    page.wait_for_selector(".run-report")
    report = page.inner_text(".run-report")
    assert "Final Epoch" in report and "Samples/Second" in report and "SHA-256" in report
    assert page.locator(".run-report svg.loss-plot polyline").count() == 1
    shot("run-report")

    # the model and its lineage
    page.goto(f"{url}/jobs/{job_id}")
    page.click("#job-model a")
    page.wait_for_url(f"{url}/models/{model}")
    steps = page.locator("#lineage li.node").evaluate_all("els => els.map(e => e.dataset.step)")
    assert steps[:6] == ["sessions", "corpus", "dataset", "base", "adapter", "merged_model"]
    assert steps[-2:] == ["eval", "deployment"]
    assert page.locator("#model-eval tbody tr").count() >= 3
    shot("model-lineage")

    # deploy the earlier version to a rig, then the new one over it, then roll back
    def deploy(ref: str) -> None:
        page.goto(f"{url}/models/{ref}")
        page.fill("#deploy-form input[name=target]", "rig-ui")
        with page.expect_navigation(timeout=30_000):  # the page reloads once the API said yes
            page.click("#deploy-form button[type=submit]")
        assert "rig-ui" in page.inner_text("#deployed-to"), page.inner_text("#toast")

    deploy(trained.model)
    deploy(model)
    assert page.inner_text("#model-status") == "active"
    assert trained.model in page.inner_text("#model-deployments tr[data-target='rig-ui']")  # what ran before
    shot("deployed")
    page.on("dialog", lambda d: d.accept())
    with page.expect_navigation(timeout=30_000):
        page.click("#model-deployments tr[data-target='rig-ui'] button")
    assert "rig-ui" not in page.inner_text("#deployed-to")
    assert page.inner_text("#model-status") == "archived"
    page.goto(f"{url}/models")
    row = page.inner_text("#deployments tr[data-target='rig-ui']")
    assert trained.model in row and "rollback" in row
    shot("rolled-back")
    current = trained.forge.current_deployments()["rig-ui"]
    assert (current["model"], current["action"], current["actor"]) == (trained.model, "rollback", "token:web-write")

    # the dataset, corpus and eval pages of its lineage
    page.goto(f"{url}/models/{model}")
    page.click("#lineage li.node-dataset a")
    page.wait_for_selector("table.role-task")
    assert page.locator("#scrub-by-kind tbody tr").count() >= 3
    shot("dataset")
    page.goto(f"{url}/models/{model}")
    page.click("#lineage li.node-eval a")
    page.wait_for_selector("#eval-categories")
    shot("eval")
    assert errors == [], errors
    page.close()
    print(f"screenshots: {sorted(p.name for p in shots.glob('*.png'))}")
