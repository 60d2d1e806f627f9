"""Moved report counts announced on a schedule: every `report_counts_announce_interval_s`,
one `values.updated` per city for the districts and months moved meanwhile.

Runs inside the service process next to the kit's relay and consumer. Several replicas may
run it at once: each moved cell is taken, and announced, by one of them."""

from functools import partial

from usm_indicators.config import IndicatorsSettings
from usm_indicators.report_counts.service import announce_moved_counts
from usmkit.runtime import Repeated, ServiceRuntime


async def announce(runtime: ServiceRuntime) -> list[str]:
    """One announcement, now, in a transaction of its own; the cities announced."""
    async with runtime.database.transaction() as session:
        announced = await announce_moved_counts(session=session, outbox=runtime.outbox)
    if announced:
        runtime.relay.wake()
    return announced


def scheduled_announcements(runtime: ServiceRuntime, settings: IndicatorsSettings) -> Repeated:
    return Repeated(
        name="report-counts-announcement",
        interval_s=settings.report_counts_announce_interval_s,
        work=partial(announce, runtime),
    )
