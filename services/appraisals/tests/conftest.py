from collections.abc import AsyncIterator

import pytest

from usmdev.events import city_registered
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness


@pytest.fixture
async def appraisals(usm_service: ServiceFactory) -> AsyncIterator[ServiceHarness]:
    """The appraisals service, with `durban` and `cape-town` known from `city.registered`."""
    async with usm_service("appraisals") as harness:
        await harness.deliver(city_registered("durban"))
        await harness.deliver(city_registered("cape-town"))
        yield harness
