import pytest
from sqlalchemy import select

from usm_reports.districts.geometry import InvalidBoundary
from usm_reports.models import District, known_cities
from usmdev.events import city_registered, geography_updated
from usmdev.geography import box
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness
from usmdev.waiting import eventually
from usmkit.events.topics import topic_for


async def district_codes(harness: ServiceHarness) -> list[str]:
    async with harness.runtime.database.sessions() as session:
        return list((await session.scalars(select(District.code).order_by(District.code))).all())


async def test_geography_updated_replaces_the_copy_and_a_redelivery_changes_nothing(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("reports") as reports:
        consumer = reports.runtime.consumer
        assert consumer is not None
        first = geography_updated(
            "durban",
            [
                {"code": "A", "name": "A", "boundary": box(31.0, -29.9, 31.1, -29.8)},
                {"code": "B", "name": "B", "boundary": None},
            ],
        )
        second = geography_updated(
            "durban", [{"code": "C", "name": "C", "boundary": box(31.0, -29.9, 32.0, -28.9)}]
        )
        assert await consumer.handle(first) is True
        assert await district_codes(reports) == ["A", "B"]
        assert await consumer.handle(second) is True
        assert await district_codes(reports) == ["C"]
        # The same event (same id) again: the inbox has it, so the older list stays out.
        assert await consumer.handle(first) is False
        assert await district_codes(reports) == ["C"]


async def test_a_malformed_boundary_changes_nothing(usm_service: ServiceFactory) -> None:
    async with usm_service("reports") as reports:
        consumer = reports.runtime.consumer
        assert consumer is not None
        await consumer.handle(
            geography_updated("durban", [{"code": "A", "name": "A", "boundary": None}])
        )
        broken = geography_updated(
            "durban",
            [{"code": "Z", "name": "Z", "boundary": {"type": "Polygon", "coordinates": [[1]]}}],
        )
        with pytest.raises(InvalidBoundary):
            await consumer.handle(broken)
        assert await district_codes(reports) == ["A"]
        inbox = reports.runtime.tables.inbox
        async with reports.runtime.database.sessions() as session:
            seen = (await session.scalars(select(inbox.c.event_id))).all()
        assert broken.id not in seen


async def test_events_arrive_through_the_broker(usm_service: ServiceFactory) -> None:
    async with usm_service("reports", consumers=True) as reports:
        prefix = reports.runtime.settings.kafka_topic_prefix
        registered = city_registered("durban")
        geography = geography_updated("durban", [{"code": "A", "name": "A", "boundary": None}])
        for topic, event in (
            (topic_for("network"), registered),
            (topic_for("indicators"), geography),
        ):
            await reports.runtime.producer.send(
                prefix + topic, key=b"durban", value=event.to_bytes(), headers=[]
            )

        async def city_known() -> bool:
            async with reports.runtime.database.sessions() as session:
                slugs = (await session.scalars(select(known_cities.c.slug))).all()
            return "durban" in slugs

        async def districts_copied() -> list[str] | None:
            return await district_codes(reports) or None

        await eventually(city_known, what="durban in the city directory")
        assert await eventually(districts_copied, what="the district copy") == ["A"]
