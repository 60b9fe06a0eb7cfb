// Forge web UI: the few things a server-rendered page cannot do alone: follow a job live
// (Server-Sent Events → progress bar, loss curve, audit trail, events) and call the REST API
// for the buttons and forms. No framework, no build step.
"use strict";

const UI_HEADERS = { "X-Requested-With": "forge-ui" };  // lets a cookie-signed write through (CSRF guard)

function toast(text, isError) {
  const box = document.getElementById("toast");
  if (!box) return;
  const el = document.createElement("div");
  el.className = "msg" + (isError ? " error" : "");
  el.textContent = text;
  box.appendChild(el);
  setTimeout(() => el.remove(), isError ? 12000 : 5000);
}

async function api(method, url, body, extraHeaders) {
  const headers = { ...UI_HEADERS, ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(url, { method, headers, credentials: "same-origin",
                                 body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) {
    const err = (data && data.error) || { message: `HTTP ${res.status}` };
    const e = new Error(err.message + (err.hint ? `\nhint: ${err.hint}` : ""));
    e.status = res.status;
    throw e;
  }
  return data;
}

function fail(e) {
  if (e.status === 401) {
    toast(`${e.message}\nSign in with a write token: /login`, true);
  } else {
    toast(e.message, true);
  }
}

function localTimes(root) {
  (root || document).querySelectorAll("time[datetime]").forEach((t) => {
    const d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d)) t.textContent = d.toLocaleString(undefined, { hour12: false });
  });
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

// -- buttons and forms -----------------------------------------------------------------------
function wireActions() {
  document.querySelectorAll("[data-post]").forEach((button) => {
    button.addEventListener("click", async () => {
      const question = button.getAttribute("data-confirm");
      if (question && !window.confirm(question)) return;
      button.disabled = true;
      try {
        const out = await api("POST", button.getAttribute("data-post"), {});
        if (button.getAttribute("data-follow") === "job" && out && out.id) {
          window.location.href = `/jobs/${out.id}`;
          return;
        }
        toast("done");
        setTimeout(() => window.location.reload(), 300);
      } catch (e) {
        fail(e);
        button.disabled = false;
      }
    });
  });

  const newJob = document.getElementById("new-job");
  if (newJob) newJob.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(newJob);
    const int = (k) => (f.get(k) ? parseInt(f.get(k), 10) : undefined);
    const body = {
      suffix: f.get("suffix") || undefined, authorization: f.get("authorization"),
      model: f.get("model") || undefined,
      hyperparameters: { max_steps: int("max_steps"), logging_steps: int("logging_steps") },
      gate: f.get("gate") === "" ? undefined : parseFloat(f.get("gate")),
      require_improvement: f.get("require_improvement") === "on",
      evaluate: { max_prompts: int("max_prompts"), max_new_tokens: int("max_new_tokens") },
    };
    const button = newJob.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const job = await api("POST", "/api/v1/fine-tuning/jobs", body);
      window.location.href = `/jobs/${job.id}`;
    } catch (e) {
      fail(e);
      button.disabled = false;
    }
  });

  const deploy = document.getElementById("deploy-form");
  if (deploy) deploy.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const target = new FormData(deploy).get("target");
    try {
      const d = await api("POST", `/api/v1/models/${encodeURIComponent(deploy.dataset.model)}/deploy`, { target });
      toast(`deployed ${d.model} → ${d.target}`);
      setTimeout(() => window.location.reload(), 300);
    } catch (e) { fail(e); }
  });

  const login = document.getElementById("login-form");
  if (login) login.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const token = document.getElementById("token").value.trim();
    try {
      await api("POST", "/api/v1/session", undefined, { Authorization: `Bearer ${token}` });
      window.location.href = login.dataset.next || "/jobs";
    } catch (e) { toast(e.message, true); }
  });

  document.querySelectorAll("[data-sign-out]").forEach((b) => b.addEventListener("click", async () => {
    try { await api("DELETE", "/api/v1/session"); } catch (e) { /* signed out either way */ }
    window.location.reload();
  }));
}

