// Garment try-on page: pick a person photo and a garment, submit as an asynchronous job, follow its
// progress over Server-Sent Events (queue position, then step i of n), then compare before/after.

import { api, ApiError, describeError } from "./api.js";
import { readEvents } from "./sse.js";
import { initCompare } from "./slider.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 1000;
// Phone photos are 12+ megapixels; the engines work at about 768x1024, so anything over this long side is
// scaled down before upload (seconds saved on a mobile network, same result).
const MAX_UPLOAD_SIDE = 2048;

const state = {
  person: null, // File
  cloth: null, // File (uploaded or fetched from the catalogue)
  catalogItem: null,
  personUrl: null,
  resultUrl: null,
  busy: false,
  engine: null,
  events: [], // every job snapshot seen, in order (read by the browser tests)
};

// ---------- health ----------

async function checkHealth() {
  const pill = $("health");
  try {
    const { body } = await api.health();
    state.engine = body.engine || null;
    pill.dataset.state = "ok";
    const queue = body.queue_depth ? ` · ${body.queue_depth} queued` : "";
    pill.textContent = `Ready${body.engine ? ` · ${body.engine}` : ""}${queue}`;
    pill.title = body.message || "";
    return { ok: true };
  } catch (err) {
    pill.dataset.state = err.code === "network" ? "down" : "busy";
    pill.textContent = err.code === "network" ? "Server unreachable" : "Not ready";
    pill.title = err.message;
    return { ok: false, error: err };
  }
}

// ---------- inputs ----------

function showPreview(img, file) {
  const url = URL.createObjectURL(file);
  img.onerror = () => { img.hidden = true; };
  img.onload = () => { img.hidden = false; };
  img.src = url;
  return url;
}

function setPerson(file) {
  if (!file) return;
  state.person = file;
  if (state.personUrl) URL.revokeObjectURL(state.personUrl);
  state.personUrl = showPreview($("person-preview"), file);
  hideError();
}

function setCloth(file, item = null) {
  state.cloth = file;
  state.catalogItem = item;
  for (const el of document.querySelectorAll(".catalog-item")) {
    el.setAttribute("aria-checked", String(item !== null && el.dataset.id === item.id));
  }
  if (file) showPreview($("cloth-preview"), file);
  if (item && item.cloth_type) $("cloth-type").value = item.cloth_type;
  hideError();
}

async function loadCatalog() {
  const box = $("catalog");
  let items = [];
  try {
    const response = await fetch("garments/catalog.json", { cache: "no-cache" });
    if (response.ok) items = (await response.json()).garments || [];
  } catch { /* the catalogue is optional: uploads still work */ }
  for (const item of items) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "catalog-item";
    button.dataset.id = item.id;
    button.setAttribute("role", "radio");
    button.setAttribute("aria-checked", "false");
    button.title = item.name;
    const img = document.createElement("img");
    img.src = `garments/${item.file}`;
    img.alt = item.name;
    img.loading = "lazy";
    const label = document.createElement("span");
    label.textContent = item.name;
    button.append(img, label);
    button.addEventListener("click", async () => {
      try {
        const response = await fetch(`garments/${item.file}`);
        if (!response.ok) throw new Error(`${response.status}`);
        const blob = await response.blob();
        setCloth(new File([blob], item.file, { type: blob.type || "image/jpeg" }), item);
      } catch {
        showError("Could not load that garment picture. Check your connection.");
      }
    });
    box.append(button);
  }
  box.hidden = items.length === 0;
}

// ---------- messages and progress ----------

function showError(text) {
  const el = $("form-error");
  el.textContent = text;
  el.hidden = false;
}

function hideError() {
  $("form-error").hidden = true;
}

function setProgress(fraction, label) {
  $("progress").hidden = false;
  $("placeholder").hidden = true;
  const pct = Math.round(Math.max(0, Math.min(1, fraction)) * 100);
  $("progress-fill").style.width = `${pct}%`;
  $("progress-bar").setAttribute("aria-valuenow", String(pct));
  $("progress-label").textContent = label;
}

let runningItem = null;
function logEvent(state_, text) {
  const list = $("events");
  // Steps update one line in place so a 50-step run does not flood the list.
  if (state_ === "running" && runningItem) {
    runningItem.textContent = text;
    return;
  }
  const li = document.createElement("li");
  li.dataset.state = state_;
  li.textContent = text;
  list.append(li);
  runningItem = state_ === "running" ? li : null;
}

function resetOutput() {
  $("events").replaceChildren();
  runningItem = null;
  $("result").hidden = true;
  setProgress(0, "Sending…");
}

/** Apply one job snapshot (an SSE event or a polled status) to the page; true when it is finished. */
function applyJobEvent(event) {
  state.events.push(event);
  const total = event.total_steps || 0;
  const step = event.step || 0;
  switch (event.state) {
    case "queued": {
      const pos = event.position ?? 0;
      const text = pos > 0 ? `Queued — position ${pos} in line` : "Queued — starting next";
      setProgress(0, text);
      logEvent("queued", text);
      return false;
    }
    case "running": {
      const text = total ? `Running — step ${step} of ${total}` : "Running…";
      setProgress(total ? step / total : 0.05, text);
      logEvent("running", text);
      return false;
    }
    case "done":
      setProgress(1, "Done");
      logEvent("done", "Done");
      return true;
    case "failed":
    case "cancelled":
      logEvent(event.state, event.state === "failed" ? "Failed" : "Cancelled");
      return true;
    default:
      return false;
  }
}

