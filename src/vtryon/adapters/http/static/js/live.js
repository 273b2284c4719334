// Live nails page: camera -> encoded frame -> WebSocket (protocol v1) -> painted frame -> canvas.
// Exactly one frame is in flight: the next is sent when the result comes back (or after a timeout), so
// latency never builds up behind a queue, whatever the network or the server's speed.

import { api, describeError } from "./api.js";
import { grabFrame, openCamera, stopStream, supportsWebp } from "./camera.js";
import { LiveConnection } from "./connection.js";
import { DesignPanel } from "./designs.js";
import { encodeFrame, mimeOf } from "./protocol.js";
import { SessionKeeper } from "./sessions.js";

const $ = (id) => document.getElementById(id);
const IN_FLIGHT_TIMEOUT_MS = 1500;
const DEFAULT_MAX_FPS = 30;
const SETTINGS_KEY = "vtryon.live.settings";
// "Auto" sends WebP (smaller on the air) unless this device takes longer than this to encode a frame:
// then JPEG, whose encoder is several times faster, keeps the frame rate up.
const WEBP_BUDGET_MS = 15;

const video = $("camera");
const view = $("view");
const viewCtx = view.getContext("2d");
const sendCanvas = document.createElement("canvas");

function loadSettings() {
  const defaults = { size: 640, quality: 0.7, format: "auto" };
  try {
    return { ...defaults, ...JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}") };
  } catch {
    return defaults;
  }
}

const live = {
  settings: loadSettings(),
  webp: false,
  facing: "user",
  stream: null,
  cameraFps: DEFAULT_MAX_FPS,
  paused: false,
  frameNumber: 0,
  inFlight: null, // {frameNumber, sentAt}
  framesSent: 0,
  resultsReceived: 0,
  framesTimedOut: 0,
  resultTimes: [], // performance.now() of recent results, for FPS
  fps: 0,
  frameRttMs: null,
  lastResult: null, // {header, blob}
  lastStats: null,
  lastError: null,
  designs: [],
  encodeMs: { webp: null, jpeg: null, png: null }, // moving averages
  encodeSamples: { webp: 0, jpeg: 0, png: 0 },
  format: null, // what the last frame was sent as
  get mirrored() {
    return this.facing === "user";
  },
};

const keeper = new SessionKeeper({ mirrored: live.mirrored });
const connection = new LiveConnection({ prepare: (lastClose) => keeper.prepare(lastClose) });

// ---------- indicator, notices ----------

let toastTimer = null;
function toast(text, ms = 2500) {
  const el = $("toast");
  el.replaceChildren(...(Array.isArray(text) ? text : [text]));
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.hidden = true; }, ms);
}

function notice(text) {
  const el = $("notice");
  el.textContent = text || "";
  el.hidden = !text;
}

const STATE_LABELS = {
  idle: "Starting…",
  connecting: "Connecting…",
  open: "Live",
  waiting: "Reconnecting…",
  closed: "Closed",
};

function renderIndicator() {
  const state = live.paused && connection.state === "open" ? "paused" : connection.state;
  $("indicator").dataset.state = state;
  $("conn-state").textContent = state === "paused" ? "Paused" : STATE_LABELS[state] || state;
  const rtt = connection.rttMs ?? live.frameRttMs;
  $("conn-rtt").textContent = rtt == null ? "– ms" : `${Math.round(rtt)} ms`;
  $("conn-fps").textContent = `${live.fps.toFixed(live.fps < 10 ? 1 : 0)} fps`;
  const s = live.lastStats;
  $("stats-line").textContent =
    `${(live.format || "–").toUpperCase()}` +
    (live.encodeMs[live.format] != null ? ` encoded in ${Math.round(live.encodeMs[live.format])} ms` : "") +
    ` · sent ${live.framesSent} · rendered ${live.resultsReceived} · timed out ${live.framesTimedOut}` +
    (live.frameRttMs != null ? ` · frame round trip ${Math.round(live.frameRttMs)} ms` : "") +
    (s ? ` · server dropped ${s.frames_dropped}, mean ${Math.round(s.mean_latency_ms)} ms` : "");
}

