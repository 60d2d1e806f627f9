"""The set-wise computation (SQL) against the in-memory reference engine and by hand."""

import math
from typing import Any

import pytest

from usm_indicators.computation.engine import compute
from usm_indicators.computation.index import DIMENSIONS, area_index
from usm_indicators.computed.repository import StoredValueRepository
from usm_indicators.computed.service import load_city_view
from usm_indicators.models import ComputedLayout, ComputedValue
from usm_indicators.recompute.service import recompute, recompute_all, with_enclosing
from usmdev.pytest_plugin import ServiceHarness, principal
from usmkit.periods import parse_period

ANALYST = principal(["city_analyst"], ["durban"])
ADMIN = principal(["city_admin"], ["durban"])
VALUES = "/api/v1/indicators/cities/durban/values"
CITY = ""


def value(
    element: str, district: str | None, period: str, amount: float, **filters: str
) -> dict[str, Any]:
    return {
        "data_element": element,
        "district_code": district,
        "period": period,
        "value": amount,
        **({"disaggregation": filters} if filters else {}),
    }


# Every rule of the engine once: months summed into quarters and the year, a kept quarter
# winning over its months, a disaggregation, a stock (`last`) taken from the enclosing year
# or the latest month, a whole-city value winning over the districts, an average averaged
# per quarter then per year, and a district with a count but no population.
ROWS = [
    value("HOMICIDES", "DBN-CENTRAL", "2025-01", 10),
    value("HOMICIDES", "DBN-CENTRAL", "2025-02", 5),
    value("HOMICIDES", "DBN-CENTRAL", "2025-01", 4, sex="female"),
    value("HOMICIDES", "DBN-NORTH", "2025-01", 2),
    value("HOMICIDES", "DBN-NORTH", "2025-04", 100),
    value("HOMICIDES", "DBN-NORTH", "2025-Q2", 7),
    value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
    value("POPULATION", "DBN-NORTH", "2025-01", 200_000),
    value("POPULATION", "DBN-NORTH", "2025-03", 210_000),
    value("POPULATION", None, "2025", 400_000),
    value("POLICE_RESPONSE_MINUTES", "DBN-CENTRAL", "2025-01", 10),
    value("POLICE_RESPONSE_MINUTES", "DBN-CENTRAL", "2025-02", 20),
    value("POLICE_RESPONSE_MINUTES", "DBN-CENTRAL", "2025-04", 30),
    value("POLICE_RESPONSE_MINUTES", "DBN-NORTH", "2025-01", 40),
]
LOCAL = {
    # Filters, negation, numbers, a division inside a formula and an average element.
    "LOCAL_MIX": {
        "numerator": "(#{HOMICIDES} - #{HOMICIDES.sex=female}) / 2"
        " + -#{POLICE_RESPONSE_MINUTES} * 0.5 + 100",
        "denominator": "#{POPULATION} / 1000",
        "multiplier": 3,
        "goalpost_min": 0,
        "goalpost_max": 10,
        "direction": "higher_is_better",
    },
    # A denominator of zero: a numerator, no value.
    "LOCAL_ZERO": {
        "numerator": "#{HOMICIDES}",
        "denominator": "#{HOMICIDES} - #{HOMICIDES}",
        "multiplier": 1,
        "goalpost_min": 0,
        "goalpost_max": 1,
        "direction": "lower_is_better",
    },
}
PERIODS = with_enclosing(["2025-01", "2025-02", "2025-03", "2025-04"])


@pytest.fixture
async def dataset(districts: ServiceHarness) -> ServiceHarness:
    async with districts.client(ADMIN) as admin:
        for code, formulas in LOCAL.items():
            response = await admin.put(
                f"/api/v1/indicators/cities/durban/indicators/{code}",
                json={
                    "is_active": True,
                    "local": {
                        "name_en": code,
                        "name_es": code,
                        "definition": "A test of the set-wise computation.",
                        "dimension": "community",
                        "unit": "index",
                        **formulas,
                    },
                },
            )
            assert response.status_code == 201, response.text
    async with districts.client(ANALYST) as analyst:
        response = await analyst.post(VALUES, json={"rows": ROWS})
        assert response.status_code == 200, response.text
    return districts