// -- the loss curve --------------------------------------------------------------------------
const SVG_NS = "http://www.w3.org/2000/svg";

function drawLoss(svg, series) {
  const W = 640, H = 260, L = 56, R = 16, T = 28, B = 36, w = W - L - R, h = H - T - B;
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    if (text !== undefined) n.textContent = text;
    svg.appendChild(n);
    return n;
  };
  add("rect", { width: W, height: H, fill: "#fff" });
  add("text", { x: L, y: 18, "font-size": 13, "font-family": "sans-serif", fill: "#333" }, "training loss (live)");
  const all = series.flatMap((s) => s.points);
  svg.setAttribute("data-points", String(all.length));
  if (!all.length) {
    add("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 13, fill: "#888", "font-family": "sans-serif" },
        "no loss logged yet");
    return;
  }
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05, lo = y0 - pad, hi = y1 + pad;
  const X = (s) => L + (s - x0) / (x1 - x0) * w, Y = (v) => T + (1 - (v - lo) / (hi - lo)) * h;
  add("line", { x1: L, y1: T + h, x2: L + w, y2: T + h, stroke: "#999" });
  add("line", { x1: L, y1: T, x2: L, y2: T + h, stroke: "#999" });
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    add("line", { x1: L, y1: Y(v), x2: L + w, y2: Y(v), stroke: "#eee" });
    add("text", { x: L - 6, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#555", "font-family": "sans-serif" },
        v.toPrecision(3));
  }
  for (const s of [x0, Math.round((x0 + x1) / 2), x1]) {
    add("text", { x: X(s), y: T + h + 16, "text-anchor": "middle", "font-size": 11, fill: "#555", "font-family": "sans-serif" }, s);
  }
  add("text", { x: L + w / 2, y: H - 4, "text-anchor": "middle", "font-size": 11, fill: "#555", "font-family": "sans-serif" }, "step");
  const colours = { train: "#2563eb", dpo: "#db2777" };
  for (const s of series) {
    if (!s.points.length) continue;
    add("polyline", { class: "loss-line", "data-phase": s.name, fill: "none", stroke: colours[s.name] || "#333",
                      "stroke-width": 2, points: s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" ") });
  }
}

