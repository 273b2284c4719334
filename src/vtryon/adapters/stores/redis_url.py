"""A Redis URL fit for errors and logs: every Redis client of ours names its server the same way."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ("redact",)


def redact(url: str) -> str:
    """The URL without credentials (user info, or a ``password=`` query), fit for errors and logs."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    netloc = f"***@{host}" if "@" in parts.netloc else host
    query = "?***" if parts.query else ""
    return f"{parts.scheme}://{netloc}{parts.path}{query}"
