from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from usm_indicators.catalogue.schemas import INDICATOR_CODE_PATTERN, Dimension
from usm_indicators.gaps import service
from usm_indicators.gaps.schemas import DataGapRead
from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN, SLUG_PATTERN
from usm_indicators.values.schemas import PERIOD_DESCRIPTION
from usmkit.auth import Principal, require_city, require_scope
from usmkit.pagination import Page, PageParamsDep, cursor_parts, split_page
from usmkit.problems import PROBLEM_RESPONSES, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}",
    tags=["gaps"],
    responses={**PROBLEM_RESPONSES, **problem_responses((404, "Unknown city or district"))},
)


def _key(gap: DataGapRead) -> list[str]:
    return [gap.indicator_code, gap.district_code or ""]


@router.get("/gaps", response_model=Page[DataGapRead])
async def list_data_gaps(
    city: Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")],
    start: Annotated[str, Query(max_length=20, description="First period. " + PERIOD_DESCRIPTION)],
    end: Annotated[str, Query(max_length=20, description="Last period, of the same type.")],
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:read"))],
    indicator: Annotated[
        str | None, Query(pattern=INDICATOR_CODE_PATTERN, description="Only this indicator.")
    ] = None,
    dimension: Annotated[Dimension | None, Query(description="Only this dimension.")] = None,
    district: Annotated[
        str | None,
        Query(pattern=DISTRICT_CODE_PATTERN, description="Only this district (not the city)."),
    ] = None,
) -> Page[DataGapRead]:
    """What the city does not measure: for each active indicator and district (and the
    whole city, `district_code` null), the periods from `start` to `end` (at most 120) in
    which it cannot be computed. Fully covered pairs are left out; ordered by indicator,
    then district. Needs `indicators:read` in the city.
    """
    require_city(principal, city)
    gaps = await service.data_gaps(
        session=session,
        city=city,
        periods=service.period_range(start, end),
        filters=service.GapFilters(
            indicator_code=indicator, dimension=dimension, district_code=district
        ),
    )
    if page.after:
        after = cursor_parts(page.after, str, str)
        gaps = [gap for gap in gaps if _key(gap) > after]
    items, next_cursor = split_page(gaps[: page.limit + 1], page, _key)
    return Page[DataGapRead](items=items, next_cursor=next_cursor)
