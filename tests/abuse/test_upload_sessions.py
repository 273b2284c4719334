"""Upload-mode sessions: capped per principal, and cheap to keep.

Before: each held its pictures re-encoded at full size (~30 MB in memory for a 12 Mpx photo) for 90
minutes, with no cap per principal. Now a principal holds at most ``max_upload_sessions`` live ones
(429 ``too_many_upload_sessions`` beyond, with Retry-After) and the pictures are kept scaled down to
1024 px on the longer side.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.abuse.conftest import ALICE_KEY, BOB_KEY, KEYS, Server, running
from tests.support.images import encoded

pytestmark = pytest.mark.slow

CAP = 3
MANY = 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"VTRYON_MAX_UPLOAD_SESSIONS": str(CAP)}
    with running(tmp_path_factory.mktemp("uploads"), *KEYS, env=env) as server:
        yield server


def _photo(seed: int) -> bytes:
    """A 12-megapixel phone photo (noise, so it compresses like a real one)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    big = Image.fromarray(small).resize((4000, 3000))
    buffer = io.BytesIO()
    big.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _create(client: httpx.Client, photo: bytes) -> httpx.Response:
    return client.post(
        "/api/try-on/sessions/",
        data={"mode": "upload"},
        files={"nail_reference_image": ("ref.jpg", photo, "image/jpeg")},
    )


def test_upload_sessions_are_capped_per_principal_with_a_stable_code(server: Server) -> None:
    photo = encoded(640, 480, noise=True)
    with server.client(ALICE_KEY) as alice, server.client(BOB_KEY) as bob:
        for _ in range(CAP):
            assert _create(alice, photo).status_code == 201
        refused = _create(alice, photo)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_upload_sessions"
        assert 1 <= int(refused.headers["Retry-After"]) <= 1800
        assert _create(bob, photo).status_code == 201  # bob has a cap of his own
        explore = alice.post("/api/try-on/sessions/", json={"mode": "explore", "post_id": 1})
        assert explore.status_code == 201  # explore sessions keep no pictures and are not capped


def test_upload_sessions_keep_their_pictures_small(tmp_path: Path) -> None:
    photos = [_photo(seed) for seed in range(MANY)]
    assert all(len(p) > 1_000_000 for p in photos)
    env = {"VTRYON_MAX_UPLOAD_SESSIONS": str(MANY)}
    with running(tmp_path, *KEYS, env=env) as server, server.client(ALICE_KEY) as alice:
        for photo in photos[:2]:  # warm up: the upload path, the decoder, OpenCV's resize
            assert _create(alice, photo).status_code == 201
        before = server.rss_mb()
        for photo in photos[2:]:
            assert _create(alice, photo).status_code == 201
        per_session = (server.rss_mb() - before) / (MANY - 2)
        kept = alice.get("/api/try-on/sessions/").json()["sessions"]
    print(f"{MANY - 2} more 12 Mpx upload sessions: RSS {per_session:+.2f} MB each")
    assert len(kept) == MANY
    # A decoded 12 Mpx copy weighs 36 MB; a kept picture is now a 1024 px JPEG of ~0.3 MB.
    assert per_session < 2.0
