"""`python -m usm_indicators.recompute --city durban [--period 2025-03]`: a full recompute.

Evaluates every active alert rule of the city and publishes `aggregates.published` for
every period the city has data for (and the quarters and years containing them), or only
for the periods named. Events go to the outbox; the running service's relay sends them.
Reads the same settings as the service (`USM_INDICATORS_DATABASE_URL`, ...).
"""

import argparse
import asyncio
import sys

from usm_indicators import SERVICE_NAME
from usm_indicators.config import IndicatorsSettings
from usm_indicators.models import city_directory, kit_tables
from usm_indicators.recompute.service import Recomputed, recompute, recompute_all, with_enclosing
from usmkit.runtime import ServiceRuntime


async def run(city: str, periods: list[str], settings: IndicatorsSettings) -> Recomputed | None:
    """Recompute in one transaction; None when the city is unknown."""
    runtime = ServiceRuntime(
        service_name=SERVICE_NAME, settings=settings, tables=kit_tables, subscription=None
    )
    try:
        async with runtime.database.transaction() as session:
            if not await city_directory.exists(session, city):
                return None
            if periods:
                return await recompute(
                    session=session,
                    outbox=runtime.outbox,
                    city=city,
                    periods=with_enclosing(periods),
                )
            return await recompute_all(session=session, outbox=runtime.outbox, city=city)
    finally:
        await runtime.database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m usm_indicators.recompute", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--city", required=True, help="City slug, e.g. durban.")
    parser.add_argument(
        "--period",
        action="append",
        default=[],
        help="Only this ISO period (and the periods containing it); repeatable.",
    )
    arguments = parser.parse_args(argv)
    done = asyncio.run(run(arguments.city, arguments.period, IndicatorsSettings()))
    if done is None:
        print(f"unknown city {arguments.city!r}", file=sys.stderr)
        return 1
    print(
        f"{arguments.city}: {len(done.periods)} periods recomputed, "
        f"{done.alerts_raised} alerts raised"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
