"""Issue 9's figures: anonymous report intake through the gateway.

In one run: accepted reports/s with 64 concurrent clients, latency percentiles, the bare
FastAPI hello-world ceiling with as many clients, p99 at a paced 400 reports/s, how long
after acceptance each report's `report.submitted` reached the topic, and whether every
accepted report was published exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import AIOKafkaConsumer

from bench.gateway_overhead import start_hello
from bench.load import LoadResult, http_request, run_load, run_requests
from bench.report import Figure
from usmdev.stack import Stack
from usmdev.waiting import wait_until
from usmkit.events.topics import topic_for

SECONDS = float(os.environ.get("USM_BENCH_SECONDS", "30"))
PROCESSES = 2
CLIENTS_PER_PROCESS = 32  # 64 concurrent clients in all
PACED_RATE = 400.0
SUBMITTED = "org.usm.reports.report.submitted.v1"
INTAKE_PATH = "/api/v1/reports"
# A normal report inside Durban's demo Central district (see usmdev.seed_indicators).
REPORT = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.85,
    "longitude": 31.02,
    "attributes": {"light_state": "out"},
    "description": "The light at the taxi rank has been out for a week.",
}
DRAIN_TIMEOUT_S = 120.0


def intake_request(url: str) -> bytes:
    body = json.dumps(REPORT).encode()
    return http_request(url, method="POST", headers={"Content-Type": "application/json"}, body=body)


def post_load(url: str, *, seconds: float, rate: float | None = None) -> LoadResult:
    """POST a report to `url` from 64 clients for `seconds`, flat out or at `rate`/s."""
    return run_requests(
        url,
        intake_request(url),
        ok_status=201,
        processes=PROCESSES,
        concurrency=CLIENTS_PER_PROCESS,
        seconds=seconds,
        rate=rate,
    )


@dataclass
class TopicWatch:
    """Reads `usm.reports.v1` in a thread while the load runs: per report id, how many
    times it was published and when it reached the topic (the record's timestamp)."""

    bootstrap_servers: str
    since: datetime
    published: dict[str, list[float]] = field(default_factory=dict)
    accepted_at: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _ready: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._consume()), daemon=True)
        self._thread.start()
        wait_until(self._ready.is_set, timeout_s=60, what="the topic consumer")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def distinct(self) -> int:
        with self._lock:
            return len(self.published)

    def lags_ms(self, start: datetime, end: datetime) -> list[float]:
        """Acceptance → topic, for reports accepted in [start, end)."""
        low, high = start.timestamp(), end.timestamp()
        with self._lock:
            return [
                (times[0] - self.accepted_at[report_id]) * 1000
                for report_id, times in self.published.items()
                if low <= self.accepted_at[report_id] < high
            ]

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            topic_for("reports"),
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            request_timeout_ms=40_000,
        )
        await consumer.start()
        try:
            self._ready.set()
            while not self._stop.is_set():
                batches = await consumer.getmany(timeout_ms=200)
                for records in batches.values():
                    for record in records:
                        self._note(record.value, record.timestamp / 1000)
        finally:
            await consumer.stop()

    def _note(self, value: bytes | None, reached_at: float) -> None:
        envelope = json.loads(value or b"{}")
        if envelope.get("type") != SUBMITTED:
            return
        data = envelope["data"]
        accepted_at = datetime.fromisoformat(data["submitted_at"])
        if accepted_at < self.since:
            return
        with self._lock:
            self.published.setdefault(data["report_id"], []).append(reached_at)
            self.accepted_at[data["report_id"]] = accepted_at.timestamp()


def percentile(values: list[float], q: float) -> float:
    return LoadResult(len(values), 0, 1.0, values).percentile(q)


def measure(stack: Stack) -> list[Figure]:
    clients = PROCESSES * CLIENTS_PER_PROCESS
    hello, hello_url = start_hello()
    try:
        ceiling = run_load(
            f"{hello_url}/hello",
            processes=PROCESSES,
            concurrency=CLIENTS_PER_PROCESS,
            seconds=SECONDS,
        )
    finally:
        hello.terminate()
        hello.wait()
    url = stack.layout.gateway_url + INTAKE_PATH
    watch = TopicWatch(stack.broker.bootstrap_servers, since=_now())
    watch.start()
    try:
        full_start = _now()
        full = post_load(url, seconds=SECONDS)
        paced_start = _now()
        paced = post_load(url, seconds=SECONDS, rate=PACED_RATE)
        paced_end = _now()
        accepted = full.requests + paced.requests
        # A drain that times out is reported below as a missed figure, not a crash.
        with contextlib.suppress(TimeoutError):
            wait_until(
                lambda: watch.distinct() >= accepted,
                timeout_s=DRAIN_TIMEOUT_S,
                what="every accepted report on the topic",
            )
    finally:
        watch.stop()
    full_lags = watch.lags_ms(full_start, paced_start)
    paced_lags = watch.lags_ms(paced_start, paced_end)
    distinct = watch.distinct()
    duplicates = sum(len(times) - 1 for times in watch.published.values())
    exactly_once = distinct == accepted and duplicates == 0
    return [
        Figure(f"hello-world ceiling ({clients} clients)", ceiling.rps, "req/s", None, ceiling.rps),
        Figure(
            f"intake via gateway ({clients} clients)",
            full.rps,
            "reports/s",
            "≥ 800",
            ceiling.rps,
            detail=f"{full.requests} accepted, {full.errors} refused",
            met=full.rps >= 800,
        ),
        Figure(
            "intake latency p50",
            full.percentile(50),
            "ms",
            None,
            None,
            detail=f"p95 {full.percentile(95):.1f} ms, p99 {full.percentile(99):.1f} ms",
        ),
        Figure(
            f"intake p99 at {PACED_RATE:.0f} reports/s",
            paced.percentile(99),
            "ms",
            "≤ 100 ms",
            None,
            detail=f"achieved {paced.rps:.0f}/s, p50 {paced.percentile(50):.1f} ms, "
            f"{paced.errors} refused",
            met=paced.percentile(99) <= 100 and paced.rps >= 0.95 * PACED_RATE,
        ),
        Figure(
            "event lag p95, full load",
            percentile(full_lags, 95),
            "ms",
            "≤ 1000 ms",
            None,
            detail=f"p50 {percentile(full_lags, 50):.0f} ms, "
            f"p99 {percentile(full_lags, 99):.0f} ms",
            met=percentile(full_lags, 95) <= 1000,
        ),
        Figure(
            f"event lag p95 at {PACED_RATE:.0f}/s",
            percentile(paced_lags, 95),
            "ms",
            "≤ 1000 ms",
            None,
            detail=f"p50 {percentile(paced_lags, 50):.0f} ms, "
            f"p99 {percentile(paced_lags, 99):.0f} ms",
            met=percentile(paced_lags, 95) <= 1000,
        ),
        Figure(
            "accepted reports published exactly once",
            distinct,
            "reports",
            f"= {accepted} accepted",
            None,
            detail=f"{duplicates} published twice or more",
            met=exactly_once,
        ),
    ]


def _now() -> datetime:
    return datetime.now().astimezone()
