"""Sessions (and results) in Redis, for running more than one server process.

Key layout (``prefix`` defaults to ``vtryon:``)::

    {prefix}session:{id}               8-byte big-endian version + msgpack Session; expires by itself (PX)
                                       at expires_at + retention
    {prefix}owner-sessions:{owner}     sorted set: session id -> expires_at; expires with its last session
    {prefix}result:{id}                msgpack CapturedResult; no expiry
    {prefix}owner-results:{owner}      sorted set: result id -> created_at

Expiry is Redis's own key TTL, so nothing has to sweep. Writes that touch a value and its owner index run
as one Lua script, so the two never disagree half-way. A session update is a compare-and-set: the script
reads the stored version (``GETRANGE`` of the first 8 bytes, O(1)) and writes only if it is still the one
the caller read, else the caller gets ``Conflict`` and re-reads. An update keeps the key's TTL
(``KEEPTTL``) unless ``expires_at`` changed, which is recognised by comparing with the score in the owner
index; an extension sets a fresh TTL. Ids of deleted or expired values are cleaned out of the owner
index when it is listed.

Building a store never connects; the first command does. Any Redis failure surfaces as ``NotReady`` with
code ``store_unavailable`` (drivers answer 503), never as a redis-py exception. Socket timeouts are short
(1 s, one retry) because callers wait on them in worker threads: a hung Redis must cost seconds, not
minutes of blocked threads.
"""

from __future__ import annotations

import contextlib
import math
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from vtryon.adapters.stores.records import pack, unpack_result, unpack_session
from vtryon.adapters.stores.redis_url import redact
from vtryon.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound, NotReady
from vtryon.domain.session import CapturedResult, Session

__all__ = ("DEFAULT_PREFIX", "RedisResultStore", "RedisSessionStore")

DEFAULT_PREFIX: Final = "vtryon:"
_DEFAULT_RETENTION: Final = 3600.0
#: Seconds to connect, and to wait for one reply; a call retries once, so it fails within about twice that.
DEFAULT_CONNECT_TIMEOUT: Final = 0.5
DEFAULT_TIMEOUT: Final = 1.0
_VERSION: Final = struct.Struct(">Q")

# KEYS: session, owner index. ARGV: payload, ttl ms, id, expires_at.
# The index outlives every session it lists: its TTL is raised to the longest one it has seen.
_ADD_SESSION: Final = """
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

# Same KEYS and ARGV, plus ARGV[5]: the version header the caller read. 0 = the session is gone,
# -1 = someone wrote it meanwhile. expires_at unchanged -> KEEPTTL; changed -> new PX.
_UPDATE_SESSION: Final = """
local head = redis.call('GETRANGE', KEYS[1], 0, 7)
if head == '' then return 0 end
if head ~= ARGV[5] then return -1 end
local old = redis.call('ZSCORE', KEYS[2], ARGV[3])
if old and tonumber(old) == tonumber(ARGV[4]) then
  redis.call('SET', KEYS[1], ARGV[1], 'XX', 'KEEPTTL')
  return 1
end
if tonumber(ARGV[2]) <= 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[3])
  return 1
