"""A self-contained HTML eval report: a table and an inline-SVG bar chart (no scripts, no
network), base vs candidate per category."""

from __future__ import annotations

from html import escape
from typing import Any

BAR_W, GAP, CHART_H, LABEL_H = 26, 18, 180, 60
COLORS = {"base": "#9aa5b1", "candidate": "#2f7ed8"}


def bar_chart(rows: list[dict[str, Any]]) -> str:
    width = max(1, len(rows)) * (2 * BAR_W + GAP) + GAP + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{CHART_H + LABEL_H + 20}" '
        f'role="img" aria-label="pass rate by category">'
    ]
    for pct in (0, 50, 100):
        y = 10 + CHART_H * (1 - pct / 100)
        parts.append(
            f'<line x1="36" x2="{width}" y1="{y}" y2="{y}" stroke="#ddd"/>'
            f'<text x="2" y="{y + 4}" font-size="10">{pct}%</text>'
        )
    for i, row in enumerate(rows):
        x0 = 40 + i * (2 * BAR_W + GAP)
        for j, who in enumerate(("base", "candidate")):
            rate = row.get(who)
            if rate is None:
                continue
            h = CHART_H * rate
            parts.append(
                f'<rect x="{x0 + j * BAR_W}" y="{10 + CHART_H - h:.1f}" width="{BAR_W - 2}" '
                f'height="{h:.1f}" fill="{COLORS[who]}"><title>{escape(row["category"])} '
                f"{who}: {rate:.0%}</title></rect>"
            )
        parts.append(
            f'<text x="{x0}" y="{CHART_H + 24}" font-size="10" '
            f'transform="rotate(25 {x0} {CHART_H + 24})">{escape(row["category"])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def _delta(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:+.1f} pts"


def render_html(title: str, comparison: dict[str, Any], meta: dict[str, str]) -> str:
    rows = comparison["categories"]
    note = " <small>(exact-match rate; the gate weighs its mean)</small>"
    table = "".join(
        f"<tr><td>{escape(r['category'])}{note if r['informational'] else ''}"
        f"</td><td>{_pct(r['base'])}</td><td>{_pct(r['candidate'])}</td><td>{_delta(r['delta'])}</td>"
        f"<td>{r['total']}</td></tr>"
        for r in rows
    )
    fails = "".join(
        f"<li><b>{escape(f['id'])}</b> ({escape(f['task'])}): {escape('; '.join(f['reasons']) or 'failed')}"
        f"<pre>{escape(f['reply'])}</pre></li>"
        for f in comparison["failures"]
    )
    from forge.evaluate.gate import gate_rows

    g = comparison.get("gate") or {}
    head, grows = gate_rows(g) if g.get("roles") else ([], [])
    gate_html = ""
    if grows:
        verdict = "passed" if g["passed"] else "failed"
        gate_html = (
            f"<h2>Gate (every role's weighted score ≥ {_pct(g['threshold'])}): {verdict}</h2>"
            f"<p>{escape(g['reason'])}</p><table><tr>"
            + "".join(f"<th>{escape(h)}</th>" for h in head)
            + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in grows)
            + "</table>"
        )
    info = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in meta.items())
    legend = " ".join(f'<span style="color:{c}">■</span> {w}' for w, c in COLORS.items())
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}td,th{{padding:4px 10px;text-align:left}}
pre{{background:#f4f4f4;padding:6px;white-space:pre-wrap}}dt{{font-weight:bold;float:left;width:8em}}</style>
</head><body><h1>{escape(title)}</h1><dl>{info}</dl>
<p>Score: candidate <b>{_pct(comparison["candidate_score"])}</b>, base {_pct(comparison["base_score"])},
delta {_delta(comparison["delta"])} over {comparison["n_prompts"]} prompts.</p>
<p>{legend}</p>{bar_chart(rows)}
<table><tr><th>category</th><th>base</th><th>candidate</th><th>delta</th><th>prompts</th></tr>{table}</table>
{gate_html}
<h2>Failing examples (candidate)</h2><ul>{fails or "<li>none</li>"}</ul></body></html>
"""