function updateFps() {
  const now = performance.now();
  while (live.resultTimes.length && now - live.resultTimes[0] > 2000) live.resultTimes.shift();
  const n = live.resultTimes.length;
  live.fps = n >= 2 ? ((n - 1) * 1000) / Math.max(1, live.resultTimes[n - 1] - live.resultTimes[0]) : 0;
  if (n && now - live.resultTimes[n - 1] > 1000) live.fps = 0;
}

setInterval(() => {
  updateFps();
  renderIndicator();
}, 500);

// ---------- the frame loop ----------

function chosenFormat() {
  if (!live.webp || live.settings.format === "jpeg") return "jpeg";
  if (live.settings.format === "webp") return "webp";
  const tooSlow = live.encodeSamples.webp >= 5 && live.encodeMs.webp > WEBP_BUDGET_MS;
  return tooSlow ? "jpeg" : "webp";
}

function recordEncode(format, ms) {
  const n = ++live.encodeSamples[format];
  const prev = live.encodeMs[format];
  live.encodeMs[format] = prev == null ? ms : prev + (ms - prev) / Math.min(n, 20);
}

let pumping = false;
let lastSendAt = 0;
let pumpTimer = null;

/** Send one frame if nothing is in flight; re-arms itself through results and timeouts. */
async function pump() {
  clearTimeout(pumpTimer);
  if (pumping || live.paused || !connection.isOpen || !live.stream) return;
  const now = performance.now();
  if (live.inFlight) {
    const age = now - live.inFlight.sentAt;
    if (age < IN_FLIGHT_TIMEOUT_MS) {
      pumpTimer = setTimeout(pump, IN_FLIGHT_TIMEOUT_MS - age);
      return;
    }
    live.framesTimedOut += 1; // lost or very late: give up on it so the stream keeps moving
    live.inFlight = null;
  }
  // Never faster than the server allows, nor than the camera delivers new pictures (a repeated picture
  // costs the server a frame and shows nothing new).
  const maxFps = Math.min((connection.ready && connection.ready.max_fps) || DEFAULT_MAX_FPS, live.cameraFps);
  const wait = 1000 / maxFps - (now - lastSendAt);
  if (wait > 1) {
    pumpTimer = setTimeout(pump, wait);
    return;
  }
  pumping = true;
  try {
    const started = performance.now();
    const frame = await grabFrame(video, sendCanvas, {
      width: Number(live.settings.size),
      mirror: live.mirrored,
      format: chosenFormat(),
      quality: Number(live.settings.quality),
    });
    if (!frame || !connection.isOpen || live.paused) {
      pumpTimer = setTimeout(pump, 50);
      return;
    }
    recordEncode(frame.format, performance.now() - started);
    live.format = frame.format;
    live.frameNumber += 1;
    const timestamp = performance.timeOrigin + performance.now();
    const message = encodeFrame(
      { frameNumber: live.frameNumber, timestamp, format: frame.format, width: frame.width, height: frame.height },
      frame.bytes,
    );
    if (connection.sendBinary(message)) {
      live.inFlight = { frameNumber: live.frameNumber, sentAt: performance.now() };
      lastSendAt = live.inFlight.sentAt;
      live.framesSent += 1;
      pumpTimer = setTimeout(pump, IN_FLIGHT_TIMEOUT_MS);
    }
  } catch (err) {
    live.lastError = String(err);
    pumpTimer = setTimeout(pump, 200);
  } finally {
    pumping = false;
  }
}

let drawing = Promise.resolve();
function onResult({ header, payload }) {
  if (header.type !== "result") return;
  const now = performance.now();
  if (live.inFlight && header.frame_number >= live.inFlight.frameNumber) live.inFlight = null;
  live.resultsReceived += 1;
  live.resultTimes.push(now);
  live.frameRttMs = performance.timeOrigin + now - header.timestamp;
  const blob = new Blob([payload], { type: mimeOf(header.format) });
  live.lastResult = { header, blob };
  pump(); // the next frame goes out while this one is decoded and drawn
  drawing = drawing.then(async () => {
    try {
      const bitmap = await createImageBitmap(blob);
      if (view.width !== bitmap.width || view.height !== bitmap.height) {
        view.width = bitmap.width;
        view.height = bitmap.height;
      }
      viewCtx.drawImage(bitmap, 0, 0);
      bitmap.close();
      view.hidden = false;
      $("capture").disabled = false;
    } catch (err) {
      live.lastError = `undecodable result: ${err}`;
    }
  });
}

// ---------- connection events ----------

