import uuid
from typing import Any

import pytest

from usmdev.events import report_submitted
from usmdev.pytest_plugin import ServiceHarness, principal
from usmkit.events.cloudevents import CloudEvent

ANALYST = principal(["city_analyst"], ["durban"])
COUNTS = "/api/v1/indicators/cities/durban/report-counts"


def a_report(**fields: Any) -> CloudEvent:
    """A distinct report: every call has its own report id."""
    return report_submitted(report_id=str(uuid.uuid4()), **fields)


async def test_small_counts_are_suppressed(indicators: ServiceHarness) -> None:
    for _ in range(5):
        await indicators.deliver(a_report())
    await indicators.deliver(a_report(district_code=None))
    await indicators.deliver(a_report(category_code="flooding", period="2026-10"))

    async with indicators.client(ANALYST) as client:
        response = await client.get(COUNTS)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == [
        {
            "district_code": "DBN-CENTRAL",
            "category_code": "flooding",
            "period": "2026-10",
            "count": None,
            "suppressed": True,
        },
        {
            "district_code": None,
            "category_code": "streetlight",
            "period": "2026-11",
            "count": None,
            "suppressed": True,
        },
        {
            "district_code": "DBN-CENTRAL",
            "category_code": "streetlight",
            "period": "2026-11",
            "count": 5,
            "suppressed": False,
        },
    ]


async def test_counts_paginate_and_filter_by_period(indicators: ServiceHarness) -> None:
    for index in range(5):
        await indicators.deliver(a_report(category_code=f"category-{index}"))
    await indicators.deliver(a_report(period="2026-10"))
    async with indicators.client(ANALYST) as client:
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 2, "period": "2026-11"}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(COUNTS, params=params)).json()
            seen += [item["category_code"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [f"category-{index}" for index in range(5)]


@pytest.mark.parametrize(
    "who",
    [
        principal(["city_analyst"], ["cape-town"]),  # right scope, wrong city
        principal(["resident"], ["durban"]),  # right city, no indicators:read
        None,  # anonymous
    ],
)
async def test_reading_counts_needs_the_scope_and_the_city(
    indicators: ServiceHarness, who: Any
) -> None:
    async with indicators.client(who) as client:
        refused = await client.get(COUNTS)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
