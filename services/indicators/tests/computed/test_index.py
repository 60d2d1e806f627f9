from typing import Any

from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
INDEX = "/api/v1/indicators/cities/durban/index"


def value(element: str, district: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": "2025", "value": amount}


async def test_the_index_of_the_city_and_its_districts(districts: ServiceHarness) -> None:
    rows = [
        value("HOMICIDES", "DBN-CENTRAL", 6),
        value("POPULATION", "DBN-CENTRAL", 100_000),
        value("UNEMPLOYED", "DBN-CENTRAL", 10_000),
        value("LABOUR_FORCE", "DBN-CENTRAL", 50_000),
        value("HOMICIDES", "DBN-NORTH", 3),
        value("POPULATION", "DBN-NORTH", 200_000),
    ]
    async with districts.client(ANALYST) as analyst:
        posted = await analyst.post("/api/v1/indicators/cities/durban/values", json={"rows": rows})
        assert posted.status_code == 200, posted.text
        # Only the city's active indicators count: switch one personal indicator off.
        admin = principal(["city_admin"], ["durban"])
        async with districts.client(admin) as admin_client:
            off = await admin_client.put(
                "/api/v1/indicators/cities/durban/indicators/ISO37120_14_2",
                json={"is_active": False},
            )
            assert off.status_code == 200
        raw = (await analyst.get(INDEX, params={"period": "2025"})).json()
    async with districts.client() as anonymous:
        public = (await anonymous.get(INDEX, params={"period": "2025"})).json()

    # 26 platform indicators, one switched off: 25 active.
    # Central: homicides 6 per 100,000 -> SDG 16.1.1 (goalposts 0-50, lower is better)
    # (50 - 6) / 50 x 100 = 88; unemployment 20% (0-50, lower) -> 60; USM_CLINIC_ACCESS and
    # the other rates have no data. Overall (88 + 60) / 2 = 74, coverage 2 / 25.
    central = next(area for area in raw["districts"] if area["district_code"] == "DBN-CENTRAL")
    assert (central["score"], central["with_data"], central["indicators"]) == (74.0, 2, 25)
    assert central["coverage"] == 2 / 25
    # The city: 9 homicides / 300,000 -> 3 per 100,000 -> 94; unemployment (Central only)
    # 20% -> 60. Overall (94 + 60) / 2 = 77.
    assert raw["city_index"]["score"] == 77.0
    personal = next(d for d in raw["city_index"]["dimensions"] if d["dimension"] == "personal")
    assert (personal["score"], personal["with_data"]) == (94.0, 1)
    assert [d["dimension"] for d in raw["city_index"]["dimensions"]] == [
        "economic",
        "food",
        "health",
        "environmental",
        "personal",
        "community",
        "political",
    ]
    assert "normalised to 0-100" in raw["method"]
    # North's 3 homicides are a small cell: the public index leaves them out.
    north_raw = next(area for area in raw["districts"] if area["district_code"] == "DBN-NORTH")
    north_public = next(
        area for area in public["districts"] if area["district_code"] == "DBN-NORTH"
    )
    assert (north_raw["with_data"], north_raw["score"]) == (1, 97.0)  # 1.5 per 100,000
    assert (north_public["with_data"], north_public["score"]) == (0, None)
    assert public["city_index"]["score"] == 77.0


async def test_the_index_needs_a_valid_period_and_a_known_city(districts: ServiceHarness) -> None:
    async with districts.client() as client:
        assert (await client.get(INDEX, params={"period": "2025-Q5"})).status_code == 422
        unknown = await client.get(
            "/api/v1/indicators/cities/atlantis/index", params={"period": "2025"}
        )
        assert unknown.status_code == 404
