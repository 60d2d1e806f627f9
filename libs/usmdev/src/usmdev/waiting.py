"""Wait on conditions, never on fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

T = TypeVar("T")

POLL_INTERVAL_S = 0.05
# Seeding talks to a whole stack over HTTP: no need to poll it twenty times a second.
SEED_RETRY_INTERVAL_S = 0.5


def wait_until(condition: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(POLL_INTERVAL_S)


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout_s: float = 30.0, what: str
) -> T:
    """Poll `probe` until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL_S)


def retry_while(
    request: Callable[[], httpx.Response], *, status: int, timeout_s: float, what: str
) -> httpx.Response:
    """Repeat `request` while it answers `status` (e.g. a service that has not yet heard of
    a city from the broker); the first other answer is returned."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = request()
        if response.status_code != status:
            return response
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(SEED_RETRY_INTERVAL_S)
