"""Slowloris: requests whose headers or body trickle in are cut off; open connections are capped."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx

from tests.abuse.conftest import Server, running, wait_until

HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 2.0
SLOW = ("--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT))


def _open(server: Server, first: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.setblocking(False)
    sock.send(first)
    return sock


def _trickle_until_closed(socks: list[socket.socket], byte: bytes, limit: float) -> float:
    """Send one byte to each socket every 0.25 s until the server has closed them all; seconds taken."""
    started = time.monotonic()
    open_socks = set(socks)
    while open_socks and time.monotonic() - started < limit:
        for sock in list(open_socks):
            try:
                if sock.recv(4096) == b"":  # the server closed it (or answered and closed)
                    open_socks.discard(sock)
                    continue
            except BlockingIOError:
                pass
            except OSError:
                open_socks.discard(sock)
                continue
            try:
                sock.send(byte)
            except OSError:
                open_socks.discard(sock)
        time.sleep(0.25)
    for sock in socks:
        sock.close()
    assert not open_socks, f"{len(open_socks)} trickling connections still open after {limit} s"
    return time.monotonic() - started


def test_trickled_headers_are_cut_off_and_others_are_served(tmp_path: Path) -> None:
    with running(tmp_path, *SLOW) as server:
        socks = [_open(server, b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ") for _ in range(200)]
        started = time.monotonic()
        health = httpx.get(server.base + "/health", timeout=5)
        latency = time.monotonic() - started
        assert health.status_code == 200 and latency < 1.0  # served while 200 connections trickle
        taken = _trickle_until_closed(socks, b"a", limit=HEADER_TIMEOUT + 4)
        assert taken < HEADER_TIMEOUT + 4


def test_a_trickled_body_is_cut_off(tmp_path: Path) -> None:
    with running(tmp_path, *SLOW) as server:
        head = (
            b"POST /api/try-on/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: 100000\r\n\r\n--xyz\r\n"
        )
        socks = [_open(server, head) for _ in range(20)]
        taken = _trickle_until_closed(socks, b"a", limit=BODY_TIMEOUT + 4)
        assert taken >= BODY_TIMEOUT - 0.5  # the headers were complete: the body deadline applied


def test_open_connections_are_capped(tmp_path: Path) -> None:
    with running(tmp_path, "--max-connections", "20", *SLOW) as server:
        silent = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(25)]
        try:
            over = httpx.get(server.base + "/health", timeout=5)
            assert over.status_code == 503  # over the cap: refused at once, not queued
            # The silent ones never sent a header: the header deadline frees their places.
            assert wait_until(
                lambda: httpx.get(server.base + "/health", timeout=5).status_code == 200, HEADER_TIMEOUT + 4
            )
        finally:
            for sock in silent:
                sock.close()
