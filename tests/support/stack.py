"""The real composition root with fakes at the model ports: what server tests run against."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dependency_injector import providers

from tests.fakes import FakeDesignCatalog, FakeDiffusion, FakeMasker, FakeNailRendererFactory
from vtryon.app.container import Container, build_app, build_container
from vtryon.app.engine_slot import EngineSlot
from vtryon.app.settings import Settings


@dataclass
class Stack:
    container: Container
    engine: FakeDiffusion = field(default_factory=FakeDiffusion)
    masker: FakeMasker = field(default_factory=FakeMasker)
    renderers: FakeNailRendererFactory = field(default_factory=FakeNailRendererFactory)
    catalog: FakeDesignCatalog = field(default_factory=FakeDesignCatalog)

    def app(self) -> Any:
        return build_app(self.container)


def make_stack(tmp: Path, *, engine_missing: bool = False, clock: Any = None, **settings: Any) -> Stack:
    """Real stores, codec, queue, services and HTTP driver; fake engine, masker, renderers, catalogue."""
    base = {"results_dir": str(tmp / "results"), "engine": "preview"}
    base.update(settings)
    container = build_container(Settings.load(environ={}, **base))
    stack = Stack(container=container)
    if engine_missing:
        slot = EngineSlot("catvton", None, note="CatVTON is not installed: missing weights")
    else:
        slot = EngineSlot("fake", lambda: stack.engine)
    container.engine.override(providers.Object(slot))
    container.masker.override(providers.Object(stack.masker))
    container.renderers.override(providers.Object(stack.renderers))
    container.catalog.override(providers.Object(stack.catalog))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return stack
