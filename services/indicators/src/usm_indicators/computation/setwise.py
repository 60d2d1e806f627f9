"""The computation compiled to SQL, so a few statements compute every indicator, area and
period of a city with the index.

The in-memory engine (`engine.py`) and `index.py` stay the reference: this module writes
the same rules as SQL text that `computed/repository.py` runs over the data values.

- Data are kept "wide": one row per area ("" = whole city) and period, one column per data
  element reference (`r0`, `r1`, ...; element and disaggregation filters). Each column is
  rolled up over time by its element's aggregation and over space into the city, then
  every indicator is an expression over the columns of the same row, and the index an
  expression over the indicators: no row per indicator is ever built, which is what makes
  a full recompute of 250 districts x 120 indicators x 85 periods take seconds.
- A formula becomes an SQL expression over the reference columns; NULL plays the part of
  "no data", and a division by zero gives NULL through `NULLIF`.
- Arithmetic is double precision (the API shows doubles anyway): a rate is computed as
  numerator x multiplier / denominator, so with whole counts it is the correctly rounded
  value, as the exact reference gives; otherwise the two agree to ~1e-15 relative.
- Only generated text enters the SQL: column names made here, integer positions and
  number literals written from parsed numbers.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cached_property

from usm_indicators.computation.formula import Negate, Node, Number, Reference, references
from usm_indicators.computation.index import DIMENSIONS, IndexIndicator
from usm_indicators.models.data_value import WHOLE_CITY
from usmkit.periods import Period, PeriodType
from usmkit.suppression import SUPPRESSION_THRESHOLD


def literal(value: Fraction | Decimal) -> str:
    """A number as an SQL double precision literal; one beyond a double's range (the
    parser takes up to 1,000 digits) is infinity, quoted as PostgreSQL reads it."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    return f"'{number!r}'::float8"


def to_sql(node: Node, columns: dict[Reference, str]) -> str:
    """A formula as an SQL expression; `columns` names the column holding each reference."""
    if isinstance(node, Number):
        return literal(node.value)
    if isinstance(node, Reference):
        return columns[node]
    if isinstance(node, Negate):
        return f"(-{to_sql(node.operand, columns)})"
    left, right = to_sql(node.left, columns), to_sql(node.right, columns)
    if node.operator == "/":
        return f"({left} / NULLIF({right}, 0))"
    return f"({left} {node.operator} {right})"


def column(position: int) -> str:
    return f"r{position}"


