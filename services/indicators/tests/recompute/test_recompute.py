from typing import Any

import pytest

from usm_indicators.config import IndicatorsSettings
from usm_indicators.recompute.__main__ import run
from usm_indicators.recompute.repository import RecomputeMarkRepository
from usmdev.events import values_updated
from usmdev.pytest_plugin import ServiceHarness, principal

ANALYST = principal(["city_analyst"], ["durban"])


def value(element: str, district: str, period: str, amount: float) -> dict[str, Any]:
    return {"data_element": element, "district_code": district, "period": period, "value": amount}


# 2025-01: Central 10 homicides (100,000 people), North 2 (200,000 people: a small cell).
ROWS = [
    value("HOMICIDES", "DBN-CENTRAL", "2025-01", 10),
    value("HOMICIDES", "DBN-NORTH", "2025-01", 2),
    value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
    value("POPULATION", "DBN-NORTH", "2025", 200_000),
]


@pytest.fixture
async def durban_data(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ANALYST) as client:
        response = await client.post("/api/v1/indicators/cities/durban/values", json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


async def test_one_aggregates_event_per_period_exactly_as_the_public_api_shows(
    durban_data: ServiceHarness,
) -> None:
    assert await durban_data.deliver(values_updated(periods=["2025-01"]))
    events = await durban_data.recorded("aggregates.published")
    # One per period the new values touch: the month, its quarter and its year.
    assert [event.data["period"] for event in events] == ["2025-01", "2025-Q1", "2025"]
    month = events[0].data
    homicides = {
        cell["district_code"]: (cell["value"], cell["suppressed"])
        for cell in month["indicators"]
        if cell["indicator_code"] == "SDG_16_1_1"
    }
    # City 12 / 300,000 x 100,000 = 4; North's 2 homicides are withheld (value null).
    assert homicides == {
        None: (4.0, False),
        "DBN-CENTRAL": (10.0, False),
        "DBN-NORTH": (None, True),
    }
    async with durban_data.client() as client:
        for district, (shown, suppressed) in homicides.items():
            params = {"period": "2025-01", **({"district": district} if district else {})}
            public = (
                await client.get(
                    "/api/v1/indicators/cities/durban/indicators/SDG_16_1_1/values",
                    params=params,
                )
            ).json()
            assert (public["value"], public["suppressed"]) == (shown, suppressed)
        index = (
            await client.get("/api/v1/indicators/cities/durban/index", params={"period": "2025-01"})
        ).json()["city_index"]
    assert month["index"]["overall"] == index["score"]
    assert month["index"]["coverage"] == index["coverage"]
    assert month["index"]["by_dimension"]["personal"] == next(
        each["score"] for each in index["dimensions"] if each["dimension"] == "personal"
    )
    # No raw count behind the withheld cell travels anywhere in the event.
    assert "numerator" not in str(month)


async def test_the_recompute_command_covers_every_period_with_data(
    durban_data: ServiceHarness,
) -> None:
    settings = durban_data.runtime.settings
    assert isinstance(settings, IndicatorsSettings)
    async with durban_data.client(principal(["city_admin"], ["durban"])) as client:
        response = await client.post(
            "/api/v1/indicators/cities/durban/alert-rules",
            json={
                "name": "Homicides",
                "indicator_code": "SDG_16_1_1",
                "kind": "threshold",
                "operator": "above",
                "threshold": 5,
                "district_code": "DBN-CENTRAL",
            },
        )
        assert response.status_code == 201, response.text
    done = await run("durban", [], settings)
    assert done is not None
    assert (done.periods, done.alerts_raised) == (["2025-01", "2025-Q1", "2025"], 3)
    assert len(await durban_data.recorded("aggregates.published")) == 3
    # Run again: the same aggregates are published again, but no alert is raised twice.
    again = await run("durban", ["2025-01"], settings)
    assert again is not None and again.alerts_raised == 0
    assert len(await durban_data.recorded("alert.raised")) == 3
    assert await run("nowhere", [], settings) is None


async def test_a_recompute_is_skipped_only_when_an_earlier_one_saw_the_values(
    durban_data: ServiceHarness,
) -> None:
    database = durban_data.runtime.database

    async def published() -> int:
        return len(await durban_data.recorded("aggregates.published"))

    async with database.transaction() as session:
        written = await RecomputeMarkRepository(session).current_transaction()
    async with database.transaction() as session:
        # Still open while the first recompute looks: what it writes is not seen.
        late = await RecomputeMarkRepository(session).current_transaction()
        assert await durban_data.deliver(values_updated(periods=["2025-01"], written_in=written))
    assert await published() == 3  # the month, its quarter and its year

    # The same values announced again (the next report of a burst): nothing left to do.
    assert await durban_data.deliver(values_updated(periods=["2025-01"], written_in=written))
    assert await published() == 3
    # Committed after that recompute began: computed again.
    assert await durban_data.deliver(values_updated(periods=["2025-01"], written_in=late))
    assert await published() == 6
    # A period no recompute has done yet, in the same year: the month and its quarter are
    # computed; the year was computed after the values were written.
    assert await durban_data.deliver(values_updated(periods=["2025-04"], written_in=written))
    assert [event.data["period"] for event in await durban_data.recorded("aggregates.published")][
        6:
    ] == ["2025-04", "2025-Q2"]
    # An event from before transactions were named always recomputes.
    assert await durban_data.deliver(values_updated(periods=["2025-01"]))
    assert await published() == 11
