from typing import Annotated

from fastapi import APIRouter, Path, Query

from usm_indicators.catalogue.schemas import INDICATOR_CODE_PATTERN
from usm_indicators.computed import service
from usm_indicators.computed.schemas import HumanSecurityIndexRead, IndicatorValueRead
from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN, SLUG_PATTERN
from usm_indicators.values.schemas import PERIOD_DESCRIPTION
from usmkit.auth import PublicDep
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}",
    tags=["computed"],
    responses={**PROBLEM_RESPONSES, 404: {"description": "Unknown city, indicator or district"}},
)

CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
PeriodQuery = Annotated[str, Query(max_length=20, description=PERIOD_DESCRIPTION)]


@router.get("/indicators/{code}/values", response_model=IndicatorValueRead)
async def get_indicator_value(
    city: CityPath,
    code: Annotated[str, Path(pattern=INDICATOR_CODE_PATTERN, description="Indicator code.")],
    period: PeriodQuery,
    session: SessionDep,
    principal: PublicDep,
    district: Annotated[
        str | None,
        Query(pattern=DISTRICT_CODE_PATTERN, description="A district; the whole city if absent."),
    ] = None,
) -> IndicatorValueRead:
    """An indicator computed for a district, or the whole city, and a period. Public.

    Values kept for finer periods roll up (month → quarter → year) by each data element's
    aggregation rule; the city's value divides the city's total numerator by its total
    denominator (never an average of district rates). `trend` compares with the previous
    period and the same period a year before, when they have data. For callers without
    `indicators:read` in the city, count-based and sensitive indicators whose numerator is
    between 1 and 4 are suppressed.
    """
    return await service.indicator_value(
        session=session,
        city=city,
        code=code,
        district_code=district,
        period_text=period,
        sees_raw=principal.has_scope("indicators:read") and principal.acts_in(city),
    )


@router.get("/index", response_model=HumanSecurityIndexRead)
async def get_human_security_index(
    city: CityPath, period: PeriodQuery, session: SessionDep, principal: PublicDep
) -> HumanSecurityIndexRead:
    """The human-security index of the city and each district for a period. Public.

    Every active indicator is normalised 0-100 against its goalposts and direction,
    averaged per dimension, then the dimensions are averaged; `coverage` beside every score
    is the share of active indicators with data, and `method` states the computation. For
    callers without `indicators:read` in the city, indicators withheld by small-cell
    suppression count as without data.
    """
    return await service.human_security_index(
        session=session,
        city=city,
        period_text=period,
        sees_raw=principal.has_scope("indicators:read") and principal.acts_in(city),
    )
