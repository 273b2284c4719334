"""API keys and principals.

With keys configured, every API call needs ``X-API-Key``; the key names a principal that owns what it
creates. Without keys everyone is the principal ``anonymous`` (a phone on the developer's Wi-Fi keeps
working); the CLI refuses to listen beyond loopback that way unless told to, and warns loudly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from vtryon.domain.errors import ErrorCode, Unauthenticated

__all__ = (
    "ANONYMOUS",
    "PRINCIPAL_KEY",
    "PUBLIC_HANDLERS",
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "KeyRing",
    "is_public",
)

ANONYMOUS = "anonymous"

#: Where the guard (``guard.py``) leaves the authenticated principal in the connection's scope state.
PRINCIPAL_KEY = "vtryon.principal"

#: The public routes, all of them: everything else needs a principal (the guard fails closed).
PUBLIC_PATHS = frozenset({"/live", "/health", "/ready", "/metrics"})
PUBLIC_PREFIXES = ("/schema",)  # the OpenAPI document and its viewer
PUBLIC_HANDLERS = frozenset({"web-client"})  # the static files of the web client (no data in them)


def is_public(path_template: str, handler_name: str | None) -> bool:
    """Whether a route may be called without credentials. Only the lists above say so."""
    if path_template in PUBLIC_PATHS:
        return True
    if handler_name is not None and handler_name.split("/", 1)[0] in PUBLIC_HANDLERS:  # web-client/index, ...
        return True
    return any(path_template == p or path_template.startswith(p + "/") for p in PUBLIC_PREFIXES)


@dataclass(frozen=True, slots=True)
class KeyRing:
    """``principal:key`` entries (or bare keys, whose principal is derived from the key's hash)."""

    keys: tuple[tuple[str, bytes], ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> KeyRing:
        parsed = []
        for entry in entries:
            principal, sep, key = entry.partition(":")
            if not sep:
                key = principal
                principal = "key-" + hashlib.sha256(key.encode()).hexdigest()[:12]
            if len(key) < 16:
                raise ValueError("API keys must be at least 16 characters long")
            parsed.append((principal, key.encode()))
        return cls(tuple(parsed))

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def principal(self, presented: str | None) -> str:
        """The principal of a presented key; ``Unauthenticated`` when keys are on and it matches none."""
        if not self.enabled:
            return ANONYMOUS
        if not presented:
            raise Unauthenticated("this server needs an X-API-Key header", code=ErrorCode.MISSING_API_KEY)
        candidate = presented.encode()
        found = None
        for principal, key in self.keys:  # compare with every key: timing says nothing about which
            if hmac.compare_digest(candidate, key):
                found = principal
        if found is None:
            raise Unauthenticated("the API key is not valid", code=ErrorCode.BAD_API_KEY)
        return found
