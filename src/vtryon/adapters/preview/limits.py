"""What the preview engine cannot do, in words a user reads next to its result.

A module of its own, free of heavy imports, so the server can say it before the engine is loaded.
"""

from __future__ import annotations

__all__ = ("LIMITS",)

LIMITS = (
    "a quick preview, not a photorealistic try-on: the garment is warped flat onto the pose (no new "
    "folds, no collar or fabric in 3-D), the old garment is replaced by estimated skin or background "
    "(no skin detail), things held in front of the body may be covered, and front views of a garment "
    "laid flat on a plain background work best"
)
