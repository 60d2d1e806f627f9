import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import suppress

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from usmdev.servers import serve
from usmdev.stack import free_port


async def chunks() -> AsyncIterator[bytes]:
    for part in (b"first,", b"second,", b"third"):
        yield part


async def echo(request: Request) -> JSONResponse | StreamingResponse:
    if request.url.path.endswith("/chunked"):
        # No length: uvicorn sends it chunked.
        return StreamingResponse(chunks(), media_type="text/plain")
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
    app = Starlette(routes=[Route("/{path:path}", echo, methods=["GET", "POST", "HEAD"])])
    async with serve(app) as url:
        yield url


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    yield f"http://127.0.0.1:{free_port()}"


@pytest.fixture
async def closing_upstream() -> AsyncIterator[str]:
    """A server that answers each request as if it kept the connection, then closes it: what
    a service does when its keep-alive timeout ends as a request arrives."""

    async def answer_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer_once, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"