def _columns(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{position}" for position in range(count)]


@dataclass(frozen=True)
class Computation:
    """A city's active indicators compiled over one shared set of reference columns.

    `aggregations[code]` is each data element's rule (`sum`, `average`, `last`); the
    indicators keep the order given, which is the order of the kept arrays."""

    indicators: list[IndexIndicator]
    aggregations: dict[str, str]

    @cached_property
    def references(self) -> list[Reference]:
        found: set[Reference] = set()
        for indicator in self.indicators:
            found |= references(indicator.formulas.numerator)
            if indicator.formulas.denominator is not None:
                found |= references(indicator.formulas.denominator)
        return sorted(found, key=lambda reference: (reference.code, reference.filters))

    @property
    def signature(self) -> str:
        """A digest of everything the values depend on besides the data."""
        described = repr(
            (
                [
                    (
                        indicator.code,
                        str(indicator.formulas.numerator),
                        str(indicator.formulas.denominator),
                        indicator.formulas.multiplier,
                        indicator.dimension,
                        indicator.direction,
                        indicator.goalpost_min,
                        indicator.goalpost_max,
                        indicator.suppress,
                    )
                    for indicator in self.indicators
                ],
                sorted(self.aggregations.items()),
            )
        )
        return hashlib.sha256(described.encode()).hexdigest()

    def _rule(self, reference: Reference) -> str:
        # An element the catalogue does not know has no values either: any rule will do.
        return self.aggregations.get(reference.code, "sum")

    def pivot(self) -> str:
        """Long (ref, value) rows grouped by area and period into reference columns."""
        return ", ".join(
            f"max(value) FILTER (WHERE ref = {position}) AS {column(position)}"
            for position in range(len(self.references))
        )

    def roll_up(self, source: str) -> str:
        """Children rows of `source` grouped by parent, each column by its rule (`last`:
        the latest child with a value)."""
        parts = []
        for position, reference in enumerate(self.references):
            name = f"{source}.{column(position)}"
            rule = self._rule(reference)
            if rule == "sum":
                parts.append(f"sum({name})")
            elif rule == "average":
                parts.append(f"avg({name})")
            else:
                parts.append(
                    f"(array_agg({name} ORDER BY {source}.period DESC) "
                    f"FILTER (WHERE {name} IS NOT NULL))[1]"
                )
        return ", ".join(f"{part} AS {column(position)}" for position, part in enumerate(parts))

    def first_of(self, *sources: str) -> str:
        """Each column from the first source that has a value for it."""
        return ", ".join(
            f"coalesce({', '.join(f'{source}.{column(position)}' for source in sources)})"
            for position in range(len(self.references))
        )

    def over_time(self, within: str, ancestors: list[str]) -> str:
        """Each column's value within the period, else (stocks and averages only) the
        value kept for the nearest containing period."""
        parts = []
        for position, reference in enumerate(self.references):
            sources = [within] if self._rule(reference) == "sum" else [within, *ancestors]
            names = ", ".join(f"{source}.{column(position)}" for source in sources)
            parts.append(f"coalesce({names}) AS {column(position)}")
        return ", ".join(parts)

    def city(self, whole: str) -> str:
        """Per period, the whole city's value of each column when kept, else its
        districts' summed (averaged for `average`); `whole` is the bound parameter."""
        parts = []
        for position, reference in enumerate(self.references):
            name = column(position)
            combine = "avg" if self._rule(reference) == "average" else "sum"
            parts.append(
                f"coalesce(max({name}) FILTER (WHERE area = {whole}), "
                f"{combine}({name}) FILTER (WHERE area <> {whole})) AS {name}"
            )
        return ", ".join(parts)

    def results(self, source: str) -> str:
        """SELECT over `source` (area, period, reference columns): per row the arrays of
        indicator values, numerators and denominators, the index per dimension and overall
        (all callers, and the public's, without withheld small cells), and how many
        district cells the public sees. Nested with OFFSET 0 so no expression is
        evaluated twice."""
        columns = {reference: column(index) for index, reference in enumerate(self.references)}
        count = len(self.indicators)
        numerators, denominators, values = (
            _columns("n", count),
            _columns("d", count),
            _columns("v", count),
        )
        formulas = []
        for position, indicator in enumerate(self.indicators):
            denominator = indicator.formulas.denominator
            formulas.append(f"{to_sql(indicator.formulas.numerator, columns)} AS n{position}")
            formulas.append(
                f"{'NULL::float8' if denominator is None else to_sql(denominator, columns)}"
                f" AS d{position}"
            )
        computed = []
        for position, indicator in enumerate(self.indicators):
            scaled = f"n{position} * {literal(indicator.formulas.multiplier)}"
            computed.append(
                f"{scaled} AS v{position}"
                if indicator.formulas.denominator is None
                else f"{scaled} / NULLIF(d{position}, 0) AS v{position}"
            )
        scores = []
        for position, indicator in enumerate(self.indicators):
            low, high = literal(indicator.goalpost_min), literal(indicator.goalpost_max)
            gain = (
                f"v{position} - {low}"
                if indicator.direction == "higher_is_better"
                else f"{high} - v{position}"
            )
            # GREATEST and LEAST ignore NULLs: without data there is no score, not 0.
            score = (
                f"CASE WHEN v{position} IS NOT NULL THEN "
                f"LEAST(100, GREATEST(0, ({gain}) * 100 / ({high} - {low}))) END"
            )
            scores.append(f"{score} AS s{position}")
            if indicator.suppress:
                scores.append(f"{_small(f'n{position}')} AS w{position}")
        shown = " + ".join(
            f"(v{position} IS NOT NULL"
            + (f" OR {_small(f'n{position}')}" if indicator.suppress else "")
            + ")::int"
            for position, indicator in enumerate(self.indicators)
        )
        totals = []
        for number, dimension in enumerate(DIMENSIONS):
            members = [
                position
                for position, indicator in enumerate(self.indicators)
                if indicator.dimension == dimension
            ]
            everyone = [f"s{each}" for each in members]
            # The public's score leaves out withheld small cells (`w`).
            public = [
                f"(CASE WHEN w{each} THEN NULL ELSE s{each} END)"
                if self.indicators[each].suppress
                else f"s{each}"
                for each in members
            ]
            totals += [
                f"{_total(everyone)} AS st{number}",
                f"{_present(everyone)} AS sc{number}",
                f"{_total(public)} AS pt{number}",
                f"{_present(public)} AS pc{number}",
            ]
        by_dimension = range(len(DIMENSIONS))
        # A dimension's score is the mean of its scores with data; NULL without any.
        means = [
            f"{kind}t{number} / NULLIF({kind}c{number}, 0) AS {kind}m{number}, {kind}c{number}"
            for kind in ("s", "p")
            for number in by_dimension
        ]
        arrays = (
            f"ARRAY[{', '.join(numerators)}]::float8[] AS numerators, "
            f"ARRAY[{', '.join(denominators)}]::float8[] AS denominators, "
            f"ARRAY[{', '.join(values)}]::float8[] AS indicator_values"
        )
        carried = "area, period, numerators, denominators, indicator_values, public_cells"
        overall = []
        for kind, prefix in (("s", ""), ("p", "public_")):
            dimension_means = [f"{kind}m{number}" for number in by_dimension]
            counts = [f"{kind}c{number}" for number in by_dimension]
            overall += [
                f"ARRAY[{', '.join(dimension_means)}]::float8[] AS {prefix}dimension_scores",
                f"ARRAY[{', '.join(counts)}]::int[] AS {prefix}dimension_with_data",
                f"{_mean(dimension_means)} AS {prefix}score",
                f"{' + '.join(counts)} AS {prefix}with_data",
            ]
        return (
            f"SELECT {carried}, {', '.join(overall)} FROM ("  # noqa: S608 (generated)
            f" SELECT {carried}, {', '.join(means)} FROM ("
            f"  SELECT {carried}, {', '.join(totals)} FROM ("
            f"   SELECT area, period, {arrays}, "
            f"   CASE WHEN area = '{WHOLE_CITY}' THEN 0 ELSE {shown or '0'} END AS public_cells, "
            f"   {', '.join(scores)} FROM ("
            f"    SELECT area, period, {', '.join(numerators + denominators)}, "
            f"    {', '.join(computed)} FROM ("
            f"     SELECT area, period, {', '.join(formulas)} FROM {source} OFFSET 0"
            "    ) formulas OFFSET 0"
            "   ) computed OFFSET 0"
            "  ) scored OFFSET 0"
            " ) totals OFFSET 0"
            ") dimensions"
        )


def _small(numerator: str) -> str:
    """Whether a numerator is a small cell (`usmkit.suppression.is_small_cell`); false,
    never NULL, without data."""
    return f"coalesce({numerator} > 0 AND {numerator} < {SUPPRESSION_THRESHOLD}, false)"


def _present(names: list[str]) -> str:
    """How many of these columns are not NULL (0 for none)."""
    return " + ".join(f"({name} IS NOT NULL)::int" for name in names) or "0"


def _total(names: list[str]) -> str:
    """The sum of the columns that are not NULL (0 for none)."""
    return " + ".join(f"coalesce({name}, 0)" for name in names) or "0::float8"


def _mean(names: list[str]) -> str:
    """The mean of the columns that are not NULL; NULL when none is."""
    return f"(({_total(names)}) / NULLIF({_present(names)}, 0))"


@dataclass(frozen=True)
class PeriodPlan:
    """The periods a computation reads and how they nest, as rows for SQL.

    `periods`: every period whose kept values may count (the targets, everything they are
    made of, everything containing them) with its type and parent; `ancestry`: for each
    target, the periods containing it with their distance (1 = parent), where stocks and
    averages without finer values take theirs."""

    targets: list[str]
    periods: list[tuple[str, str, str | None]]
    ancestry: list[tuple[str, str, int]]


def plan_periods(targets: Iterable[Period]) -> PeriodPlan:
    wanted = sorted(set(targets))
    rows: dict[str, tuple[str, str, str | None]] = {}
    ancestry = []
    for period in wanted:
        for each in period.descendants() + period.ancestors():
            parent = each.parent()
            rows[str(each)] = (str(each), each.type.value, None if parent is None else str(parent))
        ancestry += [
            (str(period), str(ancestor), distance)
            for distance, ancestor in enumerate(period.ancestors(), start=1)
        ]
    return PeriodPlan([str(period) for period in wanted], sorted(rows.values()), ancestry)


# Levels built from their children, finest first: a month from its days, and so on.
ROLL_UPS = (
    (PeriodType.MONTH, PeriodType.DAY),
    (PeriodType.QUARTER, PeriodType.MONTH),
    (PeriodType.YEAR, PeriodType.QUARTER),
)
# Day → month → quarter → year: a period has at most three containing it.
MAX_ANCESTORS = 3
