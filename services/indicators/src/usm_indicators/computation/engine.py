"""Indicator values from data values: aggregation over time and space, then the formulas.

Pure and in memory: the caller loads the data values once (`DataCube`) and asks for as many
(indicator, district or city, period) cells as it needs.

- Time: a value kept for the asked period wins; otherwise the period is made of its finer
  periods (year → quarters → months → days), each found the same way, and combined by the
  data element's aggregation: `sum` adds them, `average` averages them, `last` takes the
  latest one present (a stock, such as population).
- Stocks (`last`) and averages with no value within the period take the value of the
  nearest period containing it: the 2025 population is the population of 2025-Q1 too.
- Space: the city's value is a value kept for the whole city if there is one; otherwise the
  districts' values added up (`sum`, `last`) or averaged (`average`). Indicators are
  computed from these city totals, so a city rate is total numerator over total
  denominator, never an average of district rates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from usm_indicators.computation.formula import Node, Reference, evaluate, parse
from usm_indicators.models.data_value import TOTAL, WHOLE_CITY
from usmkit.periods import Period

_DIMENSIONS = ("sex", "age_band", "disability")


@dataclass(frozen=True)
class Cell:
    """Where a data value is kept."""

    data_element: str
    district_code: str  # WHOLE_CITY for the city itself
    period: str
    sex: str = TOTAL
    age_band: str = TOTAL
    disability: str = TOTAL


@dataclass
class DataCube:
    """Data values of one city, and each data element's aggregation rule."""

    aggregations: dict[str, str]
    districts: list[str]
    values: dict[Cell, Fraction] = field(default_factory=dict)

    def add(self, cell: Cell, value: Decimal | Fraction | int) -> None:
        self.values[cell] = Fraction(value)

    def element_value(
        self, reference: Reference, district_code: str | None, period: Period
    ) -> Fraction | None:
        """A data element (with its filters) for a district, or the city when None."""
        if district_code is not None:
            return self._over_time(reference, district_code, period)
        kept = self._over_time(reference, WHOLE_CITY, period)
        if kept is not None:
            return kept
        found = [
            value
            for code in self.districts
            if (value := self._over_time(reference, code, period)) is not None
        ]
        if not found:
            return None
        if self.aggregations[reference.code] == "average":
            return sum(found, Fraction(0)) / len(found)
        return sum(found, Fraction(0))

    def _kept(self, reference: Reference, district_code: str, period: Period) -> Fraction | None:
        filters = dict(reference.filters)
        cell = Cell(
            reference.code,
            district_code,
            str(period),
            *(filters.get(name, TOTAL) for name in _DIMENSIONS),
        )
        return self.values.get(cell)

    def _over_time(
        self, reference: Reference, district_code: str, period: Period
    ) -> Fraction | None:
        found = self._within(reference, district_code, period)
        if found is not None or self.aggregations[reference.code] == "sum":
            return found
        for enclosing in period.ancestors():
            kept = self._kept(reference, district_code, enclosing)
            if kept is not None:
                return kept
        return None

    def _within(self, reference: Reference, district_code: str, period: Period) -> Fraction | None:
        kept = self._kept(reference, district_code, period)
        if kept is not None:
            return kept
        parts = [
            value
            for child in period.children()
            if (value := self._within(reference, district_code, child)) is not None
        ]
        if not parts:
            return None
        rule = self.aggregations[reference.code]
        if rule == "last":
            return parts[-1]
        if rule == "average":
            return sum(parts, Fraction(0)) / len(parts)
        return sum(parts, Fraction(0))


@dataclass(frozen=True)
class Formulas:
    """An indicator's parsed formulas."""

    numerator: Node
    denominator: Node | None
    multiplier: Fraction

    @classmethod
    def parse(cls, numerator: str, denominator: str | None, multiplier: Decimal) -> Formulas:
        return cls(
            parse(numerator),
            parse(denominator) if denominator is not None else None,
            Fraction(multiplier),
        )


@dataclass(frozen=True)
class Computed:
    value: Fraction | None
    numerator: Fraction | None
    denominator: Fraction | None


def compute(
    formulas: Formulas, cube: DataCube, district_code: str | None, period: Period
) -> Computed:
    """numerator / denominator * multiplier (numerator * multiplier without a denominator);
    no value when data is missing or the denominator is zero."""

    def lookup(reference: Reference) -> Fraction | None:
        return cube.element_value(reference, district_code, period)

    numerator = evaluate(formulas.numerator, lookup)
    if formulas.denominator is None:
        value = None if numerator is None else numerator * formulas.multiplier
        return Computed(value, numerator, None)
    denominator = evaluate(formulas.denominator, lookup)
    if numerator is None or denominator is None or denominator == 0:
        return Computed(None, numerator, denominator)
    return Computed(numerator / denominator * formulas.multiplier, numerator, denominator)


def periods_needed(periods: Iterable[Period]) -> set[str]:
    """Every stored period that can contribute to these periods."""
    return {str(each) for period in periods for each in period.descendants() + period.ancestors()}
