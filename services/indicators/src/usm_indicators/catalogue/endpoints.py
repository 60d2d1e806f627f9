from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response, status

from usm_indicators.catalogue import service
from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.catalogue.schemas import (
    INDICATOR_CODE_PATTERN,
    CityIndicatorUpdate,
    DataElementRead,
    Dimension,
    IndicatorRead,
)
from usm_indicators.geography.schemas import SLUG_PATTERN
from usmkit.auth import Principal, PublicDep, require_city, require_scope
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import SessionDep

router = APIRouter(prefix="/api/v1/indicators", tags=["catalogue"], responses=PROBLEM_RESPONSES)

CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
CodePath = Annotated[
    str, Path(pattern=INDICATOR_CODE_PATTERN, description="Indicator code, e.g. `SDG_16_1_1`.")
]
DimensionQuery = Annotated[Dimension | None, Query(description="Only this dimension.")]
ActiveQuery = Annotated[bool | None, Query(description="Only active (or inactive) ones.")]


@router.get("/catalogue/data-elements", response_model=Page[DataElementRead])
async def list_data_elements(
    principal: PublicDep, session: SessionDep, page: PageParamsDep
) -> Page[DataElementRead]:
    """The data elements indicator formulas are built from, ordered by code. Public."""
    rows = await CatalogueRepository(session).list_data_elements(page)
    items, next_cursor = split_page(list(rows), page, lambda element: [element.code])
    return Page[DataElementRead](
        items=[DataElementRead.model_validate(element) for element in items],
        next_cursor=next_cursor,
    )


@router.get("/catalogue/indicators", response_model=Page[IndicatorRead])
async def list_catalogue_indicators(
    principal: PublicDep,
    session: SessionDep,
    page: PageParamsDep,
    dimension: DimensionQuery = None,
    active: ActiveQuery = None,
) -> Page[IndicatorRead]:
    """The platform's indicator catalogue (SDG, ISO 37120 and USM indicators), by code. Public.

    Each indicator has its human-security dimension, formulas over data elements
    (`#{HOMICIDES} / #{POPULATION}` times the multiplier), the goalposts the index
    normalises it against, and its standard and SDMX series codes where one exists.
    """
    rows = await CatalogueRepository(session).list_platform(
        page, dimension=dimension, active=active
    )
    items, next_cursor = split_page(list(rows), page, lambda indicator: [indicator.code])
    return Page[IndicatorRead](
        items=[service.to_read(indicator) for indicator in items], next_cursor=next_cursor
    )


@router.get("/cities/{city}/indicators", response_model=Page[IndicatorRead])
async def list_city_indicators(
    principal: PublicDep,
    city: CityPath,
    session: SessionDep,
    page: PageParamsDep,
    dimension: DimensionQuery = None,
    active: ActiveQuery = None,
) -> Page[IndicatorRead]:
    """The indicators a city uses: the platform's, with the city's activation, and its own
    local ones (`origin: city`), ordered by code. Public."""
    rows = await service.list_city_indicators(
        session=session, city=city, page=page, dimension=dimension, active=active
    )
    items, next_cursor = split_page(list(rows), page, lambda row: [row[0].code])
    return Page[IndicatorRead](
        items=[service.to_read(indicator, is_active=active_) for indicator, active_ in items],
        next_cursor=next_cursor,
    )


@router.put(
    "/cities/{city}/indicators/{code}",
    response_model=IndicatorRead,
    responses={201: {"model": IndicatorRead, "description": "A local indicator was created."}},
)
async def put_city_indicator(
    city: CityPath,
    code: CodePath,
    update: Annotated[CityIndicatorUpdate, Body()],
    response: Response,
    session: SessionDep,
    principal: Annotated[Principal, Depends(require_scope("indicators:admin"))],
) -> IndicatorRead:
    """Activate or deactivate an indicator for a city, or define a city-local indicator.

    For a platform indicator send only `is_active`. For a code not in the platform
    catalogue, `local` creates (`201`) or replaces the city's own indicator; its formulas
    must parse and name known data elements and allowed disaggregations.
    """
    require_city(principal, city)
    indicator, created = await service.update_city_indicator(
        session=session, city=city, code=code, update=update
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return indicator
