from sqlalchemy import select

from usm_appraisals.models import known_cities
from usmdev.events import city_registered, geography_updated
from usmdev.pytest_plugin import ServiceFactory, principal
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


async def test_geography_updated_makes_group_districts_checked(
    usm_service: ServiceFactory,
) -> None:
    facilitator = principal(["wg_facilitator"], ["durban", "cape-town"])
    group = {"name": "G", "districts": ["DBN-NORTH", "DBN-ATLANTIS"], "mandate": "M"}
    async with usm_service("appraisals") as appraisals:
        for city in ("durban", "cape-town"):
            await appraisals.deliver(city_registered(city))
        districts = [
            {"code": code, "name": code.title(), "boundary": None}
            for code in ("DBN-CENTRAL", "DBN-NORTH")
        ]
        assert await appraisals.deliver(geography_updated("durban", districts)) is True
        async with appraisals.client(facilitator) as client:
            refused = await client.post(
                "/api/v1/appraisals/cities/durban/working-groups", json=group
            )
            assert refused.status_code == 422
            assert [error["loc"] for error in refused.json()["errors"]] == [
                ["body", "districts", 1]
            ]
            accepted = await client.post(
                "/api/v1/appraisals/cities/durban/working-groups",
                json={**group, "districts": ["DBN-NORTH"]},
            )
            assert accepted.status_code == 201
            # No geography known for cape-town yet: codes are taken as given.
            unchecked = await client.post(
                "/api/v1/appraisals/cities/cape-town/working-groups",
                json={**group, "districts": ["CPT-ANY"]},
            )
            assert unchecked.status_code == 201
            # The full list replaces the copy.
            await appraisals.deliver(geography_updated("durban", districts[:1]))
            etag = accepted.headers["etag"]
            moved = await client.patch(
                f"/api/v1/appraisals/cities/durban/working-groups/{accepted.json()['id']}",
                json={"districts": ["DBN-NORTH"]},
                headers={"If-Match": etag},
            )
            assert moved.status_code == 422
