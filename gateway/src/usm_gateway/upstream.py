"""The gateway's HTTP clients: forwarding to services, and everything else (readiness,
OpenAPI, OIDC issuers' JWKS).

Forwarding is on every call, so it has a client of its own: HTTP/1.1 written by hand over
kept-alive connections, responses parsed by httptools (llhttp). aiohttp's request and
response objects, header multidicts, URL parsing and timers cost about 0.3 ms of CPU per call
on top of that (measured here; httpx 1.5 ms). The other calls are rare and may go to
issuers on the internet: aiohttp serves them.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import aiohttp
import httptools
from yarl import URL

from usm_gateway.config import GatewaySettings


class UpstreamError(Exception):
    """The upstream could not be used."""


class UpstreamUnavailable(UpstreamError):
    """No connection, or the connection broke before an answer."""


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer in time."""


class Unforwardable(UpstreamError):
    """The path, query or a header cannot be put on the wire."""


@dataclass(frozen=True)
class Answer:
    status: int
    # As they came off the wire: the proxy passes them on without decoding them.
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


# An idle connection is dropped well before the services' own keep-alive timeout (uvicorn's is
# 5 s), so a request is never written to a connection the service is closing.
IDLE_S = 2.0
MAX_IDLE_PER_ORIGIN = 64
# Retried once on a fresh connection when a kept-alive one turns out closed before any answer.
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_UNSAFE_TARGET = re.compile(rb"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Origin:
    """Where a service listens, parsed once from its base URL."""

    scheme: str
    host: str
    port: int
    host_header: bytes

    @classmethod
    def of(cls, base_url: str) -> Origin:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) base URL: {base_url!r}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return cls(parts.scheme, parts.hostname, port, parts.netloc.encode("idna"))


