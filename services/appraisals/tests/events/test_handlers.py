from sqlalchemy import select

from usm_appraisals.models import known_cities
from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory
from usmdev.waiting import eventually
from usmkit.events.cloudevents import CONTENT_TYPE
from usmkit.events.topics import topic_for


async def test_city_registered_on_the_broker_becomes_a_known_city(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals", consumers=True) as appraisals:
        runtime = appraisals.runtime
        event = city_registered("durban", name="Durban (eThekwini)")
        await runtime.producer.send(
            runtime.settings.kafka_topic_prefix + topic_for("network"),
            key=b"durban",
            value=event.to_bytes(),
            headers=[("content-type", CONTENT_TYPE.encode())],
        )

        async def known() -> str | None:
            async with runtime.database.sessions() as session:
                return await session.scalar(
                    select(known_cities.c.name).where(known_cities.c.slug == "durban")
                )

        assert await eventually(known, what="durban in known_cities") == "Durban (eThekwini)"


async def test_a_redelivered_event_changes_nothing(
    usm_service: ServiceFactory,
) -> None:
    async with usm_service("appraisals") as appraisals:
        consumer = appraisals.runtime.consumer
        assert consumer is not None
        event = city_registered("durban")
        assert await consumer.handle(event) is True
        assert await consumer.handle(event) is False
