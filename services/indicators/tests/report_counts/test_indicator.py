"""Report counts are the values of CITIZEN_REPORTS: they move USM_REPORTS_PER_10K."""

import uuid
from typing import Any

import pytest

from usm_indicators.report_counts.schedule import announce
from usmdev.events import report_status_changed, report_submitted
from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])
VALUES = "/api/v1/indicators/cities/durban/values"
REPORTS_RATE = "/api/v1/indicators/cities/durban/indicators/USM_REPORTS_PER_10K/values"
NOVEMBER = "2026-11"


def value(element: str, district: str, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


@pytest.fixture
async def populated(districts: ServiceHarness) -> ServiceHarness:
    """Durban with 50,000 residents in each district in 2026."""
    rows = [value("POPULATION", code, "2026", 50_000) for code in ("DBN-CENTRAL", "DBN-NORTH")]
    async with districts.client(ANALYST) as client:
        response = await client.post(VALUES, json={"rows": rows})
        assert response.status_code == 200, response.text
    return districts


async def _submit(harness: ServiceHarness, count: int, **fields: Any) -> list[str]:
    report_ids = [str(uuid.uuid4()) for _ in range(count)]
    for report_id in report_ids:
        assert await harness.deliver(report_submitted(report_id=report_id, **fields))
    return report_ids


async def _reject(harness: ServiceHarness, report_id: str) -> None:
    rejected = report_status_changed(
        report_id=report_id,
        from_status="under_review",
        to_status="rejected",
        changed_at="2026-11-28T09:00:00Z",
    )
    assert await harness.deliver(rejected)


async def _rate(harness: ServiceHarness, district: str | None, *, analyst: bool) -> dict[str, Any]:
    params = {"period": NOVEMBER, **({"district": district} if district else {})}
    async with harness.client(ANALYST if analyst else None) as client:
        response = await client.get(REPORTS_RATE, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_reports_move_the_public_rate_and_small_counts_are_withheld(
    populated: ServiceHarness,
) -> None:
    # Six reports in Central in November, two of them in a sensitive category.
    normal = await _submit(populated, 4)
    sensitive = await _submit(populated, 2, category_code="gbv", sensitivity="sensitive")
    public = await _rate(populated, "DBN-CENTRAL", analyst=False)
    # 6 / 50,000 x 10,000 = 1.2
    assert (public["value"], public["numerator"], public["suppressed"]) == (1.2, 6.0, False)

    await _reject(populated, normal[0])
    public = await _rate(populated, "DBN-CENTRAL", analyst=False)
    assert (public["value"], public["numerator"]) == (1.0, 5.0)

    # Four reports left, sensitive ones among them: a small cell, withheld from the public
    # in the district and in the city (North has none), but not from the city's analysts.
    await _reject(populated, sensitive[0])
    for district in ("DBN-CENTRAL", None):
        public = await _rate(populated, district, analyst=False)
        assert (public["value"], public["numerator"], public["suppressed"]) == (None, None, True)
    raw = await _rate(populated, "DBN-CENTRAL", analyst=True)
    assert (raw["value"], raw["numerator"], raw["suppressed"]) == (0.8, 4.0, False)

    # The moves are announced together, once per city, as a bulk load is: delivering the
    # announcement publishes the month withheld, exactly as the public API shows it.
    assert await announce(populated.runtime) == ["durban"]
    updates = await populated.recorded("values.updated")
    report_updates = [
        event for event in updates if event.data["data_elements"] == ["CITIZEN_REPORTS"]
    ]
    assert len(report_updates) == 1
    announced = dict(report_updates[0].data)
    assert announced.pop("written_in").isdigit()
    assert announced == {
        "city": "durban",
        "data_elements": ["CITIZEN_REPORTS"],
        "periods": [NOVEMBER],
        "districts": ["DBN-CENTRAL"],
    }
    assert await announce(populated.runtime) == []
    assert await populated.deliver(report_updates[0])
    assert len(await populated.recorded("aggregates.published")) == 3
    published = {
        event.data["period"]: event.data
        for event in await populated.recorded("aggregates.published")
    }
    assert sorted(published) == ["2026", "2026-11", "2026-Q4"]
    cells = {
        cell["district_code"]: (cell["value"], cell["suppressed"])
        for cell in published[NOVEMBER]["indicators"]
        if cell["indicator_code"] == "USM_REPORTS_PER_10K"
    }
    assert cells == {None: (None, True), "DBN-CENTRAL": (None, True)}


async def test_a_posted_value_wins_for_its_cell_and_counts_fill_the_others(
    populated: ServiceHarness,
) -> None:
    async with populated.client(ANALYST) as client:
        response = await client.post(
            VALUES, json={"rows": [value("CITIZEN_REPORTS", "DBN-CENTRAL", NOVEMBER, 20)]}
        )
        assert response.status_code == 200, response.text
    await _submit(populated, 7)  # Central: the posted 20 stands
    await _submit(populated, 5, district_code="DBN-NORTH")
    await _submit(populated, 3, district_code=None)  # in no district: in no indicator

    central = await _rate(populated, "DBN-CENTRAL", analyst=False)
    north = await _rate(populated, "DBN-NORTH", analyst=False)
    city = await _rate(populated, None, analyst=False)
    # Central 20 / 50,000 x 10,000 = 4.0; North 5 / 50,000 x 10,000 = 1.0;
    # city (20 + 5) / 100,000 x 10,000 = 2.5.
    assert (central["value"], north["value"], city["value"]) == (4.0, 1.0, 2.5)
    # A quarter adds the months up like any flow.
    async with populated.client() as client:
        quarter = await client.get(
            REPORTS_RATE, params={"period": "2026-Q4", "district": "DBN-NORTH"}
        )
    assert quarter.json()["value"] == 1.0


async def test_reports_feed_the_human_security_index(populated: ServiceHarness) -> None:
    await _submit(populated, 5, district_code="DBN-NORTH")
    async with populated.client() as client:
        response = await client.get(
            "/api/v1/indicators/cities/durban/index", params={"period": NOVEMBER}
        )
    assert response.status_code == 200, response.text
    (north,) = [
        area for area in response.json()["districts"] if area["district_code"] == "DBN-NORTH"
    ]
    # 1.0 report per 10,000 on goalposts 0-100 (higher is better) scores 1.0; it is North's
    # only indicator with data, in the community dimension.
    community = {each["dimension"]: each for each in north["dimensions"]}["community"]
    assert (community["score"], community["with_data"]) == (1.0, 1)
    assert (north["score"], north["with_data"]) == (1.0, 1)
