"""`make bench`: start the stack on free ports, run every benchmark, print one table.

`python -m bench [name ...]` runs only the named benchmarks (module names in `BENCHMARKS`).
"""

from __future__ import annotations

import importlib
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from bench import gateway_overhead, reports_intake, soak
from bench.report import Figure, table
from usmdev.fuzzing import lifted_rate_limits
from usmdev.seed import seed
from usmdev.stack import Stack, StackLayout

# What `make bench` runs, in the table's order. Each module in bench/ has
# `measure(stack: Stack) -> list[Figure]`.
BENCHMARKS = ("gateway_overhead", "reports_intake", "indicators", "network_sync", "soak")


class Benchmark(Protocol):
    def measure(self, stack: Stack) -> list[Figure]: ...


def load(name: str) -> Benchmark:
    try:
        module: Benchmark = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError:
        raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}") from None
    return module


def other_servers() -> int:
    """USM services and brokers already running on this machine (another stack, or one
    left behind): they take CPU from the stack being measured, so the header says so."""
    count = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended meanwhile
            continue
        if any(arg.endswith(b":create_app") or b"/tansu" in arg for arg in args):
            count += 1
    return count


def main(names: list[str]) -> None:
    chosen = [load(name) for name in names or BENCHMARKS]
    others = other_servers()
    load_at_start = os.getloadavg()[0]
    # One address sends far more than an anonymous caller may: lift the limits for the run.
    os.environ["USM_GATEWAY_RATE_LIMITS"] = lifted_rate_limits()
    base = Path(tempfile.mkdtemp(prefix="usm-bench-"))
    base.chmod(0o755)
    figures: list[Figure] = []
    try:
        with Stack(StackLayout.on_free_ports(base)).running() as stack:
            seed(stack.layout.gateway_url)
            for benchmark in chosen:
                figures.extend(benchmark.measure(stack))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(
        f"\nUSM benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"load runs of {gateway_overhead.SECONDS:.0f} s "
        f"(intake's {reports_intake.SECONDS:.0f} s, the soak's {soak.SECONDS:.0f} s); "
        f"at start, load average {load_at_start:.1f} and {others} other USM servers running\n"
    )
    print(table(figures))


if __name__ == "__main__":
    main(sys.argv[1:])
