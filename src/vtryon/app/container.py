"""The composition root: one dependency-injector container that picks adapters from the settings.

Heavy adapters (MediaPipe, torch) are imported inside their factories, so building the container is cheap
and a user without the ``diffusion`` extra still gets everything else. Tests override providers with fakes:
``container.engine.override(providers.Object(EngineSlot("fake", FakeDiffusion)))``.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

from dependency_injector import containers, providers

from vtryon.adapters.http.app import create_app
from vtryon.adapters.http.auth import KeyRing
from vtryon.adapters.http.state import ServerConfig, Services
from vtryon.adapters.jobs.thread_queue import ThreadJobQueue
from vtryon.app.engine_slot import EngineSlot
from vtryon.app.job_runner import JobRunner
from vtryon.app.live_service import LiveService
from vtryon.app.result_service import ResultService
from vtryon.app.session_service import SessionService
from vtryon.app.settings import Settings
from vtryon.app.tickets import TicketBook
from vtryon.app.tryon_service import TryOnService
from vtryon.ports.catalog import DesignCatalog
from vtryon.ports.codec import ImageCodec
from vtryon.ports.jobs import JobQueue
from vtryon.ports.masker import Masker
from vtryon.ports.nail_renderer import NailRendererFactory
from vtryon.ports.ratelimit import RateLimiter
from vtryon.ports.stores import ResultStore, SessionStore
from vtryon.ports.tickets import TicketStore

__all__ = ("Container", "build_app", "build_container")

log = logging.getLogger(__name__)


def _codec(settings: Settings) -> ImageCodec:
    from vtryon.adapters.codecs.budget import DecodeBudget
    from vtryon.adapters.codecs.pillow_codec import PillowImageCodec

    # One budget for the process: HTTP uploads, WebSocket frames, captures and sessions share it.
    budget = DecodeBudget(settings.decode_budget_mb * 1024 * 1024, wait=settings.decode_wait)
    return PillowImageCodec(max_pixels=settings.max_image_pixels, budget=budget)


def _session_store(settings: Settings, clock: Callable[[], float]) -> SessionStore:
    """Redis when a URL is set (sessions shared by several processes), else in memory."""
    if settings.redis_url:
        from vtryon.adapters.stores.redis_store import RedisSessionStore

        return RedisSessionStore(settings.redis_url, clock=clock)
    from vtryon.adapters.stores.memory import InMemorySessionStore

    return InMemorySessionStore(clock=clock)


def _ticket_store(settings: Settings) -> TicketStore:
    """Redis when a URL is set (a ticket issued by one replica is redeemed by another), else in memory."""
    if settings.redis_url:
        from vtryon.adapters.stores.redis_tickets import RedisTicketStore

        return RedisTicketStore(settings.redis_url)
    from vtryon.adapters.stores.memory_tickets import InMemoryTicketStore

    return InMemoryTicketStore()


def _rate_limiter(settings: Settings) -> RateLimiter | None:
    """Per-caller ``/api`` request limits when ``rate_limit`` > 0: in Redis when a URL is set (shared by the
    replicas), else in memory; ``None`` (no limit) by default."""
    if settings.rate_limit <= 0:
        return None
    if settings.redis_url:
        from vtryon.adapters.stores.redis_ratelimit import RedisRateLimiter

        return RedisRateLimiter(settings.redis_url, settings.rate_limit, settings.rate_burst)
    from vtryon.adapters.stores.memory_ratelimit import InMemoryRateLimiter

    return InMemoryRateLimiter(settings.rate_limit, settings.rate_burst)


async def _close_async_stores(container: Container) -> None:
    """Close the asyncio stores in the server's loop, where their connections live."""
    await container.ticket_store().aclose()
    limiter = container.rate_limiter()
    if limiter is not None:
        await limiter.aclose()


def _result_store(settings: Settings) -> ResultStore:
    from vtryon.adapters.stores.filesystem import FilesystemResultStore

    return FilesystemResultStore(Path(settings.results_dir))


def _catalog(settings: Settings) -> DesignCatalog:
    from vtryon.adapters.catalog.builtin import BuiltinDesignCatalog

    if settings.designs_dir:
        from vtryon.adapters.catalog.directory import DirectoryDesignCatalog

        directory = DirectoryDesignCatalog(Path(settings.designs_dir), fallback=BuiltinDesignCatalog())
        return cast(DesignCatalog, directory)
    return cast(DesignCatalog, BuiltinDesignCatalog())


