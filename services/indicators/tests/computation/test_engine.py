from decimal import Decimal
from fractions import Fraction

from usm_indicators.computation.engine import Cell, DataCube, Formulas, compute
from usmkit.periods import parse_period

RATE = Formulas.parse("#{HOMICIDES}", "#{POPULATION}", Decimal(100000))


def durban() -> DataCube:
    cube = DataCube(
        aggregations={"HOMICIDES": "sum", "POPULATION": "last", "RESPONSE_MINUTES": "average"},
        districts=["CENTRAL", "NORTH"],
    )
    # Homicides by month: Central 2 + 3 + 1 = 6 in 2025-Q1, North 4 + 0 + 5 = 9.
    for district, counts in (("CENTRAL", (2, 3, 1)), ("NORTH", (4, 0, 5))):
        for month, count in enumerate(counts, start=1):
            cube.add(Cell("HOMICIDES", district, f"2025-{month:02d}"), count)
    cube.add(Cell("HOMICIDES", "CENTRAL", "2025-01", sex="female"), 1)
    # Population kept by year (a stock): Central 100,000; North 200,000.
    cube.add(Cell("POPULATION", "CENTRAL", "2025"), 100_000)
    cube.add(Cell("POPULATION", "NORTH", "2025"), 200_000)
    cube.add(Cell("POPULATION", "CENTRAL", "2025-03"), 101_000)
    cube.add(Cell("POPULATION", "CENTRAL", "2025-02"), 100_500)
    # Response times average: Central 10 and 14 minutes, North 20.
    cube.add(Cell("RESPONSE_MINUTES", "CENTRAL", "2025-01"), 10)
    cube.add(Cell("RESPONSE_MINUTES", "CENTRAL", "2025-02"), 14)
    cube.add(Cell("RESPONSE_MINUTES", "NORTH", "2025-Q1"), 20)
    return cube


def test_months_roll_up_by_each_rule() -> None:
    cube = durban()
    q1 = parse_period("2025-Q1")
    minutes = Formulas.parse("#{RESPONSE_MINUTES}", None, Decimal(1))
    # Sum: 2 + 3 + 1. Last: the March population (101,000), not the year's.
    central = compute(RATE, cube, "CENTRAL", q1)
    assert (central.numerator, central.denominator) == (6, 101_000)
    # Average: (10 + 14) / 2 = 12 minutes.
    assert compute(minutes, cube, "CENTRAL", q1).value == 12
    # The year: only Q1 has homicides (6); the population is Q1's latest (101,000).
    assert compute(RATE, cube, "CENTRAL", parse_period("2025")).numerator == 6


def test_a_stock_without_finer_values_takes_the_enclosing_period() -> None:
    cube = durban()
    january = compute(RATE, cube, "NORTH", parse_period("2025-01"))
    # 4 homicides / 200,000 people (the 2025 population) x 100,000 = 2.
    assert (january.numerator, january.denominator, january.value) == (4, 200_000, 2)


def test_the_city_divides_totals_and_never_averages_rates() -> None:
    cube = durban()
    q1 = parse_period("2025-Q1")
    north = compute(RATE, cube, "NORTH", q1)
    assert north.value == Fraction(9 * 100_000, 200_000)  # 4.5
    city = compute(RATE, cube, None, q1)
    # (6 + 9) / (101,000 + 200,000) x 100,000 = 1,500,000 / 301,000 ≈ 4.983.
    assert (city.numerator, city.denominator) == (15, 301_000)
    assert city.value == Fraction(1_500_000, 301_000)
    average_of_rates = (Fraction(6 * 100_000, 101_000) + Fraction(45, 10)) / 2
    assert city.value != average_of_rates
    # Averages average over districts: (12 + 20) / 2 = 16 minutes.
    minutes = Formulas.parse("#{RESPONSE_MINUTES}", None, Decimal(1))
    assert compute(minutes, cube, None, q1).value == 16


def test_filters_zero_denominators_and_missing_data() -> None:
    cube = durban()
    female = Formulas.parse("#{HOMICIDES.sex=female}", "#{POPULATION}", Decimal(100_000))
    assert compute(female, cube, "CENTRAL", parse_period("2025-01")).value == 1
    assert compute(female, cube, "NORTH", parse_period("2025-01")).value is None
    cube.add(Cell("POPULATION", "NORTH", "2025-02"), 0)
    assert compute(RATE, cube, "NORTH", parse_period("2025-02")).value is None
    assert compute(RATE, cube, None, parse_period("2024")).value is None
