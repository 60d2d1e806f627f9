from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from usmdev.geography import CENTRAL
from usmdev.pytest_plugin import ServiceFactory, ServiceHarness, principal

SeedCity = Callable[..., Awaitable[None]]
ANALYST = principal(["city_analyst"], ["durban"])
MODERATOR = principal(["city_admin"], ["durban"])
LAMP: dict[str, Any] = {
    "city": "durban",
    "category_code": "streetlight",
    "latitude": -29.85,
    "longitude": 31.05,
    "attributes": {"light_state": "out"},
    "description": "Lamp out at the 100% dark corner",
}
FLOOD: dict[str, Any] = {
    "city": "durban",
    "category_code": "flooding",
    "latitude": -29.81,
    "longitude": 31.01,
    "description": "Water over the road",
}
GBV: dict[str, Any] = {
    "city": "durban",
    "category_code": "gbv",
    "latitude": -29.85,
    "longitude": 31.05,
    "attributes": {"immediate_danger": "no"},
    "description": "Lamp broken and he waits there",
}


async def submit(harness: ServiceHarness, body: dict[str, Any]) -> str:
    async with harness.client() as anonymous:
        created = await anonymous.post("/api/v1/reports", json=body)
        assert created.status_code == 201, created.text
        report_id: str = created.json()["id"]
        return report_id


async def test_the_staff_list_filters_by_category_period_district_box_and_text(
    usm_service: ServiceFactory, seed_city: SeedCity
) -> None:
    async with usm_service("reports") as reports:
        await seed_city(reports, districts=[CENTRAL])
        lamp, flood, gbv = [await submit(reports, body) for body in (LAMP, FLOOD, GBV)]

        async def ids(who: Any, **params: str) -> set[str] | int:
            async with reports.client(who) as client:
                found = await client.get("/api/v1/reports", params={"city": "durban", **params})
            if found.status_code != 200:
                return found.status_code
            return {item["id"] for item in found.json()["items"]}

        this_month = datetime.now(UTC).strftime("%Y-%m")
        assert await ids(ANALYST, category="streetlight,flooding") == {lamp, flood}
        assert await ids(ANALYST, period=this_month, district="DBN-CENTRAL") == {lamp, flood, gbv}
        assert await ids(ANALYST, period="2020") == set()
        assert await ids(ANALYST, bbox="31.04,-29.86,31.06,-29.84") == {lamp}
        # % is literal, and the text search never reaches a sensitive report's words
        # for callers who may not read them.
        assert await ids(ANALYST, q="100% DARK") == {lamp}
        assert await ids(ANALYST, q="lamp") == {lamp}
        assert await ids(MODERATOR, q="lamp") == {lamp, gbv}
        assert await ids(MODERATOR, bbox="31.04,-29.86,31.06,-29.84") == {lamp, gbv}
        for bad in (
            {"bbox": "31.1,-29.9,31.0,-29.8"},
            {"bbox": "a,b,c,d"},
            {"bbox": "1,2,3"},
            {"bbox": "nan,nan,nan,nan"},
            {"q": "x"},
            {"period": "2025-13"},
            {"category": "NOT A SLUG"},
        ):
            assert await ids(ANALYST, **bad) == 422, bad