def _masker() -> Iterator[Masker]:
    """A resource: built on first use, closed by ``shutdown_resources``."""
    from vtryon.adapters.mediapipe.pose_masker import MediaPipeMasker

    masker = MediaPipeMasker()
    try:
        yield cast(Masker, masker)
    finally:
        masker.close()


def _renderers(settings: Settings) -> NailRendererFactory:
    from vtryon.adapters.mediapipe.nail_renderer import MediaPipeNailRendererFactory

    return cast(
        NailRendererFactory,
        MediaPipeNailRendererFactory(
            model=settings.hand_model, num_hands=settings.num_hands, segmenter=settings.nail_segmenter
        ),
    )


def _preview_limits() -> str:
    from vtryon.adapters.preview.limits import LIMITS

    return LIMITS


def _preview_engine() -> Any:
    from vtryon.adapters.preview.engine import PreviewEngine

    return PreviewEngine()


def _catvton_missing(settings: Settings) -> list[str]:
    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("diffusers") is None:
        return ["the 'diffusion' extra (pip install 'vtryon[diffusion]')"]
    base, vae, attention = settings.catvton_paths()
    from vtryon.adapters.catvton.weights import missing

    return missing(base, vae, attention)


def _catvton_loader(settings: Settings) -> Any:
    def load() -> Any:
        from vtryon.adapters.catvton.engine import CatVTONEngine

        base, vae, attention = settings.catvton_paths()
        return CatVTONEngine.load(
            base,
            vae,
            attention,
            device=settings.device,
            dtype=settings.dtype,
            scheduler=settings.scheduler,
            compile=settings.compile,
            repaint=settings.repaint,
        )

    return load


def _engine_resource(settings: Settings) -> Iterator[EngineSlot]:
    slot = _engine_slot(settings)
    try:
        yield slot
    finally:
        slot.close()


def _queue(settings: Settings, runner: JobRunner) -> Iterator[JobQueue]:
    """SAQ on Redis when a URL is set (jobs shared by API replicas, run by `vtryon worker` processes),
    else the in-process queue whose threads run ``runner``. Async parts close in ``build_app``'s loop."""
    if settings.redis_url:
        from vtryon.adapters.jobs.saq_queue import SaqJobQueue

        yield SaqJobQueue(settings.redis_url, **_saq_options(settings))
        return
    queue = ThreadJobQueue(
        runner,
        max_pending=settings.queue_size,
        workers=settings.workers,
        retention=settings.job_retention,
        max_retained=settings.job_keep,
        timeout=settings.job_timeout,
    )
    try:
        yield queue
    finally:
        queue.close()


def _saq_options(settings: Settings) -> dict[str, Any]:
    """What the API replicas and the workers must agree on about the shared queue."""
    return {
        "capacity": settings.queue_size,
        "timeout": settings.job_timeout,
        "retention": settings.job_retention,
        "attempts": settings.job_attempts,
        "heartbeat": settings.job_heartbeat,
    }


def _api_engine(settings: Settings, engine: Callable[[], EngineSlot]) -> EngineSlot | None:
    """The engine the API process runs jobs with; none when `vtryon worker` processes do (Redis)."""
    return None if settings.redis_url else engine()


async def _start_jobs(container: Container) -> None:
    """Load the engine (embedded only) and connect the queue, in the server's loop."""
    if not container.settings().redis_url:
        container.engine().start()
    await container.queue().start()


_HOW_TO_GET = "For CatVTON: pip install 'vtryon[diffusion]' and run `vtryon weights pull`."


def _engine_slot(settings: Settings) -> EngineSlot:
    """CatVTON when asked for or when its weights are present; otherwise the preview engine, said clearly."""
    licence = "CatVTON weights are CC BY-NC-SA 4.0 (non-commercial)"
    if settings.engine == "preview":
        return EngineSlot(
            "preview",
            _preview_engine,
            note=f"classical CPU preview engine, chosen by settings: {_preview_limits()}",
        )
    missing = _catvton_missing(settings)
    if not missing:
        return EngineSlot("catvton", _catvton_loader(settings), note=licence)
    what = "; ".join(missing)
    if settings.engine == "catvton":
        return EngineSlot(
            "catvton",
            None,
            note=f"CatVTON is not installed: missing {what}. Run `vtryon weights pull` ({licence}).",
        )
    log.warning("CatVTON is not available (missing %s): using the preview engine. %s", what, _HOW_TO_GET)
    reason = missing[0] if len(missing) == 1 else f"{len(missing)} CatVTON weight files are missing"
    return EngineSlot(
        "preview",
        _preview_engine,
        note=f"classical preview engine in use ({_preview_limits()}): {reason}. {_HOW_TO_GET}",
    )