async def _kept(harness: ServiceHarness) -> tuple[list[str], dict[tuple[str, str], ComputedValue]]:
    async with harness.runtime.database.sessions() as session:
        layout = await session.get(ComputedLayout, "durban")
        assert layout is not None
        rows = await StoredValueRepository(session).rows("durban", [str(p) for p in PERIODS])
    return layout.indicator_codes, {(row.district_code, row.period): row for row in rows}


def _same(kept: float | None, reference: Any) -> bool:
    if kept is None or reference is None:
        return kept is None and reference is None
    return math.isclose(kept, float(reference), rel_tol=1e-12, abs_tol=1e-12)


async def test_set_wise_values_and_index_equal_the_reference_engine(
    dataset: ServiceHarness,
) -> None:
    async with dataset.runtime.database.transaction() as session:
        done = await recompute_all(session=session, outbox=dataset.runtime.outbox, city="durban")
    assert done.periods == [str(period) for period in PERIODS]
    codes, kept = await _kept(dataset)
    async with dataset.runtime.database.sessions() as session:
        raw = await load_city_view(session, "durban", PERIODS, sees_raw=True)
        public = await load_city_view(session, "durban", PERIODS, sees_raw=False)
    assert codes == sorted(raw.indicators) and {"LOCAL_MIX", "LOCAL_ZERO"} <= set(codes)
    compared = 0
    for period in PERIODS:
        for area in [None, "DBN-CENTRAL", "DBN-NORTH"]:
            row = kept.get((area or CITY, str(period)))
            for position, indicator in enumerate(raw.index_indicators):
                expected = compute(indicator.formulas, raw.cube, area, period)
                if row is None:
                    assert expected.numerator is None and expected.denominator is None
                    continue
                assert _same(row.indicator_values[position], expected.value), indicator.code
                assert _same(row.numerators[position], expected.numerator), indicator.code
                assert _same(row.denominators[position], expected.denominator), indicator.code
                compared += 1
            if row is None:
                continue
            for view, scores, with_data, score, total in (
                (raw, row.dimension_scores, row.dimension_with_data, row.score, row.with_data),
                (
                    public,
                    row.public_dimension_scores,
                    row.public_dimension_with_data,
                    row.public_score,
                    row.public_with_data,
                ),
            ):
                expected_area = area_index(view.index_indicators, view.cube, area, period)
                assert _same(score, expected_area.score)
                assert total == expected_area.with_data
                for number, dimension in enumerate(expected_area.dimensions):
                    assert dimension.dimension == DIMENSIONS[number]
                    assert _same(scores[number], dimension.score)
                    assert with_data[number] == dimension.with_data
    assert compared > 300

    def at(code: str, area: str, period: str) -> tuple[float | None, ...]:
        row, position = kept[area, period], codes.index(code)
        return (
            row.indicator_values[position],
            row.numerators[position],
            row.denominators[position],
        )

    # By hand. The city in Q1: homicides 10 + 5 (Central) + 2 (North) = 17; its population
    # is the whole-city 400,000 of 2025 (kept for the city: the districts are not added).
    assert at("SDG_16_1_1", CITY, "2025-Q1") == (4.25, 17.0, 400_000.0)
    # North in Q2: the 7 kept for the quarter, not April's 100; no population within Q2
    # nor kept for 2025 in North: no value.
    assert at("SDG_16_1_1", "DBN-NORTH", "2025-Q2") == (None, 7.0, None)
    # North in March: the latest month within Q1 serves the quarter; February has nothing
    # within it nor kept around it (no row at all).
    assert at("SDG_16_1_1", "DBN-NORTH", "2025-Q1")[2] == 210_000.0
    assert ("DBN-NORTH", "2025-02") not in kept
    # Central in 2025: homicides 15 (4 of them women), response minutes averaged per
    # quarter (15 and 30) then over the year: 22.5, not the mean of months (20).
    # ((15 - 4) / 2 - 22.5 x 0.5 + 100) / (100,000 / 1000) x 3 = 94.25 / 100 x 3 = 2.8275.
    assert at("LOCAL_MIX", "DBN-CENTRAL", "2025") == pytest.approx((2.8275, 94.25, 100.0))
    # The year's city: 17 + 7 homicides over 400,000: SDG 16.1.1 = 6 per 100,000.
    assert at("SDG_16_1_1", CITY, "2025")[0] == 6.0
    assert at("LOCAL_ZERO", "DBN-CENTRAL", "2025-01") == (None, 10.0, 0.0)


