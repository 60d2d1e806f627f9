from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from usm_reports.categories.schemas import CategoryCreate
from usm_reports.categories.service import create_category
from usmdev.events import city_registered, geography_updated
from usmdev.pytest_plugin import ServiceHarness
from usmdev.seed_reports import demo_categories

SeedCity = Callable[..., Awaitable[None]]


@pytest.fixture
def seed_city() -> SeedCity:
    """`await seed_city(harness, "durban", districts=[...])`: the city as the other services
    would announce it, plus the demo categories."""

    async def seed(
        harness: ServiceHarness,
        city: str = "durban",
        *,
        districts: list[dict[str, Any]] | None = None,
        categories: bool = True,
    ) -> None:
        await harness.deliver(city_registered(city))
        if districts is not None:
            await harness.deliver(geography_updated(city, districts))
        if not categories:
            return
        # Through the service layer in one transaction: the admin API has its own tests.
        async with harness.runtime.database.transaction() as session:
            for category in demo_categories(city):
                await create_category(
                    session=session, city=city, category_in=CategoryCreate.model_validate(category)
                )

    return seed
