"""Issue 3's figure: the same endpoint direct, through the gateway, and the hello-world ceiling."""

from __future__ import annotations

import os
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
    direct_single = run_load(
        direct_url, headers=direct_headers, processes=1, concurrency=1, seconds=SECONDS / 2
    )
    gateway_single = run_load(gateway_url, processes=1, concurrency=1, seconds=SECONDS / 2)
    return figures(ceiling, direct, gateway, direct_single, gateway_single)


def figures(
    ceiling: LoadResult,
    direct: LoadResult,
    gateway: LoadResult,
    direct_single: LoadResult,
    gateway_single: LoadResult,
) -> list[Figure]:
    added_p50 = gateway_single.percentile(50) - direct_single.percentile(50)
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
            "gateway added p50 (one client)", added_p50, "ms", "≤ 1 ms", None, met=added_p50 <= 1.0
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
