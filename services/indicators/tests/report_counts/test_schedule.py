"""Moved report counts are announced on a schedule, each move once."""

import asyncio
import uuid

from usm_indicators.report_counts.schedule import announce
from usmdev.events import city_registered, report_submitted
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CloudEvent


async def _announcements(harness: ServiceHarness) -> list[CloudEvent] | None:
    """The report counts' `values.updated` events recorded so far; None before the first."""
    found = [
        event
        for event in await harness.recorded("values.updated")
        if event.data["data_elements"] == ["CITIZEN_REPORTS"]
    ]
    return found or None


def _report(**fields: str) -> CloudEvent:
    return report_submitted(report_id=str(uuid.uuid4()), **fields)


async def test_the_service_announces_moved_counts_on_its_schedule(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("indicators", report_counts_announce_interval_s=0.05) as indicators:
        await indicators.deliver(city_registered("durban"))
        await indicators.deliver_all(
            [
                _report(),
                _report(district_code="DBN-NORTH", period="2026-10"),
            ]
        )
        (announced,) = await eventually(
            lambda: _announcements(indicators), what="the scheduled announcement"
        )
        assert (announced.data["periods"], announced.data["districts"]) == (
            ["2026-10", "2026-11"],
            ["DBN-CENTRAL", "DBN-NORTH"],
        )


async def test_announcements_at_once_announce_each_moved_cell_once(
    indicators: ServiceHarness,
) -> None:
    await indicators.deliver_all(
        [_report(), _report(city="cape-town", district_code="CPT-BELLVILLE")]
    )
    first, second = await asyncio.gather(announce(indicators.runtime), announce(indicators.runtime))
    assert sorted(first + second) == ["cape-town", "durban"]
    announced = await _announcements(indicators)
    assert announced is not None
    assert sorted(event.data["city"] for event in announced) == ["cape-town", "durban"]
