"""Interfaces the core needs from the outside world (``typing.Protocol``); adapters implement them."""

from vtryon.ports.catalog import DesignCatalog
from vtryon.ports.codec import ImageCodec, ImageInfo
from vtryon.ports.diffusion import Diffusion, ProgressCallback, StopCheck
from vtryon.ports.jobs import JobHandler, JobQueue, JobResult, TryOnJob
from vtryon.ports.masker import Masker
from vtryon.ports.nail_renderer import NailFrame, NailRenderer, NailRendererFactory
from vtryon.ports.stores import ResultStore, SessionStore

__all__ = (
    "DesignCatalog",
    "Diffusion",
    "ImageCodec",
    "ImageInfo",
    "JobHandler",
    "JobQueue",
    "JobResult",
    "Masker",
    "NailFrame",
    "NailRenderer",
    "NailRendererFactory",
    "ProgressCallback",
    "ResultStore",
    "SessionStore",
    "StopCheck",
    "TryOnJob",
)
