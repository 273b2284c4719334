// Frame protocol v1 (mirrors src/vtryon/domain/protocol.py).
// A binary message is a 1024-byte header (UTF-8 JSON, NUL-padded) followed by the image bytes.
// Text messages are JSON control messages tagged by "type".

export const HEADER_SIZE = 1024;
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = "vtryon.v1";
// WebSocket close codes the server uses when continuing is unsafe.
export const CLOSE_POLICY = 1008;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export class ProtocolError extends Error {
  constructor(message, code) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/** Build a client frame message: header fields + encoded image bytes -> ArrayBuffer. */
export function encodeFrame({ frameNumber, timestamp, format, width, height }, imageBytes) {
  const payload = imageBytes instanceof Uint8Array ? imageBytes : new Uint8Array(imageBytes);
  const header = {
    type: "frame",
    frame_number: frameNumber,
    timestamp,
    image_size: payload.byteLength,
  };
  if (format) header.format = format;
  if (width) header.width = width;
  if (height) header.height = height;
  const json = encoder.encode(JSON.stringify(header));
  if (json.byteLength > HEADER_SIZE) {
    throw new ProtocolError(`header is ${json.byteLength} bytes, over ${HEADER_SIZE}`, "header_too_long");
  }
  // A fresh Uint8Array is zero-filled, which is exactly the NUL padding the spec asks for.
  const message = new Uint8Array(HEADER_SIZE + payload.byteLength);
  message.set(json, 0);
  message.set(payload, HEADER_SIZE);
  return message.buffer;
}

/** Parse a binary message (a server result) -> {header, payload: Uint8Array}. Throws ProtocolError. */
export function decodeBinary(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.byteLength < HEADER_SIZE) {
    throw new ProtocolError(`message of ${bytes.byteLength} bytes is shorter than the header`, "short_message");
  }
  let end = bytes.indexOf(0);
  if (end === -1 || end > HEADER_SIZE) end = HEADER_SIZE;
  for (let i = end; i < HEADER_SIZE; i++) {
    if (bytes[i] !== 0) throw new ProtocolError("header bytes after the JSON must all be NUL", "bad_padding");
  }
  let header;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(0, end)));
  } catch (err) {
    throw new ProtocolError(`header is not UTF-8 JSON: ${err.message}`, "bad_header");
  }
  if (header === null || typeof header !== "object" || typeof header.type !== "string") {
    throw new ProtocolError("header is not a tagged JSON object", "bad_header");
  }
  for (const field of ["frame_number", "timestamp", "image_size"]) {
    if (typeof header[field] !== "number" || header[field] < 0) {
      throw new ProtocolError(`header field ${field} is missing or not a non-negative number`, "bad_header");
    }
  }
  const payload = bytes.subarray(HEADER_SIZE);
  if (header.image_size !== payload.byteLength) {
    throw new ProtocolError(`image_size ${header.image_size} != payload ${payload.byteLength}`, "size_mismatch");
  }
  return { header, payload };
}

/** Encode a control message object ({type: "ping", ...}) as text. */
export function encodeControl(message) {
  return JSON.stringify(message);
}

/** Parse a text control message. Throws ProtocolError. */
export function decodeControl(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError(`control message is not JSON: ${err.message}`, "bad_message");
  }
  if (message === null || typeof message !== "object" || typeof message.type !== "string") {
    throw new ProtocolError("control message has no type", "bad_message");
  }
  return message;
}

/** MIME type of a protocol image format. */
export function mimeOf(format) {
  return { jpeg: "image/jpeg", webp: "image/webp", png: "image/png" }[format] || "image/jpeg";
}
