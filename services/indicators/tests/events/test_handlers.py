from typing import Any

from sqlalchemy import select

from usm_indicators.models import ReportCount, city_directory
from usm_indicators.models.report_count import REPORTS_ELEMENT
from usm_indicators.report_counts.schedule import announce
from usmdev.events import city_registered, report_status_changed, report_submitted
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CONTENT_TYPE, CloudEvent, new_event
from usmkit.events.topics import topic_for

FIRST = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c01"
SECOND = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c02"
THIRD = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c03"
CENTRAL_NOVEMBER = ("durban", "DBN-CENTRAL", "streetlight", "2026-11")


async def _counts(harness: ServiceHarness) -> list[tuple[str, str, str, str, int]]:
    async with harness.runtime.database.sessions() as session:
        rows = (await session.scalars(select(ReportCount))).all()
    return [(row.city, row.district_code, row.category_code, row.period, row.count) for row in rows]


async def test_a_redelivered_report_is_counted_once(indicators: ServiceHarness) -> None:
    event = report_submitted()
    assert await indicators.deliver(event) is True
    assert await indicators.deliver(event) is False
    assert await _counts(indicators) == [("durban", "DBN-CENTRAL", "streetlight", "2026-11", 1)]


async def test_distinct_reports_add_up_and_unassigned_ones_count_apart(
    indicators: ServiceHarness,
) -> None:
    await indicators.deliver(report_submitted(report_id=FIRST))
    await indicators.deliver(report_submitted(report_id=SECOND))
    await indicators.deliver(report_submitted(report_id=THIRD, district_code=None))
    assert sorted(await _counts(indicators)) == [
        ("durban", "", "streetlight", "2026-11", 1),
        ("durban", "DBN-CENTRAL", "streetlight", "2026-11", 2),
    ]


def _status(report_id: str, from_status: str, to_status: str, at: str) -> CloudEvent:
    return report_status_changed(
        report_id=report_id, from_status=from_status, to_status=to_status, changed_at=at
    )


def _merged(report_id: str, into_report_id: str) -> CloudEvent:
    data = {
        "report_id": report_id,
        "into_report_id": into_report_id,
        "city": "durban",
        "category_code": "streetlight",
        "sensitivity": "normal",
        "district_code": "DBN-CENTRAL",
        "period": "2026-11",
        "merged_at": "2026-11-26T09:00:00Z",
    }
    return new_event(
        service="reports", name="report.merged", subject=report_id, city="durban", data=data
    )


async def test_a_rejected_report_stops_counting_once_whatever_the_redelivery(
    indicators: ServiceHarness,
) -> None:
    for report_id in (FIRST, SECOND):
        await indicators.deliver(report_submitted(report_id=report_id))
    rejected = _status(FIRST, "under_review", "rejected", "2026-11-26T10:00:00Z")
    assert await indicators.deliver(rejected) is True
    assert await indicators.deliver(rejected) is False
    # The same rejection sent again as a new event (a producer retry) takes nothing more away.
    assert await indicators.deliver(
        _status(FIRST, "under_review", "rejected", "2026-11-26T10:00:00Z")
    )
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]
    # An older change arriving late does not undo the newer rejection.
    await indicators.deliver(_status(FIRST, "submitted", "under_review", "2026-11-25T11:00:00Z"))
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]


async def test_a_rejection_before_its_submission_is_applied_when_the_submission_comes(
    indicators: ServiceHarness,
) -> None:
    await indicators.deliver(_status(FIRST, "under_review", "rejected", "2026-11-26T10:00:00Z"))
    await indicators.deliver(report_submitted(report_id=FIRST))
    await indicators.deliver(report_submitted(report_id=SECOND))
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]


async def test_a_reopened_report_counts_and_the_last_rejection_empties_the_cell(
    indicators: ServiceHarness,
) -> None:
    await indicators.deliver(report_submitted(report_id=FIRST))
    await indicators.deliver(_status(FIRST, "in_progress", "resolved", "2026-11-26T10:00:00Z"))
    await indicators.deliver(_status(FIRST, "resolved", "under_review", "2026-11-27T10:00:00Z"))
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]
    await indicators.deliver(_status(FIRST, "under_review", "rejected", "2026-11-28T10:00:00Z"))
    assert await _counts(indicators) == []


