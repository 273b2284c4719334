"""Per-caller ``/api`` request limits on one process (the in-memory limiter), over a real socket."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.server import serving
from tests.support.stack import make_stack

ALICE = "alice:alice-key-0123456789abcdef"
BOB = "bob:bob-key-0123456789abcdef00"


def test_without_a_limit_nothing_is_refused(tmp_path: Path) -> None:
    with serving(make_stack(tmp_path).app()) as url, httpx.Client(base_url=url) as client:
        assert {client.get("/api/try-on/sessions/").status_code for _ in range(30)} == {200}


def test_each_key_has_its_own_budget_and_the_overflow_is_429_with_retry_after(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, api_keys=[ALICE, BOB], rate_limit=1 / 60, rate_burst=3)
    alice, bob = ({"x-api-key": entry.split(":", 1)[1]} for entry in (ALICE, BOB))
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        statuses = [client.get("/api/try-on/sessions/", headers=alice).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        refused = client.get("/api/try-on/sessions/", headers=alice)
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        assert client.get("/api/try-on/sessions/", headers=bob).status_code == 200
        assert client.get("/health").status_code == 200  # only /api is limited


def test_wrong_keys_are_limited_by_address_so_guessing_is_slow(tmp_path: Path) -> None:
    stack = make_stack(tmp_path, api_keys=[ALICE], rate_limit=1 / 60, rate_burst=2)
    with serving(stack.app()) as url, httpx.Client(base_url=url) as client:
        guesses = [
            client.get("/api/try-on/sessions/", headers={"x-api-key": f"guess-{n:016d}"}).status_code
            for n in range(4)
        ]
        assert guesses == [401, 401, 429, 429]
