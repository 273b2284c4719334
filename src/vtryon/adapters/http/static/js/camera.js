// The camera: getUserMedia with a front/back choice, and grabbing frames as encoded images.

/** Open the camera facing `facing` ("user" | "environment") into `video`; resolves the stream. */
export async function openCamera(video, facing, { width = 640, height = 480 } = {}) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    const error = new Error("This browser cannot open the camera here (it needs HTTPS or localhost).");
    error.code = "camera_unavailable";
    throw error;
  }
  const video_ = { facingMode: { ideal: facing }, width: { ideal: width }, height: { ideal: height } };
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: video_, audio: false });
  } catch (err) {
    // Some devices reject the facing constraint outright; any camera beats none.
    if (err.name === "OverconstrainedError") stream = await navigator.mediaDevices.getUserMedia({ video: true });
    else throw err;
  }
  video.srcObject = stream;
  await video.play().catch(() => { /* autoplay of a muted inline video is allowed; ignore odd refusals */ });
  if (!video.videoWidth) {
    await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
  }
  return stream;
}

export function stopStream(stream) {
  if (stream) for (const track of stream.getTracks()) track.stop();
}

/** Does this browser's canvas encode WebP? (Safari silently falls back to PNG.) */
export async function supportsWebp() {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 2;
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/webp", 0.5));
  return Boolean(blob && blob.type === "image/webp");
}

/**
 * Draw the current video frame into `canvas` at `width` (height keeps the aspect ratio), flipped when
 * `mirror`, and encode it. Resolves {bytes: Uint8Array, format, width, height}.
 */
export async function grabFrame(video, canvas, { width, mirror, format, quality }) {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  if (!vw || !vh) return null;
  const w = Math.min(width, vw);
  const h = Math.round((w * vh) / vw / 2) * 2;
  if (canvas.width !== w || canvas.height !== h) {
    canvas.width = w;
    canvas.height = h;
  }
  const ctx = canvas.getContext("2d", { willReadFrequently: false });
  ctx.save();
  if (mirror) {
    ctx.translate(w, 0);
    ctx.scale(-1, 1);
  }
  ctx.drawImage(video, 0, 0, w, h);
  ctx.restore();
  const mime = format === "webp" ? "image/webp" : "image/jpeg";
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, mime, quality));
  if (!blob) return null;
  const actual = blob.type === "image/webp" ? "webp" : blob.type === "image/png" ? "png" : "jpeg";
  return { bytes: new Uint8Array(await blob.arrayBuffer()), format: actual, width: w, height: h };
}
