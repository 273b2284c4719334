// Server-Sent Events over fetch() rather than EventSource: it can send the API key header, and it lets
// the caller decide what happens when the stream breaks (EventSource would silently reconnect forever).

import { apiKey, ApiError } from "./api.js";

/**
 * Read an event stream, calling onEvent({event, data}) for each event; `data` is parsed JSON when it is.
 * Resolves when the server ends the stream; rejects with ApiError when it cannot be opened or breaks.
 */
export async function readEvents(url, onEvent, { signal } = {}) {
  const headers = { Accept: "text/event-stream" };
  const key = apiKey();
  if (key) headers["X-API-Key"] = key;
  let response;
  try {
    response = await fetch(url, { headers, signal, cache: "no-store" });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("network", "Lost the connection to the server.");
  }
  if (!response.ok || !response.body) {
    throw new ApiError("stream_unavailable", `event stream answered ${response.status}`, response.status);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "message";
  let data = [];
  const dispatch = () => {
    if (data.length) {
      const text = data.join("\n");
      let parsed = text;
      try { parsed = JSON.parse(text); } catch { /* plain text data */ }
      onEvent({ event, data: parsed });
    }
    event = "message";
    data = [];
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") dispatch();
        else if (line.startsWith(":")) continue; // comment / keep-alive
        else {
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          let val = colon === -1 ? "" : line.slice(colon + 1);
          if (val.startsWith(" ")) val = val.slice(1);
          if (field === "event") event = val;
          else if (field === "data") data.push(val);
        }
      }
    }
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError("network", "The progress stream broke off.");
  }
  dispatch();
}
