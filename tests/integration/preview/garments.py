"""Synthetic product photos of garments, drawn so their true outline and key points are known."""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ("TEE_COLOUR", "product_photo", "tee_outline", "vest_outline")

W, H = 576, 768
TEE_COLOUR = (20, 130, 170)


def tee_outline() -> np.ndarray:
    """A short-sleeved T-shirt laid flat: collar at the top centre, sleeves out to the sides."""
    left = [(235, 90), (150, 120), (45, 270), (115, 330), (170, 270), (165, 700)]
    right = [(W - x, y) for x, y in reversed(left)]
    neck = [(288, 130)]
    return np.array([*left, *right[:-1], (W - 235, 90), *neck], np.int32)


def vest_outline() -> np.ndarray:
    """A sleeveless top: straps and armholes, no sleeves."""
    return np.array(
        [
            (220, 80),
            (180, 90),
            (170, 250),
            (160, 700),
            (416, 700),
            (406, 250),
            (396, 90),
            (356, 80),
            (288, 150),
        ],
        np.int32,
    )


def product_photo(
    outline: np.ndarray,
    *,
    colour: tuple[int, int, int] = TEE_COLOUR,
    background: int = 246,
    white_print: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """(RGB photo, true 0/255 garment mask): a flat garment on a plain, slightly noisy background.

    A white print in the middle checks that the cut-out does not take white inside the garment for
    background; stripes give the warp something to show.
    """
    rng = np.random.default_rng(seed)
    photo = np.full((H, W, 3), background, np.uint8)
    truth = np.zeros((H, W), np.uint8)
    cv2.fillPoly(truth, [outline], 255)
    garment = np.zeros((H, W, 3), np.uint8)
    garment[:] = colour
    for y in range(200, 700, 60):
        garment[y : y + 18] = (np.array(colour) * 0.6).astype(np.uint8)
    if white_print:
        cv2.circle(garment, (288, 330), 55, (255, 255, 255), -1)
    photo[truth > 0] = garment[truth > 0]
    noise = rng.normal(0, 2.0, photo.shape)
    return np.clip(photo + noise, 0, 255).astype(np.uint8), truth
