"""Run an ASGI app on a real loopback port inside the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn

from usmdev.stack import free_port
from usmdev.waiting import eventually


@asynccontextmanager
async def serve(app: Any, port: int | None = None) -> AsyncIterator[str]:
    """`async with serve(app) as base_url:` real HTTP, for tests that must cross a socket."""
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port or free_port(), log_level="error", lifespan="off"
        )
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        if task.done():
            task.result()  # surfaces a failed start
        return server.started

    await eventually(started, timeout_s=10, what="the server to start")
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await task