// ---------- submission ----------

/** A smaller JPEG of a large photo (EXIF orientation applied); anything else goes as it is. */
async function shrink(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    return file; // not decodable here: let the server say what is wrong with it
  }
  const long = Math.max(bitmap.width, bitmap.height);
  if (long <= MAX_UPLOAD_SIDE) {
    bitmap.close();
    return file;
  }
  const scale = MAX_UPLOAD_SIDE / long;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  return blob ? new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" }) : file;
}

async function buildForm() {
  const form = new FormData();
  const [person, cloth] = await Promise.all([shrink(state.person), shrink(state.cloth)]);
  form.append("person_image", person, person.name || "person.jpg");
  form.append("cloth_image", cloth, cloth.name || "cloth.jpg");
  form.append("cloth_type", $("cloth-type").value);
  form.append("num_inference_steps", $("steps").value);
  form.append("guidance_scale", $("guidance").value);
  form.append("seed", String(parseInt($("seed").value, 10) || 0));
  return form;
}

async function followJob(jobId) {
  let last = null;
  try {
    await readEvents(api.jobEventsUrl(jobId), ({ event, data }) => {
      if (data && typeof data === "object") {
        last = { ...data, state: data.state || event };
        applyJobEvent(last);
      }
    });
  } catch (err) {
    if (err.code !== "network" && err.code !== "stream_unavailable") throw err;
  }
  // The stream may end early (proxy, network): polling finishes the job either way. Once the stream has
  // reported the end, one GET fetches the image without repeating the event.
  const FINISHED = ["done", "failed", "cancelled"];
  for (;;) {
    const { body } = await api.job(jobId);
    if (FINISHED.includes(body.state)) {
      if (!last || !FINISHED.includes(last.state)) applyJobEvent(body);
      return body;
    }
    applyJobEvent(body);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function runJob(form) {
  let submitted;
  try {
    submitted = await api.submitJob(form);
  } catch (err) {
    // A server without the job API (404/405) still has the synchronous endpoint.
    if (err instanceof ApiError && (err.status === 404 || err.status === 405)) return runSync(form);
    throw err;
  }
  const job = submitted.body;
  applyJobEvent({ state: "queued", position: job.position ?? 0 });
  const final = await followJob(job.job_id);
  if (final.state !== "done") {
    const error = final.error || {};
    throw new ApiError(error.code || final.state, error.message || `The try-on ${final.state}.`);
  }
  return final;
}

async function runSync(form) {
  setProgress(0.1, "Working… (this server shows no step progress)");
  const { body } = await api.tryOn(form);
  setProgress(1, "Done");
  return body;
}

function showResult(result) {
  const src = `data:image/jpeg;base64,${result.imageBase64}`;
  const after = $("after-img");
  after.onload = () => {
    $("compare").style.aspectRatio = `${after.naturalWidth} / ${after.naturalHeight}`;
  };
  after.src = src;
  $("before-img").src = state.personUrl;
  const download = $("download");
  download.href = src;
  download.download = `vtryon-${result.seed ?? "result"}.jpg`;
  const parts = [];
  if (result.seed != null) parts.push(`seed ${result.seed}`);
  if (result.engine) parts.push(`engine ${result.engine}`);
  $("result-meta").textContent = parts.join(" · ");
  $("result").hidden = false;
  resetCompare();
}

async function onSubmit(event) {
  event.preventDefault();
  if (state.busy) return;
  hideError();
  if (!state.person) return showError("Choose or take a photo of yourself first.");
  if (!state.cloth) return showError("Pick a garment from the catalogue or upload one.");
  state.busy = true;
  const button = $("submit");
  button.disabled = true;
  button.textContent = "Working…";
  try {
    const health = await checkHealth();
    if (!health.ok) throw health.error;
    resetOutput();
    const result = await runJob(await buildForm());
    showResult(result);
  } catch (err) {
    $("progress").hidden = true;
    $("placeholder").hidden = false;
    showError(describeError(err));
  } finally {
    state.busy = false;
    button.disabled = false;
    button.textContent = "Try it on";
  }
}

// ---------- wiring ----------

const resetCompare = initCompare({ range: $("compare-range"), clip: $("before-clip"), handle: $("compare-handle") });

for (const [id, out] of [["steps", "steps-out"], ["guidance", "guidance-out"]]) {
  const input = $(id);
  input.addEventListener("input", () => { $(out).textContent = input.value; });
}
$("person-file").addEventListener("change", (e) => setPerson(e.target.files[0]));
$("person-camera").addEventListener("change", (e) => setPerson(e.target.files[0]));
$("cloth-file").addEventListener("change", (e) => setCloth(e.target.files[0] || null));
$("tryon-form").addEventListener("submit", onSubmit);

checkHealth();
loadCatalog();
window.vtryonGarment = state; // read by the browser tests and handy in the console
