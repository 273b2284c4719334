"""The garment page in Chromium against the real server process with the preview engine."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.browser.conftest import Tab

pytestmark = pytest.mark.browser

PERSON = Path(__file__).resolve().parents[2] / "data" / "astronaut.png"


def fill_form(tab: Tab, person: str | dict[str, object]) -> None:
    page = tab.page
    page.locator(".catalog-item[data-id='red-tee']").click()
    page.locator("#cloth-preview:not([hidden])").wait_for()
    page.set_input_files("#person-file", person)  # type: ignore[arg-type]
    page.locator(".advanced summary").click()
    page.locator("#steps").fill("10")


def test_a_submission_shows_progress_and_the_result(open_tab: Callable[..., Tab], server: str) -> None:
    tab = open_tab(server)
    page = tab.page
    page.locator("#health[data-state='ok']", has_text="preview").wait_for()
    fill_form(tab, str(PERSON))
    page.click("#submit")
    page.locator("#result:not([hidden])").wait_for(timeout=60_000)

    states = [e["state"] for e in page.evaluate("() => vtryonGarment.events")]
    assert states[0] == "queued" and states[-1] == "done"
    assert "Queued" in page.locator("#events").inner_text()
    assert page.locator("#progress-bar").get_attribute("aria-valuenow") == "100"
    src = page.locator("#after-img").get_attribute("src") or ""
    result = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    with Image.open(PERSON) as person:
        assert result.format == "JPEG" and result.size == person.size
    assert page.locator("#download").get_attribute("href") == src
    assert page.evaluate("() => document.getElementById('after-img').naturalWidth") > 0
    assert page.locator("#form-error").is_hidden()
    assert tab.errors == []


def test_a_non_image_upload_shows_the_error_message(open_tab: Callable[..., Tab], server: str) -> None:
    tab = open_tab(server)
    page = tab.page
    fill_form(tab, {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"this is not a photo"})
    page.click("#submit")
    error = page.locator("#form-error")
    error.wait_for()
    assert "not a picture" in error.inner_text()
    assert page.locator("#result").is_hidden() and page.locator("#placeholder").is_visible()
    assert page.locator("#submit").is_enabled()  # the user can fix the photo and try again
    assert tab.errors == []


def test_a_missing_photo_is_asked_for_before_anything_is_sent(
    open_tab: Callable[..., Tab], server: str
) -> None:
    tab = open_tab(server)
    tab.page.click("#submit")
    assert "photo of yourself" in tab.page.locator("#form-error").inner_text()
    assert tab.page.evaluate("() => vtryonGarment.events.length") == 0


def test_a_lost_network_is_reported_as_such(open_tab: Callable[..., Tab], server: str) -> None:
    tab = open_tab(server)
    fill_form(tab, str(PERSON))
    tab.page.route("**/*", lambda route: route.abort("internetdisconnected"))  # the network goes away
    tab.page.click("#submit")
    tab.page.locator("#form-error").wait_for()
    assert "Cannot reach the server" in tab.page.locator("#form-error").inner_text()
    assert tab.page.locator("#health").get_attribute("data-state") == "down"
    assert tab.errors == []


def test_a_large_phone_photo_is_scaled_down_before_upload(
    open_tab: Callable[..., Tab], server: str, tmp_path: Path
) -> None:
    big = tmp_path / "phone.jpg"
    with Image.open(PERSON) as person:
        person.convert("RGB").resize((3000, 4000)).save(big, quality=90)
    tab = open_tab(server)
    fill_form(tab, str(big))
    tab.page.click("#submit")
    tab.page.locator("#result:not([hidden])").wait_for(timeout=60_000)
    src = tab.page.locator("#after-img").get_attribute("src") or ""
    result = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    assert result.size == (1536, 2048)  # the engine saw the 2048-pixel copy, same aspect ratio
    assert tab.errors == []
