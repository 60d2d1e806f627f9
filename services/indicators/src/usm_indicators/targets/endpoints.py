import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from usm_indicators.geography.schemas import DISTRICT_CODE_PATTERN, SLUG_PATTERN
from usm_indicators.models import city_directory
from usm_indicators.models.data_value import WHOLE_CITY
from usm_indicators.targets import service
from usm_indicators.targets.repository import TargetRepository
from usm_indicators.targets.schemas import TargetRead
from usmkit.auth import PublicDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, NotFound, problem_responses
from usmkit.runtime import SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}",
    tags=["targets"],
    responses={**PROBLEM_RESPONSES, **problem_responses((404, "Unknown city"))},
)


@router.get("/targets", response_model=Page[TargetRead])
async def list_targets(
    city: Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")],
    session: SessionDep,
    page: PageParamsDep,
    principal: PublicDep,
    indicator: Annotated[
        str | None, Query(max_length=100, description="Only this indicator.")
    ] = None,
    district: Annotated[
        str | None, Query(pattern=DISTRICT_CODE_PATTERN, description="Only this district.")
    ] = None,
    whole_city: Annotated[bool, Query(description="Only targets for the whole city.")] = False,
    plan_id: Annotated[uuid.UUID | None, Query(description="Only this plan's targets.")] = None,
) -> Page[TargetRead]:
    """Targets the city's active Human Security Plans set for indicators, with progress.
    Public.

    Each has the plan's baseline and target, the indicator's latest public value (small
    cells withheld, as everywhere public) and `progress`: percent of the way from baseline
    to target. Targets come from `plan.published`; a new version of a plan replaces its
    predecessor's targets.
    """
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    rows = await TargetRepository(session).list(
        city,
        page,
        indicator_code=indicator,
        district_code=WHOLE_CITY if whole_city else district,
        plan_id=plan_id,
    )
    items, next_cursor = split_page(
        list(rows),
        page,
        lambda row: [row.indicator_code, row.district_code, str(row.plan_id), str(row.action_id)],
    )
    return Page[TargetRead](
        items=await service.with_progress(session=session, city=city, targets=items),
        next_cursor=next_cursor,
    )
