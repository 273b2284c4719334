from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import serving
from tests.support.stack import Stack, make_stack


class Clock:
    """A settable clock for the services (sessions expire by it)."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stack(tmp_path: Path, clock: Clock) -> Stack:
    return make_stack(tmp_path, clock=clock)


@pytest.fixture
def base_url(stack: Stack) -> Iterator[str]:
    with serving(stack.app()) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c
