from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.computation.engine import Computed, DataCube, Formulas, compute, periods_needed
from usm_indicators.computation.formula import references
from usm_indicators.computation.index import METHOD, AreaScore, IndexIndicator, area_index
from usm_indicators.computation.setwise import Computation, plan_periods
from usm_indicators.computed.repository import (
    ComputationRepository,
    StoredValueRepository,
    load_cube,
)
from usm_indicators.computed.schemas import (
    AreaIndexRead,
    DimensionScoreRead,
    HumanSecurityIndexRead,
    IndicatorValueRead,
    Trend,
    TrendPoint,
)
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import ComputedValue, DataElement, Indicator, city_directory
from usm_indicators.models.data_value import WHOLE_CITY
from usmkit.periods import Period, PeriodError, parse_period
from usmkit.problems import FieldError, NotFound, UnprocessableContent
from usmkit.suppression import is_small_cell


def parse_period_query(text: str) -> Period:
    try:
        return parse_period(text)
    except PeriodError as error:
        raise UnprocessableContent(
            "The period is not valid.",
            errors=[FieldError(loc=["query", "period"], msg=str(error), type="bad_period")],
        ) from error


def element_codes(formulas: Formulas) -> set[str]:
    nodes = [formulas.numerator] + ([formulas.denominator] if formulas.denominator else [])
    return {reference.code for node in nodes for reference in references(node)}


def needs_suppression(
    indicator: Indicator, formulas: Formulas, value_types: dict[str, str]
) -> bool:
    """Count-based (its numerator counts people or events) or sensitive indicators are
    published with small-cell suppression."""
    if indicator.sensitivity == "sensitive":
        return True
    counted = {reference.code for reference in references(formulas.numerator)}
    return any(value_types.get(code) == "integer" for code in counted)


async def _elements(session: AsyncSession, codes: set[str]) -> dict[str, DataElement]:
    elements = await CatalogueRepository(session).data_elements(codes)
    return {element.code: element for element in elements}


def _as_float(number: Fraction | None) -> float | None:
    return None if number is None else float(number)


def withheld(computed: Computed, *, suppress: bool) -> bool:
    return suppress and is_small_cell(computed.numerator)


def _trend_point(
    current: Computed, current_withheld: bool, earlier: Computed, period: Period, *, suppress: bool
) -> TrendPoint | None:
    if earlier.value is None:
        return None
    hidden = withheld(earlier, suppress=suppress)
    change = None
    if not hidden and not current_withheld and current.value is not None:
        change = float(current.value - earlier.value)
    return TrendPoint(
        period=str(period),
        value=None if hidden else float(earlier.value),
        change=change,
        suppressed=hidden,
    )


async def indicator_value(
    *,
    session: AsyncSession,
    city: str,
    code: str,
    district_code: str | None,
    period_text: str,
    sees_raw: bool,
) -> IndicatorValueRead:
    """An indicator for a district or the city and a period, with its trend; small cells
    are withheld unless `sees_raw`."""
    period = parse_period_query(period_text)
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    found = await CatalogueRepository(session).get_for_city(city, code)
    if found is None:
        raise NotFound(f"No indicator {code!r} in {city}.")
    indicator = found[0]
    if (
        district_code is not None
        and await DistrictRepository(session).get(city, district_code) is None
    ):
        raise NotFound(f"The city has no district {district_code!r}.")
    formulas = Formulas.parse(indicator.numerator, indicator.denominator, indicator.multiplier)
    previous, year_before = period.previous(), period.year_before()
    cube: DataCube = await load_cube(
        session,
        city,
        element_codes(formulas),
        periods_needed([period, previous, year_before]),
        district_code=district_code,
    )
    suppress = not sees_raw and needs_suppression(
        indicator,
        formulas,
        {
            code: element.value_type
            for code, element in (await _elements(session, element_codes(formulas))).items()
        },
    )
    current = compute(formulas, cube, district_code, period)
    hidden = withheld(current, suppress=suppress)
    return IndicatorValueRead(
        indicator=indicator.code,
        city=city,
        district_code=district_code,
        period=str(period),
        unit=indicator.unit,
        value=None if hidden else _as_float(current.value),
        numerator=None if hidden else _as_float(current.numerator),
        denominator=None if hidden else _as_float(current.denominator),
        suppressed=hidden,
        trend=Trend(
            previous=_trend_point(
                current,
                hidden,
                compute(formulas, cube, district_code, previous),
                previous,
                suppress=suppress,
            ),
            year_before=_trend_point(
                current,
                hidden,
                compute(formulas, cube, district_code, year_before),
                year_before,
                suppress=suppress,
            ),
        ),
    )


