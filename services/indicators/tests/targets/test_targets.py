from typing import Any

import pytest

from usmdev.events import plan_published
from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
TARGETS = "/api/v1/indicators/cities/durban/targets"
SERIES = "0193a3c4-0000-7000-8000-0000000000d9"
FIRST_PLAN = "0193a3c4-0000-7000-8000-0000000000e1"
SECOND_PLAN = "0193a3c4-0000-7000-8000-0000000000e2"
ACTION = "0193a3c4-0000-7000-8000-0000000000f1"


def target(**fields: Any) -> dict[str, Any]:
    return {
        "action_id": ACTION,
        "indicator_code": "SDG_16_1_1",
        "districts": ["DBN-CENTRAL"],
        "baseline": 12.0,
        "target": 6.0,
        "unit": None,
        "target_date": "2026-06-30",
        **fields,
    }


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    # Central: 10 homicides in 2025-01 among 100,000 people: a rate of 10 per 100,000.
    rows = [
        {
            "data_element": "HOMICIDES",
            "district_code": "DBN-CENTRAL",
            "period": "2025-01",
            "value": 10,
        },
        {
            "data_element": "POPULATION",
            "district_code": "DBN-CENTRAL",
            "period": "2025",
            "value": 100_000,
        },
    ]
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": rows})
        assert response.status_code == 200, response.text
    return districts


async def _targets(harness: ServiceHarness, **params: Any) -> list[dict[str, Any]]:
    async with harness.client() as client:
        response = await client.get(TARGETS, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_targets_from_a_plan_show_progress_publicly(durban_data: ServiceHarness) -> None:
    plan = plan_published(
        indicator_targets=[target(), target(indicator_code="USM_VOTER_TURNOUT", districts=[])]
    )
    assert await durban_data.deliver(plan)
    assert not await durban_data.deliver(plan)
    shown = await _targets(durban_data)
    assert [(item["indicator_code"], item["district_code"]) for item in shown] == [
        ("SDG_16_1_1", "DBN-CENTRAL"),
        ("USM_VOTER_TURNOUT", None),
    ]
    homicides, turnout = shown
    # The latest value is the 2025-01 rate, 10 (its quarter and year end later but, with
    # no other month, are 10 too; the year is the latest period with a value).
    assert homicides["current"] == {"period": "2025", "value": 10.0}
    # From 12 toward 6: at 10 a third of the way.
    assert homicides["progress"] == pytest.approx(100 / 3)
    assert homicides["achieved"] is False
    assert (turnout["current"], turnout["progress"], turnout["achieved"]) == (None, None, None)


async def test_a_new_version_replaces_its_predecessor_and_a_late_old_one_is_ignored(
    durban_data: ServiceHarness,
) -> None:
    first = plan_published(
        plan_id=FIRST_PLAN,
        series_id=SERIES,
        revision=1,
        revises_id=None,
        indicator_targets=[target()],
    )
    second = plan_published(
        plan_id=SECOND_PLAN,
        series_id=SERIES,
        revision=2,
        revises_id=FIRST_PLAN,
        indicator_targets=[target(target=9.0)],
    )
    await durban_data.deliver(first)
    await durban_data.deliver(second)
    # The first version again, as a new event arriving late: it is older, so ignored.
    await durban_data.deliver(
        plan_published(
            plan_id=FIRST_PLAN,
            series_id=SERIES,
            revision=1,
            revises_id=None,
            indicator_targets=[target()],
        )
    )
    shown = await _targets(durban_data, plan_id=SECOND_PLAN)
    assert [(item["plan_id"], item["target"], item["achieved"]) for item in shown] == [
        (SECOND_PLAN, 9.0, False)
    ]
    assert len(await _targets(durban_data)) == 1
    # At 10 from 12 toward 9: two thirds of the way.
    assert shown[0]["progress"] == pytest.approx(200 / 3)


async def test_targets_of_an_unknown_city_are_404(indicators: ServiceHarness) -> None:
    async with indicators.client() as client:
        response = await client.get("/api/v1/indicators/cities/atlantis/targets")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
