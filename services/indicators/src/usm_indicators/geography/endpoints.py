from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Response, status

from usm_indicators.geography import service
from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.geography.schemas import (
    DISTRICT_CODE_PATTERN,
    SLUG_PATTERN,
    DistrictRead,
    DistrictUpsert,
)
from usm_indicators.models import city_directory
from usmkit.auth import Principal, PublicDep, require_city, require_scope
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, NotFound
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(
    prefix="/api/v1/indicators/cities/{city}/districts",
    tags=["geography"],
    responses={**PROBLEM_RESPONSES, 404: {"description": "Unknown city"}},
)

CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
DistrictCodePath = Annotated[
    str, Path(pattern=DISTRICT_CODE_PATTERN, description="The city's own code for the district.")
]


@router.get("", response_model=Page[DistrictRead])
async def list_districts(
    city: CityPath, session: SessionDep, principal: PublicDep, page: PageParamsDep
) -> Page[DistrictRead]:
    """List a city's districts with their boundaries and population, ordered by code.

    Public: any caller may read a city's geography.
    """
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    rows = await DistrictRepository(session).list(city, page)
    items, next_cursor = split_page(list(rows), page, lambda district: [district.code])
    return Page[DistrictRead](
        items=[DistrictRead.model_validate(district) for district in items],
        next_cursor=next_cursor,
    )


@router.put(
    "/{code}",
    response_model=DistrictRead,
    responses={201: {"model": DistrictRead, "description": "The district was created."}},
)
async def put_district(
    city: CityPath,
    code: DistrictCodePath,
    district_in: Annotated[DistrictUpsert, Body()],
    response: Response,
    session: SessionDep,
    runtime: RuntimeDep,
    principal: Annotated[Principal, Depends(require_scope("geography:write"))],
) -> DistrictRead:
    """Create or replace one district of a city (`201` when new, `200` when replaced).

    The boundary is a GeoJSON Polygon or MultiPolygon in WGS84 `[lon, lat]`, with closed
    rings of at least four positions, or null. Every change publishes `geography.updated`
    with the city's complete list of districts.
    """
    require_city(principal, city)
    district, created = await service.upsert_district(
        session=session, outbox=runtime.outbox, city=city, code=code, district_in=district_in
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return DistrictRead.model_validate(district)
