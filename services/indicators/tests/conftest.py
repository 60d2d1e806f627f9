from collections.abc import AsyncIterator

import pytest

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness


@pytest.fixture
async def indicators(usm_service: ServiceFactory) -> AsyncIterator[ServiceHarness]:
    """The indicators service, with `durban` already known from `city.registered`."""
    async with usm_service("indicators") as harness:
        await harness.deliver(city_registered("durban"))
        yield harness
