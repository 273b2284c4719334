"""One settings object, read from ``VTRYON_*`` environment variables and overridden by CLI flags.

Every field has an embedded default that works on a fresh machine: in-memory sessions, results on the local
disk, bundled MediaPipe models, CatVTON when its weights are present, otherwise the preview engine.

Values parse strictly: a typo (``VTRYON_COMPILE=ture``) stops start-up with a message that names the
variable (or flag) and the values it accepts, rather than quietly meaning something else.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec

__all__ = ("ENV_PREFIX", "LOOPBACK_HOSTS", "Settings")

ENV_PREFIX = "VTRYON_"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _default_data_dir() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return str(Path(base) / "vtryon")


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Everything an operator can set. Field ``x`` is env var ``VTRYON_X`` and flag ``--x`` (dashes)."""

    # server
    host: str = "127.0.0.1"
    port: int = 8000
    allow_remote: bool = False  # listening beyond loopback without API keys needs this, and warns
    api_keys: list[str] = msgspec.field(default_factory=list)  # "principal:key" or "key"
    allowed_origins: list[str] = msgspec.field(default_factory=list)
    # Host names this server answers to (DNS rebinding); empty = the loopback names, and only on loopback.
    allowed_hosts: list[str] = msgspec.field(default_factory=list)
    log_level: str = "info"
    # slow clients (slowloris): seconds to send a request's headers, then its body; open connections cap
    header_timeout: float = 10.0
    body_timeout: float = 60.0
    keep_alive_timeout: int = 5
    max_connections: int = 1000
    # stores
    redis_url: str | None = None
    results_dir: str = msgspec.field(default_factory=lambda: str(Path(_default_data_dir()) / "results"))
    session_ttl: float = 30 * 60.0
    max_upload_sessions: int = 5  # live upload-mode sessions per principal (each keeps a picture)
    # garment engine
    engine: Literal["auto", "catvton", "preview"] = "auto"
    catvton_base: str | None = None
    catvton_vae: str | None = None
    catvton_attention: str | None = None
    weights_dir: str = msgspec.field(default_factory=lambda: str(Path(_default_data_dir()) / "weights"))
    device: str = "auto"
    dtype: str = "auto"
    scheduler: str = "ddim"
    compile: bool = False
    repaint: bool = False
    queue_size: int = 8
    workers: int = 1
    job_timeout: float = 600.0
    job_retention: float = 300.0  # seconds a finished job (its encoded image) stays readable
    job_keep: int = 64  # finished jobs kept in memory at most (embedded queue)
    job_attempts: int = 2  # runs of a job whose worker died or stopped, before it ends `failed` (Redis)
    job_heartbeat: int = 15  # seconds a running job may go unheard before it is swept (Redis)
    worker_grace: float = 30.0  # `vtryon worker` on SIGTERM: seconds to finish its job before handing it back
    # live nails
    hand_model: Literal["full", "lite"] = "full"
    num_hands: int = 2
    # which pixels of a fingertip are its nail: the bundled learned segmenter, or the classical colour model
    nail_segmenter: Literal["learned", "classical"] = "learned"
    designs_dir: str | None = None
    max_fps: float = 60.0
    max_frame_bytes: int = 4 * 1024 * 1024
    max_frame_pixels: int = 3840 * 2160  # a live frame or a captured result: 4K UHD at most
    ws_send_timeout: float = 5.0
    ws_idle_timeout: float = 60.0  # no frame for this long: the server closes the socket (4408)
    ws_max_per_session: int = 2
    ws_max_per_principal: int = 8
    ws_max_connections: int = 64
    # limits
    rate_limit: float = 0.0  # /api requests per second per caller (API key, else address); 0 = no limit
    rate_burst: float = 20.0  # requests a caller may make at once before ``rate_limit`` applies
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    # Decoded images (in flight and alive) share this many MB; over it a decode waits decode_wait seconds,
    # then 503 decode_busy (413 image_too_large when one image alone would not fit).
    decode_budget_mb: int = 512
    decode_wait: float = 2.0
    max_parts: int = 8
    output_quality: int = 92

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"port must be 1-65535, got {self.port}")
        if self.queue_size < 1 or self.workers < 1:
            raise ValueError("queue_size and workers must be >= 1")
        if min(self.job_attempts, self.job_heartbeat, self.job_keep + 1) < 1 or self.job_retention <= 0:
            raise ValueError("job_attempts and job_heartbeat must be >= 1, job_keep >= 0, job_retention > 0")
        if self.rate_limit < 0 or self.rate_burst < 1:
            raise ValueError("rate_limit must be >= 0 and rate_burst >= 1")
        if min(self.ws_max_per_session, self.ws_max_per_principal, self.ws_max_connections) < 1:
            raise ValueError("ws_max_per_session, ws_max_per_principal and ws_max_connections must be >= 1")
        if min(self.header_timeout, self.body_timeout, self.ws_idle_timeout) <= 0:
            raise ValueError("header_timeout, body_timeout and ws_idle_timeout must be > 0")

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults <- environment <- explicit overrides (CLI flags). ``None`` overrides are ignored."""
        environ = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        given: dict[str, str] = {}  # field -> where its value came from, for error messages
        for name, field_type in _field_types().items():
            variable = ENV_PREFIX + name.upper()
            value = environ.get(variable)
            if value is not None:
                raw[name] = _parse_env(variable, value, field_type)
                given[name] = f"{name} ({variable}={value!r})"
        for name, value in overrides.items():
            if value is not None:
                raw[name] = value
                given[name] = f"{name} (--{name.replace('_', '-')}={value!r})"
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise ValueError(_explain(exc, given)) from None

    @property
    def keys_configured(self) -> bool:
        return bool(self.api_keys)

    @property
    def loopback_only(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    def effective_allowed_hosts(self) -> tuple[str, ...]:
        """``allowed_hosts``, or the loopback names when unset and bound to loopback; ``()`` = not set."""
        if self.allowed_hosts:
            return tuple(self.allowed_hosts)
        return LOOPBACK_HOSTS if self.loopback_only else ()

    def catvton_paths(self) -> tuple[Path, Path, Path]:
        """Explicit CatVTON paths, else the layout ``vtryon weights pull`` writes under ``weights_dir``."""
        root = Path(self.weights_dir)
        return (
            Path(self.catvton_base) if self.catvton_base else root / "stable-diffusion-inpainting",
            Path(self.catvton_vae) if self.catvton_vae else root / "sd-vae-ft-mse",
            Path(self.catvton_attention)
            if self.catvton_attention
            else root / "CatVTON" / "mix-48k-1024" / "attention" / "model.safetensors",
        )


def _field_types() -> dict[str, Any]:
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: f.type for f in info.fields}


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _parse_env(variable: str, value: str, field_type: Any) -> Any:
    if isinstance(field_type, msgspec.inspect.ListType):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(field_type, msgspec.inspect.BoolType):
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        accepted = ", ".join(_TRUE + _FALSE)
        raise ValueError(f"invalid setting ({variable}={value!r}): not a boolean; use one of {accepted}")
    if isinstance(field_type, msgspec.inspect.UnionType) and value == "":
        return None
    return value


def _explain(error: msgspec.ValidationError, given: dict[str, str]) -> str:
    """msgspec's message, with the variable or flag it is about and, for a choice, the accepted values."""
    message = str(error)
    path = re.search(r"at `\$\.(\w+)`", message)
    if path is None or path.group(1) not in given:
        return f"invalid setting: {message}"
    name = path.group(1)
    reason = message[: path.start()].rstrip(" -")
    choices = _field_types()[name]
    if isinstance(choices, msgspec.inspect.LiteralType):
        reason += f"; use one of {', '.join(str(v) for v in choices.values)}"
    return f"invalid setting {given[name]}: {reason}"
