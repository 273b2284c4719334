"""The small pure parts behind the abuse limits: host names, connection caps, public routes, messages."""

from __future__ import annotations

import pytest

from vtryon.adapters.http.auth import is_public
from vtryon.adapters.http.connection_limits import ConnectionLimits
from vtryon.adapters.http.errors import MAX_MESSAGE, public_message
from vtryon.adapters.http.hosts import HostPolicy, host_name
from vtryon.app.cli.native_logs import is_native_noise
from vtryon.app.settings import LOOPBACK_HOSTS, Settings


@pytest.mark.parametrize(
    ("header", "name"),
    [("127.0.0.1:8000", "127.0.0.1"), ("[::1]:8000", "::1"), ("LocalHost.", "localhost"), ("::1", "::1")],
)
def test_host_names_lose_port_case_and_trailing_dot(header: str, name: str) -> None:
    assert host_name(header) == name


def test_host_policy_matches_names_and_wildcards_but_never_trusts_star_for_origins() -> None:
    policy = HostPolicy(["tryon.example.com", "*.cdn.example"])
    assert policy.allows("tryon.example.com:443") and policy.allows("a.cdn.example")
    assert not policy.allows("attacker.example") and not policy.allows(None)
    assert policy.same_origin("https://tryon.example.com") and not policy.same_origin(
        "file://tryon.example.com"
    )
    anything = HostPolicy(["*"])
    assert anything.allows("attacker.example") and not anything.same_origin("http://attacker.example")


def test_connection_caps_are_checked_in_order_and_given_back() -> None:
    limits = ConnectionLimits(per_session=1, per_principal=2, total=3)
    assert limits.acquire("s1", "alice") is None
    assert limits.acquire("s1", "alice") == "too_many_session_connections"
    assert limits.acquire("s2", "alice") is None
    assert limits.acquire("s3", "alice") == "too_many_principal_connections"
    assert limits.acquire("s3", "bob") is None
    assert limits.acquire("s4", "carol") == "too_many_connections"
    limits.release("s1", "alice")
    assert limits.open == 2 and limits.acquire("s1", "carol") is None


def test_only_listed_routes_are_public() -> None:
    assert is_public("/health", None) and is_public("/schema/openapi.json", "x")
    assert is_public("/{file_path:path}", "web-client") and is_public("/", "web-client/index")
    assert not is_public("/api/designs", "listDesigns") and not is_public("/schemas-of-mine", None)
    assert not is_public("/ws/tryon/{session_id:str}/", "live-stream")


def test_messages_are_cut_and_redacted() -> None:
    message = public_message("cannot write /srv/data/results: " + "x" * 10_000, ["/srv/data/results"])
    assert "/srv/data" not in message and "<redacted>" in message and len(message) < MAX_MESSAGE + 60


def test_native_lines_are_recognised() -> None:
    assert is_native_noise("INFO: [environment.cc:36] Creating LiteRT environment with options")
    assert is_native_noise("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.")
    assert is_native_noise("W0000 00:00:1796073200.925398   11968 landmark_projection.cc:81] Using")
    assert not is_native_noise('INFO:     127.0.0.1:5000 - "GET /health HTTP/1.1" 200 OK')
    assert not is_native_noise("Traceback (most recent call last):")


def test_allowed_hosts_default_to_the_loopback_names_only_on_loopback() -> None:
    assert Settings.load(environ={}).effective_allowed_hosts() == LOOPBACK_HOSTS
    assert Settings.load(environ={}, host="0.0.0.0").effective_allowed_hosts() == ()
    named = Settings.load(environ={"VTRYON_ALLOWED_HOSTS": "a.test, *.b.test"}, host="0.0.0.0")
    assert named.effective_allowed_hosts() == ("a.test", "*.b.test")
    with pytest.raises(ValueError, match="ws_max"):
        Settings.load(environ={}, ws_max_per_session=0)
