"""The SQL the set-wise computation is compiled to (its results: recompute/test_setwise.py)."""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from usm_indicators.computation.engine import Formulas
from usm_indicators.computation.formula import Reference, parse
from usm_indicators.computation.index import IndexIndicator
from usm_indicators.computation.setwise import Computation, literal, plan_periods, to_sql
from usmkit.periods import parse_period


def test_formulas_become_null_safe_sql_over_reference_columns() -> None:
    columns = {Reference("HOMICIDES"): "r0", Reference("HOMICIDES", (("sex", "female"),)): "r1"}
    sql = to_sql(parse("-#{HOMICIDES.sex=female} / (#{HOMICIDES} - 0.5)"), columns)
    # A division by zero is NULL (no value), as the reference engine's None.
    assert sql == "((-r1) / NULLIF((r0 - '0.5'::float8), 0))"


def test_numbers_are_written_as_quoted_doubles() -> None:
    assert literal(Fraction(1, 4)) == "'0.25'::float8"
    assert literal(Decimal("100000")) == "'100000.0'::float8"
    # Beyond a double's range the literal is still valid SQL rather than `inf` unquoted.
    assert literal(Fraction(10**400)) == "'inf'::float8"


def test_a_month_is_planned_with_what_it_is_made_of_and_what_contains_it() -> None:
    plan = plan_periods([parse_period("2025-02")])
    assert plan.targets == ["2025-02"]
    by_period = {period: (kind, parent) for period, kind, parent in plan.periods}
    assert by_period["2025-02"] == ("month", "2025-Q1")
    assert by_period["2025-02-28"] == ("day", "2025-02")
    assert by_period["2025-Q1"] == ("quarter", "2025")
    assert by_period["2025"] == ("year", None)
    assert len(by_period) == 1 + 28 + 2
    assert plan.ancestry == [("2025-02", "2025-Q1", 1), ("2025-02", "2025", 2)]


def _indicator(code: str, high: int) -> IndexIndicator:
    return IndexIndicator(
        code=code,
        dimension="personal",
        direction="lower_is_better",
        goalpost_min=Fraction(0),
        goalpost_max=Fraction(high),
        formulas=Formulas.parse("#{HOMICIDES}", "#{POPULATION}", Decimal(100_000)),
        suppress=True,
    )


def test_the_signature_changes_with_anything_values_are_computed_with() -> None:
    aggregations = {"HOMICIDES": "sum", "POPULATION": "last"}
    base = Computation([_indicator("SDG_16_1_1", 50)], aggregations)
    assert base.signature == Computation([_indicator("SDG_16_1_1", 50)], aggregations).signature
    changed = [
        Computation([_indicator("SDG_16_1_1", 60)], aggregations),
        Computation([replace(_indicator("SDG_16_1_1", 50), suppress=False)], aggregations),
        Computation([_indicator("SDG_16_1_1", 50)], {**aggregations, "POPULATION": "average"}),
        Computation([_indicator("SDG_16_1_1", 50), _indicator("LOCAL", 50)], aggregations),
    ]
    assert all(other.signature != base.signature for other in changed)
    # One column per distinct reference, shared by the indicators using it.
    assert base.references == [Reference("HOMICIDES"), Reference("POPULATION")]
