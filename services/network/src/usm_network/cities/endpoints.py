from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from usm_network.cities import service
from usm_network.cities.repository import CityRepository, PartnershipRepository
from usm_network.cities.schemas import (
    SLUG_PATTERN,
    CityCreate,
    CityRead,
    CityRole,
    CityUpdate,
    PartnershipCreate,
    PartnershipKind,
    PartnershipRead,
)
from usmkit.auth import Principal, PublicDep, require_scope
from usmkit.concurrency import etag_for, etag_header
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import (
    CONFLICT,
    IF_MATCH_MISSING,
    NOT_FOUND,
    PROBLEM_RESPONSES,
    STALE,
    problem_responses,
)
from usmkit.runtime import RuntimeDep, SessionDep

router = APIRouter(prefix="/api/v1/network/cities", tags=["cities"], responses=PROBLEM_RESPONSES)
partnerships_router = APIRouter(
    prefix="/api/v1/network/partnerships", tags=["partnerships"], responses=PROBLEM_RESPONSES
)
ETAG = etag_header("city")


@router.get("", response_model=Page[CityRead])
async def list_cities(
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    role: Annotated[CityRole | None, Query(description="Only cities with this role.")] = None,
    country_code: Annotated[str | None, Query(pattern=r"^[A-Z]{2}$")] = None,
) -> Page[CityRead]:
    """List member cities, ordered by slug: this deployment's own and those synced from peers
    (`origin_node` set). Contacts appear only for callers with `network:write` in the city."""
    rows = await CityRepository(session).list(page, role=role, country_code=country_code)
    items, next_cursor = split_page(list(rows), page, lambda city: [city.slug])
    return Page[CityRead](
        items=[service.to_read(city, principal) for city in items], next_cursor=next_cursor
    )


@router.get(
    "/{slug}",
    response_model=CityRead,
    responses={200: {"headers": ETAG}, **problem_responses(NOT_FOUND)},
)
async def get_city(
    slug: str, session: SessionDep, principal: PublicDep, response: Response
) -> CityRead:
    """One member city, with its `ETag` (send it as `If-Match` to change the city)."""
    city = await service.get_city(session=session, slug=slug)
    response.headers["ETag"] = etag_for(city.version)
    return service.to_read(city, principal)


@router.post(
    "",
    response_model=CityRead,
    status_code=status.HTTP_201_CREATED,
    responses={201: {"headers": ETAG}, **problem_responses(CONFLICT)},
)
async def register_city(
    city_in: CityCreate,
    session: SessionDep,
    runtime: RuntimeDep,
    idempotency: IdempotencyDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("network:admin"))],
) -> CityRead:
    """Register a member city; every service learns of it from `city.registered`."""

    async def write() -> CityRead:
        city = await service.register_city(session=session, outbox=runtime.outbox, city_in=city_in)
        return service.to_read(city, principal)

    created = await idempotency.run(session, CityRead, write)
    response.headers["ETag"] = etag_for(created.version)
    response.headers["Location"] = f"{router.prefix}/{created.slug}"
    return created


@router.patch(
    "/{slug}",
    response_model=CityRead,
    responses={
        200: {"headers": ETAG},
        **problem_responses(NOT_FOUND, CONFLICT, STALE, IF_MATCH_MISSING),
    },
)
async def update_city(
    slug: str,
    city_in: CityUpdate,
    session: SessionDep,
    runtime: RuntimeDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
    if_match: Annotated[
        str | None, Header(max_length=200, description='The city\'s current ETag, e.g. `"1"`.')
    ] = None,
) -> CityRead:
    """Change a member city (`city.updated`; contacts never leave in events).

    Needs `network:write` in the city, and `network:admin` to change role or membership
    dates. Send `If-Match` with the current ETag: without it 428, with a stale one 412.
    Cities synced from another node are edited there (409 here).
    """
    city = await service.update_city(
        session=session,
        outbox=runtime.outbox,
        principal=principal,
        slug=slug,
        city_in=city_in,
        if_match=if_match,
    )
    response.headers["ETag"] = etag_for(city.version)
    return service.to_read(city, principal)


@partnerships_router.get("", response_model=Page[PartnershipRead])
async def list_partnerships(
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    city: Annotated[
        str | None, Query(max_length=100, pattern=SLUG_PATTERN, description="Involving this city.")
    ] = None,
    kind: Annotated[PartnershipKind | None, Query(description="Only this kind.")] = None,
) -> Page[PartnershipRead]:
    """Partnerships and twinnings between member cities, oldest first."""
    rows = await PartnershipRepository(session).list(page, city=city, kind=kind)
    items, next_cursor = split_page(
        list(rows), page, lambda link: [link.since.isoformat(), str(link.id)]
    )
    return Page[PartnershipRead](
        items=[PartnershipRead.model_validate(link) for link in items], next_cursor=next_cursor
    )


@partnerships_router.post(
    "",
    response_model=PartnershipRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(CONFLICT),
)
async def create_partnership(
    partnership_in: PartnershipCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    principal: Annotated[Principal, Depends(require_scope("network:write"))],
) -> PartnershipRead:
    """Record a partnership or twinning between two member cities.

    Needs `network:write` in one of the two cities; the pair and kind are unique (409).
    """

    async def write() -> PartnershipRead:
        link = await service.create_partnership(
            session=session, principal=principal, partnership_in=partnership_in
        )
        return PartnershipRead.model_validate(link)

    return await idempotency.run(session, PartnershipRead, write)
