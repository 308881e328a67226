"use strict";
// The live page: one WebSocket to the trainer (`hello` first, then each message in `seq`
// order), figures that carry their field's name in `data-metric` (and the exact value in
// `data-value`), and charts drawn on canvases. No libraries, no network beyond this server.
(() => {
  const token = new URLSearchParams(location.search).get("token");
  const withToken = (path) =>
    token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
  const $ = (selector) => document.querySelector(selector);
  const TILES = [128, 256, 512, 1024, 2048, 4096];
  const TILE_COLORS = { 128: "--s6", 256: "--s3", 512: "--s1", 1024: "--s4", 2048: "--s2", 4096: "--s5" };
  const LOSSES = [
    ["policy_loss", "policy loss", "--s1"],
    ["value_loss", "value loss", "--s2"],
    ["entropy", "entropy", "--s3"],
    ["approx_kl", "approx. KL", "--s4"],
    ["clip_fraction", "clip fraction", "--s5"],
  ];
  const MAX_POINTS = 4000;
  const RUNNING = new Set(["starting", "training", "stopping", "finishing"]);

  // ---- formatting -------------------------------------------------------------------------
  const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const grouped1 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const isNum = (v) => typeof v === "number" && Number.isFinite(v);
  const fmtInt = (v) => (isNum(v) ? grouped.format(v) : "–");
  const fmt1 = (v) => (isNum(v) ? grouped1.format(v) : "–");
  const fmtPct = (v, digits = 1) => (isNum(v) ? `${(v * 100).toFixed(digits)}%` : "–");
  const fmtSig = (v) => {
    if (!isNum(v)) return "–";
    const a = Math.abs(v);
    if (a === 0) return "0";
    if (a >= 1e5 || a < 1e-3) return v.toExponential(2);
    return String(Number(v.toPrecision(4)));
  };
  const fmtLr = (v) => (isNum(v) ? v.toExponential(2) : "–");
  const pad2 = (n) => String(n).padStart(2, "0");
  const fmtClock = (s) => {
    if (!isNum(s)) return "–";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return h ? `${h}:${pad2(m)}:${pad2(sec)}` : `${m}:${pad2(sec)}`;
  };
  const fmtMs = (ms) => {
    if (!isNum(ms)) return "–";
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 1) return `${ms.toFixed(ms >= 100 ? 0 : ms >= 10 ? 1 : 2)} ms`;
    const us = ms * 1000;
    if (us >= 1) return `${us.toFixed(us >= 100 ? 0 : us >= 10 ? 1 : 2)} µs`;
    return `${(us * 1000).toFixed(0)} ns`;
  };
  const fmtRate = (v) => (!isNum(v) ? "–" : v >= 100 ? grouped.format(v) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const fmtCompact = (v) => {
    const a = Math.abs(v);
    if (a >= 1e6) return `${+(v / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
    if (a >= 1e3) return `${+(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
    if (a >= 1 || a === 0) return String(+v.toFixed(2));
    return String(+v.toPrecision(2));
  };

  // ---- the page's figures ------------------------------------------------------------------
  function setMetric(name, value, text) {
    for (const el of document.querySelectorAll(`[data-metric="${CSS.escape(name)}"]`)) {
      const raw = value === null || value === undefined ? "" : String(value);
      if (el.dataset.value !== raw) el.dataset.value = raw;
      if (el.textContent !== text) el.textContent = text;
    }
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key === "style") node.style.cssText = value;
      else if (key.startsWith("data-")) node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const cssVar = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  // ---- the run as the messages tell it -----------------------------------------------------
  function emptySeries() {
    const series = { x: [], iteration: [], env_steps: [], score_mean: [], score_avg_100: [], score_avg_1000: [],
      steps_per_s: [], steps_smoothed: [], steps_per_s_overall: [], reach: {} };
    for (const [key] of LOSSES) series[key] = [];
    for (const tile of TILES) series.reach[tile] = [];
    return series;
  }

  const run = {
    seq: 0, dropped: 0, status: null, latest: null, timing: null, evaluation: null, finished: null,
    series: emptySeries(),
  };

  function thin(series) {
    const keep = (array) => array.filter((_, i) => i % 2 === 0 || i === array.length - 1);
    for (const key of Object.keys(series)) {
      if (key === "reach") for (const tile of TILES) series.reach[tile] = keep(series.reach[tile]);
      else series[key] = keep(series[key]);
    }
  }

  function pushIteration(m) {
    const s = run.series;
    s.x.push(m.elapsed_s);
    s.iteration.push(m.iteration);
    s.env_steps.push(m.env_steps);
    for (const key of ["score_mean", "score_avg_100", "score_avg_1000", "steps_per_s", "steps_per_s_overall"])
      s[key].push(m[key] ?? null);
    for (const [key] of LOSSES) s[key].push(m[key] ?? null);
    // An exponential moving average over about ten iterations: per-iteration throughput of
    // small iterations is noisy.
    const previous = s.steps_smoothed.length ? s.steps_smoothed[s.steps_smoothed.length - 1] : null;
    s.steps_smoothed.push(isNum(previous) && isNum(m.steps_per_s) ? previous + 0.1 * (m.steps_per_s - previous) : m.steps_per_s ?? null);
    for (const tile of TILES) s.reach[tile].push(m.reach_rates ? m.reach_rates[tile] ?? null : null);
    if (s.x.length > MAX_POINTS) thin(s);
    run.latest = m;
  }

  function newRun() {
    run.series = emptySeries();
    run.latest = null;
    run.timing = null;
    run.evaluation = null;
    run.finished = null;
  }

  function handle(message) {
    if (message.type !== "hello" && message.seq <= run.seq) return;
    if (message.dropped) run.dropped += message.dropped;
    switch (message.type) {
      case "hello":
        newRun();
        run.status = message.status;
        for (const iteration of message.history) pushIteration(iteration);
        run.timing = message.timing;
        run.evaluation = message.evaluation;
        run.finished = message.finished;
        refreshRuns();
        break;
      case "iteration":
        pushIteration(message);
        break;
      case "timing":
        run.timing = message;
        break;
      case "status":
        if (message.state === "starting") newRun();
        // The run's manifest is written by now: list it.
        if (message.state === "training" && run.status?.state !== "training") refreshRuns();
        run.status = message;
        break;
      case "evaluation":
        run.evaluation = message;
        break;
      case "finished":
        run.finished = message;
        refreshRuns();
        break;
    }
    run.seq = message.seq;
    scheduleRender();
  }

  // ---- charts ------------------------------------------------------------------------------
  function niceStep(span, count) {
    const raw = span / Math.max(1, count);
    const power = 10 ** Math.floor(Math.log10(raw));
    const fraction = raw / power;
    return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * power;
  }

  function ticks(min, max, count) {
    const step = niceStep(max - min, count);
    const out = [];
    for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(+v.toPrecision(12));
    return out;
  }

  const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400];
  function timeTicks(max, count) {
    const step = TIME_STEPS.find((s) => max / s <= count) ?? TIME_STEPS[TIME_STEPS.length - 1];
    const out = [];
    for (let v = 0; v <= max + 1e-9; v += step) out.push(v);
    return out;
  }

  class LineChart {
    // options: { x: () => array, series: [{ label, color, values: () => array, width, alpha, dash }],
    //            yFormat, range: [min, max] | null, zero, mini, xTitle }
    constructor(canvas, options) {
      this.canvas = canvas;
      this.options = options;
      this.hover = null;
      canvas.addEventListener("mousemove", (event) => {
        const box = canvas.getBoundingClientRect();
        this.hover = event.clientX - box.left;
        this.draw();
      });
      canvas.addEventListener("mouseleave", () => {
        this.hover = null;
        this.draw();
      });
    }

    draw() {
      const canvas = this.canvas;
      const width = canvas.clientWidth, height = canvas.clientHeight;
      if (!width || !height) return;
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio);
        canvas.height = Math.round(height * ratio);
      }
      const ctx = canvas.getContext("2d");
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const o = this.options;
      const muted = cssVar("--muted"), grid = cssVar("--grid"), fg = cssVar("--fg");
      const xs = o.x();
      const pad = o.mini ? { l: 2, r: 2, t: 4, b: 4 } : { l: 58, r: 14, t: 10, b: 26 };
      const plotW = width - pad.l - pad.r, plotH = height - pad.t - pad.b;
      ctx.font = "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
      if (!xs.length) {
        if (!o.mini) {
          ctx.fillStyle = muted;
          ctx.textAlign = "center";
          ctx.fillText("waiting for the first iteration", width / 2, height / 2);
        }
        return;
      }
      const series = o.series.map((s) => ({ ...s, data: s.values() }));
      let ymin = Infinity, ymax = -Infinity;
      for (const s of series)
        for (const v of s.data)
          if (isNum(v)) {
            if (v < ymin) ymin = v;
            if (v > ymax) ymax = v;
          }
      if (o.range) [ymin, ymax] = o.range;
      if (!Number.isFinite(ymin)) [ymin, ymax] = [0, 1];
      if (o.zero) ymin = Math.min(0, ymin);
      if (ymax - ymin < 1e-12) {
        const d = Math.abs(ymax) * 0.1 || 1;
        ymin -= d;
        ymax += d;
      } else if (!o.range) {
        const d = (ymax - ymin) * 0.06;
        ymax += d;
        if (!(o.zero && ymin === 0)) ymin -= d;
      }
      const xmin = 0, xmax = Math.max(xs[xs.length - 1], 1e-9);
      const X = (v) => pad.l + ((v - xmin) / (xmax - xmin)) * plotW;
      const Y = (v) => pad.t + (1 - (v - ymin) / (ymax - ymin)) * plotH;

      if (!o.mini) {
        ctx.lineWidth = 1;
        ctx.strokeStyle = grid;
        ctx.fillStyle = muted;
        ctx.textAlign = "right";
        ctx.textBaseline = "middle";
        const yTicks = ticks(ymin, ymax, Math.max(2, Math.floor(plotH / 48)));
        for (const t of yTicks) {
          const y = Math.round(Y(t)) + 0.5;
          ctx.beginPath();
          ctx.moveTo(pad.l, y);
          ctx.lineTo(width - pad.r, y);
          ctx.stroke();
          ctx.fillText((o.yFormat ?? fmtCompact)(t), pad.l - 8, y);
        }
        ctx.textAlign = "center";
        ctx.textBaseline = "top";
        for (const t of timeTicks(xmax, Math.max(2, Math.floor(plotW / 90)))) {
          const x = Math.round(X(t)) + 0.5;
          ctx.beginPath();
          ctx.moveTo(x, pad.t);
          ctx.lineTo(x, pad.t + plotH);
          ctx.stroke();
          ctx.fillText(fmtClock(t), x, pad.t + plotH + 7);
        }
      }

      ctx.save();
      ctx.beginPath();
      ctx.rect(pad.l, pad.t - 2, plotW, plotH + 4);
      ctx.clip();
      for (const s of series) {
        ctx.strokeStyle = cssVar(s.color);
        ctx.globalAlpha = s.alpha ?? 1;
        ctx.lineWidth = s.width ?? 1.75;
        ctx.lineJoin = "round";
        ctx.setLineDash(s.dash ?? []);
        ctx.beginPath();
        let drawing = false;
        for (let i = 0; i < xs.length; i++) {
          const v = s.data[i];
          if (!isNum(v)) {
            drawing = false;
            continue;
          }
          if (drawing) ctx.lineTo(X(xs[i]), Y(v));
          else ctx.moveTo(X(xs[i]), Y(v));
          drawing = true;
        }
        ctx.stroke();
      }
      ctx.restore();
      ctx.globalAlpha = 1;
      ctx.setLineDash([]);

      if (this.hover !== null && !o.mini && this.hover >= pad.l && this.hover <= width - pad.r) {
        const target = xmin + ((this.hover - pad.l) / plotW) * (xmax - xmin);
        let lo = 0, hi = xs.length - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (xs[mid] < target) lo = mid + 1;
          else hi = mid;
        }
        if (lo > 0 && Math.abs(xs[lo - 1] - target) < Math.abs(xs[lo] - target)) lo -= 1;
        const x = X(xs[lo]);
        ctx.strokeStyle = muted;
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.moveTo(Math.round(x) + 0.5, pad.t);
        ctx.lineTo(Math.round(x) + 0.5, pad.t + plotH);
        ctx.stroke();
        const lines = [`${fmtClock(xs[lo])} · iteration ${fmtInt(run.series.iteration[lo])}`];
        for (const s of series) {
          const v = s.data[lo];
          if (!isNum(v)) continue;
          ctx.fillStyle = cssVar(s.color);
          ctx.beginPath();
          ctx.arc(x, Y(v), 3, 0, Math.PI * 2);
          ctx.fill();
          lines.push(`${s.label}: ${(o.tipFormat ?? o.yFormat ?? fmtSig)(v)}`);
        }
        const boxW = Math.max(...lines.map((line) => ctx.measureText(line).width)) + 16;
        const boxH = lines.length * 16 + 8;
        const bx = x + 12 + boxW > width ? x - 12 - boxW : x + 12;
        const by = pad.t + 4;
        ctx.fillStyle = cssVar("--panel");
        ctx.strokeStyle = cssVar("--border");
        ctx.beginPath();
        ctx.roundRect(bx, by, boxW, boxH, 6);
        ctx.fill();
        ctx.stroke();
        ctx.fillStyle = fg;
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        lines.forEach((line, i) => ctx.fillText(line, bx + 8, by + 6 + i * 16));
      }
    }
  }

  function legend(container, series) {
    container.replaceChildren(
      ...series.map((s) => el("span", {}, el("i", { style: `background: var(${s.color}); opacity: ${s.alpha ?? 1}` }), s.label)),
    );
  }

  const s = () => run.series;
  const scoreSeries = [
    { label: "iteration mean", color: "--s1", values: () => s().score_mean, width: 1, alpha: 0.16 },
    { label: "last 100", color: "--s1", values: () => s().score_avg_100, width: 2.25 },
    { label: "last 1000", color: "--s2", values: () => s().score_avg_1000, width: 2.25 },
  ];
  const speedSeries = [
    { label: "per iteration", color: "--s3", values: () => s().steps_per_s, width: 1, alpha: 0.25 },
    { label: "smoothed", color: "--s3", values: () => s().steps_smoothed, width: 2.25 },
    { label: "over the run", color: "--s4", values: () => s().steps_per_s_overall, width: 2, dash: [5, 4] },
  ];
  const reachSeries = TILES.map((tile) => ({
    label: String(tile), color: TILE_COLORS[tile], values: () => s().reach[tile], width: 2,
  }));
  const charts = [
    new LineChart($("#chart-score"), { x: () => s().x, series: scoreSeries, tipFormat: fmt1 }),
    new LineChart($("#chart-reach"), { x: () => s().x, series: reachSeries, range: [0, 1], yFormat: (v) => fmtPct(v, 0) }),
    new LineChart($("#chart-speed"), { x: () => s().x, series: speedSeries, zero: true, tipFormat: fmtInt }),
  ];
  legend($("#legend-score"), scoreSeries);
  legend($("#legend-speed"), speedSeries);

  const reachTiles = $("#reach-tiles");
  for (const tile of TILES) {
    reachTiles.append(
      el("div", { class: "tile" },
        el("span", { class: "name" }, el("i", { style: `background: var(${TILE_COLORS[tile]})` }), String(tile)),
        el("span", { class: "rate", "data-metric": `reach_rates.${tile}`, "data-value": "" }, "–")),
    );
  }

  const lossBox = $("#losses");
  for (const [key, label, color] of LOSSES) {
    const canvas = el("canvas");
    lossBox.append(
      el("div", { class: "mini" },
        el("div", { class: "row" },
          el("span", { class: "name" }, label),
          el("span", { class: "value", "data-metric": key, "data-value": "", style: `color: var(${color})` }, "–")),
        canvas),
    );
    charts.push(new LineChart(canvas, { x: () => s().x, series: [{ label, color, values: () => s()[key], width: 1.5 }], mini: true }));
  }

  // ---- rendering ---------------------------------------------------------------------------
  let renderTimer = null;
  let lastRender = 0;
  function scheduleRender() {
    if (renderTimer !== null) return;
    const wait = Math.max(0, 100 - (performance.now() - lastRender));
    renderTimer = setTimeout(() => {
      renderTimer = null;
      lastRender = performance.now();
      render();
    }, wait);
  }

  function renderHeader() {
    const status = run.status ?? { state: "idle" };
    const failed = status.state === "finished" && run.finished?.reason === "failed";
    const stateEl = $("#state");
    const label = failed ? "failed" : status.state;
    setMetric("state", status.state, label);
    stateEl.className = `pill ${label}`;
    const logDir = status.settings?.metrics_path?.replace(/\/[^/]*$/, "");
    const subtitle = status.run_id ? `run ${status.run_id}` : logDir ? `run in ${logDir}` : RUNNING.has(status.state) ? "starting…" : "no run yet";
    setMetric("run_id", status.run_id ?? "", subtitle);
    const m = run.latest;
    const progress = m?.progress ?? (status.state === "finished" && run.finished?.reason === "budget_spent" ? 1 : null);
    setMetric("progress", m?.progress ?? null, fmtPct(progress, 0));
    setMetric("elapsed_s", m?.elapsed_s ?? null, fmtClock(m?.elapsed_s));
    const left = RUNNING.has(status.state) && isNum(m?.progress) && m.progress > 0.02 && m.progress < 1
      ? m.elapsed_s * (1 - m.progress) / m.progress : null;
    $("#eta").textContent = left === null ? "" : `· about ${fmtClock(left)} left`;
    $("#empty").hidden = status.state !== "idle";
    $("#progress-bar").style.width = `${Math.min(1, Math.max(0, progress ?? 0)) * 100}%`;
    $("#stop").disabled = !(status.state === "starting" || status.state === "training");
    $("#new-run").disabled = RUNNING.has(status.state);
    document.title = m && RUNNING.has(status.state)
      ? `${fmtInt(m.score_avg_100)} · ${label} · 2048 PPO`
      : `2048 PPO · ${label}`;
  }

  function renderFigures() {
    const m = run.latest ?? {};
    setMetric("score_avg_100", m.score_avg_100, fmt1(m.score_avg_100));
    setMetric("score_avg_1000", m.score_avg_1000, fmt1(m.score_avg_1000));
    setMetric("best_score", m.best_score, fmtInt(m.best_score));
    setMetric("best_tile", m.best_tile, fmtInt(m.best_tile));
    setMetric("steps_per_s", m.steps_per_s, fmtInt(m.steps_per_s));
    setMetric("steps_per_s_overall", m.steps_per_s_overall, fmtInt(m.steps_per_s_overall));
    setMetric("env_steps", m.env_steps, fmtInt(m.env_steps));
    setMetric("episodes", m.episodes, fmtInt(m.episodes));
    setMetric("iteration", m.iteration, fmtInt(m.iteration));
    setMetric("learning_rate", m.learning_rate, fmtLr(m.learning_rate));
    setMetric("reach_window", m.reach_window, fmtInt(m.reach_window));
    for (const tile of TILES) {
      const rate = m.reach_rates ? m.reach_rates[tile] : undefined;
      setMetric(`reach_rates.${tile}`, rate, fmtPct(rate));
    }
    for (const [key] of LOSSES) setMetric(key, m[key], fmtSig(m[key]));
  }

  function renderTiming() {
    const timing = run.timing;
    const body = $("#ops");
    if (!timing) {
      body.replaceChildren(el("tr", {}, el("td", { colSpan: 6, class: "muted" }, "no timing yet")));
      $("#bottlenecks").replaceChildren(el("li", { class: "muted" }, "none yet"));
      $("#recommendations").replaceChildren(el("li", { class: "muted" }, "none yet"));
      $("#timing-note").textContent = "live timing appears once a run is going";
      return;
    }
    const ended = !RUNNING.has(run.status?.state) ? "as training ended: " : "";
    $("#timing-note").textContent = timing.mode === "off"
      ? "timing is off for this run"
      : `${ended}last ${timing.interval_s.toFixed(1)} s · ${fmtMs(timing.self_ms)} of self time · findings over the last ${Math.round(timing.window_s)} s · a thread waiting for its workers counts as busy`;
    const rows = timing.operations.map((op) => {
      const name = `timing.${op.component}.${op.operation}`;
      const num = (field, value, text) =>
        el("td", { class: "num" }, el("span", { "data-metric": `${name}.${field}`, "data-value": value ?? "" }, text));
      return el("tr", { class: op.calls ? "" : "idle" },
        el("td", {},
          el("div", { class: "op-name" }, op.operation),
          el("div", { class: "op-meta" }, `${op.component} · ${op.phase}`)),
        el("td", {},
          el("div", { class: "share" },
            el("div", { class: "track" }, el("div", { class: "fill", style: `width: ${(op.share * 100).toFixed(2)}%` })),
            el("span", { class: "pct", "data-metric": `${name}.share`, "data-value": op.share }, fmtPct(op.share)))),
        num("calls_per_s", op.calls_per_s, fmtRate(op.calls_per_s)),
        num("mean_ms", op.mean_ms, fmtMs(op.mean_ms)),
        num("median_ms", op.median_ms, fmtMs(op.median_ms)),
        num("p95_ms", op.p95_ms, fmtMs(op.p95_ms)));
    });
    body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 6, class: "muted" }, "no operation timed yet"))]));
    const sev = (level) => el("span", { class: `sev ${level}` }, level);
    const bottlenecks = timing.bottlenecks.map((b) => el("li", {}, sev(b.severity), b.description));
    $("#bottlenecks").replaceChildren(...(bottlenecks.length ? bottlenecks : [el("li", { class: "muted" }, "nothing stands out")]));
    const recommendations = timing.recommendations.map((r) =>
      el("li", {}, sev(r.priority), r.recommendation, el("span", { class: "impact" }, r.impact)));
    $("#recommendations").replaceChildren(...(recommendations.length ? recommendations : [el("li", { class: "muted" }, "none")]));
  }

  function renderResult() {
    const finished = run.finished, evaluation = run.evaluation;
    const card = $("#result");
    card.hidden = !finished && !evaluation;
    if (card.hidden) return;
    const titles = { budget_spent: "Finished: budget spent", interrupted: "Stopped", failed: "Failed" };
    $("#result-title").textContent = finished ? titles[finished.reason] : "Evaluating…";
    const errorText = $("#result-error");
    errorText.hidden = !finished?.error;
    errorText.textContent = finished?.error ?? "";
    const links = [];
    if (finished?.report) links.push(el("a", { href: withToken(finished.report), target: "_blank", rel: "noopener" }, "timing report ↗"));
    if (finished?.comparison) links.push(el("a", { href: withToken(finished.comparison), target: "_blank", rel: "noopener" }, "comparison with the previous run ↗"));
    if (finished && !finished.report) links.push(el("span", { class: "muted small" }, "no report (timing mode or --no-report)"));
    $("#result-links").replaceChildren(...links);
    const evalBox = $("#evaluation");
    evalBox.hidden = !evaluation;
    if (!evaluation) return;
    setMetric("evaluation.mean_score", evaluation.mean_score, fmt1(evaluation.mean_score));
    setMetric("evaluation.median_score", evaluation.median_score, fmt1(evaluation.median_score));
    setMetric("evaluation.max_score", evaluation.max_score, fmtInt(evaluation.max_score));
    setMetric("evaluation.mean_moves", evaluation.mean_moves, fmt1(evaluation.mean_moves));
    setMetric("evaluation.games", evaluation.games, fmtInt(evaluation.games));
    $("#eval-reach").replaceChildren(...TILES.map((tile) =>
      el("div", { class: "tile" },
        el("span", { class: "name" }, el("i", { style: `background: var(${TILE_COLORS[tile]})` }), String(tile)),
        el("span", { class: "rate", "data-metric": `evaluation.reach_rates.${tile}`, "data-value": evaluation.reach_rates[tile] ?? "" },
          fmtPct(evaluation.reach_rates[tile])))));
  }

  function renderDrops() {
    const drops = $("#drops");
    drops.className = run.dropped ? "warn" : "";
    drops.textContent = run.dropped
      ? `${fmtInt(run.dropped)} messages missed (this page fell behind; the server never waits for it)`
      : "no messages missed";
  }

  function render() {
    renderHeader();
    renderFigures();
    for (const chart of charts) chart.draw();
    renderTiming();
    renderResult();
    renderDrops();
  }

  new ResizeObserver(() => {
    for (const chart of charts) chart.draw();
  }).observe(document.body);
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => render());

  // ---- runs history ------------------------------------------------------------------------
  async function refreshRuns() {
    try {
      const response = await fetch(withToken("/api/runs"));
      if (!response.ok) return;
      const listing = await response.json();
      $("#runs-dir").textContent = `in ${listing.log_dir}`;
      const current = run.status?.run_id;
      const rows = listing.runs.map((r) => {
        const settings = r.settings ?? {};
        const config = settings.config ?? settings;
        const parts = [];
        const envs = config.envs ?? config.num_envs, steps = config.steps ?? config.num_steps;
        if (envs !== undefined) parts.push(`${envs} envs`);
        if (steps !== undefined) parts.push(`${steps} steps`);
        if (config.hidden) parts.push(`hidden ${[].concat(config.hidden).join(",")}`);
        const lr = config.lr ?? config.learning_rate;
        if (lr !== undefined) parts.push(`lr ${fmtLr(lr)}`);
        const results = r.results ?? {};
        const evaluation = results.evaluation ?? {};
        const files = [];
        if (r.report) files.push(el("a", { href: withToken(r.report), target: "_blank", rel: "noopener" }, "report"));
        if (r.comparison) files.push(" ", el("a", { href: withToken(r.comparison), target: "_blank", rel: "noopener" }, "comparison"));
        const started = r.started_at ? new Date(r.started_at) : null;
        return el("tr", { class: r.id === current ? "current" : "" },
          el("td", {}, r.id, r.latest ? el("span", { class: "muted small" }, " · latest") : null),
          el("td", {}, started && !Number.isNaN(started.getTime()) ? started.toLocaleString() : "–"),
          el("td", { class: "num" }, isNum(r.duration_s) ? fmtClock(r.duration_s) : r.latest && RUNNING.has(run.status?.state) ? "running" : "–"),
          el("td", {}, r.problem ? el("span", { class: "error-text" }, r.problem) : parts.join(" · ") || "–"),
          el("td", { class: "num" }, fmtInt(results.env_steps_per_s)),
          el("td", { class: "num" }, fmt1(evaluation.mean_score)),
          el("td", {}, files.length ? files : "–"));
      });
      $("#runs").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colSpan: 7, class: "muted" }, "no runs yet"))]));
    } catch (_) {
      // The next hello or finished message lists them again.
    }
  }

  // ---- control -----------------------------------------------------------------------------
  async function post(path, body) {
    const response = await fetch(withToken(path), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? "" : JSON.stringify(body),
    });
    let answer = {};
    try {
      answer = await response.json();
    } catch (_) {
      answer = { error: `${response.status} ${response.statusText}` };
    }
    return { ok: response.ok, status: response.status, answer };
  }

  $("#stop").addEventListener("click", async () => {
    $("#stop").disabled = true;
    const { ok, answer } = await post("/api/stop");
    if (!ok) alert(answer.error ?? "could not stop the run");
  });

  const dialog = $("#run-dialog"), form = $("#run-form");
  $("#new-run").addEventListener("click", () => {
    clearErrors();
    dialog.showModal();
  });
  $("#cancel-run").addEventListener("click", () => dialog.close());
  $("#empty-start").addEventListener("click", () => $("#new-run").click());
  $("#empty-url").textContent = location.origin + withToken("/api/runs");

  function clearErrors() {
    for (const small of form.querySelectorAll(".field-error")) small.textContent = "";
    for (const input of form.querySelectorAll(".invalid")) input.classList.remove("invalid");
    $("#form-error").hidden = true;
  }

  function number(text) {
    const value = Number(text);
    return text.trim() !== "" && Number.isFinite(value) ? value : text;
  }

  function settingsFromForm() {
    const data = new FormData(form);
    const settings = {};
    const text = (name) => String(data.get(name) ?? "").trim();
    if (text("budget")) settings[text("budget_unit")] = number(text("budget"));
    for (const name of ["envs", "steps", "threads", "seed", "lr", "eval_games"])
      if (text(name)) settings[name] = number(text(name));
    if (text("hidden")) {
      const sizes = text("hidden").split(/[ ,]+/).filter(Boolean).map(number);
      settings.hidden = sizes;
    }
    if (text("reward")) settings.reward = text("reward");
    settings.timing_mode = text("timing_mode") || "full";
    return settings;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    $("#submit-run").disabled = true;
    try {
      const { ok, answer } = await post("/api/runs", settingsFromForm());
      if (ok) {
        dialog.close();
        return;
      }
      const field = (answer.field ?? "").replace(/\[.*$/, "");
      const small = field && form.querySelector(`.field-error[data-for~="${CSS.escape(field)}"]`);
      if (small) {
        small.textContent = answer.error;
        small.parentElement.querySelector("input, select")?.classList.add("invalid");
      } else {
        $("#form-error").textContent = answer.error ?? "the run could not start";
        $("#form-error").hidden = false;
      }
    } catch (error) {
      $("#form-error").textContent = `cannot reach the trainer: ${error}`;
      $("#form-error").hidden = false;
    } finally {
      $("#submit-run").disabled = false;
    }
  });

  $("#api-link").href = withToken("/api/status");

  // ---- the connection ----------------------------------------------------------------------
  let backoff = 500;
  function connect() {
    const conn = $("#conn");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(withToken(`${scheme}://${location.host}/ws`));
    socket.onopen = () => {
      backoff = 500;
      conn.className = "conn live";
      conn.lastChild.textContent = "live";
    };
    socket.onmessage = (event) => {
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        console.error("bad message", error);
      }
    };
    socket.onclose = () => {
      conn.className = "conn down";
      conn.lastChild.textContent = "reconnecting…";
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 5000);
    };
  }

  render();
  connect();
})();
