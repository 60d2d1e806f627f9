from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.computed.service import load_city_view, parse_period_query
from usm_indicators.gaps.schemas import DataGapRead
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.models import city_directory
from usmkit.periods import Period
from usmkit.problems import FieldError, NotFound, UnprocessableContent

MAX_PERIODS = 120


@dataclass(frozen=True)
class GapFilters:
    indicator_code: str | None
    dimension: str | None
    district_code: str | None


def period_range(start_text: str, end_text: str) -> list[Period]:
    """Every period from start to end (same type, at most MAX_PERIODS), oldest first."""
    start, end = parse_period_query(start_text), parse_period_query(end_text)

    def refused(msg: str) -> UnprocessableContent:
        return UnprocessableContent(
            "The period range is not valid.",
            errors=[FieldError(loc=["query", "end"], msg=msg, type="bad_period_range")],
        )

    if start.type is not end.type:
        raise refused("start and end must be periods of the same type (both months, ...)")
    if end < start:
        raise refused("end comes before start")
    periods = [start]
    while periods[-1] != end:
        if len(periods) == MAX_PERIODS:
            raise refused(f"at most {MAX_PERIODS} periods at once")
        periods.append(periods[-1].shifted(1))
    return periods


async def data_gaps(
    *, session: AsyncSession, city: str, periods: list[Period], filters: GapFilters
) -> list[DataGapRead]:
    """Per active indicator and district (and the city), the periods it has no value in;
    indicators fully covered are left out. Ordered by indicator, then district (city first)."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    if (
        filters.district_code is not None
        and await DistrictRepository(session).get(city, filters.district_code) is None
    ):
        raise NotFound(f"The city has no district {filters.district_code!r}.")
    # Raw values: a withheld small cell is data the city has, not a gap.
    view = await load_city_view(session, city, periods, sees_raw=True)
    areas = [filters.district_code] if filters.district_code else [None, *view.cube.districts]
    gaps = []
    for code, indicator in sorted(view.indicators.items()):
        if filters.indicator_code not in (None, code):
            continue
        if filters.dimension not in (None, indicator.dimension):
            continue
        for district_code in areas:
            missing = [
                str(period)
                for period in periods
                if view.cell(code, district_code, period).value is None
            ]
            if not missing:
                continue
            with_data = len(periods) - len(missing)
            gaps.append(
                DataGapRead(
                    indicator_code=code,
                    dimension=indicator.dimension,
                    district_code=district_code,
                    periods=len(periods),
                    with_data=with_data,
                    coverage=with_data / len(periods),
                    missing_periods=missing,
                )
            )
    return gaps
