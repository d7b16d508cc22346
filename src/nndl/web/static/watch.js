// The live training page of `nndl watch`: plain JavaScript, no libraries, works offline.
//
// The server pushes Server-Sent Events (api/watch/events): "state" (everything so
// far: sent first, and again after a reconnect), "epoch" (one epoch's record with
// the first layer's weights and the test digits' answers after it), "progress"
// (within an epoch), "status" and "closed".  Buttons POST to api/watch/pause,
// resume and stop; Save downloads api/watch/model.npz.  When training ends the
// drawing page of `nndl serve`, on the model just trained, opens in an iframe.
//
// Test hooks (window.nndlWatch):
//   state()   {status, epochs, points: {accuracy, cost, speed}, progress, final}
//             where points counts the points drawn on each chart.
"use strict";

(() => {
  const COLORS = ["#2f6fde", "#e8710a", "#1e8e3e", "#d93025", "#9334e6", "#12a4af",
    "#b06000", "#5f6368"];
  const ACTIVE = ["training", "paused", "stopping"];
  const $ = (id) => document.getElementById(id);

  let state = null;  // the last "state", kept up to date by the other events
  const drawn = { accuracy: 0, cost: 0, speed: 0 };

  // ---- charts ------------------------------------------------------------------
  function niceTicks(lo, hi, count) {
    const span = hi - lo || Math.abs(hi) || 1;
    const raw = span / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const ticks = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) ticks.push(v);
    return ticks;
  }

  // Ticks of a log axis spanning 10^lo .. 10^hi: the decades, and 2 and 5 times
  // them when fewer than three decades show.
  function logTicks(lo, hi) {
    const decades = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) decades.push(e);
    const steps = hi - lo < 3 ? [1, 2, 5] : [1];
    const ticks = decades.flatMap((e) => steps.map((m) => m * 10 ** e))
      .filter((v) => Math.log10(v) >= lo && Math.log10(v) <= hi);
    return ticks.length > 7 ? ticks.filter((v) => Number.isInteger(Math.log10(v))) : ticks;
  }

  function format(v, log) {
    if (log) return v >= 0.01 && v < 1000 ? String(+v.toPrecision(1)) : v.toExponential(0);
    return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v))
      : String(+v.toPrecision(3));
  }

  // series: [{label, points: [[x, y]], dashed}]; options: {xMax, log, unit}
  function drawChart(canvas, series, options) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const pad = { left: 52, right: 12, top: 10, bottom: 30 };
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) &&
      (!options.log || y > 0));
    const f = options.log ? Math.log10 : (v) => v;
    let lo = Math.min(...all.map(([, y]) => f(y)));
    let hi = Math.max(...all.map(([, y]) => f(y)));
    if (!all.length) { lo = 0; hi = 1; }
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const margin = options.log ? 0.1 : 0.05 * (hi - lo);
    lo -= margin; hi += margin;
    const xMax = Math.max(options.xMax, 1);
    const X = (x) => pad.left + (plotW * x) / xMax;
    const Y = (y) => pad.top + plotH * (1 - (f(y) - lo) / (hi - lo));

    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#66707a";
    ctx.strokeStyle = "#e1e4e8";
    ctx.lineWidth = 1;
    const yTicks = options.log ? logTicks(lo, hi) : niceTicks(lo, hi, 5);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yTicks) {
      const y = Y(t);
      ctx.beginPath(); ctx.moveTo(pad.left, y); ctx.lineTo(width - pad.right, y); ctx.stroke();
      ctx.fillText(format(t, options.log) + (options.unit || ""), pad.left - 6, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(0, xMax, 6).filter(Number.isInteger)) {
      ctx.fillText(String(t), X(t), height - pad.bottom + 6);
    }
    ctx.fillText("epoch", pad.left + plotW / 2, height - 12);

    let count = 0;
    series.forEach((s, k) => {
      const pts = s.points.filter(([, y]) => Number.isFinite(y) && (!options.log || y > 0));
      ctx.strokeStyle = ctx.fillStyle = COLORS[k % COLORS.length];
      ctx.lineWidth = 2;
      ctx.setLineDash(s.dashed ? [5, 4] : []);
      ctx.beginPath();
      pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
      ctx.stroke();
      ctx.setLineDash([]);
      for (const [x, y] of pts) {
        ctx.beginPath(); ctx.arc(X(x), Y(y), 2.5, 0, 2 * Math.PI); ctx.fill();
      }
      count += pts.length;
    });
    return count;
  }

  function legend(id, series) {
    $(id).innerHTML = "";
    series.forEach((s, k) => {
      const item = document.createElement("span");
      item.textContent = s.label;
      item.style.setProperty("--swatch", COLORS[k % COLORS.length]);
      $(id).appendChild(item);
    });
  }

  function column(key, scale = 1) {
    return state.history.filter((r) => r[key] != null).map((r) => [r.epoch, r[key] * scale]);
  }

  function drawCharts() {
    const xMax = Math.max((state.info.options || {}).epochs - 1 || 1, state.history.length - 1);
    const accuracy = ["training", "validation", "test"]
      .map((name) => ({ label: `${name} data`, points: column(`${name}_accuracy`, 100),
        dashed: name === "test" }))
      .filter((s) => s.points.length);
    drawn.accuracy = drawChart($("accuracy"), accuracy, { xMax, unit: "%" });
    legend("accuracy-legend", accuracy);
    const cost = ["training", "validation"]
      .map((name) => ({ label: `${name} data`, points: column(`${name}_cost`) }))
      .filter((s) => s.points.length);
    drawn.cost = drawChart($("cost"), cost, { xMax });
    legend("cost-legend", cost);
    const labels = state.info.speed_labels || [];
    const rows = state.history.filter((r) => r.gradient_norms);
    const speed = labels.slice(0, -1).map((label, layer) => ({
      label, points: rows.map((r) => [r.epoch, r.gradient_norms[layer]]),
    }));
    drawn.speed = drawChart($("speed"), speed, { xMax, log: true });
    legend("speed-legend", speed);
  }

  // ---- the first layer's weights and the test digits ----------------------------
  function bytes(b64, Type) {  // base64 -> Uint8Array or Int8Array
    return new Type(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
  }

  function drawWeights(w) {
    const canvas = $("weights");
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!w || !w.count) return;
    const values = bytes(w.data, Int8Array);
    const cols = Math.ceil(Math.sqrt(w.count));
    const cell = Math.floor(canvas.width / cols);
    const tile = ctx.createImageData(w.side, w.side);
    const small = document.createElement("canvas");
    small.width = small.height = w.side;
    const smallCtx = small.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    for (let t = 0; t < w.count; t++) {
      for (let i = 0; i < w.side * w.side; i++) {
        const v = values[t * w.side * w.side + i] / 127;  // -1..1: blue..white..red
        const a = Math.min(Math.abs(v), 1);
        const rgb = v >= 0 ? [255, 255 * (1 - a), 255 * (1 - a) * 0.9 + 20 * a]
          : [255 * (1 - a) * 0.9 + 20 * a, 255 * (1 - 0.6 * a), 255];
        tile.data.set([rgb[0], rgb[1], rgb[2], 255], 4 * i);
      }
      smallCtx.putImageData(tile, 0, 0);
      ctx.drawImage(small, (t % cols) * cell + 1, Math.floor(t / cols) * cell + 1,
        cell - 2, cell - 2);
    }
    $("weights-note").textContent = `${w.count} ${w.what}, ${w.side}×${w.side}: ` +
      `red > 0 > blue, |w| ≤ ${w.scale.toFixed(2)}`;
  }

  function buildDigits(d) {
    const box = $("digits");
    box.innerHTML = "";
    if (!d) return;
    const pixels = bytes(d.data, Uint8Array);
    const n = d.side * d.side;
    for (let k = 0; k < d.count; k++) {
      const tile = document.createElement("div");
      tile.className = "digit-tile";
      tile.setAttribute("role", "listitem");
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = d.side;
      const ctx = canvas.getContext("2d");
      const image = ctx.createImageData(d.side, d.side);
      for (let i = 0; i < n; i++) {
        const g = 255 - pixels[k * n + i];
        image.data.set([g, g, g, 255], 4 * i);
      }
      ctx.putImageData(image, 0, 0);
      const label = document.createElement("span");
      tile.append(canvas, label);
      box.appendChild(tile);
    }
  }

  function showAnswers(snapshot) {
    if (!snapshot || !state.digits) return;
    const tiles = $("digits").children;
    let wrong = 0;
    snapshot.predictions.forEach((p, k) => {
      const truth = state.digits.labels[k];
      const tile = tiles[k];
      if (!tile) return;
      tile.classList.toggle("wrong", p !== truth);
      tile.lastChild.textContent = p === truth ? String(p) : `${p} (${truth})`;
      tile.title = `label ${truth}, the network says ${p}`;
      wrong += p !== truth;
    });
    const when = snapshot.epoch == null ? (state.final ? "the model kept" : "before training")
      : `after epoch ${snapshot.epoch}`;
    $("digits-note").textContent = `${wrong} of ${snapshot.predictions.length} wrong ` +
      `(in red, the right answer in brackets), ${when}`;
    drawWeights(snapshot.weights);
  }

  // ---- status, progress, buttons --------------------------------------------------
  function describeModel(info) {
    if (!info || !info.n_inputs) return;
    const o = info.options || {};
    const parts = [info.sizes ? `Network [${info.sizes.join(", ")}]` : info.layers.join(", ")];
    if (info.activation) parts.push(`${info.activation} neurons`);
    if (info.cost) parts.push(`${info.cost.replace("_", "-")} cost`);
    parts.push(`${o.epochs} epochs, mini-batch ${o.mini_batch_size}, η ${o.eta}` +
      (o.lmbda ? `, λ ${o.lmbda}` : ""));
    parts.push(`${info.training_examples.toLocaleString("en")} ` +
      `${info.data === "mnist" ? "MNIST" : "sample"} images`);
    $("model").textContent = parts.join(" · ");
  }

  function showStatus() {
    const s = state.status;
    const badge = $("status");
    badge.textContent = s;
    badge.dataset.status = s;
    const active = ACTIVE.includes(s);
    $("pause").hidden = s === "paused";
    $("resume").hidden = s !== "paused";
    $("pause").disabled = s !== "training";
    $("stop").disabled = !active || s === "stopping";
    $("message").textContent = state.message || "";
    $("message").classList.toggle("error", s === "failed");
    if (state.final && $("draw").hidden) {
      $("draw").src = "draw/";
      $("draw").hidden = false;
      const best = state.final.best_epoch;
      $("draw-note").textContent = "The model just trained" +
        (best == null ? "" : ` (the best epoch, ${best}, as nndl train keeps it)`) +
        " reads your drawing:";
    }
    showProgress();
  }

  function showProgress() {
    const total = (state.info.options || {}).epochs || 0;
    const epochs = state.history.length;
    const p = state.progress;
    let fraction = total ? epochs / total : 0;
    let where = total ? `epoch ${epochs} of ${total}` : "";
    if (p && ACTIVE.includes(state.status)) {
      fraction = total ? (p.epoch + p.done / p.total) / total : 0;
      where = `epoch ${p.epoch + 1} of ${total} · mini-batch ` +
        `${p.done.toLocaleString("en")} / ${p.total.toLocaleString("en")}`;
    } else if (!ACTIVE.includes(state.status) && state.final) {
      where = `${epochs} epoch${epochs === 1 ? "" : "s"} done`;
    }
    $("where").textContent = where;
    const percent = Math.min(100, 100 * fraction);
    $("progress-fill").style.width = `${percent.toFixed(1)}%`;
    document.querySelector(".progress").setAttribute("aria-valuenow", percent.toFixed(0));
  }

  async function post(action) {
    try {
      const response = await fetch(`api/watch/${action}`, { method: "POST" });
      const data = await response.json();
      if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
    } catch (error) {
      $("message").textContent = `${action}: ${error.message}`;
    }
  }
  for (const action of ["pause", "resume", "stop"]) {
    $(action).addEventListener("click", () => post(action));
  }

  // ---- the event stream ----------------------------------------------------------------
  const source = new EventSource("api/watch/events");
  const on = (name, handler) => source.addEventListener(name, (event) => {
    handler(JSON.parse(event.data));
  });
  on("state", (data) => {
    state = data;
    describeModel(state.info);
    buildDigits(state.digits);
    showAnswers(state.snapshot);
    drawCharts();
    showStatus();
  });
  on("epoch", ({ record, snapshot }) => {
    state.history.push(record);
    state.progress = null;
    if (snapshot) {
      state.snapshot = snapshot;
      showAnswers(snapshot);
    }
    drawCharts();
    showProgress();
  });
  on("progress", (progress) => {
    state.progress = progress;
    showProgress();
  });
  on("status", (data) => {
    Object.assign(state, { status: data.status, message: data.message, final: data.final });
    if (data.snapshot) {
      state.snapshot = data.snapshot;
      showAnswers(data.snapshot);
    }
    showStatus();
  });
  on("closed", (data) => {
    source.close();
    $("message").textContent = data.message;
  });
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) $("message").textContent = "reconnecting…";
  };
  window.addEventListener("resize", () => state && drawCharts());

  window.nndlWatch = {
    state: () => state && {
      status: state.status,
      epochs: state.history.length,
      points: { ...drawn },
      progress: state.progress,
      final: state.final,
    },
  };
})();