def _area_read(area: AreaScore) -> AreaIndexRead:
    return AreaIndexRead(
        district_code=area.district_code,
        score=_as_float(area.score),
        coverage=float(area.coverage),
        indicators=area.indicators,
        with_data=area.with_data,
        dimensions=[
            DimensionScoreRead(
                dimension=each.dimension,
                score=_as_float(each.score),
                coverage=float(each.coverage),
                indicators=each.indicators,
                with_data=each.with_data,
            )
            for each in area.dimensions
        ],
    )


@dataclass(frozen=True)
class PublicCell:
    value: Fraction | None  # None without data or when withheld
    suppressed: bool


@dataclass
class CityView:
    """A city's active indicators over loaded data values, as one kind of caller sees them."""

    city: str
    indicators: dict[str, Indicator]
    index_indicators: list[IndexIndicator]
    cube: DataCube

    def __post_init__(self) -> None:
        self._by_code = {indicator.code: indicator for indicator in self.index_indicators}

    def cell(self, code: str, district_code: str | None, period: Period) -> PublicCell:
        """An indicator's value for a district (the city for None); withheld small cells
        have no value."""
        indicator = self._by_code[code]
        computed = compute(indicator.formulas, self.cube, district_code, period)
        hidden = withheld(computed, suppress=indicator.suppress)
        return PublicCell(None if hidden else computed.value, hidden)

    def area(self, district_code: str | None, period: Period) -> AreaScore:
        return area_index(self.index_indicators, self.cube, district_code, period)