async def test_a_merged_duplicate_stops_counting_exactly_once(
    indicators: ServiceHarness,
) -> None:
    for report_id in (FIRST, SECOND):
        await indicators.deliver(report_submitted(report_id=report_id))
    merged = _merged(SECOND, FIRST)
    assert await indicators.deliver(merged) is True
    assert await indicators.deliver(merged) is False
    await indicators.deliver(_merged(SECOND, FIRST))
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]
    # A merged duplicate rejected afterwards was already not counted.
    await indicators.deliver(_status(SECOND, "under_review", "rejected", "2026-11-27T10:00:00Z"))
    assert await _counts(indicators) == [(*CENTRAL_NOVEMBER, 1)]


async def _announced(harness: ServiceHarness) -> list[dict[str, Any]]:
    return [event.data for event in await harness.recorded("values.updated")]


async def test_a_run_of_report_events_is_counted_in_order_and_announced_once_per_city(
    indicators: ServiceHarness,
) -> None:
    fourth = "0193a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c04"
    first = report_submitted(report_id=FIRST)
    run = [
        first,
        report_submitted(report_id=SECOND),
        report_submitted(report_id=THIRD, district_code="DBN-NORTH", period="2026-10"),
        first,  # published twice: counted once
        _status(SECOND, "under_review", "rejected", "2026-11-26T10:00:00Z"),
        report_submitted(report_id=fourth, district_code=None),
        report_submitted(city="cape-town", district_code="CPT-BELLVILLE"),
    ]
    assert await indicators.deliver_all(run) == run[:3] + run[4:]
    assert await announce(indicators.runtime) == ["cape-town", "durban"]
    assert sorted(await _counts(indicators)) == [
        ("cape-town", "CPT-BELLVILLE", "streetlight", "2026-11", 1),
        ("durban", "", "streetlight", "2026-11", 1),
        ("durban", "DBN-CENTRAL", "streetlight", "2026-11", 1),
        ("durban", "DBN-NORTH", "streetlight", "2026-10", 1),
    ]
    announced = await _announced(indicators)
    # One event per city; the report outside every district is in no indicator.
    assert [
        (data["city"], data["periods"], data["districts"], data["data_elements"])
        for data in announced
    ] == [
        ("cape-town", ["2026-11"], ["CPT-BELLVILLE"], [REPORTS_ELEMENT]),
        ("durban", ["2026-10", "2026-11"], ["DBN-CENTRAL", "DBN-NORTH"], [REPORTS_ELEMENT]),
    ]
    assert announced[0]["written_in"] == announced[1]["written_in"]
    # The same run again (a redelivery after a crash): nothing counted, nothing announced.
    assert await indicators.deliver_all(run) == []
    assert await announce(indicators.runtime) == []
    assert len(await _counts(indicators)) == 4
    assert len(await _announced(indicators)) == 2


async def test_city_registered_makes_the_city_known(indicators: ServiceHarness) -> None:
    async with indicators.runtime.database.sessions() as session:
        assert not await city_directory.exists(session, "cape-town")
    await indicators.deliver(city_registered("cape-town"))
    async with indicators.runtime.database.sessions() as session:
        assert await city_directory.exists(session, "cape-town")


async def test_events_arrive_through_the_broker(usm_service: ServiceFactory) -> None:
    async with usm_service("indicators", consumers=True) as harness:
        prefix = harness.runtime.settings.kafka_topic_prefix
        for service, event in (
            ("network", city_registered("durban")),
            ("reports", report_submitted()),
        ):
            await harness.runtime.producer.send(
                prefix + topic_for(service),
                key=event.city.encode(),
                value=event.to_bytes(),
                headers=[("content-type", CONTENT_TYPE.encode())],
            )

        async def counted() -> bool:
            return await _counts(harness) == [
                ("durban", "DBN-CENTRAL", "streetlight", "2026-11", 1)
            ]

        await eventually(counted, what="the report to be counted")
        async with harness.runtime.database.sessions() as session:
            assert await city_directory.exists(session, "durban")