def _server_config(settings: Settings) -> ServerConfig:
    return ServerConfig(
        keys=KeyRing.parse(settings.api_keys),
        allowed_origins=tuple(settings.allowed_origins),
        max_upload_bytes=settings.max_upload_bytes,
        max_parts=settings.max_parts,
        max_frame_bytes=settings.max_frame_bytes,
        max_fps=settings.max_fps,
        ws_send_timeout=settings.ws_send_timeout,
        allowed_hosts=settings.effective_allowed_hosts(),
        ws_idle_timeout=settings.ws_idle_timeout,
        ws_max_per_session=settings.ws_max_per_session,
        ws_max_per_principal=settings.ws_max_per_principal,
        ws_max_connections=settings.ws_max_connections,
        redact=_operator_only(settings),
    )


def _operator_only(settings: Settings) -> tuple[str, ...]:
    """Where the data lives: for the log, never for an error body."""
    from urllib.parse import urlsplit

    secrets = {settings.results_dir, str(Path(settings.results_dir).resolve()), settings.weights_dir}
    if settings.redis_url:
        url = urlsplit(settings.redis_url)
        secrets.add(settings.redis_url)
        if url.hostname:
            secrets.add(f"{url.hostname}:{url.port or 6379}")
    return tuple(sorted(s for s in secrets if len(s) > 3))


class Container(containers.DeclarativeContainer):
    """Every adapter and service of a vtryon process, built lazily, once."""

    settings = providers.Singleton(Settings.load)
    clock = providers.Object(time.time)

    codec = providers.Singleton(_codec, settings)
    session_store = providers.Singleton(_session_store, settings, clock)
    result_store = providers.Singleton(_result_store, settings)
    catalog = providers.Singleton(_catalog, settings)
    masker = providers.Resource(_masker)
    renderers = providers.Singleton(_renderers, settings)
    engine = providers.Resource(_engine_resource, settings)
    ticket_store = providers.Singleton(_ticket_store, settings)
    tickets = providers.Singleton(TicketBook, ticket_store)
    rate_limiter = providers.Singleton(_rate_limiter, settings)

    sessions = providers.Singleton(
        SessionService,
        store=session_store,
        catalog=catalog,
        codec=codec,
        clock=clock,
        ttl=settings.provided.session_ttl,
        max_upload_sessions=settings.provided.max_upload_sessions,
        max_pixels=settings.provided.max_image_pixels,
    )
    runner = providers.Singleton(
        JobRunner,
        codec=codec,
        masker=masker.provider,
        engine=engine,
        max_pixels=settings.provided.max_image_pixels,
        output_quality=settings.provided.output_quality,
    )
    queue = providers.Resource(_queue, settings, runner)
    tryon = providers.Singleton(
        TryOnService,
        codec=codec,
        runner=runner,
        queue=queue,
        engine=providers.Singleton(_api_engine, settings, engine.provider),
        max_pixels=settings.provided.max_image_pixels,
        job_timeout=settings.provided.job_timeout,
    )
    results = providers.Singleton(
        ResultService,
        store=result_store,
        sessions=sessions,
        codec=codec,
        clock=clock,
        max_pixels=settings.provided.max_frame_pixels,  # a captured result is a live frame
    )
    live = providers.Singleton(
        LiveService,
        sessions=sessions,
        renderers=renderers.provider,  # MediaPipe loads with the first live session, not at start-up
        codec=codec,
        tickets=tickets,
        max_pixels=settings.provided.max_frame_pixels,
        clock=clock,
    )
    services = providers.Singleton(Services, tryon=tryon, sessions=sessions, results=results, live=live)
    server_config = providers.Singleton(_server_config, settings)


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


def build_app(container: Container) -> Any:
    """The Litestar app; the engine starts loading in the background when the server starts."""
    return create_app(
        container.services(),
        container.server_config(),
        on_startup=[lambda: _start_jobs(container)],
        on_shutdown=[
            lambda: container.queue().aclose(),
            container.shutdown_resources,
            lambda: _close_async_stores(container),
        ],
        rate_limiter=container.rate_limiter(),
    )
