from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from sqlalchemy import select

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal
from usmkit.events.cloudevents import CloudEvent


@pytest.fixture
async def indicators(usm_service: ServiceFactory) -> AsyncIterator[ServiceHarness]:
    """The indicators service, with `durban` already known from `city.registered`."""
    async with usm_service("indicators") as harness:
        await harness.deliver(city_registered("durban"))
        yield harness


@pytest.fixture
async def districts(indicators: ServiceHarness) -> ServiceHarness:
    """`indicators` with two Durban districts, DBN-CENTRAL and DBN-NORTH."""
    admin = principal(["city_admin"], ["durban"])
    async with indicators.client(admin) as client:
        for code, name in (("DBN-CENTRAL", "Central"), ("DBN-NORTH", "North")):
            response = await client.put(
                f"/api/v1/indicators/cities/durban/districts/{code}", json={"name": name}
            )
            assert response.status_code == 201, response.text
    return indicators


Recorded = Callable[[ServiceHarness, str], Awaitable[list[CloudEvent]]]


async def _recorded(harness: ServiceHarness, name: str) -> list[CloudEvent]:
    outbox = harness.runtime.tables.outbox
    async with harness.runtime.database.sessions() as session:
        envelopes = (
            await session.scalars(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == f"org.usm.indicators.{name}.v1")
                .order_by(outbox.c.id)
            )
        ).all()
    events = [CloudEvent.model_validate(envelope) for envelope in envelopes]
    for event in events:
        harness.runtime.registry.validate(event)
    return events


@pytest.fixture
def recorded() -> Recorded:
    """`await recorded(harness, "alert.raised")`: the events of this type the service wrote
    to its outbox, in order, each checked against its schema."""
    return _recorded
