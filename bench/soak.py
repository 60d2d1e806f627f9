"""Issue 8's soak: mixed traffic at half the peak rate for `USM_SOAK_SECONDS` (600 by default).

Anonymous report intake and public reads run paced, side by side, through the gateway while
the resident memory of every process of the stack is sampled and every `report.submitted`
is timed from acceptance to the topic. It holds when no request fails, memory after the
warm-up does not keep growing, and the event lag at the end is no worse than bounded.
The default rates (20 reports/s, 75 reads/s) are below half of what this 2-core machine
sustains for each kind alone (about 90 reports/s and 400 reads/s in docs/benchmarks.md), because
here both run at once; set them for yours with `USM_SOAK_INTAKE_RATE` and `USM_SOAK_READ_RATE`.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import datetime, timedelta
from pathlib import Path

from bench.load import LoadResult, http_request, run_requests
from bench.report import Figure
from bench.reports_intake import INTAKE_PATH, TopicWatch, intake_request, percentile
from usmdev.stack import Stack

SECONDS = float(os.environ.get("USM_SOAK_SECONDS", "600"))
INTAKE_RATE = float(os.environ.get("USM_SOAK_INTAKE_RATE", "20"))
READ_RATE = float(os.environ.get("USM_SOAK_READ_RATE", "75"))
READS = (
    "/api/v1/network/cities?limit=10",
    "/api/v1/reports/cities/durban/categories",
    "/api/v1/indicators/catalogue/indicators?dimension=personal",
)
SAMPLE_EVERY_S = 10.0
# Memory is compared from the end of the warm-up (pools filled, caches loaded) to the end.
WARM_UP_SHARE = 0.2
MAX_GROWTH = 0.2
WINDOW = timedelta(seconds=60)
BROKER = "broker"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(stack: Stack) -> list[Figure]:
    pids = {name: process.pid for name, process in stack.processes.items()}
    if stack.broker.process is not None:
        pids[BROKER] = stack.broker.process.pid
    gateway = stack.layout.gateway_url
    watch = TopicWatch(stack.broker.bootstrap_servers, since=datetime.now().astimezone())
    watch.start()
    samples: list[tuple[float, dict[str, float]]] = []
    try:
        started_at = datetime.now().astimezone()
        with ThreadPoolExecutor(1 + len(READS)) as pool:
            intake = pool.submit(
                run_requests,
                gateway + INTAKE_PATH,
                intake_request(gateway + INTAKE_PATH),
                ok_status=201,
                processes=1,
                concurrency=16,
                seconds=SECONDS,
                rate=INTAKE_RATE,
            )
            reads = [
                pool.submit(
                    run_requests,
                    gateway + path,
                    http_request(gateway + path),
                    processes=1,
                    concurrency=8,
                    seconds=SECONDS,
                    rate=READ_RATE / len(READS),
                )
                for path in READS
            ]
            begun = time.monotonic()
            while not intake.done():
                samples.append((time.monotonic() - begun, {n: rss_mib(p) for n, p in pids.items()}))
                wait([intake], timeout=SAMPLE_EVERY_S)
            intake_result = intake.result()
            read_results = [read.result() for read in reads]
        ended_at = datetime.now().astimezone()
    finally:
        watch.stop()
    return figures(intake_result, read_results, samples, watch, started_at, ended_at)


def figures(
    intake: LoadResult,
    reads: list[LoadResult],
    samples: list[tuple[float, dict[str, float]]],
    watch: TopicWatch,
    started_at: datetime,
    ended_at: datetime,
) -> list[Figure]:
    warm = next(memory for at, memory in samples if at >= WARM_UP_SHARE * SECONDS)
    last = samples[-1][1]
    growth = {name: last[name] / warm[name] - 1 for name in warm}
    # The embedded broker (Tansu) keeps every message in memory, so it grows with the data by
    # design; what must stay flat is USM's own processes.
    worst = max((name for name in growth if name != BROKER), key=lambda name: growth[name])
    first_lags = watch.lags_ms(started_at, started_at + WINDOW)
    last_lags = watch.lags_ms(ended_at - WINDOW, ended_at)
    errors = intake.errors + sum(read.errors for read in reads)
    read_rps = sum(read.rps for read in reads)
    return [
        Figure(
            f"soak {SECONDS / 60:.0f} min: intake",
            intake.rps,
            "reports/s",
            f"{INTAKE_RATE:.0f}/s paced",
            None,
            detail=f"p99 {intake.percentile(99):.0f} ms",
            met=intake.rps >= 0.95 * INTAKE_RATE,
        ),
        Figure(
            "soak: public reads",
            read_rps,
            "req/s",
            f"{READ_RATE:.0f}/s paced",
            None,
            detail=f"p99 {max(read.percentile(99) for read in reads):.0f} ms",
            met=read_rps >= 0.95 * READ_RATE,
        ),
        Figure("soak: errors", errors, "", "0", None, met=errors == 0),
        Figure(
            "soak: memory growth after warm-up (worst USM process)",
            100 * growth[worst],
            "%",
            f"≤ {100 * MAX_GROWTH:.0f} %",
            None,
            detail=f"{worst}: {warm[worst]:.0f} → {last[worst]:.0f} MiB",
            met=growth[worst] <= MAX_GROWTH,
        ),
        Figure(
            "soak: broker memory (in-memory log, grows with data)",
            last.get(BROKER, float("nan")),
            "MiB",
            None,
            None,
            detail=f"{warm.get(BROKER, float('nan')):.0f} MiB after warm-up",
        ),
        Figure(
            "soak: event lag p95, last minute",
            percentile(last_lags, 95),
            "ms",
            "≤ 1000 ms",
            None,
            detail=f"first minute {percentile(first_lags, 95):.0f} ms",
            met=percentile(last_lags, 95) <= 1000,
        ),
    ]
