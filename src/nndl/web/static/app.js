// The drawing page of `nndl serve`: plain JavaScript, no libraries, works offline.
//
// The canvas (dark ink on white paper) is sent as a PNG to POST api/predict,
// which prepares it exactly as `nndl predict` prepares an image file.
// Requests are throttled: while drawing at most one every THROTTLE_MS, never
// more than one in flight, and always one more after the pen lifts, so the
// answer shown is for the final drawing.  Late answers for an older drawing
// (or one cleared since) are dropped.
//
// Test hooks (window.nndl):
//   pastePixels(pixels)  draw a 784-value MNIST image (white on black, row-major)
//                        onto the canvas as if the user had drawn it, and ask.
//   isIdle()             true when every change has been answered.
//   state()              {sent, answered, last} where last is the shown answer.
"use strict";

(() => {
  const THROTTLE_MS = 100;
  const INK = "#15191e";
  const PAPER = "#ffffff";
  const LINE_WIDTH = 20;
  const SIDE = 28;

  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d");
  const seen = document.getElementById("seen");
  const seenCtx = seen.getContext("2d");
  const digitEl = document.getElementById("digit");
  const confidenceEl = document.getElementById("confidence");
  const barsEl = document.getElementById("bars");
  const statusEl = document.getElementById("status");

  // ---- the ten bars --------------------------------------------------------
  const bars = [];
  for (let d = 0; d < 10; d++) {
    const item = document.createElement("div");
    item.className = "bar";
    item.setAttribute("role", "listitem");
    item.innerHTML =
      '<span class="bar-value">&nbsp;</span>' +
      '<span class="bar-track"><span class="bar-fill"></span></span>' +
      `<span class="bar-label">${d}</span>`;
    barsEl.appendChild(item);
    bars.push({
      item,
      fill: item.querySelector(".bar-fill"),
      value: item.querySelector(".bar-value"),
    });
  }

  // ---- drawing ---------------------------------------------------------------
  let hasInk = false;
  let drawing = false;
  let last = null;
  let generation = 0;  // bumped by "clear": answers for older drawings are dropped

  function paper() {
    ctx.fillStyle = PAPER;
    ctx.fillRect(0, 0, pad.width, pad.height);
  }

  function position(event) {
    const rect = pad.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * pad.width) / rect.width,
      y: ((event.clientY - rect.top) * pad.height) / rect.height,
    };
  }

  function stroke(from, to) {
    ctx.strokeStyle = INK;
    ctx.lineWidth = LINE_WIDTH;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(to.x, to.y);
    ctx.stroke();
    hasInk = true;
  }

  pad.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    drawing = true;
    last = position(event);
    stroke(last, last);
    schedule();
  });

  pad.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    const points = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of points.length ? points : [event]) {
      const p = position(e);
      stroke(last, p);
      last = p;
    }
    schedule();
  });

  function lift(event) {
    if (!drawing) return;
    drawing = false;
    if (pad.hasPointerCapture(event.pointerId)) pad.releasePointerCapture(event.pointerId);
    schedule();
  }
  pad.addEventListener("pointerup", lift);
  pad.addEventListener("pointercancel", lift);

  function clearAll() {
    generation++;
    pending = false;
    paper();
    hasInk = false;
    lastAnswer = null;
    digitEl.textContent = "?";
    digitEl.classList.remove("has-answer");
    confidenceEl.textContent = "draw a digit to begin";
    for (const bar of bars) {
      bar.fill.style.height = "0%";
      bar.value.innerHTML = "&nbsp;";
      bar.item.classList.remove("top");
      bar.item.dataset.value = "";
    }
    seenCtx.fillStyle = "#000";
    seenCtx.fillRect(0, 0, SIDE, SIDE);
    setStatus("");
  }
  document.getElementById("clear").addEventListener("click", clearAll);

  // Drop a PNG/JPEG onto the pad: it is drawn on the paper, fitted, and read.
  pad.addEventListener("dragover", (event) => event.preventDefault());
  pad.addEventListener("drop", (event) => {
    event.preventDefault();
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (!file) return;
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      clearAll();
      const scale = Math.min(pad.width / img.width, pad.height / img.height);
      const w = img.width * scale;
      const h = img.height * scale;
      ctx.drawImage(img, (pad.width - w) / 2, (pad.height - h) / 2, w, h);
      URL.revokeObjectURL(url);
      hasInk = true;
      schedule();
    };
    img.onerror = () => setStatus("that file is not an image this browser can read", true);
    img.src = url;
  });

  // ---- asking the server -----------------------------------------------------
  let sent = 0;
  let answered = 0;
  let shown = 0;
  let inFlight = false;
  let pending = false;
  let lastSentAt = -Infinity;
  let timer = null;
  let lastAnswer = null;

  function schedule() {
    if (!hasInk) return;
    pending = true;
    pump();
  }

  function pump() {
    if (!pending || inFlight) return;
    const wait = THROTTLE_MS - (performance.now() - lastSentAt);
    if (wait > 0) {
      if (timer === null) {
        timer = setTimeout(() => {
          timer = null;
          pump();
        }, wait);
      }
      return;
    }
    pending = false;
    send();
  }

  async function send() {
    inFlight = true;
    lastSentAt = performance.now();
    const id = ++sent;
    const gen = generation;
    const body = JSON.stringify({ png: pad.toDataURL("image/png") });
    try {
      const response = await fetch("api/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      const data = await response.json();
      if (gen === generation && id > shown) {
        shown = id;
        if (response.ok) show(data);
        else setStatus(data.error || `the server answered ${response.status}`, true);
      }
    } catch (error) {
      if (gen === generation) setStatus(`no answer from the server: ${error.message}`, true);
    } finally {
      inFlight = false;
      answered = id;
      pump();
    }
  }

  function show(data) {
    lastAnswer = data;
    const acts = data.activations;
    digitEl.textContent = String(data.digit);
    digitEl.classList.add("has-answer");
    const total = acts.reduce((s, v) => s + Math.max(v, 0), 0);
    const share = total > 0 ? Math.max(acts[data.digit], 0) / total : 0;
    confidenceEl.textContent =
      `activation ${acts[data.digit].toFixed(3)} · ${(100 * share).toFixed(0)}% of the total`;
    acts.forEach((v, d) => {
      const bar = bars[d];
      const clamped = Math.min(Math.max(v, 0), 1);
      bar.fill.style.height = `${(100 * clamped).toFixed(1)}%`;
      bar.value.textContent = v.toFixed(2);
      bar.item.dataset.value = String(v);
      bar.item.title = `${d}: ${v.toFixed(4)}`;
      bar.item.classList.toggle("top", d === data.digit);
    });
    const image = seenCtx.createImageData(SIDE, SIDE);
    data.image.forEach((v, i) => {
      const g = Math.round(Math.min(Math.max(v, 0), 1) * 255);
      image.data.set([g, g, g, 255], 4 * i);
    });
    seenCtx.putImageData(image, 0, 0);
    setStatus("");
  }

  function setStatus(message, isError = false) {
    statusEl.textContent = message;
    statusEl.classList.toggle("error", isError);
  }

  // ---- the model summary -----------------------------------------------------
  fetch("api/model")
    .then((r) => r.json())
    .then((m) => {
      const parts = m.sizes
        ? [`Network [${m.sizes.join(", ")}]`]
        : [`Layers: ${m.layers.join(", ")}`];
      if (m.activation) parts.push(`${m.activation} neurons`);
      if (typeof m.test_accuracy === "number") {
        parts.push(`test accuracy ${(100 * m.test_accuracy).toFixed(2)}%`);
      }
      if (m.training && m.training.data) {
        const n = m.training.training_examples;
        parts.push(`trained on ${m.training.data === "mnist" ? "MNIST" : "the MNIST sample"}` +
          (n ? ` (${n.toLocaleString("en")} images)` : ""));
      }
      document.getElementById("model").textContent = parts.join(" · ");
    })
    .catch(() => {
      document.getElementById("model").textContent = "model summary unavailable";
    });

  // ---- test hooks --------------------------------------------------------------
  function pastePixels(pixels) {
    if (!Array.isArray(pixels) || pixels.length !== SIDE * SIDE) {
      throw new Error(`pastePixels needs ${SIDE * SIDE} values, got ${pixels && pixels.length}`);
    }
    clearAll();
    const small = document.createElement("canvas");
    small.width = SIDE;
    small.height = SIDE;
    const smallCtx = small.getContext("2d");
    const image = smallCtx.createImageData(SIDE, SIDE);
    pixels.forEach((v, i) => {
      const g = Math.round((1 - Math.min(Math.max(v, 0), 1)) * 255);  // white ink -> dark ink
      image.data.set([g, g, g, 255], 4 * i);
    });
    smallCtx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, pad.width, pad.height);
    ctx.imageSmoothingEnabled = true;
    hasInk = pixels.some((v) => v > 0);
    schedule();
  }

  window.nndl = {
    pastePixels,
    clear: clearAll,
    isIdle: () => !pending && !inFlight && timer === null && answered === sent,
    state: () => ({ sent, answered, last: lastAnswer }),
  };

  clearAll();
})();
