"""Browser fixtures: Debian's Chromium driven by Playwright, a fake camera filming a hand, the real server.

Chromium plays ``hand.y4m`` (written here from :func:`back_of_hand`) as its camera and grants camera access
without asking. The server is the real ``vtryon serve`` process on a free loopback port with the preview
garment engine; Chromium reaches it over real sockets.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

from tests.e2e.browser.camera_scene import CameraScene, back_of_hand
from tests.support.process import vtryon_server
from tests.support.y4m import write_y4m

CHROMIUM = Path(os.environ.get("VTRYON_CHROMIUM", "/usr/bin/chromium"))
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: Set to a folder (e.g. docs/images) to have the tests save screenshots of the pages there.
SCREENSHOTS = os.environ.get("VTRYON_SCREENSHOTS")


@dataclass
class Tab:
    """A page in its own browser context, with the uncaught errors it raised."""

    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        """Save a screenshot as ``web-<name>.png`` when VTRYON_SCREENSHOTS names a folder."""
        if SCREENSHOTS:
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / f"web-{name}.png"))


@pytest.fixture(scope="session")
def scene() -> CameraScene:
    return back_of_hand()


@pytest.fixture(scope="session")
def camera_file(tmp_path_factory: pytest.TempPathFactory, scene: CameraScene) -> Path:
    # A still hand: one second of identical frames, looped by Chromium.
    return write_y4m(tmp_path_factory.mktemp("camera") / "hand.y4m", [scene.frame] * 30, fps=30)


@pytest.fixture(scope="module")
def browser(camera_file: Path) -> Iterator[Browser]:
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it is open,
    # which would break every later test that calls asyncio.run().
    if not CHROMIUM.exists():
        pytest.fail(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set VTRYON_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera_file}",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a ``vtryon serve`` process shared by one test module."""
    with vtryon_server(tmp_path_factory.mktemp("server"), "--engine", "preview") as url:
        yield url


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """Open a page of a server in a fresh context: ``open_tab(base_url, "nails.html", phone=False)``."""
    contexts = []

    def open_(base_url: str, path: str = "", *, phone: bool = False) -> Tab:
        context = browser.new_context(
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            base_url=base_url,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        tab = Tab(page=page, base_url=base_url)
        page.on("pageerror", lambda error: tab.errors.append(str(error)))
        page.goto(f"{base_url}/{path}")
        return tab

    yield open_
    for context in contexts:
        context.close()