connection.addEventListener("state", ({ detail }) => {
  if (detail.state === "open") {
    notice("");
    live.inFlight = null;
    if (live.paused) connection.sendControl({ type: "pause" });
    pump();
  } else if (detail.state === "waiting") {
    live.inFlight = null;
    view.hidden = true; // show the plain camera while we are away, rather than a frozen frame
    $("capture").disabled = true;
    if (detail.attempt > 1) notice(`Connection lost — retrying in ${Math.ceil(detail.delay / 1000)} s…`);
  }
  renderIndicator();
});

connection.addEventListener("control", ({ detail: message }) => {
  if (message.type === "stats") live.lastStats = message;
  else if (message.type === "error") {
    live.lastError = `${message.code}: ${message.message}`;
    toast(`Server: ${message.message}`);
    if (message.code === "rate_limited") lastSendAt = performance.now() + 500;
  }
});

connection.addEventListener("result", ({ detail }) => onResult(detail));
connection.addEventListener("problem", ({ detail: err }) => {
  live.lastError = err && err.message ? err.message : String(err);
  if (err && err.code && err.name === "ApiError") notice(describeError(err));
});

keeper.addEventListener("session", ({ detail }) => {
  if (detail.renewal) toast("Session renewed");
});

// ---------- controls ----------

function setPaused(paused) {
  live.paused = paused;
  const button = $("pause");
  button.setAttribute("aria-pressed", String(paused));
  button.querySelector(".label").textContent = paused ? "Resume" : "Pause";
  button.querySelector(".glyph").textContent = paused ? "▶" : "❚❚";
  connection.sendControl({ type: paused ? "pause" : "resume" });
  if (!paused) pump();
  renderIndicator();
}

async function capture() {
  const result = live.lastResult;
  if (!result || !keeper.id) return;
  const button = $("capture");
  button.disabled = true;
  const form = new FormData();
  form.append("session_id", keeper.id);
  form.append("processed_image", result.blob, `capture-${result.header.frame_number}.jpg`);
  form.append("confidence_score", String(Math.max(0, Math.min(1, result.header.confidence || 0))));
  form.append(
    "metadata",
    JSON.stringify({
      frame_number: result.header.frame_number,
      hands: result.header.hands,
      nails: result.header.nails,
      processing_ms: result.header.processing_ms,
      post_id: keeper.recipe && keeper.recipe.mode === "explore" ? keeper.recipe.post_id : null,
      facing: live.facing,
      user_agent: navigator.userAgent,
    }),
  );
  try {
    const { body } = await api.saveResult(form);
    live.lastCapture = body.result;
    const link = document.createElement("a");
    link.href = body.result.image_url;
    link.target = "_blank";
    link.rel = "noopener";
    link.textContent = "view";
    toast(["Saved ✓ ", link], 4000);
  } catch (err) {
    toast(describeError(err), 5000);
  } finally {
    button.disabled = false;
  }
}

async function startCamera() {
  stopStream(live.stream);
  live.stream = null;
  try {
    live.stream = await openCamera(video, live.facing);
    const track = live.stream.getVideoTracks()[0];
    live.cameraFps = (track && track.getSettings().frameRate) || DEFAULT_MAX_FPS;
    video.classList.toggle("mirrored", live.mirrored);
    keeper.mirrored = live.mirrored;
    notice("");
    pump();
  } catch (err) {
    const text = err.name === "NotAllowedError"
      ? "Camera permission was denied. Allow the camera for this site and reload."
      : err.name === "NotFoundError"
        ? "No camera found on this device."
        : `Cannot open the camera: ${err.message}`;
    notice(text);
  }
}

async function switchCamera() {
  live.facing = live.facing === "user" ? "environment" : "user";
  await startCamera();
  // The renderer was told at creation whether frames are mirrored; a camera that differs needs a session
  // that says so (the design or picture carries over).
  if (keeper.session && keeper.session.mirrored !== live.mirrored) {
    try {
      await keeper.create();
      connection.restart();
    } catch (err) {
      toast(describeError(err), 5000);
    }
  }
}

function toggleFullscreen() {
  const el = document.documentElement;
  if (document.fullscreenElement || document.webkitFullscreenElement) {
    (document.exitFullscreen || document.webkitExitFullscreen).call(document);
  } else {
    const request = el.requestFullscreen || el.webkitRequestFullscreen;
    if (request) Promise.resolve(request.call(el, { navigationUI: "hide" })).catch(() => {});
  }
}

