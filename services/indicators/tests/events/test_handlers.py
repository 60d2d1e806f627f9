from sqlalchemy import select

from usm_indicators.models import ReportCount, city_directory
from usmdev.events import city_registered, report_submitted
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CONTENT_TYPE
from usmkit.events.topics import topic_for


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
    await indicators.deliver(report_submitted())
    await indicators.deliver(report_submitted())
    await indicators.deliver(report_submitted(district_code=None))
    assert sorted(await _counts(indicators)) == [
        ("durban", "", "streetlight", "2026-11", 1),
        ("durban", "DBN-CENTRAL", "streetlight", "2026-11", 2),
    ]


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