async def test_the_worked_index_example_holds_set_wise(districts: ServiceHarness) -> None:
    """The example of `computed/test_index.py`, read from what the recompute kept."""
    rows = [
        value("HOMICIDES", "DBN-CENTRAL", "2025", 6),
        value("POPULATION", "DBN-CENTRAL", "2025", 100_000),
        value("UNEMPLOYED", "DBN-CENTRAL", "2025", 10_000),
        value("LABOUR_FORCE", "DBN-CENTRAL", "2025", 50_000),
        value("HOMICIDES", "DBN-NORTH", "2025", 3),
        value("POPULATION", "DBN-NORTH", "2025", 200_000),
    ]
    async with districts.client(ANALYST) as analyst:
        assert (await analyst.post(VALUES, json={"rows": rows})).status_code == 200
    async with districts.client(ADMIN) as admin:
        off = await admin.put(
            "/api/v1/indicators/cities/durban/indicators/ISO37120_14_2",
            json={"is_active": False},
        )
        assert off.status_code == 200
    async with districts.runtime.database.transaction() as session:
        await recompute(
            session=session,
            outbox=districts.runtime.outbox,
            city="durban",
            periods=[parse_period("2025")],
        )
    async with districts.runtime.database.sessions() as session:
        kept = {
            row.district_code: row
            for row in await StoredValueRepository(session).rows("durban", ["2025"])
        }
    personal = DIMENSIONS.index("personal")
    # Central: SDG 16.1.1 6 per 100,000 -> 88, unemployment 20 % -> 60: (88 + 60) / 2.
    central = kept["DBN-CENTRAL"]
    assert (central.score, central.with_data) == (74.0, 2)
    # The city: 9 / 300,000 -> 3 per 100,000 -> 94; unemployment 60: 77.
    city = kept[CITY]
    assert (city.score, city.public_score) == (77.0, 77.0)
    assert (city.dimension_scores[personal], city.dimension_with_data[personal]) == (94.0, 1)
    # North's 3 homicides are a small cell: 97 for analysts, no data for the public.
    north = kept["DBN-NORTH"]
    assert (north.score, north.with_data) == (97.0, 1)
    assert (north.public_score, north.public_with_data) == (None, 0)
    assert north.public_cells == 1  # the withheld cell is still shown, as suppressed


async def test_an_incremental_recompute_keeps_other_periods_until_the_catalogue_changes(
    dataset: ServiceHarness,
) -> None:
    async with dataset.runtime.database.transaction() as session:
        await recompute_all(session=session, outbox=dataset.runtime.outbox, city="durban")
    codes, whole = await _kept(dataset)
    async with dataset.runtime.database.transaction() as session:
        await recompute(
            session=session,
            outbox=dataset.runtime.outbox,
            city="durban",
            periods=[parse_period("2025-02")],
        )
    codes, kept = await _kept(dataset)
    # Only February was replaced; every other period's rows are still those kept before.
    assert kept.keys() == whole.keys()
    assert kept["DBN-CENTRAL", "2025-02"].indicator_values == (
        whole["DBN-CENTRAL", "2025-02"].indicator_values
    )
    # Switching an indicator off changes what the arrays hold: the next recompute, however
    # small, computes every period again with the new layout.
    async with dataset.client(ADMIN) as admin:
        off = await admin.put(
            "/api/v1/indicators/cities/durban/indicators/LOCAL_ZERO",
            json={"is_active": False},
        )
        assert off.status_code == 200, off.text
    async with dataset.runtime.database.transaction() as session:
        await recompute(
            session=session,
            outbox=dataset.runtime.outbox,
            city="durban",
            periods=[parse_period("2025-02")],
        )
    after, kept_after = await _kept(dataset)
    assert after == [code for code in codes if code != "LOCAL_ZERO"]
    assert all(len(row.indicator_values) == len(after) for row in kept_after.values())
    assert len(kept_after) == len(kept)
