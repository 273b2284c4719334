"""Holds the garment engine while it loads in the background, so start-up and /health never wait on it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from vtryon.domain.errors import ErrorCode, NotReady
from vtryon.ports.diffusion import Diffusion

__all__ = ("EngineSlot",)

log = logging.getLogger(__name__)


class EngineSlot:
    """A lazily loaded engine: ``loading`` -> ``ready`` or ``failed``; ``missing`` when none is configured."""

    def __init__(self, name: str, loader: Callable[[], Diffusion] | None, *, note: str = "") -> None:
        self.name = name
        self.note = note
        self._loader = loader
        self._engine: Diffusion | None = None
        self._error: str | None = None
        self._state = "missing" if loader is None else "idle"
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        return self._state

    def message(self) -> str:
        if self._state == "ready":
            return f"engine {self.name} ready" + (f" ({self.note})" if self.note else "")
        if self._state == "failed":
            return f"engine {self.name} failed to load: {self._error}"
        if self._state == "missing":
            return self.note or "no garment engine is installed"
        return f"engine {self.name} is loading"

    def start(self, *, background: bool = True) -> None:
        """Begin loading (once)."""
        with self._lock:
            if self._state != "idle":
                return
            self._state = "loading"
        if background:
            threading.Thread(target=self._load, name="vtryon-engine-loader", daemon=True).start()
        else:
            self._load()

    def get(self) -> Diffusion:
        """The engine, or ``NotReady`` saying why not."""
        if self._state == "idle":
            self.start(background=False)
        if self._engine is None:
            raise NotReady(self.message(), code=ErrorCode(f"engine_{self._state}"))
        return self._engine

    def close(self) -> None:
        """Release the engine's models, if it has any to release."""
        close = getattr(self._engine, "close", None)
        if callable(close):
            close()

    def _load(self) -> None:
        assert self._loader is not None
        try:
            engine = self._loader()
        except Exception as exc:  # reported by /health and every request, never a crash
            log.exception("loading engine %s failed", self.name)
            self._error = str(exc) or type(exc).__name__
            self._state = "failed"
        else:
            self._engine = engine
            self._state = "ready"
            log.info("engine %s ready", self.name)
