from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.computed.service import load_city_view, parse_period_query
from usm_indicators.models import city_directory
from usm_indicators.recompute.service import with_enclosing
from usm_indicators.sdmx.messages import (
    AGENCY,
    DIMENSIONS,
    FLOW_ID,
    TOTAL_AREA,
    VERSION,
    Observation,
)
from usm_indicators.sdmx.repository import city_slugs
from usm_indicators.values.repository import DataValueRepository
from usmkit.auth import Principal
from usmkit.periods import Period, PeriodType
from usmkit.problems import FieldError, NotFound, UnprocessableContent

FREQUENCIES = {
    PeriodType.YEAR: "A",
    PeriodType.QUARTER: "Q",
    PeriodType.MONTH: "M",
    PeriodType.WEEK: "W",
    PeriodType.DAY: "D",
}
_FLOW_REFS = {
    f"{AGENCY},{FLOW_ID},{VERSION}",
    f"{AGENCY},{FLOW_ID},latest",
    f"{AGENCY},{FLOW_ID}",
    FLOW_ID,
}


@dataclass(frozen=True)
class DataQuery:
    """A parsed key: per dimension the values wanted (empty: any)."""

    wanted: tuple[frozenset[str], ...]
    start: Period | None
    end: Period | None

    def allows(self, position: int, *values: str) -> bool:
        chosen = self.wanted[position]
        return not chosen or any(value in chosen for value in values)


def parse_query(flow_ref: str, key: str, start_text: str | None, end_text: str | None) -> DataQuery:
    if flow_ref not in _FLOW_REFS:
        raise NotFound(f"No dataflow {flow_ref!r}; this service has {AGENCY},{FLOW_ID},{VERSION}.")
    if key == "all":
        parts = [""] * len(DIMENSIONS)
    else:
        parts = key.split(".")
        if len(parts) != len(DIMENSIONS):
            raise UnprocessableContent(
                "The key does not fit the data structure.",
                errors=[
                    FieldError(
                        loc=["path", "key"],
                        msg=f"{len(DIMENSIONS)} dot-separated parts ({'.'.join(DIMENSIONS)}) "
                        "or `all`",
                        type="bad_key",
                    )
                ],
            )
    return DataQuery(
        wanted=tuple(frozenset(filter(None, part.split("+"))) for part in parts),
        start=parse_period_query(start_text) if start_text else None,
        end=parse_period_query(end_text) if end_text else None,
    )


async def observations(
    *,
    session: AsyncSession,
    query: DataQuery,
    principal: Principal,
) -> list[Observation]:
    """The computed indicator values the key selects, for every period with data (and the
    quarters and years containing them) within startPeriod..endPeriod. Small cells are
    withheld from callers without `indicators:read` in the city."""
    cities = sorted(query.wanted[0]) if query.wanted[0] else await city_slugs(session)
    found: list[Observation] = []
    for city in cities:
        if not await city_directory.exists(session, city):
            continue
        periods = [
            period
            for period in with_enclosing(await DataValueRepository(session).periods_in_city(city))
            if query.allows(3, FREQUENCIES[period.type])
            and (query.start is None or period.start >= query.start.start)
            and (query.end is None or period.end <= query.end.end)
        ]
        if not periods:
            continue
        sees_raw = principal.has_scope("indicators:read") and principal.acts_in(city)
        view = await load_city_view(session, city, periods, sees_raw=sees_raw)
        areas = [None, *view.cube.districts]
        for code, indicator in sorted(view.indicators.items()):
            series = indicator.sdmx_series or code
            if not query.allows(2, series, code):
                continue
            for district_code in areas:
                area = district_code or TOTAL_AREA
                if not query.allows(1, area):
                    continue
                for period in periods:
                    cell = view.cell(code, district_code, period)
                    if cell.value is None and not cell.suppressed:
                        continue
                    found.append(
                        Observation(
                            key=(city, area, series, FREQUENCIES[period.type]),
                            indicator_name=indicator.name_en,
                            unit=indicator.unit,
                            period=str(period),
                            value=None if cell.value is None else float(cell.value),
                        )
                    )
    return found
