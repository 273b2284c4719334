// Thin REST client for the vtryon server. Every failure becomes an ApiError with a stable `code`, so the
// pages can pick a message per failure instead of showing raw exceptions.

const KEY_STORAGE = "vtryon.apiKey";

/** An API key, when the server needs one: `?key=` in the page URL (remembered) or localStorage. */
export function apiKey() {
  const fromUrl = new URLSearchParams(location.search).get("key");
  if (fromUrl) {
    try { localStorage.setItem(KEY_STORAGE, fromUrl); } catch { /* private mode: keep it for this page */ }
    return fromUrl;
  }
  try { return localStorage.getItem(KEY_STORAGE); } catch { return null; }
}

export class ApiError extends Error {
  /**
   * @param {string} code stable machine code from the server ("busy", "unsupported_media", ...) or a
   *   client-side one ("network", "bad_response").
   * @param {number} status HTTP status, 0 when the server was not reached.
   * @param {number|null} retryAfter seconds, from the Retry-After header.
   */
  constructor(code, message, status = 0, retryAfter = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

function retryAfterOf(response) {
  const value = response.headers.get("Retry-After");
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

/** The error code for a status when the body is not our JSON error shape (a proxy's page, say). */
function codeForStatus(status) {
  if (status === 413) return "too_large";
  if (status === 415) return "unsupported_media";
  if (status === 429) return "rate_limited";
  if (status === 503) return "busy";
  if (status === 507) return "out_of_memory";
  if (status === 401) return "unauthenticated";
  if (status === 403) return "forbidden";
  if (status === 404) return "not_found";
  if (status === 410) return "expired";
  if (status >= 500) return "server_error";
  return "invalid_input";
}

/**
 * fetch() + JSON. Resolves with {status, body} for 2xx; rejects with ApiError otherwise.
 * @param {string} path
 * @param {{method?: string, json?: unknown, form?: FormData, signal?: AbortSignal}} options
 */
export async function request(path, { method = "GET", json, form, signal } = {}) {
  const headers = { Accept: "application/json" };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form; // the browser sets the multipart boundary
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal, cache: "no-store" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("network", "Cannot reach the server. Check your connection and try again.");
  }
  let data = null;
  const text = await response.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.ok) {
    if (data === null && text) throw new ApiError("bad_response", "The server sent an unreadable reply.", response.status);
    return { status: response.status, body: data };
  }
  const error = data && data.error && typeof data.error === "object" ? data.error : null;
  const code = (error && error.code) || (data && typeof data.status === "string" && data.status !== "healthy" ? data.status : null) || codeForStatus(response.status);
  const message = (error && error.message) || (data && data.message) || `${response.status} ${response.statusText}`;
  throw new ApiError(code, message, response.status, retryAfterOf(response));
}

/** Human sentence for a failure, one per kind the pages can hit. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return `Something went wrong: ${err && err.message ? err.message : err}`;
  const wait = err.retryAfter != null ? ` Try again in ${Math.max(1, Math.round(err.retryAfter))} s.` : " Try again shortly.";
  switch (err.code) {
    case "network":
      return "Cannot reach the server — you may be offline. Check your connection and try again.";
    case "busy":
    case "queue_full":
      return `The server is busy with other try-ons.${wait}`;
    case "rate_limited":
      return `Too many requests.${wait}`;
    case "loading":
    case "engine_loading":
    case "engine_idle":
      return `The try-on model is still loading.${wait}`;
    case "not_ready":
    case "missing":
    case "failed":
    case "engine_missing":
    case "engine_failed":
    case "weights_missing":
    case "weights_invalid":
      return `The try-on model is not installed or not ready on this server (${err.message}).${err.retryAfter != null ? wait : ""}`;
    case "out_of_memory":
      return "The server ran out of GPU memory for this picture. Try fewer steps or a smaller photo.";
    case "unsupported_media":
    case "unsupported_media_type":
    case "unsupported_format":
    case "corrupt_image":
      return `That file is not a picture the server can read: use a JPEG, PNG or WebP photo. (${err.message})`;
    case "too_large":
    case "too_many_parts":
    case "image_too_large":
      return `That picture is too large. ${err.message}`;
    case "timeout":
      return "The try-on took too long and was stopped. Try again with fewer steps.";
    case "cancelled":
      return "The try-on was cancelled.";
    case "unauthenticated":
    case "missing_api_key":
    case "bad_api_key":
    case "forbidden":
      return "This server needs an API key: open the page with ?key=YOUR_KEY.";
    case "invalid_input":
    case "bad_request":
    case "invalid_parameter":
      return `Please check the form: ${err.message}`;
    default:
      return `${err.message} (${err.code})`;
  }
}

export const api = {
  health: () => request("/health"),
  tryOn: (form) => request("/api/try-on", { method: "POST", form }),
  submitJob: (form) => request("/api/try-on/jobs", { method: "POST", form }),
  job: (id) => request(`/api/try-on/jobs/${encodeURIComponent(id)}`),
  jobEventsUrl: (id) => `/api/try-on/jobs/${encodeURIComponent(id)}/events`,
  designs: () => request("/api/designs"),
  createSession: (payload) =>
    payload instanceof FormData
      ? request("/api/try-on/sessions/", { method: "POST", form: payload })
      : request("/api/try-on/sessions/", { method: "POST", json: payload }),
  session: (id) => request(`/api/try-on/sessions/${encodeURIComponent(id)}/`),
  extendSession: (id) => request(`/api/try-on/sessions/${encodeURIComponent(id)}/extend/`, { method: "POST" }),
  ticket: (id) => request(`/api/try-on/sessions/${encodeURIComponent(id)}/ticket/`, { method: "POST" }),
  saveResult: (form) => request("/api/try-on/results/", { method: "POST", form }),
  results: () => request("/api/try-on/results/"),
};
