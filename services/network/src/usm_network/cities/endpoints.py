from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from usm_network.cities import service
from usm_network.cities.repository import CityRepository
from usm_network.cities.schemas import CityCreate, CityRead, CityRole
from usmkit.auth import Principal, PrincipalDep, require_scope
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES, NotFound
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/network/cities", tags=["cities"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=Page[CityRead])
async def list_cities(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageParamsDep,
    role: Annotated[CityRole | None, Query(description="Only cities with this role.")] = None,
    country_code: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
) -> Page[CityRead]:
    """List member cities of this deployment, ordered by slug."""
    rows = await CityRepository(session).list(page, role=role, country_code=country_code)
    items, next_cursor = split_page(list(rows), page, lambda city: [city.slug])
    return Page[CityRead](
        items=[CityRead.model_validate(city) for city in items], next_cursor=next_cursor
    )


@router.get("/{slug}", response_model=CityRead)
async def get_city(slug: str, session: SessionDep, principal: PrincipalDep) -> CityRead:
    """One member city."""
    city = await CityRepository(session).get(slug)
    if city is None:
        raise NotFound(f"No city {slug!r}.")
    return CityRead.model_validate(city)


@router.post("", response_model=CityRead, status_code=status.HTTP_201_CREATED)
async def register_city(
    city_in: CityCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("network:admin"))],
) -> CityRead:
    """Register a member city; every service learns of it from `city.registered`."""

    async def write() -> CityRead:
        city = await service.register_city(session=session, outbox=runtime.outbox, city_in=city_in)
        return CityRead.model_validate(city)

    return await idempotency.run(session, CityRead, write)
