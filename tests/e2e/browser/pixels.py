"""Read what a page shows: canvases as numpy arrays, and the nail check that compares them."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image
from playwright.sync_api import Page

__all__ = ("disc_mean", "input_and_output", "stats")

# Draws the camera frame as the page sent it (flipped for a selfie camera) beside the rendered result.
_SNAPSHOT = """() => {
  const view = document.getElementById("view");
  const video = document.getElementById("camera");
  const canvas = document.createElement("canvas");
  canvas.width = view.width;
  canvas.height = view.height;
  const ctx = canvas.getContext("2d");
  if (window.vtryonLive.live.mirrored) { ctx.translate(canvas.width, 0); ctx.scale(-1, 1); }
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return {input: canvas.toDataURL("image/png"), output: view.toDataURL("image/png"),
          mirrored: window.vtryonLive.live.mirrored};
}"""

_STATS = """() => {
  const {live, connection, keeper} = window.vtryonLive;
  return {sent: live.framesSent, received: live.resultsReceived, fps: live.fps, state: connection.state,
          session: keeper.id, reconnects: connection.reconnects, recreated: keeper.recreated,
          format: live.format, mirrored: live.mirrored};
}"""


def _png(data_url: str) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))).convert("RGB"))


def input_and_output(page: Page) -> tuple[np.ndarray, np.ndarray, bool]:
    """(camera frame as sent, rendered result, mirrored) from the live page, as HxWx3 uint8 RGB."""
    shot = page.evaluate(_SNAPSHOT)
    return _png(shot["input"]), _png(shot["output"]), bool(shot["mirrored"])


def stats(page: Page) -> dict[str, Any]:
    """The live page's counters (frames sent/received, FPS, connection state, session id)."""
    result: dict[str, Any] = page.evaluate(_STATS)
    return result


def disc_mean(image: np.ndarray, centre: tuple[float, float], radius: float) -> np.ndarray:
    """Mean RGB inside a disc: a few pixels' average is steadier than one pixel of a lossy frame."""
    h, w = image.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inside = (xx - centre[0]) ** 2 + (yy - centre[1]) ** 2 <= radius**2
    mean: np.ndarray = image[inside].astype(np.float64).mean(axis=0)
    return mean