// -- the job page ----------------------------------------------------------------------------
function followJob() {
  const dataNode = document.getElementById("job-data");
  if (!dataNode) return;
  let job = JSON.parse(dataNode.textContent);
  const svg = document.getElementById("loss-chart");
  const series = [{ name: "train", points: [] }, { name: "dpo", points: [] }];
  let trainEnd = 0, count = 0;
  const eventsList = document.getElementById("events");

  const renderJob = () => {
    const badge = document.getElementById("job-state");
    badge.textContent = job.state;
    badge.className = `badge state-${job.state}`;
    const model = document.getElementById("job-model");
    model.textContent = "";
    if (job.fine_tuned_model) model.append(el("a", { href: `/models/${job.fine_tuned_model}` }, job.fine_tuned_model));
    else model.append("–");
    document.getElementById("job-error").textContent = job.error ? job.error.message : "";
    const settled = ["succeeded", "failed", "cancelled"].includes(job.status);
    document.getElementById("cancel-job").hidden = settled;
    document.getElementById("resume-job").hidden = !["FAILED", "CANCELLED"].includes(job.state);
    const stages = document.querySelector("#stages tbody");
    stages.textContent = "";
    for (const [name, info] of Object.entries(job.stages || {})) {
      let link = info.id;
      if (info.id && info.id.startsWith("dataset-")) link = el("a", { href: `/datasets/${info.id}` }, info.id);
      else if (info.id && info.id.startsWith("corpus-")) link = el("a", { href: `/corpora/${info.id}` }, info.id);
      else if (info.id && info.id.startsWith("eval_report-")) link = el("a", { href: `/evals/${info.id}` }, info.id);
      stages.append(el("tr", {}, el("td", {}, name), el("td", {}, link || "–"), el("td", { class: "num" }, info.seconds ?? "–")));
    }
    const evalBox = document.getElementById("eval-summary");
    evalBox.textContent = "";
    if (job.eval && job.eval.score !== undefined && job.eval.score !== null) {
      const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)}%`);
      const g = job.eval.gate || {};
      evalBox.append(el("p", {}, `eval: base ${pct(job.eval.base_score)} → candidate ${pct(job.eval.score)}; gate `
                                 + (g.passed ? "passed" : `failed${g.reason ? " — " + g.reason : ""}`)));
    }
    const trail = document.querySelector("#trail tbody");
    if (job.transitions) {
      trail.textContent = "";
      for (const t of job.transitions) {
        trail.append(el("tr", {}, el("td", {}, el("time", { datetime: t.at }, t.at)), el("td", {}, t.from || ""),
                        el("td", {}, t.to), el("td", {}, t.actor), el("td", {}, t.reason || "")));
      }
      localTimes(trail);
    }
    if (job.status === "succeeded") {
      const bar = document.getElementById("progress-bar");
      bar.max = 1; bar.value = 1;
    }
  };

  const onEvent = (obj) => {
    const d = obj.data || {};
    count += 1;
    document.getElementById("event-count").textContent = `(${count})`;
    const li = el("li", {}, `${new Date(obj.created_at * 1000).toLocaleTimeString(undefined, { hour12: false })} ${obj.message}`);
    eventsList.append(li);
    while (eventsList.children.length > 400) eventsList.removeChild(eventsList.firstChild);
    eventsList.scrollTop = eventsList.scrollHeight;
    if (d.kind === "progress" || d.kind === "stage") {
      document.getElementById("stage").textContent = d.kind === "stage" ? `${d.stage}: ${d.status}` : d.stage;
      if (d.step !== undefined && d.step !== null) {
        document.getElementById("progress-text").textContent = `${d.step}/${d.total || "?"}`;
        const bar = document.getElementById("progress-bar");
        if (d.total) { bar.max = d.total; bar.value = Math.min(d.step, d.total); } else { bar.removeAttribute("value"); }
      }
    }
    if (d.kind === "progress" && typeof d.loss === "number" && (d.stage === "train" || d.stage === "dpo")) {
      const s = series.find((x) => x.name === d.stage);
      const x = d.stage === "dpo" ? trainEnd + d.step : d.step;
      if (d.stage === "train") trainEnd = Math.max(trainEnd, d.step);
      s.points.push([x, d.loss]);
      drawLoss(svg, series);
      const parts = [`loss ${d.loss.toFixed(4)}`];
      if (typeof d.lr === "number") parts.push(`lr ${d.lr.toPrecision(3)}`);
      if (typeof d.tokens_per_second === "number") parts.push(`${d.tokens_per_second} tokens/s`);
      if (typeof d.epoch === "number") parts.push(`epoch ${d.epoch}`);
      document.getElementById("metrics").textContent = parts.join(" · ");
    }
  };

  renderJob();
  drawLoss(svg, series);
  const source = new EventSource(`/api/v1/fine-tuning/jobs/${job.id}/events?after=0`);
  for (const kind of ["progress", "stage", "log", "resources"]) {
    source.addEventListener(kind, (m) => onEvent(JSON.parse(m.data)));
  }
  source.addEventListener("state", (m) => { job = JSON.parse(m.data); renderJob(); });
  source.addEventListener("end", () => {
    source.close();
    document.body.setAttribute("data-job-settled", "1");
  });
}

document.addEventListener("DOMContentLoaded", () => {
  localTimes();
  wireActions();
  followJob();
});
