"""Both pages fit a phone and a desktop screen: nothing scrolls sideways, the controls are on screen.

With VTRYON_SCREENSHOTS=docs/images these tests also save the screenshots the docs show.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.browser.conftest import Tab

pytestmark = pytest.mark.browser

PERSON = Path(__file__).resolve().parents[2] / "data" / "astronaut.png"
NO_SIDEWAYS_SCROLL = "() => document.scrollingElement.scrollWidth <= window.innerWidth"


def on_screen(tab: Tab, selector: str) -> bool:
    box = tab.page.locator(selector).bounding_box()
    size = tab.page.viewport_size
    assert box is not None and size is not None, selector
    return (
        box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and (box["y"] + box["height"] <= size["height"])
    )


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_garment_page_fits_the_screen(open_tab: Callable[..., Tab], server: str, phone: bool) -> None:
    tab = open_tab(server, phone=phone)
    page = tab.page
    page.locator("#health[data-state='ok']").wait_for()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.locator(".catalog-item[data-id='striped-top']").click()
    page.set_input_files("#person-file", str(PERSON))
    page.locator(".advanced summary").click()
    page.locator("#steps").fill("10")
    page.click("#submit")
    page.locator("#result:not([hidden])").wait_for(timeout=60_000)
    page.evaluate(
        """() => { const r = document.getElementById("compare-range"); r.value = 35;
                   r.dispatchEvent(new Event("input")); }"""
    )
    if phone:
        page.locator("#compare").scroll_into_view_if_needed()
    else:
        page.evaluate("() => window.scrollTo(0, 0)")
        assert on_screen(tab, "#compare") and on_screen(tab, "#download")  # the result sits beside the form
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    assert page.locator("#download").is_visible()
    assert tab.errors == []
    tab.screenshot(f"garment-{'phone' if phone else 'desktop'}")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_live_page_fits_the_screen(open_tab: Callable[..., Tab], server: str, phone: bool) -> None:
    tab = open_tab(server, "nails.html", phone=phone)
    tab.page.wait_for_function("() => window.vtryonLive && vtryonLive.live.resultsReceived >= 20")
    assert tab.page.evaluate(NO_SIDEWAYS_SCROLL)
    for control in ("#indicator", "#pause", "#capture", "#switch", "#open-designs", "#open-settings"):
        assert on_screen(tab, control), control
    tab.page.wait_for_timeout(1000)  # let the FPS reading settle for the picture
    tab.screenshot(f"nails-{'phone' if phone else 'desktop'}")
    tab.page.click("#open-designs")
    tab.page.locator("#designs-panel.open").wait_for()
    tab.page.wait_for_timeout(400)  # the slide-up transition
    assert on_screen(tab, "#designs-panel .design >> nth=0")
    tab.screenshot(f"nails-designs-{'phone' if phone else 'desktop'}")
    assert tab.errors == []
