"""How many requests a process works on at once."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

# Probes must answer while the service is busy: they never wait for a slot.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AdmissionLimit:
    """At most `limit` requests in progress; the others wait, parked, before any work.

    Under load every request in progress adds its steps to each turn of the event loop, so
    the background work sharing the loop (the outbox relay, the consumers) waits behind all
    of them at each of its awaits. Requests beyond the database pool would only queue for
    a connection anyway.
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self._slots = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)
