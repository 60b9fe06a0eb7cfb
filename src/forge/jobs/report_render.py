"""The run report as Markdown, self-contained HTML or JSON, and its loss curve as SVG.

Pure functions of the report dict (forge.jobs.report). Everything they print was already in
scrubbed artifacts or the job record; the job's error text is scrubbed by the facade first.
"""

from __future__ import annotations

import html
import json
from typing import Any

FORMATS = ("md", "html", "json")
SPARK = "▁▂▃▄▅▆▇█"


# -- small formatters --------------------------------------------------------------------------
def hms(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    s = round(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def num(v: Any, digits: int = 3) -> str:
    if v is None:
        return "–"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:,.{digits}f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.1f}%"


def size(n: int | None) -> str:
    if n is None:
        return "–"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000  # type: ignore[assignment]
    return str(n)


def loss_points(report: dict[str, Any]) -> list[tuple[int, float, str]]:
    """(global step, loss, phase) over every phase; a DPO phase after SFT continues the steps."""
    out: list[tuple[int, float, str]] = []
    offset = 0
    for phase in report["training"]["phases"]:
        pts = phase.get("loss") or []
        out += [(offset + int(s), float(v), phase["phase"]) for s, v in pts]
        offset += int(phase.get("steps") or (pts[-1][0] if pts else 0))
    return out


def sparkline(values: list[float], width: int = 48) -> str:
    if not values:
        return ""
    if len(values) > width:  # every k-th point, the last included
        k = len(values) / width
        values = [values[min(len(values) - 1, int(i * k))] for i in range(width - 1)] + [values[-1]]
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - lo) / span * (len(SPARK) - 1) + 0.5))] for v in values)


