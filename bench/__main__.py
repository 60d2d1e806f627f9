"""`make bench`: start the stack on free ports, run every benchmark, print one table."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import gateway_overhead
from bench.report import table
from usmdev.seed import seed
from usmdev.stack import Stack, StackLayout


def main() -> None:
    os.environ["USM_GATEWAY_RATE_LIMITS"] = gateway_overhead.LIFTED_LIMITS
    base = Path(tempfile.mkdtemp(prefix="usm-bench-"))
    base.chmod(0o755)
    try:
        with Stack(StackLayout.on_free_ports(base)).running() as stack:
            seed(stack.layout.gateway_url)
            figures = gateway_overhead.measure(stack)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(
        f"\nUSM benchmarks — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {gateway_overhead.SECONDS:.0f} s per run\n"
    )
    print(table(figures))


if __name__ == "__main__":
    main()
