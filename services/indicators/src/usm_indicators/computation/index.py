"""The human-security index: indicators normalised 0-100, averaged per dimension, then overall."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from usm_indicators.computation.engine import DataCube, Formulas, compute
from usmkit.periods import Period
from usmkit.suppression import is_small_cell

DIMENSIONS = (
    "economic",
    "food",
    "health",
    "environmental",
    "personal",
    "community",
    "political",
)

METHOD = (
    "Each active indicator with data is normalised to 0-100 against its goalposts: "
    "100 x (value - min) / (max - min) when higher is better, 100 x (max - value) / "
    "(max - min) when lower is better, clamped to 0-100. A dimension's score is the mean of "
    "its indicators' scores; the overall score is the mean of the dimension scores that have "
    "data. The city's indicators are computed from city totals (summed numerators and "
    "denominators), not from district scores. Coverage is the share of active indicators "
    "with data. Indicators withheld by small-cell suppression count as without data."
)


@dataclass(frozen=True)
class IndexIndicator:
    code: str
    dimension: str
    direction: str
    goalpost_min: Fraction
    goalpost_max: Fraction
    formulas: Formulas
    suppress: bool  # withhold it when its numerator is a small cell


@dataclass(frozen=True)
class DimensionScore:
    dimension: str
    score: Fraction | None
    indicators: int
    with_data: int

    @property
    def coverage(self) -> Fraction:
        return Fraction(self.with_data, self.indicators) if self.indicators else Fraction(0)


@dataclass(frozen=True)
class AreaScore:
    district_code: str | None
    score: Fraction | None
    indicators: int
    with_data: int
    dimensions: list[DimensionScore]

    @property
    def coverage(self) -> Fraction:
        return Fraction(self.with_data, self.indicators) if self.indicators else Fraction(0)


def normalise(value: Fraction, indicator: IndexIndicator) -> Fraction:
    """0 (worst) to 100 (best) against the goalposts and the direction."""
    span = indicator.goalpost_max - indicator.goalpost_min
    if indicator.direction == "higher_is_better":
        score = (value - indicator.goalpost_min) / span * 100
    else:
        score = (indicator.goalpost_max - value) / span * 100
    return min(Fraction(100), max(Fraction(0), score))


def _mean(scores: list[Fraction]) -> Fraction | None:
    return sum(scores, Fraction(0)) / len(scores) if scores else None


def area_index(
    indicators: list[IndexIndicator], cube: DataCube, district_code: str | None, period: Period
) -> AreaScore:
    """The index of one district (or the city, for None) in one period."""
    dimensions = []
    for dimension in DIMENSIONS:
        members = [indicator for indicator in indicators if indicator.dimension == dimension]
        scores = []
        for indicator in members:
            computed = compute(indicator.formulas, cube, district_code, period)
            if computed.value is None:
                continue
            if indicator.suppress and is_small_cell(computed.numerator):
                continue
            scores.append(normalise(computed.value, indicator))
        dimensions.append(DimensionScore(dimension, _mean(scores), len(members), len(scores)))
    return AreaScore(
        district_code=district_code,
        score=_mean([each.score for each in dimensions if each.score is not None]),
        indicators=len(indicators),
        with_data=sum(each.with_data for each in dimensions),
        dimensions=dimensions,
    )
