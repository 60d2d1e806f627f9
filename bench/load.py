"""A closed-loop HTTP load generator: worker processes, each with concurrent keep-alive clients."""

from __future__ import annotations

import asyncio
import multiprocessing
import statistics
import threading
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


def http_request(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, body: bytes = b""
) -> bytes:
    """The raw HTTP/1.1 request the generator sends again and again."""
    parsed = urlsplit(url)
    target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    lines = [
        f"{method} {target} HTTP/1.1",
        f"Host: {parsed.netloc}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Load:
    """What one worker process sends: to `url`, `request`, expecting `ok_status`; flat out,
    or each client once per `interval_s` when paced."""

    url: str
    request: bytes
    ok_status: int
    concurrency: int
    seconds: float
    interval_s: float | None = None


async def _worker(load: Load) -> tuple[int, int, list[float]]:
    """Paced latency counts from each request's scheduled moment, so a server falling behind
    is not hidden; clients that fall behind stop at the deadline too (a lower achieved rate)."""
    parsed = urlsplit(load.url)
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + load.seconds

    async def client(offset: float) -> None:
        nonlocal errors
        host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
        connection = Connection(host, port, load.request)
        scheduled = time.perf_counter() + offset
        try:
            while scheduled < deadline and time.perf_counter() < deadline:
                if load.interval_s is not None:
                    await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
                started = scheduled if load.interval_s is not None else time.perf_counter()
                try:
                    ok = await connection.get() == load.ok_status
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    await connection.close()
                    connection = Connection(host, port, load.request)
                if ok:
                    latencies.append((time.perf_counter() - started) * 1000)
                else:
                    errors += 1
                now = time.perf_counter()
                scheduled = scheduled + load.interval_s if load.interval_s is not None else now
        finally:
            await connection.close()

    spread = load.interval_s or 0.0
    offsets = [spread * index / load.concurrency for index in range(load.concurrency)]
    await asyncio.gather(*(client(offset) for offset in offsets))
    return len(latencies), errors, latencies


# Set in each worker process by the pool's initializer.
_all_ready: threading.Barrier | None = None


def _ready_together(barrier: threading.Barrier) -> None:
    global _all_ready
    _all_ready = barrier


def _run(load: Load) -> tuple[int, int, list[float]]:
    # A spawned worker first imports the program that started it: seconds of CPU (3 s each
    # for the intake benchmark). Without waiting for every worker, the first ones loaded the
    # stack while the last still competed with it for the CPU, and the measured rate fell.
    assert _all_ready is not None
    _all_ready.wait()
    return asyncio.run(_worker(load))


def run_requests(
    url: str,
    request: bytes,
    *,
    ok_status: int = 200,
    processes: int = 2,
    concurrency: int = 16,
    seconds: float = 10.0,
    rate: float | None = None,
) -> LoadResult:
    """Send `request` to `url` from `processes` x `concurrency` keep-alive clients for
    `seconds`: as fast as they can, or `rate` requests per second in all."""
    interval_s = processes * concurrency / rate if rate else None
    load = Load(url, request, ok_status, concurrency, seconds, interval_s)
    context = multiprocessing.get_context("spawn")
    with context.Pool(
        processes, initializer=_ready_together, initargs=(context.Barrier(processes),)
    ) as pool:
        started = time.perf_counter()
        # One task each: a worker waiting at the barrier takes no second one.
        parts = pool.map(_run, [load] * processes, chunksize=1)
        elapsed = time.perf_counter() - started
    latencies = [latency for _, _, values in parts for latency in values]
    return LoadResult(
        requests=sum(count for count, _, _ in parts),
        errors=sum(errors for _, errors, _ in parts),
        seconds=min(elapsed, seconds) if latencies else elapsed,
        latencies_ms=latencies,
    )


def run_load(
    url: str,
    *,
    headers: dict[str, str] | None = None,
    processes: int = 2,
    concurrency: int = 16,
    seconds: float = 10.0,
) -> LoadResult:
    """GET `url` as fast as `processes` times `concurrency` clients can for `seconds`."""
    request = http_request(url, headers=headers)
    return run_requests(url, request, processes=processes, concurrency=concurrency, seconds=seconds)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