class _Connection(asyncio.Protocol):
    """One kept-alive HTTP/1.1 connection, one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = False
        self.idle_since = 0.0
        # Any byte of the current answer: before one, a reused connection's failure is safe
        # to retry.
        self.answered = False
        self._parser: httptools.HttpResponseParser | None = None
        self._answer: asyncio.Future[Answer] | None = None
        self._head = False
        self._status = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._until_close = False

    def send(self, request: bytes, *, head: bool) -> asyncio.Future[Answer]:
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._answer = asyncio.get_running_loop().create_future()
        self._head = head
        self._headers, self._body = [], []
        self.answered = self.reusable = self._until_close = False
        self.transport.write(request)
        return self._answer

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.answered = True
        if self._parser is None:
            # Bytes nobody asked for: the connection is out of step; drop it.
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamUnavailable(f"malformed answer: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._until_close and self._parser is not None:
            # No length and not chunked: the answer ends with the connection.
            self._complete()
        else:
            self._fail(UpstreamUnavailable("connection closed before a complete answer"))

    # httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        assert self._parser is not None
        self._status = self._parser.get_status_code()
        if self._head and self._status >= 200:
            # llhttp cannot be told the request was HEAD: the answer ends with its headers.
            self._complete()
            return
        names = {name.lower() for name, _ in self._headers}
        self._until_close = b"content-length" not in names and b"transfer-encoding" not in names

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:
            # An interim answer (100 Continue): the real one follows on the same connection.
            self._headers, self._body = [], []
            return
        self._complete()

    def _complete(self) -> None:
        parser, answer = self._parser, self._answer
        if parser is None or answer is None:
            return
        self.reusable = not self._until_close and parser.should_keep_alive()
        self._parser = None
        if not answer.done():
            answer.set_result(Answer(self._status, self._headers, b"".join(self._body)))

    def _fail(self, exc: UpstreamError) -> None:
        self._parser = None
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(exc)
        self.close()


class ServicePool:
    """Kept-alive connections to the services, per origin, most recently used first."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.timeout_s = settings.upstream_timeout_s
        self.connect_timeout_s = settings.connect_timeout_s
        self._origins: dict[str, Origin] = {}
        self._idle: dict[Origin, deque[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def forward(
        self,
        method: str,
        base_url: str,
        target: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
    ) -> Answer:
        """`target` (path and query, still percent-encoded) is sent as given; the Host header
        is the service's."""
        if _UNSAFE_TARGET.search(target):
            raise Unforwardable("the path or query holds a control character or a space")
        origin = self._origins.get(base_url)
        if origin is None:
            origin = self._origins[base_url] = Origin.of(base_url)
        lines = [method.encode(), b" ", target, b" HTTP/1.1\r\nhost: ", origin.host_header]
        for name, value in headers:
            lines += (b"\r\n", name, b": ", value)
        if body or method not in ("GET", "HEAD"):
            lines += (b"\r\ncontent-length: ", str(len(body)).encode())
        lines.append(b"\r\n\r\n")
        request = b"".join(lines) + body
        try:
            async with asyncio.timeout(self.timeout_s):
                connection, reused = await self._acquire(origin)
                try:
                    return await self._exchange(origin, connection, request, method)
                except UpstreamUnavailable:
                    if not (reused and not connection.answered and method in IDEMPOTENT_METHODS):
                        raise
                connection, _ = await self._acquire(origin, fresh=True)
                return await self._exchange(origin, connection, request, method)
        except TimeoutError as exc:
            raise UpstreamTimeout(f"no answer from {origin.host}:{origin.port} in time") from exc

    async def _exchange(
        self, origin: Origin, connection: _Connection, request: bytes, method: str
    ) -> Answer:
        try:
            answer = await connection.send(request, head=method == "HEAD")
        except BaseException:
            # Timed out or cancelled mid-exchange: the connection is out of step.
            connection.close()
            raise
        if connection.reusable and not connection.closed:
            self._release(origin, connection)
        else:
            connection.close()
        return answer

    async def _acquire(self, origin: Origin, *, fresh: bool = False) -> tuple[_Connection, bool]:
        idle = self._idle.get(origin)
        now = time.monotonic()
        while idle and not fresh:
            connection = idle.pop()
            if not connection.closed and now - connection.idle_since < IDLE_S:
                return connection, True
            connection.close()
        loop = asyncio.get_running_loop()
        tls = None
        if origin.scheme == "https":
            tls = self._tls = self._tls or ssl.create_default_context()
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                _, protocol = await loop.create_connection(
                    _Connection,
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls else None,
                )
        except OSError as exc:
            raise UpstreamUnavailable(type(exc).__name__) from exc
        return protocol, False

    def _release(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, deque())
        connection.idle_since = time.monotonic()
        idle.append(connection)
        # The oldest idle connections go first: they are the next to time out anyway.
        while len(idle) > MAX_IDLE_PER_ORIGIN or (
            connection.idle_since - idle[0].idle_since >= IDLE_S
        ):
            idle.popleft().close()

    def close(self) -> None:
        for idle in self._idle.values():
            while idle:
                idle.pop().close()


class Upstream:
    """Forwarding through `ServicePool`; other calls through one aiohttp session, created
    lazily inside the running event loop."""

    def __init__(self, settings: GatewaySettings) -> None:
        self._timeout = aiohttp.ClientTimeout(
            total=settings.upstream_timeout_s, sock_connect=settings.connect_timeout_s
        )
        self._session: aiohttp.ClientSession | None = None
        self.services = ServicePool(settings)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=200, ttl_dns_cache=300),
                timeout=self._timeout,
                # Bodies pass through as the service sent them, compressed or not.
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
            )
        return self._session

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
        body: bytes = b"",
        timeout_s: float | None = None,
    ) -> Answer:
        """`url` is sent as given (already percent-encoded), never re-quoted."""
        try:
            target = URL(url, encoded=True)
        except ValueError as exc:
            raise Unforwardable(str(exc)) from exc
        # `timeout=None` would switch timeouts off: the default is the session's.
        timeout = self._timeout if timeout_s is None else aiohttp.ClientTimeout(total=timeout_s)
        try:
            async with self._client().request(
                method,
                target,
                headers=list(headers),
                data=body or None,
                allow_redirects=False,
                timeout=timeout,
            ) as response:
                content = await response.read()
                return Answer(response.status, list(response.raw_headers), content)
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise UpstreamTimeout(str(exc)) from exc
        except (aiohttp.InvalidURL, ValueError) as exc:
            raise Unforwardable(str(exc)) from exc
        except aiohttp.ClientError as exc:
            raise UpstreamUnavailable(type(exc).__name__) from exc

    async def close(self) -> None:
        self.services.close()
        if self._session is not None:
            await self._session.close()
