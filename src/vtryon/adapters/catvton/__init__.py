"""CatVTON garment engine on diffusers (extra ``diffusion``).

Import :mod:`vtryon.adapters.catvton.engine` for the engine and :mod:`vtryon.adapters.catvton.weights` for
the weight files; this package itself imports nothing heavy, so checking weights needs no torch.
"""

from __future__ import annotations

__all__: tuple[str, ...] = ()
