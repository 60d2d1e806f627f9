"""Lanes: plain ASGI handlers in front of FastAPI's router for the few calls whose volume makes
the router's own work the larger part of their cost.

Routing, dependency solving, the exception and exit-stack middleware and response validation
cost about as much CPU as everything reports intake does itself (0.5 ms per report in one
process, 2026-11-26). A lane answers only the requests it was written for, and returns None
for anything else (an unusual header, a body that does not validate), which the router then
answers as always, with the body the lane read. What a lane raises once it took a request is
answered by the app's exception handlers, as the router would answer it. The route stays, with
its OpenAPI, for the requests the lane leaves to it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from usmkit.bodies import body_of, replaying, whole_body
from usmkit.problems import exception_handler_for

# A lane's answer to a request and its body, or None: "the router answers this one".
Lane = Callable[[Request, bytes], Awaitable[Response | None]]


class Lanes:
    """Routes requests by method and exact path to their lane; the rest to the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        lanes: Mapping[tuple[str, str], Lane],
        exception_handlers: Mapping[Any, Any],
    ) -> None:
        self.app = app
        self.lanes = lanes
        self.exception_handlers = exception_handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.lanes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        if lane is None:
            await self.app(scope, receive, send)
            return
        messages = await whole_body(receive)
        if messages[-1]["type"] == "http.disconnect":
            return  # no one to answer
        # The body stays readable (`request.body()`) for the lane and the handlers.
        request = Request(scope, replaying(messages, receive))
        try:
            response = await lane(request, body_of(messages))
        except Exception as exc:
            handler = exception_handler_for(self.exception_handlers, exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        if response is None:
            await self.app(scope, replaying(messages, receive), send)
            return
        await response(scope, receive, send)
