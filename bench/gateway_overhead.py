"""Issue 3's figure: the same endpoint direct, through the gateway, and the hello-world ceiling."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import httpx

from bench.load import LoadResult, run_load
from bench.report import Figure
from usmdev.stack import Stack, free_port
from usmdev.waiting import wait_until
from usmkit.auth import Principal, mint_internal_token
from usmkit.settings import DEVELOPMENT_SECRET

ENDPOINT = "/api/v1/network/cities?limit=10"
SECONDS = float(os.environ.get("USM_BENCH_SECONDS", "10"))
# One client, direct then through the gateway, in turn: the added p50 is the median of the
# rounds' differences, so a change in the machine's load between two long runs (other
# processes share its 2 CPUs) does not land in it.
ROUNDS = 5


def start_hello() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.hello:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=Path(__file__).resolve().parents[1],
    )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/hello", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(up, timeout_s=30, what="the hello-world server")
    return process, url


def measure(stack: Stack) -> list[Figure]:
    # Anonymous reads from one IP would hit the default limits; lift them for the run.
    hello, hello_url = start_hello()
    try:
        ceiling = run_load(f"{hello_url}/hello", seconds=SECONDS)
    finally:
        hello.terminate()
        hello.wait()
    token = mint_internal_token(
        Principal.anonymous(), audience="network", secret=DEVELOPMENT_SECRET, ttl_s=3600
    )
    direct_url = stack.layout.service_url("network") + ENDPOINT
    direct_headers = {"Authorization": f"Bearer {token}"}
    gateway_url = stack.layout.gateway_url + ENDPOINT
    direct = run_load(direct_url, headers=direct_headers, seconds=SECONDS)
    gateway = run_load(gateway_url, seconds=SECONDS)
    # Added latency is read unloaded (one client), so queueing does not hide or inflate it.
    rounds = [
        (one_client(direct_url, direct_headers), one_client(gateway_url, {})) for _ in range(ROUNDS)
    ]
    return figures(ceiling, direct, gateway, rounds)


def one_client(url: str, headers: dict[str, str]) -> LoadResult:
    return run_load(url, headers=headers, processes=1, concurrency=1, seconds=SECONDS / ROUNDS / 2)


def pooled(runs: list[LoadResult]) -> LoadResult:
    return LoadResult(
        requests=sum(run.requests for run in runs),
        errors=sum(run.errors for run in runs),
        seconds=sum(run.seconds for run in runs),
        latencies_ms=[latency for run in runs for latency in run.latencies_ms],
    )


def figures(
    ceiling: LoadResult,
    direct: LoadResult,
    gateway: LoadResult,
    rounds: list[tuple[LoadResult, LoadResult]],
) -> list[Figure]:
    direct_single = pooled([direct_round for direct_round, _ in rounds])
    gateway_single = pooled([gateway_round for _, gateway_round in rounds])
    differences = [
        gateway_round.percentile(50) - direct_round.percentile(50)
        for direct_round, gateway_round in rounds
    ]
    added_p50 = statistics.median(differences)
    errors = sum(run.errors for run in (ceiling, direct, gateway, direct_single, gateway_single))
    return [
        Figure("hello-world ceiling", ceiling.rps, "req/s", None, ceiling.rps),
        Figure("network list, direct", direct.rps, "req/s", None, ceiling.rps),
        Figure("network list, via gateway", gateway.rps, "req/s", None, ceiling.rps),
        Figure(
            "direct p50 under load",
            direct.percentile(50),
            "ms",
            None,
            None,
            detail=f"p99 {direct.percentile(99):.1f} ms",
        ),
        Figure(
            "gateway p50 under load",
            gateway.percentile(50),
            "ms",
            None,
            None,
            detail=f"p99 {gateway.percentile(99):.1f} ms",
        ),
        Figure(
            "direct p50, one client",
            direct_single.percentile(50),
            "ms",
            None,
            None,
            detail=f"p99 {direct_single.percentile(99):.1f} ms",
        ),
        Figure(
            "gateway p50, one client",
            gateway_single.percentile(50),
            "ms",
            None,
            None,
            detail=f"p99 {gateway_single.percentile(99):.1f} ms",
        ),
        Figure(
            "gateway added p50 (one client)",
            added_p50,
            "ms",
            "≤ 1 ms",
            None,
            detail=f"median of {len(differences)} rounds: "
            + ", ".join(f"{difference:.2f}" for difference in differences),
            met=added_p50 <= 1.0,
        ),
        Figure(
            "gateway throughput kept",
            100 * gateway.rps / direct.rps,
            "%",
            "≥ 50 %",
            None,
            met=gateway.rps >= 0.5 * direct.rps,
        ),
        Figure("errors (all runs)", errors, "", "0", None, met=errors == 0),
    ]
