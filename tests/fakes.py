"""Fakes at the ports, recording what they were asked. Used by service tests and server tests alike."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vtryon.domain.errors import Cancelled, NotFound, OutOfMemory
from vtryon.domain.nails import DesignKind, Finish, NailDesign
from vtryon.domain.tryon import ClothType, TryOnParams
from vtryon.ports.nail_renderer import NailFrame


@dataclass
class FakeMasker:
    """Masks the middle third of the image."""

    calls: list[tuple[tuple[int, ...], ClothType]] = field(default_factory=list)

    def mask(self, person: np.ndarray, cloth_type: ClothType) -> np.ndarray:
        self.calls.append((person.shape, cloth_type))
        mask = np.zeros(person.shape[:2], np.uint8)
        h = person.shape[0]
        mask[h // 3 : 2 * h // 3] = 255
        return mask


@dataclass
class FakeDiffusion:
    """Paints the masked region with the garment's mean colour, reporting every step.

    ``gate`` (an Event) holds each call until set, so tests can fill the queue; ``fail_next`` raises
    the given error once (e.g. ``OutOfMemory``) and then serves normally.
    """

    name: str = "fake"
    calls: list[TryOnParams] = field(default_factory=list)
    gate: threading.Event | None = None
    fail_next: Exception | None = None
    started: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0  # pretend to compute for this long (benchmarks)
    step_seconds: float = 0.0  # and this long per step (cancellation and worker-failure tests)

    def generate(self, person, cloth, mask, params, *, progress=None, should_stop=None):  # type: ignore[no-untyped-def]
        self.calls.append(params)
        self.started.set()
        if self.seconds:
            import time

            time.sleep(self.seconds)
        if self.gate is not None:
            while not self.gate.wait(0.01):
                if should_stop is not None and should_stop():
                    raise Cancelled("stopped")
        if self.fail_next is not None:
            error, self.fail_next = self.fail_next, None
            raise error
        out = person.copy()
        colour = cloth.reshape(-1, 3).mean(axis=0).astype(np.uint8)
        out[mask > 127] = colour
        for step in range(1, params.num_inference_steps + 1):
            if self.step_seconds:
                import time

                time.sleep(self.step_seconds)
            if should_stop is not None and should_stop():
                raise Cancelled("stopped")
            if progress is not None:
                progress(step, params.num_inference_steps)
        return out


@dataclass
class HangingSessionStore:
    """A ``SessionStore`` (an in-memory one inside) that hangs while ``hung`` is set, as a Redis that
    stopped answering would; records the name of every thread that called it."""

    inner: Any
    hung: threading.Event = field(default_factory=threading.Event)
    threads: list[str] = field(default_factory=list)

    def _enter(self) -> None:
        self.threads.append(threading.current_thread().name)
        while self.hung.is_set():
            time.sleep(0.01)

    def add(self, session: Any) -> None:
        self._enter()
        self.inner.add(session)

    def get(self, session_id: str) -> Any:
        self._enter()
        return self.inner.get(session_id)

    def update(self, session: Any) -> None:
        self._enter()
        self.inner.update(session)

    def delete(self, session_id: str) -> None:
        self._enter()
        self.inner.delete(session_id)

    def list_by_owner(self, owner: str) -> list[Any]:
        self._enter()
        return list(self.inner.list_by_owner(owner))

    def ping(self) -> None:
        self._enter()


@dataclass
class HangingEngine:
    """A test adapter around a real engine: the first ``hang_calls`` calls hang until ``release`` is set,
    ignoring ``should_stop`` (as an engine stuck in native code would); every call takes ``seconds`` more.
    Counts the calls that ran to the end."""

    inner: Any
    hang_calls: int = 0
    seconds: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)
    calls: int = 0
    finished: int = 0

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def generate(self, person, cloth, mask, params, *, progress=None, should_stop=None):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls <= self.hang_calls:
            self.release.wait()
        time.sleep(self.seconds)
        image = self.inner.generate(person, cloth, mask, params, progress=progress, should_stop=should_stop)
        self.finished += 1
        return image


@dataclass
class RecordingEngine:
    """Writes ``start <seed>`` and ``end <seed>`` lines to ``path`` around each run of ``inner`` (a file, so
    runs in processes that get killed are counted too)."""

    inner: Any
    path: str

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def _note(self, line: str) -> None:
        with open(self.path, "a", encoding="ascii") as out:
            out.write(line + "\n")

    def generate(self, person, cloth, mask, params, *, progress=None, should_stop=None):  # type: ignore[no-untyped-def]
        self._note(f"start {params.seed}")
        image = self.inner.generate(person, cloth, mask, params, progress=progress, should_stop=should_stop)
        self._note(f"end {params.seed}")
        return image


def oom() -> OutOfMemory:
    return OutOfMemory("CUDA out of memory (fake)")


@dataclass
class FakeNailRenderer:
    """Paints a 10x10 square of the design colour in the top-left corner; records every call.

    ``hang`` (an Event) holds every frame until set, as a renderer stuck in native code would: the frame
    ignores everything else, and ``entered`` says a frame is inside.
    """

    mirrored: bool = True
    designs: list[tuple[NailDesign, Any]] = field(default_factory=list)
    frames: list[tuple[tuple[int, ...], int]] = field(default_factory=list)
    closed: bool = False
    delay: float = 0.0
    hang: threading.Event | None = None
    entered: threading.Event = field(default_factory=threading.Event)

    def set_design(self, design: NailDesign, picture: Any = None) -> None:
        self.designs.append((design, picture))

    def render(self, frame: np.ndarray, timestamp_ms: int) -> NailFrame:
        import time

        self.entered.set()
        if self.hang is not None:
            self.hang.wait()
        if self.delay:
            time.sleep(self.delay)
        self.frames.append((frame.shape, timestamp_ms))
        out = frame.copy()
        out[:10, :10] = self.designs[-1][0].rgb
        return NailFrame(image=out, hands=1, nails=5, confidence=0.9, timings_ms={"render": 0.1})

    def close(self) -> None:
        self.closed = True


@dataclass
class FakeNailRendererFactory:
    made: list[FakeNailRenderer] = field(default_factory=list)
    delay: float = 0.0
    hang: threading.Event | None = None

    def __call__(self, *, mirrored: bool = True) -> FakeNailRenderer:
        renderer = FakeNailRenderer(mirrored=mirrored, delay=self.delay, hang=self.hang)
        self.made.append(renderer)
        return renderer


@dataclass
class FakeDesignCatalog:
    designs: dict[int, NailDesign] = field(
        default_factory=lambda: {
            1: NailDesign(id=1, name="red", color="#FF0000"),
            2: NailDesign(
                id=2,
                name="french",
                kind=DesignKind.FRENCH,
                color="#FFE4E1",
                color2="#FFFFFF",
                finish=Finish.MATTE,
            ),
        }
    )
    asked: list[int] = field(default_factory=list)

    def get(self, post_id: int) -> NailDesign:
        self.asked.append(post_id)
        try:
            return self.designs[post_id]
        except KeyError:
            raise NotFound(f"no design {post_id}") from None

    def list(self) -> list[NailDesign]:
        return list(self.designs.values())
