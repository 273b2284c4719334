"""DNS rebinding: the server answers only to its configured host names, and never trusts Host for Origin."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.abuse.conftest import running, wait_until
from tests.abuse.live import explore


def test_a_rebound_host_is_refused_over_http_and_websocket(tmp_path: Path) -> None:
    with running(tmp_path) as server, server.client() as client:
        session_id = explore(client)
        forged = client.get("/api/try-on/sessions/", headers={"Host": "attacker.example"})
        assert forged.status_code == 400 and forged.json()["error"]["code"] == "host_not_allowed"
        for name in ("localhost", "127.0.0.1", f"localhost:{server.port}"):
            assert client.get("/api/designs/", headers={"Host": name}).status_code == 200
        # Origin and Host both the attacker's: the handshake is refused (the Host check, then Origin's).
        with pytest.raises(InvalidStatus, match="403"):
            connect(
                f"ws://attacker.example:{server.port}/ws/tryon/{session_id}/",
                sock=socket.create_connection(("127.0.0.1", server.port)),
                origin=f"http://attacker.example:{server.port}",  # type: ignore[arg-type]
            ).close()
        # A real loopback Host with a foreign Origin: refused too (Origin is not compared with Host).
        with pytest.raises(InvalidStatus, match="403"):
            connect(
                f"{server.ws_base}/ws/tryon/{session_id}/",
                origin="http://attacker.example",  # type: ignore[arg-type]
            ).close()


def test_listening_beyond_loopback_needs_allowed_hosts() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "vtryon", "serve", "--host", "0.0.0.0", "--api-key", "k" * 20],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2 and "--allowed-host" in refused.stderr


def test_configured_host_names_replace_the_loopback_ones(tmp_path: Path) -> None:
    args = ("--host", "0.0.0.0", "--allow-remote", "--allowed-host", "tryon.test")
    # The readiness probe uses 127.0.0.1, which is not allowed now: the server answers it with 400.
    with running(tmp_path, *args, ready_status=400) as server:
        base = f"http://127.0.0.1:{server.port}"
        assert wait_until(
            lambda: httpx.get(base + "/health", headers={"Host": "tryon.test"}).status_code == 200, 30
        )
        assert httpx.get(base + "/health", headers={"Host": f"tryon.test:{server.port}"}).status_code == 200
        assert httpx.get(base + "/health").status_code == 400
