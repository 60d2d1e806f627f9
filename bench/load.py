"""A closed-loop HTTP load generator: worker processes, each with concurrent keep-alive clients."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


class Connection:
    """A minimal HTTP/1.1 keep-alive client: the generator must cost less than the server."""

    def __init__(self, host: str, port: int, request: bytes) -> None:
        self.host, self.port, self.request = host, port, request
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(self.request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _worker(
    url: str, headers: dict[str, str], concurrency: int, seconds: float
) -> tuple[int, int, list[float]]:
    parsed = urlsplit(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    lines = [
        f"GET {target} HTTP/1.1",
        f"Host: {parsed.netloc}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal errors
        connection = Connection(parsed.hostname or "127.0.0.1", parsed.port or 80, request)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    ok = await connection.get() == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    await connection.close()
                    connection = Connection(connection.host, connection.port, request)
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
        finally:
            await connection.close()

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return len(latencies), errors, latencies


def _run(args: tuple[str, dict[str, str], int, float]) -> tuple[int, int, list[float]]:
    return asyncio.run(_worker(*args))


def run_load(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    processes: int = 2,
    concurrency: int = 16,
    seconds: float = 10.0,
) -> LoadResult:
    """GET `url` as fast as `processes` times `concurrency` clients can for `seconds`."""
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        started = time.perf_counter()
        parts = pool.map(_run, [(url, headers or {}, concurrency, seconds)] * processes)
        elapsed = time.perf_counter() - started
    latencies = [latency for _, _, values in parts for latency in values]
    return LoadResult(
        requests=sum(count for count, _, _ in parts),
        errors=sum(errors for _, errors, _ in parts),
        seconds=min(elapsed, seconds) if latencies else elapsed,
        latencies_ms=latencies,
    )


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
