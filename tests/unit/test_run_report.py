"""The run report's arithmetic and rendering on artifacts written here (the real-job version is
tests/web/test_api_live.py): rates from the run's own counts and runtime, a resumed run's rates
from the steps it ran, SFT then DPO as two phases on one curve, a running job's curve from its
events, and the SVG having one point per logged loss."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from forge.artifacts import ArtifactStore
from forge.jobs.report import build_run_report, duration_seconds
from forge.jobs.report_render import hms, loss_points, loss_svg, render, sparkline
from forge.jobs.state_machine import JobState
from forge.jobs.store import Job

T0 = datetime(2026, 1, 4, 10, 0, tzinfo=UTC)


def _adapter(store, aid, config, log, method="lora"):
    staging = store.staging("adapter")
    (staging / "train_log.json").write_text(json.dumps(log))
    return store.commit(
        staging,
        kind="adapter",
        aid=aid,
        config=config,
        inputs=[],
        extra={"method": method, "metrics": {"steps": log["steps"], "final_loss": log["final_loss"]}},
    )


def _job(state, result, config=None):
    return Job(
        id="job-0000abcd",
        kind="pipeline",
        state=state,
        authorization="gt-1",
        config=config or {"name": "polecat", "base_model": "forge/tiny-llama"},
        result=result,
        error=None,
        created_at=T0,
        updated_at=T0,
    )


def _trail(*states_and_minutes):
    return [
        {"from": None, "to": s, "at": (T0 + timedelta(minutes=m)).isoformat(), "actor": "t", "reason": None}
        for s, m in states_and_minutes
    ]


def test_rates_epochs_and_duration_come_from_the_runs_own_numbers(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    log = {
        "steps": 100,
        "train_runtime_s": 50.0,
        "tokens_per_second": 4100,
        "train_rows": 37,
        "first_loss": 5.4,
        "final_loss": 1.7,
        "eval_loss": 1.8,
        "resumed_from_step": 0,
        "log": [{"step": s, "loss": 5.4 - s * 0.037, "epoch": round(s * 8 / 37, 4)} for s in range(10, 101, 10)],
    }
    _adapter(store, "adapter-a", {"method": "sft", "batch_size": 4, "grad_accum": 2, "nproc": 1}, log)
    result = {
        "stages": {"adapter": {"id": "adapter-a", "seconds": 60}},
        "model": "polecat-v1",
        "eval_score": 0.5,
        "base_eval_score": 0.1,
        "gate": {"threshold": 0.05, "passed": True, "reason": "ok"},
        "categories": {
            "base": {"tool_choice": {"passed": 1, "total": 10}},
            "candidate": {"tool_choice": {"passed": 6, "total": 10}},
        },
    }
    trail = _trail(("QUEUED", 0), ("RUNNING", 1), ("TESTS_PASSED", 84))
    report = build_run_report(_job(JobState.TESTS_PASSED, result), trail, [], store)
    t = report["training"]
    assert (t["steps_per_second"], t["samples_per_second"]) == (2.0, 16.0)  # 100/50, 100*4*2/50
    assert t["epochs"] == round(100 * 8 / 37, 4) and t["method"] == "sft (lora)"  # the trainer's own count
    assert report["duration_s"] == 83 * 60 and hms(report["duration_s"]) == "1:23:00"
    assert report["eval"]["categories"][0]["delta"] == 0.5
    md = render(report, "md")
    assert "| **Total Duration** | 1:23:00 |" in md and "| **Steps/Second** | 2 |" in md
    assert "| tool_choice | 1/10 (10.0%) | 6/10 (60.0%) | +50.0 pts |" in md
    assert "| **Train Loss (first → final)** | 5.4 → 1.7 |" in md
    assert "`forge model publish polecat-v1" in md
    svg = loss_svg(loss_points(report))
    assert len(re.search(r'points="([^"]+)"', svg)[1].split()) == 10
    assert json.loads(render(report, "json"))["training"]["steps"] == 100
    assert "<svg" in render(report, "html") and "<script" not in render(report, "html")


def test_resumed_sft_then_dpo_are_two_phases_on_one_curve(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    sft_log = {
        "steps": 40,
        "train_runtime_s": 10.0,
        "first_loss": 3.0,
        "final_loss": 2.0,
        "resumed_from_step": 20,
        "train_rows": 10,
        "log": [{"step": 20, "loss": 3.0}, {"step": 40, "loss": 2.0}],
    }
    _adapter(store, "adapter-sft", {"method": "sft", "batch_size": 2, "grad_accum": 1}, sft_log)
    dpo_log = {
        "steps": 10,
        "train_runtime_s": 5.0,
        "first_loss": 0.69,
        "final_loss": 0.4,
        "log": [{"step": 5, "loss": 0.69}, {"step": 10, "loss": 0.4}],
    }
    _adapter(
        store,
        "adapter-dpo",
        {"method": "dpo", "start_adapter": "adapter-sft", "dpo": {"batch_size": 2, "grad_accum": 2}},
        dpo_log,
    )
    report = build_run_report(
        _job(JobState.FAILED, {"stages": {"adapter": {"id": "adapter-dpo"}}}),
        _trail(("QUEUED", 0), ("RUNNING", 0), ("FAILED", 2)),
        [],
        store,
    )
    sft, dpo = report["training"]["phases"]
    assert sft["steps_per_second"] == 2.0  # the 20 steps this run made after its checkpoint, in 10 s
    assert sft["epochs"] == 8.0  # no epoch logged: 40 steps x 2 rows / 10 rows
    assert dpo["samples_per_second"] == 8.0 and report["training"]["first_loss"] == 3.0
    assert [(s, ph) for s, _, ph in loss_points(report)] == [(20, "sft"), (40, "sft"), (45, "dpo"), (50, "dpo")]
    assert "resume" in report["next_steps"][0]


def test_a_running_job_reports_its_curve_so_far_from_events(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    events = [{"kind": "progress", "stage": "train", "step": s, "loss": 4.0 - s / 10} for s in (2, 4, 6)]
    events.append({"kind": "progress", "stage": "evaluate", "step": 3})
    report = build_run_report(
        _job(JobState.RUNNING, {"stages": {}}),
        _trail(("QUEUED", 0), ("RUNNING", 1)),
        events,
        store,
        now=T0 + timedelta(minutes=3),
    )
    assert report["live"] and report["duration_s"] == 120
    assert [p[:2] for p in loss_points(report)] == [(2, 3.8), (4, 3.6), (6, 3.4)]
    assert "still running" in render(report, "md") and "forge job logs" in report["next_steps"][0]
    assert sparkline([3.0, 2.0, 1.0]) == "█▅▁"
    assert duration_seconds(_trail(("QUEUED", 0)), False) is None
    assert "no loss logged yet" in loss_svg([])