const designPanel = new DesignPanel({
  panel: $("designs-panel"),
  toggle: $("open-designs"),
  grid: $("designs"),
  file: $("reference-file"),
  onPick: async (design) => {
    const wasUpload = keeper.recipe && keeper.recipe.mode === "upload";
    keeper.useDesign(design.id);
    if (wasUpload || !connection.isOpen) {
      // A different mode needs a different session.
      try {
        await keeper.create();
        connection.restart();
      } catch (err) {
        toast(describeError(err), 5000);
      }
    } else {
      connection.sendControl({ type: "design", post_id: design.id });
    }
    toast(`Design: ${design.name}`);
  },
  onUpload: async (file) => {
    keeper.useReference(file);
    try {
      await keeper.create();
      connection.restart();
      toast("Using your nail picture");
    } catch (err) {
      toast(describeError(err), 5000);
    }
  },
});

const settingsPanel = {
  panel: $("settings-panel"),
  toggle: $("open-settings"),
  open() {
    designPanel.close();
    this.panel.classList.add("open");
    this.panel.setAttribute("aria-hidden", "false");
    this.toggle.setAttribute("aria-expanded", "true");
  },
  close() {
    this.panel.classList.remove("open");
    this.panel.setAttribute("aria-hidden", "true");
    this.toggle.setAttribute("aria-expanded", "false");
  },
  get isOpen() {
    return this.panel.classList.contains("open");
  },
};

function saveSettings() {
  try { localStorage.setItem(SETTINGS_KEY, JSON.stringify(live.settings)); } catch { /* private mode */ }
}

function wireControls() {
  $("pause").addEventListener("click", () => setPaused(!live.paused));
  $("capture").addEventListener("click", capture);
  $("switch").addEventListener("click", switchCamera);
  $("fullscreen").addEventListener("click", toggleFullscreen);
  if (!(document.fullscreenEnabled || document.webkitFullscreenEnabled)) $("fullscreen").hidden = true;
  $("open-designs").addEventListener("click", () => {
    settingsPanel.close();
    designPanel.isOpen ? designPanel.close() : designPanel.open();
  });
  $("open-settings").addEventListener("click", () => (settingsPanel.isOpen ? settingsPanel.close() : settingsPanel.open()));
  for (const button of document.querySelectorAll(".close-sheet")) {
    button.addEventListener("click", () => {
      designPanel.close();
      settingsPanel.close();
    });
  }
  const size = $("setting-size");
  const quality = $("setting-quality");
  const format = $("setting-format");
  size.value = String(live.settings.size);
  quality.value = String(live.settings.quality);
  format.value = live.settings.format;
  $("setting-quality-out").textContent = Number(live.settings.quality).toFixed(2);
  size.addEventListener("change", () => { live.settings.size = Number(size.value); saveSettings(); });
  quality.addEventListener("input", () => {
    live.settings.quality = Number(quality.value);
    $("setting-quality-out").textContent = Number(quality.value).toFixed(2);
    saveSettings();
  });
  format.addEventListener("change", () => { live.settings.format = format.value; saveSettings(); });
  // A phone's first tap on the picture goes full screen: the controls stay reachable either way.
  if (matchMedia("(pointer: coarse)").matches) {
    view.addEventListener("click", () => {
      if (!document.fullscreenElement) toggleFullscreen();
    }, { once: true });
  }
}

async function loadDesigns() {
  try {
    const { body } = await api.designs();
    live.designs = body.designs || [];
  } catch (err) {
    notice(describeError(err));
    live.designs = [];
  }
  designPanel.render(live.designs);
  return live.designs;
}

async function main() {
  wireControls();
  live.webp = await supportsWebp();
  const params = new URLSearchParams(location.search);
  const [designs] = await Promise.all([loadDesigns(), startCamera()]);
  const wanted = Number(params.get("post_id"));
  const first = designs.find((d) => d.id === wanted) || designs[0];
  keeper.useDesign(first ? first.id : wanted || 1);
  designPanel.select(first ? first.id : null);
  connection.start();
}

// Read by the browser tests, and handy in the console.
window.vtryonLive = { live, connection, keeper, setPaused, capture };
main();
