from collections.abc import AsyncIterator

import pytest

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal


@pytest.fixture
async def indicators(usm_service: ServiceFactory) -> AsyncIterator[ServiceHarness]:
    """The indicators service, with `durban` already known from `city.registered`. Moved
    report counts are announced when a test calls `report_counts.schedule.announce`, not
    on the schedule."""
    async with usm_service("indicators", report_counts_announce_interval_s=3600) as harness:
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
