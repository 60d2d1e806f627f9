from typing import Any

import pytest

from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
HOMICIDE_RATE = "/api/v1/indicators/cities/durban/indicators/SDG_16_1_1/values"


def value(element: str, district: str | None, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


# Homicides by month in 2025-Q1: Central 2 + 3 + 1 = 6, North 4 + 0 + 5 = 9 (city 15).
# By quarter: 2024-Q4 Central 8, North 10 (18); 2024-Q1 Central 5, North 7 (12).
# Population by year: Central 100,000, North 200,000 in 2024 and 2025 (city 300,000).
ROWS = [
    *(
        value("HOMICIDES", "DBN-CENTRAL", f"2025-0{month}", count)
        for month, count in ((1, 2), (2, 3), (3, 1))
    ),
    *(
        value("HOMICIDES", "DBN-NORTH", f"2025-0{month}", count)
        for month, count in ((1, 4), (2, 0), (3, 5))
    ),
    value("HOMICIDES", "DBN-CENTRAL", "2024-Q4", 8),
    value("HOMICIDES", "DBN-NORTH", "2024-Q4", 10),
    value("HOMICIDES", "DBN-CENTRAL", "2024-Q1", 5),
    value("HOMICIDES", "DBN-NORTH", "2024-Q1", 7),
    *(value("POPULATION", "DBN-CENTRAL", year, 100_000) for year in ("2024", "2025")),
    *(value("POPULATION", "DBN-NORTH", year, 200_000) for year in ("2024", "2025")),
]


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


async def test_the_city_rate_divides_summed_numerators_and_denominators(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client() as client:
        city = (await client.get(HOMICIDE_RATE, params={"period": "2025-Q1"})).json()
        central = (
            await client.get(HOMICIDE_RATE, params={"period": "2025-Q1", "district": "DBN-CENTRAL"})
        ).json()
        north = (
            await client.get(HOMICIDE_RATE, params={"period": "2025-Q1", "district": "DBN-NORTH"})
        ).json()
    # Central 6 / 100,000 x 100,000 = 6.0; North 9 / 200,000 x 100,000 = 4.5.
    assert (central["value"], north["value"]) == (6.0, 4.5)
    # City: 15 / 300,000 x 100,000 = 5.0, not the average of the rates (5.25).
    # Previous quarter 2024-Q4: 18 / 300,000 x 100,000 = 6.0, so the change is -1.0.
    # A year before, 2024-Q1: 12 / 300,000 x 100,000 = 4.0, so the change is +1.0.
    assert city == {
        "indicator": "SDG_16_1_1",
        "city": "durban",
        "district_code": None,
        "period": "2025-Q1",
        "unit": "per 100000 population",
        "value": 5.0,
        "numerator": 15.0,
        "denominator": 300_000.0,
        "suppressed": False,
        "trend": {
            "previous": {"period": "2024-Q4", "value": 6.0, "change": -1.0, "suppressed": False},
            "year_before": {"period": "2024-Q1", "value": 4.0, "change": 1.0, "suppressed": False},
        },
    }


async def test_months_roll_up_to_the_year_and_missing_trends_are_null(
    durban_data: ServiceHarness,
) -> None:
    async with durban_data.client() as client:
        year = (await client.get(HOMICIDE_RATE, params={"period": "2025"})).json()
    # 2025 = Q1 only (15 homicides); 2024 = Q1 12 + Q4 18 = 30; 30 / 300,000 x 100,000 = 10.
    assert (year["numerator"], year["value"]) == (15.0, 5.0)
    assert year["trend"]["previous"] == {
        "period": "2024",
        "value": 10.0,
        "change": -5.0,
        "suppressed": False,
    }
    async with durban_data.client() as client:
        old = (await client.get(HOMICIDE_RATE, params={"period": "2024-Q1"})).json()
    assert old["trend"] == {"previous": None, "year_before": None}


async def test_small_counts_are_suppressed_for_the_public_only(durban_data: ServiceHarness) -> None:
    params = {"period": "2025-01", "district": "DBN-CENTRAL"}
    async with durban_data.client() as anonymous:
        public = (await anonymous.get(HOMICIDE_RATE, params=params)).json()
        march_north = (
            await anonymous.get(
                HOMICIDE_RATE, params={"period": "2025-03", "district": "DBN-NORTH"}
            )
        ).json()
    async with durban_data.client(ANALYST) as analyst:
        raw = (await analyst.get(HOMICIDE_RATE, params=params)).json()
    # 2 homicides: withheld from the public, shown to the city's analysts (2 / 100,000).
    assert (public["value"], public["numerator"], public["suppressed"]) == (None, None, True)
    assert (raw["value"], raw["numerator"], raw["suppressed"]) == (2.0, 2.0, False)
    # North in March: 5 homicides (shown) after 0 in February (zero is not a small cell).
    assert march_north["value"] == 2.5 and march_north["trend"]["previous"]["value"] == 0.0
    # Central in February (3) is shown against January (2, withheld): no change is given.
    async with durban_data.client() as anonymous:
        february = (
            await anonymous.get(
                HOMICIDE_RATE, params={"period": "2025-02", "district": "DBN-CENTRAL"}
            )
        ).json()
    assert february["suppressed"] is True
    assert february["trend"]["previous"] == {
        "period": "2025-01",
        "value": None,
        "change": None,
        "suppressed": True,
    }


async def test_bad_requests_are_problems(durban_data: ServiceHarness) -> None:
    cases: list[tuple[dict[str, str], str, int]] = [
        ({"period": "2025-13"}, HOMICIDE_RATE, 422),
        ({}, HOMICIDE_RATE, 422),
        ({"period": "2025", "district": "DBN-ATLANTIS"}, HOMICIDE_RATE, 404),
        ({"period": "2025"}, HOMICIDE_RATE.replace("SDG_16_1_1", "NOPE"), 404),
        ({"period": "2025"}, HOMICIDE_RATE.replace("durban", "atlantis"), 404),
    ]
    async with durban_data.client() as client:
        for params, path, status in cases:
            response = await client.get(path, params=params)
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/problem+json"
