import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from usmdev.servers import serve
from usmdev.stack import free_port


async def echo(request: Request) -> JSONResponse:
    if request.url.path.endswith("/slow"):
        await asyncio.sleep(2)
    return JSONResponse(
        {
            "path": request.url.path,
            "query": request.url.query,
            "headers": dict(request.headers),
            "body": (await request.body()).decode(),
        },
        headers={"x-upstream": "yes", "server": "upstream"},
    )


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    """A real HTTP server standing in for a service: it echoes what it received."""
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST"])])
    async with serve(app) as url:
        yield url


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    yield f"http://127.0.0.1:{free_port()}"
