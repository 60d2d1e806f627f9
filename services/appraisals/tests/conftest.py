"""Fixtures shared by the appraisals tests (the services themselves come from usmdev)."""

from collections.abc import Awaitable, Callable

import pytest

from usmdev.pytest_plugin import ServiceHarness
from usmkit.events.cloudevents import CloudEvent, new_event

CityRegistered = Callable[..., CloudEvent]
SeedCity = Callable[[ServiceHarness], Awaitable[None]]


@pytest.fixture
def city_registered() -> CityRegistered:
    """Builds network's `city.registered` event for a slug."""

    def build(slug: str, name: str = "Durban", country_code: str = "ZA") -> CloudEvent:
        return new_event(
            service="network",
            name="city.registered",
            subject=slug,
            city=slug,
            data={"slug": slug, "name": name, "country_code": country_code, "role": "pilot"},
        )

    return build


@pytest.fixture
def seed_city(city_registered: CityRegistered) -> SeedCity:
    """Makes `durban` a known city of a running service, as the consumer would."""

    async def seed(harness: ServiceHarness) -> None:
        assert harness.runtime.consumer is not None
        assert await harness.runtime.consumer.handle(city_registered("durban"))

    return seed
