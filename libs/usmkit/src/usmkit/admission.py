"""How many requests a process works on at once."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
        received = await _whole_body(receive)

        async def replay() -> Message:
            return received.pop(0) if received else await receive()

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


async def _whole_body(receive: Receive) -> list[Message]:
    """The request's messages up to the last part of its body (or a disconnect)."""
    messages = [await receive()]
    while messages[-1]["type"] == "http.request" and messages[-1].get("more_body", False):
        messages.append(await receive())
    return messages
