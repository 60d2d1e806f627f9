from typing import Any

import pytest

from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
GAPS = "/api/v1/indicators/cities/durban/gaps"


def value(element: str, district: str, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


# Homicides: Central in 2025-01..03, North in 2025-01 only; population for both in 2025.
ROWS = [
    *(value("HOMICIDES", "DBN-CENTRAL", month, 3) for month in ("2025-01", "2025-02", "2025-03")),
    value("HOMICIDES", "DBN-NORTH", "2025-01", 1),
    value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
    value("POPULATION", "DBN-NORTH", "2025", 200_000),
]


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


async def test_gaps_list_the_periods_an_indicator_lacks_per_district(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client(ANALYST) as client:
        response = await client.get(
            GAPS, params={"start": "2025-01", "end": "2025-03", "indicator": "SDG_16_1_1"}
        )
    assert response.status_code == 200, response.text
    # Central is complete (left out); the city is computed from the districts it has, so
    # it has all three months; North lacks February and March. Its January (1 homicide) is
    # a small cell, but data all the same.
    assert response.json() == {
        "items": [
            {
                "indicator_code": "SDG_16_1_1",
                "dimension": "personal",
                "district_code": "DBN-NORTH",
                "periods": 3,
                "with_data": 1,
                "coverage": pytest.approx(1 / 3),
                "missing_periods": ["2025-02", "2025-03"],
            }
        ],
        "next_cursor": None,
    }


async def test_gaps_cover_every_active_indicator_and_paginate(durban_data: ServiceHarness) -> None:
    seen: list[tuple[str, str | None]] = []
    cursor = None
    async with durban_data.client(ANALYST) as client:
        while True:
            params: dict[str, Any] = {"start": "2025-01", "end": "2025-02", "limit": 7}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(GAPS, params=params)).json()
            seen += [(item["indicator_code"], item["district_code"]) for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        everything = (
            await client.get(GAPS, params={"start": "2025-01", "end": "2025-02", "limit": 200})
        ).json()["items"]
    assert seen == [(item["indicator_code"], item["district_code"]) for item in everything]
    assert len(seen) > 7
    # Voter turnout has no data at all: a gap for the city and both districts; the homicide
    # rate lacks only North's February.
    assert [pair for pair in seen if pair[0] in ("SDG_16_1_1", "USM_VOTER_TURNOUT")] == [
        ("SDG_16_1_1", "DBN-NORTH"),
        ("USM_VOTER_TURNOUT", None),
        ("USM_VOTER_TURNOUT", "DBN-CENTRAL"),
        ("USM_VOTER_TURNOUT", "DBN-NORTH"),
    ]


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"start": "2025-01", "end": "2025-Q1"}, 422),  # different types
        ({"start": "2025-03", "end": "2025-01"}, 422),  # backwards
        ({"start": "2000-01", "end": "2025-01"}, 422),  # too many periods
        ({"start": "2025-13", "end": "2025-14"}, 422),  # not periods
        ({"start": "2025-01", "end": "2025-02", "district": "DBN-NOWHERE"}, 404),
        ({"start": "2025-01", "end": "2025-02", "cursor": "bm90IGEgbGlzdA"}, 400),
    ],
)
async def test_bad_gap_queries_are_problems(
    districts: ServiceHarness, params: dict[str, str], status: int
) -> None:
    async with districts.client(ANALYST) as client:
        response = await client.get(GAPS, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_gaps_need_indicators_read_in_the_city(districts: ServiceHarness) -> None:
    for who in (principal(["city_analyst"], ["cape-town"]), None):
        async with districts.client(who) as client:
            response = await client.get(GAPS, params={"start": "2025-01", "end": "2025-02"})
        assert response.status_code in (401, 403)
