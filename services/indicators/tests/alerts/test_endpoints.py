from typing import Any

import pytest

from usmdev.events import values_updated
from usmdev.pytest_plugin import ServiceHarness, principal

ADMIN = principal(["city_admin"], ["durban"])
ANALYST = principal(["city_analyst"], ["durban"])
RULES = "/api/v1/indicators/cities/durban/alert-rules"
ALERTS = "/api/v1/indicators/cities/durban/alerts"


def value(element: str, district: str, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


# Homicides per month; Central has 100,000 people, North 200,000 (rate per 100,000 people).
# Central: 10, 10, 10, 10 in 2025-01..04 then 30 in 2025-05 (rate 30); North 2 a month
# (rate 1, a small cell withheld from the public).
MONTHS = ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05"]
ROWS = [
    *(
        value("HOMICIDES", "DBN-CENTRAL", month, count)
        for month, count in zip(MONTHS, (10, 10, 10, 10, 30), strict=True)
    ),
    *(value("HOMICIDES", "DBN-NORTH", month, 2) for month in MONTHS),
    value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
    value("POPULATION", "DBN-NORTH", "2025", 200_000),
]


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


async def _rule(harness: ServiceHarness, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Homicides",
        "indicator_code": "SDG_16_1_1",
        "severity": "critical",
        **fields,
    }
    async with harness.client(ADMIN) as client:
        response = await client.post(RULES, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["ETag"] == '"1"'
    created: dict[str, Any] = response.json()
    return created


async def _alerts(harness: ServiceHarness, **params: Any) -> list[dict[str, Any]]:
    async with harness.client(ANALYST) as client:
        response = await client.get(ALERTS, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_threshold_fires_once_per_district_and_period_and_never_on_a_small_cell(
    durban_data: ServiceHarness,
) -> None:
    # Above 5 per 100,000 in a month: Central (rate 10) fires; North (rate 1, withheld:
    # its numerator 2 is a small cell) must not, even if its value would pass the rule.
    rule = await _rule(durban_data, kind="threshold", operator="above", threshold=5)
    below = await _rule(durban_data, kind="threshold", operator="below", threshold=5)
    assert await durban_data.deliver(values_updated(periods=["2025-01"]))
    # The same values again (a new event for the same load) raise nothing new.
    assert await durban_data.deliver(values_updated(periods=["2025-01"]))

    alerts = await _alerts(durban_data, period="2025-01")
    fired = sorted((a["rule_id"], a["district_code"], a["value"]) for a in alerts)
    # City: 12 / 300,000 x 100,000 = 4 (below 5); Central 10; North withheld.
    assert fired == sorted([(rule["id"], "DBN-CENTRAL", 10.0), (below["id"], None, 4.0)])
    central = next(a for a in alerts if a["district_code"] == "DBN-CENTRAL")
    assert central["reference"] == 5.0
    assert central["status"] == "open"
    assert central["message"] == ("SDG_16_1_1 is 10, above the threshold 5 (DBN-CENTRAL, 2025-01).")

    events = await durban_data.recorded("alert.raised")
    # Each once. Central above 5 in 2025-01, its quarter (30 / 100,000) and year (70). The
    # city below in 2025-01, above in 2025-Q1 (36 / 300,000 x 100,000 = 12) and 2025 (26.7).
    # North below in 2025-Q1 (6 / 200,000 x 100,000 = 3), public since 6 is not a small
    # cell; in 2025-01 (rate 1) it is withheld, so "below" does not fire there.
    assert sorted((e.data["district_code"] or "", e.data["period"]) for e in events) == [
        ("", "2025"),
        ("", "2025-01"),
        ("", "2025-Q1"),
        ("DBN-CENTRAL", "2025"),
        ("DBN-CENTRAL", "2025-01"),
        ("DBN-CENTRAL", "2025-Q1"),
        ("DBN-NORTH", "2025-Q1"),
    ]
    first = next(e for e in events if e.data["alert_id"] == central["id"])
    assert first.data["rule_kind"] == "threshold"
    assert first.data["dimension"] == "personal"
    assert first.data["severity"] == "critical"


async def test_change_and_anomaly_rules_compare_with_earlier_periods(
    durban_data: ServiceHarness,
) -> None:
    change = await _rule(
        durban_data,
        kind="change",
        operator="above",
        threshold=50,
        compare_to="previous",
        district_code="DBN-CENTRAL",
    )
    anomaly = await _rule(
        durban_data,
        kind="anomaly",
        operator="outside",
        threshold=2,
        window=4,
        district_code="DBN-CENTRAL",
    )
    await durban_data.deliver(values_updated(periods=MONTHS))
    alerts = await _alerts(durban_data, district="DBN-CENTRAL")
    by_rule = {
        (a["rule_id"], a["period"]): (a["value"], a["reference"])
        for a in alerts
        if a["period"].count("-") == 1 and "Q" not in a["period"]
    }
    # 2025-05: rate 30 against 10 in 2025-04 is +200 % (> 50 %): the change fires.
    # Against 2025-01..04 (all 10, sd 0) 30 is far outside: the anomaly fires.
    # Earlier months change by 0 % and have fewer than 3 earlier values or no deviation.
    assert by_rule == {
        (change["id"], "2025-05"): (30.0, 10.0),
        (anomaly["id"], "2025-05"): (30.0, 10.0),
    }


async def test_a_rule_with_a_period_type_watches_only_those_periods(
    durban_data: ServiceHarness,
) -> None:
    rule = await _rule(
        durban_data,
        kind="threshold",
        operator="above",
        threshold=5,
        period_type="quarter",
        district_code="DBN-CENTRAL",
    )
    assert rule["period_type"] == "quarter"
    await durban_data.deliver(values_updated(periods=MONTHS))
    assert [alert["period"] for alert in await _alerts(durban_data)] == ["2025-Q2", "2025-Q1"]


async def test_alerts_are_acknowledged_then_closed_and_filtered_by_status(
    durban_data: ServiceHarness,
) -> None:
    await _rule(
        durban_data, kind="threshold", operator="above", threshold=5, district_code="DBN-CENTRAL"
    )
    await durban_data.deliver(values_updated(periods=["2025-01"]))
    alert = (await _alerts(durban_data, period="2025-01"))[0]
    url = f"{ALERTS}/{alert['id']}"
    async with durban_data.client(ANALYST) as client:
        stale = await client.post(f"{url}/acknowledge", headers={"If-Match": '"9"'})
        assert stale.status_code == 412
        acknowledged = await client.post(f"{url}/acknowledge", headers={"If-Match": '"1"'})
        assert acknowledged.status_code == 200, acknowledged.text
        assert acknowledged.headers["ETag"] == '"2"'
        assert acknowledged.json()["acknowledged_by"] == "tester"
        again = await client.post(f"{url}/acknowledge")
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        closed = await client.post(f"{url}/close")
        assert closed.json()["status"] == "closed"
    assert [a["id"] for a in await _alerts(durban_data, status="closed")] == [alert["id"]]
    assert [a["period"] for a in await _alerts(durban_data, status="open")] == ["2025", "2025-Q1"]
    # A closed alert is not raised again.
    await durban_data.deliver(values_updated(periods=["2025-01"]))
    assert len(await _alerts(durban_data)) == 3


async def test_alerts_paginate_newest_first(durban_data: ServiceHarness) -> None:
    await _rule(durban_data, kind="threshold", operator="above", threshold=0)
    await durban_data.deliver(values_updated(periods=MONTHS))
    everything = await _alerts(durban_data, limit=200)
    seen: list[str] = []
    cursor = None
    async with durban_data.client(ANALYST) as client:
        while True:
            params: dict[str, Any] = {"limit": 4}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(ALERTS, params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    assert seen == [a["id"] for a in everything]
    # Central and the city: 5 months, 2 quarters, a year. North: 2025-Q1 (6 homicides) and
    # 2025 (10); its months (2) and 2025-Q2 (4) are small cells, withheld.
    assert len(seen) == 2 * 8 + 2


async def test_rules_are_validated_replaced_under_if_match_and_deleted(
    districts: ServiceHarness,
) -> None:
    async with districts.client(ADMIN) as client:
        for body in (
            {"kind": "change", "operator": "above", "threshold": 10},  # no compare_to
            {"kind": "threshold", "operator": "outside", "threshold": 10},
            {"kind": "anomaly", "operator": "above", "threshold": 2},  # no window
            {"kind": "anomaly", "operator": "above", "threshold": 0, "window": 5},
        ):
            response = await client.post(
                RULES, json={"name": "x", "indicator_code": "SDG_16_1_1", **body}
            )
            assert response.status_code == 422, body
        unknown = await client.post(
            RULES,
            json={
                "name": "x",
                "indicator_code": "NOPE",
                "kind": "threshold",
                "operator": "above",
                "threshold": 1,
                "district_code": "DBN-NOWHERE",
            },
        )
        assert unknown.status_code == 422
        assert {error["type"] for error in unknown.json()["errors"]} == {
            "unknown_indicator",
            "unknown_district",
        }
    rule = await _rule(districts, kind="threshold", operator="above", threshold=5)
    url = f"{RULES}/{rule['id']}"
    replacement = {
        "name": "Homicides (higher bar)",
        "indicator_code": "SDG_16_1_1",
        "kind": "threshold",
        "operator": "above",
        "threshold": 8,
    }
    async with districts.client(ADMIN) as client:
        assert (await client.put(url, json=replacement)).status_code == 428
        assert (
            await client.put(url, json=replacement, headers={"If-Match": '"7"'})
        ).status_code == 412
        replaced = await client.put(url, json=replacement, headers={"If-Match": '"1"'})
        assert replaced.status_code == 200, replaced.text
        assert (replaced.json()["threshold"], replaced.headers["ETag"]) == (8.0, '"2"')
        assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
        assert (await client.get(url)).status_code == 404


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        (principal(["city_analyst"], ["durban"]), "post", RULES),  # no indicators:admin
        (principal(["city_admin"], ["cape-town"]), "post", RULES),  # another city
        (principal(["resident"], ["durban"]), "get", ALERTS),  # no indicators:read
        (principal(["city_analyst"], ["cape-town"]), "get", ALERTS),
        (None, "get", RULES),
    ],
)
async def test_rules_and_alerts_need_scope_and_city(
    districts: ServiceHarness, who: Any, method: str, path: str
) -> None:
    body = {"name": "x", "indicator_code": "SDG_16_1_1", "kind": "threshold"}
    async with districts.client(who) as client:
        if method == "post":
            response = await client.post(path, json={**body, "operator": "above", "threshold": 1})
        else:
            response = await client.get(path)
    assert response.status_code in (401, 403)
    assert response.headers["content-type"] == "application/problem+json"