@dataclass
class StoredView:
    """What the set-wise computation kept, as the public sees it: `load` the periods
    wanted, then read cells one by one."""

    city: str
    indicators: dict[str, Indicator]
    districts: list[str]
    withheld_when_small: set[str]
    repository: StoredValueRepository
    _positions: dict[str, int] = field(default_factory=dict)
    _rows: dict[tuple[str, str], ComputedValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._positions = {code: position for position, code in enumerate(self.indicators)}

    def public(self, code: str, value: float | None, numerator: float | None) -> PublicCell:
        """A kept cell with small-cell suppression applied."""
        hidden = code in self.withheld_when_small and is_small_cell(
            None if numerator is None else Fraction(numerator)
        )
        return PublicCell(None if hidden or value is None else Fraction(value), hidden)

    async def load(self, periods: Iterable[Period], *, district_code: str | None = None) -> None:
        """Read the kept rows of these periods (every area's, or one: "" = the city)."""
        rows = await self.repository.rows(
            self.city, {str(each) for each in periods}, district_code=district_code
        )
        for row in rows:
            self._rows[row.district_code, row.period] = row

    def kept(self, district_code: str | None, period: Period) -> ComputedValue | None:
        """The loaded row of an area (None: the whole city) and period, if any was kept."""
        return self._rows.get((district_code or WHOLE_CITY, str(period)))

    def cell(self, code: str, district_code: str | None, period: Period) -> PublicCell:
        """A loaded cell; a cell not kept has no data."""
        row = self.kept(district_code, period)
        if row is None:
            return PublicCell(None, False)
        position = self._positions[code]
        return self.public(code, row.indicator_values[position], row.numerators[position])


async def _active_indicators(
    session: AsyncSession, city: str, *, sees_raw: bool
) -> tuple[dict[str, Indicator], list[IndexIndicator], dict[str, str]]:
    """The city's active indicators, each parsed with what the index needs of it, and the
    aggregation rule of every data element they use."""
    active = [
        row[0] for row in await CatalogueRepository(session).list_for_city(city, None, active=True)
    ]
    parsed = {
        indicator.code: Formulas.parse(
            indicator.numerator, indicator.denominator, indicator.multiplier
        )
        for indicator in active
    }
    codes = {code for formulas in parsed.values() for code in element_codes(formulas)}
    elements = await _elements(session, codes)
    value_types = {code: element.value_type for code, element in elements.items()}
    index_indicators = [
        IndexIndicator(
            code=indicator.code,
            dimension=indicator.dimension,
            direction=indicator.direction,
            goalpost_min=Fraction(indicator.goalpost_min),
            goalpost_max=Fraction(indicator.goalpost_max),
            formulas=parsed[indicator.code],
            suppress=not sees_raw
            and needs_suppression(indicator, parsed[indicator.code], value_types),
        )
        for indicator in active
    ]
    return (
        {indicator.code: indicator for indicator in active},
        index_indicators,
        {code: element.aggregation for code, element in elements.items()},
    )


async def load_city_view(
    session: AsyncSession, city: str, periods: Iterable[Period], *, sees_raw: bool
) -> CityView:
    """The city's active indicators and every data value they need in these periods."""
    indicators, index_indicators, _ = await _active_indicators(session, city, sees_raw=sees_raw)
    codes = {code for indicator in index_indicators for code in element_codes(indicator.formulas)}
    return CityView(
        city=city,
        indicators=indicators,
        index_indicators=index_indicators,
        cube=await load_cube(session, city, codes, periods_needed(periods)),
    )


@dataclass(frozen=True)
class CityComputation:
    """A city's active indicators (by code, in the order of the kept arrays) compiled for
    the set-wise computation, with suppression as the public sees it."""

    indicators: dict[str, Indicator]
    computation: Computation


async def city_computation(*, session: AsyncSession, city: str) -> CityComputation:
    """The city's active indicators, ready to compute set-wise."""
    indicators, index_indicators, aggregations = await _active_indicators(
        session, city, sees_raw=False
    )
    ordered = sorted(index_indicators, key=lambda indicator: indicator.code)
    return CityComputation(
        indicators={indicator.code: indicators[indicator.code] for indicator in ordered},
        computation=Computation(indicators=ordered, aggregations=aggregations),
    )


async def kept_signature(*, session: AsyncSession, city: str) -> str | None:
    """What the city's kept values were computed with (`Computation.signature`)."""
    return await ComputationRepository(session).signature(city)


async def store_computed(
    *,
    session: AsyncSession,
    city: str,
    prepared: CityComputation,
    periods: Iterable[Period],
    whole: bool,
) -> StoredView:
    """Compute every active indicator of the city for every district, the city and these
    periods, set-wise in the database, with the index, and keep them (replacing what was
    kept for these periods, or for every period when `whole`). Returns the public view of
    what is kept; `load` it before reading."""
    await ComputationRepository(session).replace(
        city=city, plan=plan_periods(periods), computation=prepared.computation, whole=whole
    )
    return StoredView(
        city=city,
        indicators=prepared.indicators,
        districts=list(await DistrictRepository(session).codes_in_city(city)),
        withheld_when_small={
            indicator.code for indicator in prepared.computation.indicators if indicator.suppress
        },
        repository=StoredValueRepository(session),
    )


async def human_security_index(
    *, session: AsyncSession, city: str, period_text: str, sees_raw: bool
) -> HumanSecurityIndexRead:
    """The index of the city and of each district over the city's active indicators."""
    period = parse_period_query(period_text)
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    view = await load_city_view(session, city, [period], sees_raw=sees_raw)
    return HumanSecurityIndexRead(
        city=city,
        period=str(period),
        method=METHOD,
        city_index=_area_read(view.area(None, period)),
        districts=[
            _area_read(view.area(district_code, period)) for district_code in view.cube.districts
        ],
    )
