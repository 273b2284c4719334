"""Array types images and masks cross the ports as."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ("Image", "Mask")

#: H x W x 3, uint8, RGB.
Image = npt.NDArray[np.uint8]
#: H x W, uint8, 0 (keep) or 255 (repaint).
Mask = npt.NDArray[np.uint8]
