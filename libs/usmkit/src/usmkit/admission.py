"""How many requests a process works on at once."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from usmkit.bodies import replaying, whole_body

# Probes must answer while the service is busy: they never wait for a turn.
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class AdmissionLimit:
    """At most `limit` requests worked on at once; the others wait, parked, before any work.

    Under load every request in progress adds its steps to each turn of the event loop, so
    the background work sharing the loop (the outbox relay, the consumers) waits behind all
    of them at each of its awaits. Requests beyond the database pool would only queue for
    a connection anyway.

    A turn covers the work only, never the client's pace: the request body is read whole
    before the turn is taken, and the turn ends when the answer starts (a slow upload or a
    slow reader of a long export holds nobody up).
    """

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self._turns = asyncio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        replay = replaying(await whole_body(receive), receive)
        turn_over = False

        async def end_turn_on_answer(message: Message) -> None:
            nonlocal turn_over
            if message["type"] == "http.response.start" and not turn_over:
                turn_over = True
                self._turns.release()
            await send(message)

        await self._turns.acquire()
        try:
            await self.app(scope, replay, end_turn_on_answer)
        finally:
            if not turn_over:
                turn_over = True
                self._turns.release()
