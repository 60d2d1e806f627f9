from usmdev.pytest_plugin import ServiceHarness, principal
from usmdev.seed_indicators import DISTRICTS, demo_rows


async def test_the_demo_data_is_valid(indicators: ServiceHarness) -> None:
    """The seed's districts and rows load cleanly (the seed itself runs through the gateway)."""
    admin = principal(["city_admin"], ["durban"])
    async with indicators.client(admin) as client:
        for code, name, population in DISTRICTS["durban"]:
            put = await client.put(
                f"/api/v1/indicators/cities/durban/districts/{code}",
                json={"name": name, "population": population},
            )
            assert put.status_code == 201, put.text
        rows = demo_rows("durban")
        posted = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": rows})
        assert posted.status_code == 200, posted.text
        index = await client.get(
            "/api/v1/indicators/cities/durban/index", params={"period": "2025"}
        )
    city = index.json()["city_index"]
    assert city["score"] is not None
    assert {d["dimension"] for d in city["dimensions"] if d["score"] is not None} == {
        "economic",
        "food",
        "health",
        "environmental",
        "personal",
        "community",
        "political",
    }