end
redis.call('SET', KEYS[1], ARGV[1], 'XX', 'PX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
"""

# KEYS: result, owner index. ARGV: payload, id, created_at.
_ADD_RESULT: Final = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
return 1
"""


def _connect(url: str, *, connect_timeout: float, timeout: float) -> redis.Redis:
    """A client from a URL; redis-py opens no connection until the first command."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=connect_timeout,
        socket_timeout=timeout,
        # One quick retry rides out a dropped pooled connection; an outage (or a hang) fails fast.
        retry=Retry(ExponentialBackoff(cap=0.1, base=0.02), 1),
        # No PING before a command on an idle connection: it would be one more timeout to wait out when
        # Redis hangs; the retry above replaces a connection Redis dropped.
    )


@contextlib.contextmanager
def _available(url: str) -> Iterator[None]:
    try:
        yield
    except redis.RedisError as exc:
        raise NotReady(
            f"Redis at {redact(url)} is unavailable: {exc}",
            code=ErrorCode.STORE_UNAVAILABLE,
            retry_after=5.0,
        ) from exc


def _bytes(value: object) -> bytes:
    """A reply as bytes; the client never decodes replies (``decode_responses`` is off)."""
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes from Redis, got {type(value).__name__}")
    return value


def _unpack_versioned(record: bytes, *, where: str) -> Session | None:
    """A stored session with the version its record header says (the header is what the script checks)."""
    if len(record) < _VERSION.size:
        return None
    session = unpack_session(record[_VERSION.size :], where=where)
    if session is not None:
        (session.version,) = _VERSION.unpack_from(record)
    return session


class RedisSessionStore:
    """:class:`~vtryon.ports.stores.SessionStore` in Redis, expiring with key TTLs.

    A session stays readable until ``expires_at + retention`` (by ``clock``), so callers can tell an
    expired session from an unknown one. Not for Redis Cluster: a value and its owner index are written
    by one script and must live on one node.
    """

    __slots__ = ("_add", "_client", "_clock", "_prefix", "_retention", "_update", "_url")

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        retention: float = _DEFAULT_RETENTION,
        clock: Callable[[], float] = time.time,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if retention < 0:
            raise ValueError(f"retention must be >= 0, got {retention}")
        self._url = url
        self._prefix = prefix
        self._retention = retention
        self._clock = clock
        self._client = _connect(url, connect_timeout=connect_timeout, timeout=timeout)
        self._add = self._client.register_script(_ADD_SESSION)
        self._update = self._client.register_script(_UPDATE_SESSION)

    def add(self, session: Session) -> None:
        """Store a new session with a TTL; an id already in use is refused."""
        ttl_ms = self._ttl_ms(session)
        if ttl_ms <= 0:
            return  # already past retention: it would vanish at once
        with _available(self._url):
            added = self._add(keys=self._keys(session), args=self._args(session, ttl_ms))
        if not added:
            raise InvalidInput(f"session {session.id} already exists", code=ErrorCode.SESSION_EXISTS)

    def get(self, session_id: str) -> Session | None:
        key = self._session_key(session_id)
        with _available(self._url):
            payload = self._client.get(key)
        return None if payload is None else _unpack_versioned(_bytes(payload), where=key)

    def update(self, session: Session) -> None:
        """Replace a stored session if nobody wrote it since it was read, and bump ``session.version``.

        Keeps the key's TTL unless ``expires_at`` moved. ``Conflict`` when the stored version moved on,
        ``NotFound`` when the session is gone.
        """
        read = _VERSION.pack(session.version)
        session.version += 1
        try:
            with _available(self._url):
                updated = self._update(
                    keys=self._keys(session), args=[*self._args(session, self._ttl_ms(session)), read]
                )
        except BaseException:
            session.version -= 1
            raise
        if updated == 1:
            return
        session.version -= 1
        if updated == -1:
            raise Conflict(f"session {session.id} changed meanwhile (written from version {session.version})")
        raise NotFound(f"session {session.id} not found")

    def delete(self, session_id: str) -> None:
        """Forget a session; its id leaves the owner index on the next listing."""
        with _available(self._url):
            self._client.delete(self._session_key(session_id))

    def list_by_owner(self, owner: str) -> list[Session]:
        """The owner's sessions that are still kept (expired ones included), oldest first."""
        index = self._owner_key(owner)
        horizon = self._clock() - self._retention
        with _available(self._url):
            pipe = self._client.pipeline(transaction=False)
            pipe.zremrangebyscore(index, "-inf", f"({horizon!r}")
            pipe.zrange(index, 0, -1)
            _, raw_ids = pipe.execute()
            ids = [_bytes(raw).decode() for raw in raw_ids]
            payloads = self._client.mget([self._session_key(i) for i in ids]) if ids else []
            gone = [i for i, p in zip(ids, payloads, strict=True) if p is None]
            if gone:
                self._client.zrem(index, *gone)
        sessions = [
            s
            for i, p in zip(ids, payloads, strict=True)
            if p is not None and (s := _unpack_versioned(_bytes(p), where=self._session_key(i))) is not None
        ]
        return sorted((s for s in sessions if s.owner == owner), key=lambda s: s.created_at)

    def ping(self) -> None:
        """Check the connection; raises ``NotReady`` when Redis cannot be reached (for health checks)."""
        with _available(self._url):
            self._client.ping()

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def _ttl_ms(self, session: Session) -> int:
        return math.ceil((session.expires_at + self._retention - self._clock()) * 1000)

    def _keys(self, session: Session) -> list[str]:
        return [self._session_key(session.id), self._owner_key(session.owner)]

    @staticmethod
    def _args(session: Session, ttl_ms: int) -> list[Any]:
        # repr() round-trips a float exactly, so the script's comparison of expires_at is exact.
        return [_VERSION.pack(session.version) + pack(session), ttl_ms, session.id, repr(session.expires_at)]

    def _session_key(self, session_id: str) -> str:
        return f"{self._prefix}session:{session_id}"

    def _owner_key(self, owner: str) -> str:
        return f"{self._prefix}owner-sessions:{owner}"


class RedisResultStore:
    """:class:`~vtryon.ports.stores.ResultStore` in Redis. Values have no TTL; durability is whatever
    the server's persistence gives (see docs/operations.md: enable AOF for results)."""

    __slots__ = ("_add", "_client", "_prefix", "_url")

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._client = _connect(url, connect_timeout=connect_timeout, timeout=timeout)
        self._add = self._client.register_script(_ADD_RESULT)

    def add(self, result: CapturedResult) -> None:
        """Store a new result; an id already in use is refused (results are immutable)."""
        keys = [self._result_key(result.id), self._owner_key(result.owner)]
        with _available(self._url):
            added = self._add(keys=keys, args=[pack(result), result.id, repr(result.created_at)])
        if not added:
            raise InvalidInput(f"result {result.id} already exists", code=ErrorCode.RESULT_EXISTS)

    def get(self, result_id: str) -> CapturedResult | None:
        key = self._result_key(result_id)
        with _available(self._url):
            payload = self._client.get(key)
        return None if payload is None else unpack_result(_bytes(payload), where=key)

    def list_by_owner(self, owner: str, *, limit: int = 100) -> list[CapturedResult]:
        """The owner's newest ``limit`` results, newest first."""
        if limit < 0:
            raise InvalidInput(f"limit must be >= 0, got {limit}", code=ErrorCode.INVALID_LIMIT)
        if limit == 0:
            return []
        index = self._owner_key(owner)
        with _available(self._url):
            ids = [_bytes(raw).decode() for raw in self._client.zrevrange(index, 0, limit - 1)]
            payloads = self._client.mget([self._result_key(i) for i in ids]) if ids else []
            gone = [i for i, p in zip(ids, payloads, strict=True) if p is None]
            if gone:
                self._client.zrem(index, *gone)
        results = [
            r
            for i, p in zip(ids, payloads, strict=True)
            if p is not None and (r := unpack_result(_bytes(p), where=self._result_key(i))) is not None
        ]
        return [r for r in results if r.owner == owner]

    def ping(self) -> None:
        """Check the connection; raises ``NotReady`` when Redis cannot be reached."""
        with _available(self._url):
            self._client.ping()

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def _result_key(self, result_id: str) -> str:
        return f"{self._prefix}result:{result_id}"

    def _owner_key(self, owner: str) -> str:
        return f"{self._prefix}owner-results:{owner}"
