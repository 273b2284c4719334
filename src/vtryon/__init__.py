"""vtryon: virtual try-on of garments and nails, as a library and a server.

Importing the package is cheap: torch, diffusers and mediapipe load only inside their adapters.
"""

from vtryon.domain import (
    ClothType,
    NailDesign,
    TryOnParams,
    TryOnRequest,
    TryOnResult,
    VtryonError,
)

__version__ = "0.1.0"

__all__ = (
    "ClothType",
    "NailDesign",
    "TryOnParams",
    "TryOnRequest",
    "TryOnResult",
    "VtryonError",
    "__version__",
)
