from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from usm_indicators.geography.schemas import SLUG_PATTERN
from usm_indicators.report_counts import service
from usm_indicators.report_counts.repository import ReportCountRepository
from usm_indicators.report_counts.schemas import ReportCountRead
from usmkit.auth import Principal, require_city, require_scope
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}/report-counts",
    tags=["report-counts"],
    responses=PROBLEM_RESPONSES,
)


@router.get("", response_model=Page[ReportCountRead])
async def list_report_counts(
    city: Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")],
    session: SessionDep,
    page: PageParamsDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:read"))],
    period: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="Only this month (`YYYY-MM`)."),
    ] = None,
) -> Page[ReportCountRead]:
    """Citizen reports received per district, category and month, ordered by month.

    Counts from 1 to 4 are suppressed (`count` null, `suppressed` true) so that small
    groups of reporters cannot be singled out. Reports outside every district have a
    null `district_code`.
    """
    require_city(principal, city)
    rows = await ReportCountRepository(session).list(city, page, period=period)
    items, next_cursor = split_page(
        list(rows), page, lambda row: [row.period, row.district_code, row.category_code]
    )
    return Page[ReportCountRead](
        items=[service.to_published(row) for row in items], next_cursor=next_cursor
    )
