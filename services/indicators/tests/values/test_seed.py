from usmdev.events import values_updated
from usmdev.pytest_plugin import ServiceHarness, principal
from usmdev.seed_indicators import DEMO_ALERT_RULE, DISTRICTS, demo_rows


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
        rule = await client.post(
            "/api/v1/indicators/cities/durban/alert-rules", json=DEMO_ALERT_RULE
        )
        assert rule.status_code == 201, rule.text
        rows = demo_rows("durban")
        posted = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": rows})
        assert posted.status_code == 200, posted.text
        await indicators.deliver(values_updated(periods=posted.json()["periods"]))
        alerts = (await client.get("/api/v1/indicators/cities/durban/alerts")).json()["items"]
        # The demo rule fires on quarters only, and at least in the South (13-16 per 100,000).
        assert {alert["period"].split("-")[1][0] for alert in alerts} == {"Q"}
        assert "DBN-SOUTH" in {alert["district_code"] for alert in alerts}
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