# -- the SVG -----------------------------------------------------------------------------------
def loss_svg(
    points: list[tuple[int, float, str]], *, width: int = 640, height: int = 260, title: str = "training loss"
) -> str:
    """A line chart of loss against step, with axes, min/max labels and one colour per phase."""
    left, right, top, bottom = 56, 16, 28, 36
    w, h = width - left - right, height - top - bottom
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="loss-plot" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{html.escape(title)}">'
        f'<rect width="{width}" height="{height}" fill="#fff"/>'
        f'<text x="{left}" y="18" font-size="13" font-family="sans-serif" fill="#333">{html.escape(title)}</text>'
    )
    if not points:
        return head + (
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" text-anchor="middle" font-size="13" '
            'font-family="sans-serif" fill="#888">no loss logged yet</text></svg>'
        )
    steps = [p[0] for p in points]
    losses = [p[1] for p in points]
    x0, x1 = min(steps), max(steps)
    y0, y1 = min(losses), max(losses)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = (y1 - y0) * 0.05
    y0, y1 = y0 - pad, y1 + pad

    def X(s: float) -> float:
        return left + (s - x0) / (x1 - x0) * w

    def Y(v: float) -> float:
        return top + (1 - (v - y0) / (y1 - y0)) * h

    parts = [
        head,
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#999"/>',
    ]
    for v in (y0 + pad, (y0 + y1) / 2, y1 - pad):  # min, middle, max of the data
        parts.append(
            f'<line x1="{left}" y1="{Y(v):.1f}" x2="{left + w}" y2="{Y(v):.1f}" stroke="#eee"/>'
            f'<text x="{left - 6}" y="{Y(v) + 4:.1f}" text-anchor="end" font-size="11" '
            f'font-family="sans-serif" fill="#555">{v:.3g}</text>'
        )
    for s in (x0, (x0 + x1) // 2, x1):
        parts.append(
            f'<text x="{X(s):.1f}" y="{top + h + 16}" text-anchor="middle" font-size="11" '
            f'font-family="sans-serif" fill="#555">{s}</text>'
        )
    parts.append(
        f'<text x="{left + w / 2:.0f}" y="{height - 4}" text-anchor="middle" font-size="11" '
        'font-family="sans-serif" fill="#555">step</text>'
    )
    colours = {"sft": "#2563eb", "dpo": "#db2777"}
    phase_names = list(dict.fromkeys(p[2] for p in points))
    for name in phase_names:
        pts = " ".join(f"{X(s):.1f},{Y(v):.1f}" for s, v, ph in points if ph == name)
        colour = colours.get(name, "#333")
        parts.append(
            f'<polyline class="loss-line" data-phase="{name}" fill="none" stroke="{colour}" '
            f'stroke-width="2" points="{pts}"/>'
        )
    if len(phase_names) > 1:
        for i, name in enumerate(phase_names):
            parts.append(
                f'<text x="{left + w - 4}" y="{top + 14 + 14 * i}" text-anchor="end" font-size="11" '
                f'font-family="sans-serif" fill="{colours.get(name, "#333")}">{name.upper()}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


# -- the table rows (shared by Markdown and HTML) ----------------------------------------------
def summary_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    t, job = report["training"], report["job"]
    first, final = t.get("first_loss"), t.get("final_loss")
    loss = f"{num(first, 4)} → {num(final, 4)}" if first is not None else "–"
    rows = [
        ("State", job["state"] + (" (still running)" if report.get("live") else "")),
        ("Model", job.get("model") or "–"),
        ("Base", str(job.get("base_model") or "–")),
        ("Method", t.get("method") or "–"),
        ("Final Epoch", num(t.get("epochs"), 2)),
        ("Steps", num(t.get("steps"))),
        ("Total Duration", hms(report.get("duration_s"))),
        ("Training Time", hms(t.get("runtime_s"))),
        ("Train Loss (first → final)", loss),
        ("Eval Loss", num(t.get("eval_loss"), 4)),
        ("Output", t.get("output") or "–"),
        ("Samples/Second", num(t.get("samples_per_second"))),
        ("Steps/Second", num(t.get("steps_per_second"))),
        ("Tokens/Second", num(t.get("tokens_per_second"))),
    ]
    for phase in t.get("phases", []) if len(t.get("phases", [])) > 1 else []:
        rows.append(
            (
                f"{phase['phase'].upper()} phase",
                f"{num(phase.get('steps'))} steps, loss "
                f"{num(phase.get('first_loss'), 4)} → {num(phase.get('final_loss'), 4)}",
            )
        )
    if job.get("error"):
        rows.append(("Error", job["error"]))
    return rows


def eval_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    ev = report["eval"]
    rows = []
    for r in ev["categories"]:
        delta = "–" if r["delta"] is None else f"{r['delta'] * 100:+.1f} pts"
        rows.append(
            (
                r["category"],
                f"{r['base_passed'] or 0}/{r['base_total'] or 0} ({pct(r['base'])})",
                f"{r['candidate_passed'] or 0}/{r['candidate_total'] or 0} ({pct(r['candidate'])})",
                delta,
            )
        )
    if ev.get("score") is not None:
        d = ev["score"] - (ev.get("base_score") or 0.0)
        rows.append(("score", pct(ev.get("base_score")), pct(ev["score"]), f"{d * 100:+.1f} pts"))
    return rows


def gate_line(report: dict[str, Any]) -> str | None:
    g = report["eval"].get("gate")
    if not g:
        return None
    return (
        f"Gate (every role's weighted score ≥ {g.get('threshold')}): "
        + ("passed" if g.get("passed") else "failed")
        + (f" — {g['reason']}" if g.get("reason") else "")
    )


def gate_table(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """The gate's breakdown: a row per role (and overall), a column per weighted component."""
    from forge.evaluate.gate import gate_rows

    g = report["eval"].get("gate") or {}
    return gate_rows(g) if g.get("roles") else ([], [])


def export_rows(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows = []
    for e in report["exports"]:
        label = e["kind"] + (f" ({e['quant']})" if e.get("quant") else "")
        for f in e["files"]:
            rows.append((f"{label} {e['id']}", f["file"], size(f["bytes"]), f["sha256"]))
    return rows


# -- Markdown ----------------------------------------------------------------------------------
def render_markdown(report: dict[str, Any], *, plot_path: str | None = None) -> str:
    job = report["job"]
    out = [
        f"# Run report: {job['id']}" + (f" ({job['model']})" if job.get("model") else ""),
        "",
        f"**Kind:** {job['kind']} · **State:** {job['state']} · **Authorization:** {job['authorization']}"
        f" · **Created:** {job['created_at'][:19].replace('T', ' ')} UTC",
        "",
        "## Training results",
        "",
        "| Metric | Value |",
        "| :--- | :--- |",
    ]
    out += [f"| **{k}** | {_md(v)} |" for k, v in summary_rows(report)]
    points = loss_points(report)
    out += ["", "## Loss", ""]
    if plot_path:
        out.append(f"![training loss]({plot_path})")
    if points:
        out.append(
            f"`{sparkline([p[1] for p in points])}` {num(points[0][1], 4)} → {num(points[-1][1], 4)} "
            f"over {points[-1][0]} steps ({len(points)} logged points)"
        )
    else:
        out.append("No loss logged yet.")
    ev = eval_rows(report)
    out += ["", "## Eval by category (pass rate, candidate vs base)", ""]
    if ev:
        out += ["| Category | Base | Candidate | Δ |", "| :--- | ---: | ---: | ---: |"]
        out += [f"| {_md(a)} | {b} | {c} | {d} |" for a, b, c, d in ev]
        if gate_line(report):
            out += ["", gate_line(report) or ""]
        head, rows = gate_table(report)
        if rows:
            out += ["", "### Gate by role (weighted components)", ""]
            out += ["| " + " | ".join(_md(h) for h in head) + " |", "| :--- |" + " ---: |" * (len(head) - 1)]
            out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
    else:
        out.append("Not evaluated (yet).")
    ex = export_rows(report)
    out += ["", "## Exports", ""]
    if ex:
        out += ["| Artifact | File | Size | SHA-256 |", "| :--- | :--- | ---: | :--- |"]
        out += [f"| {_md(a)} | `{_md(f)}` | {s} | `{h}` |" for a, f, s, h in ex]
    else:
        out.append("No merged model or export yet.")
    out += ["", "## Next steps", ""]
    out += [f"{i}. {step}" for i, step in enumerate(report["next_steps"], 1)]
    return "\n".join(out) + "\n"


def _md(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


# -- HTML --------------------------------------------------------------------------------------
CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:980px;color:#1f2937;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #e5e7eb;padding:.3rem .6rem;text-align:left;
vertical-align:top}th{background:#f9fafb}td.num{text-align:right}code{font-size:.85em;word-break:break-all}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.6rem}.pos{color:#047857}.neg{color:#b91c1c}"""


def render_html_fragment(report: dict[str, Any]) -> str:
    """The report's body (for embedding in a page of the web UI)."""
    e = html.escape
    job = report["job"]
    parts = [
        f'<section class="run-report" data-job="{e(job["id"])}">',
        '<h2>Training results</h2><table class="report-summary"><tr><th>Metric</th><th>Value</th></tr>',
    ]
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in summary_rows(report)]
    parts.append("</table><h2>Loss</h2>")
    parts.append(loss_svg(loss_points(report)))
    ev = eval_rows(report)
    parts.append("<h2>Eval by category (pass rate, candidate vs base)</h2>")
    if ev:
        parts.append('<table class="report-eval"><tr><th>Category</th><th>Base</th><th>Candidate</th><th>Δ</th></tr>')
        for a, b, c, d in ev:
            cls = "pos" if d.startswith("+") and not d.startswith("+0.0") else "neg" if d.startswith("-") else ""
            parts.append(
                f'<tr><td>{e(a)}</td><td class="num">{e(b)}</td><td class="num">{e(c)}</td>'
                f'<td class="num {cls}">{e(d)}</td></tr>'
            )
        parts.append("</table>")
        if gate_line(report):
            parts.append(f"<p>{e(gate_line(report) or '')}</p>")
        head, rows = gate_table(report)
        if rows:
            parts.append('<table class="report-gate"><tr>' + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
            parts += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
            parts.append("</table>")
    else:
        parts.append("<p>Not evaluated (yet).</p>")
    parts.append("<h2>Exports</h2>")
    ex = export_rows(report)
    if ex:
        parts.append(
            '<table class="report-exports"><tr><th>Artifact</th><th>File</th><th>Size</th><th>SHA-256</th></tr>'
        )
        parts += [
            f'<tr><td>{e(a)}</td><td><code>{e(f)}</code></td><td class="num">{e(s)}</td>'
            f"<td><code>{e(h)}</code></td></tr>"
            for a, f, s, h in ex
        ]
        parts.append("</table>")
    else:
        parts.append("<p>No merged model or export yet.</p>")
    parts.append('<h2>Next steps</h2><ol class="report-next">')
    parts += [f"<li>{e(s)}</li>" for s in report["next_steps"]]
    parts.append("</ol></section>")
    return "".join(parts)


def render_html(report: dict[str, Any]) -> str:
    job = report["job"]
    title = f"Run report: {job['id']}" + (f" ({job['model']})" if job.get("model") else "")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(job['kind'])} · {html.escape(job['state'])} · authorization "
        f"{html.escape(job['authorization'])} · created {html.escape(job['created_at'][:19])} UTC</p>"
        f"{render_html_fragment(report)}</body></html>\n"
    )


def render(report: dict[str, Any], fmt: str) -> str:
    if fmt == "md":
        return render_markdown(report)
    if fmt == "html":
        return render_html(report)
    if fmt == "json":
        return json.dumps(report, indent=2, default=str) + "\n"
    raise ValueError(f"unknown report format {fmt!r}")
