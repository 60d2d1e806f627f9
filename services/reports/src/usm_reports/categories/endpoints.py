from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Response, status

from usm_reports.categories import service
from usm_reports.categories.dependencies import LanguageDep
from usm_reports.categories.repository import CategoryRepository
from usm_reports.categories.schemas import (
    SLUG_PATTERN,
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
)
from usmkit.auth import Principal, PublicDep, require_city, require_scope
from usmkit.idempotency import IdempotencyDep
from usmkit.pagination import Page, PageParamsDep, split_page
from usmkit.problems import PROBLEM_RESPONSES
from usmkit.runtime import SessionDep

ADMIN_SCOPE = "reports:admin"

router = APIRouter(
    prefix="/api/v1/reports/cities/{city}/categories",
    tags=["report-categories"],
    responses=PROBLEM_RESPONSES,
)
CityPath = Annotated[str, Path(max_length=100, pattern=SLUG_PATTERN, description="City slug.")]
CodePath = Annotated[str, Path(max_length=50, pattern=SLUG_PATTERN, description="Category code.")]


@router.post("", response_model=CategoryRead, status_code=status.HTTP_201_CREATED)
async def create_category(
    city: CityPath,
    category_in: CategoryCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
    language: LanguageDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))],
) -> CategoryRead:
    """Add a report category (an Open311 service) to one of the caller's cities.

    Names and descriptions are given per language (English required); attributes are
    Open311 attribute definitions that intake checks every report against.
    """
    require_city(principal, city)

    async def write() -> CategoryRead:
        category = await service.create_category(
            session=session, city=city, category_in=category_in
        )
        return service.category_view(category, language=language)

    created = await idempotency.run(session, CategoryRead, write)
    response.headers["ETag"] = f'"{created.version}"'
    return created


@router.get("", response_model=Page[CategoryRead])
async def list_categories(
    city: CityPath,
    session: SessionDep,
    principal: PublicDep,
    page: PageParamsDep,
    language: LanguageDep,
    include_inactive: Annotated[
        bool, Query(description="Also inactive ones; needs `reports:admin` in the city.")
    ] = False,
) -> Page[CategoryRead]:
    """A city's report categories, by group then code; public (active ones only)."""
    if include_inactive:
        await require_scope(ADMIN_SCOPE)(principal)
        require_city(principal, city)
    await service.require_known_city(session=session, city=city)
    rows = await CategoryRepository(session).list(
        page, city=city, include_inactive=include_inactive
    )
    items, next_cursor = split_page(
        list(rows), page, lambda category: [category.group_name, category.code]
    )
    return Page[CategoryRead](
        items=[service.category_view(category, language=language) for category in items],
        next_cursor=next_cursor,
    )


@router.get("/{code}", response_model=CategoryRead)
async def get_category(
    city: CityPath,
    code: CodePath,
    session: SessionDep,
    principal: PublicDep,
    language: LanguageDep,
    response: Response,
) -> CategoryRead:
    """One category of a city; public. The `ETag` is what `If-Match` takes on update."""
    category = await service.get_category(session=session, city=city, code=code)
    response.headers["ETag"] = service.etag_of(category)
    return service.category_view(category, language=language)


@router.patch("/{code}", response_model=CategoryRead)
async def update_category(
    city: CityPath,
    code: CodePath,
    category_in: CategoryUpdate,
    session: SessionDep,
    language: LanguageDep,
    response: Response,
    principal: Annotated[Principal, Depends(require_scope(ADMIN_SCOPE))],
    if_match: Annotated[
        str | None, Header(max_length=200, description="The `ETag` you read; 412 if stale.")
    ] = None,
) -> CategoryRead:
    """Change a category (deactivate it with `{"active": false}`: it then takes no new
    reports); only the fields given change."""
    require_city(principal, city)
    category = await service.update_category(
        session=session, city=city, code=code, category_in=category_in, if_match=if_match
    )
    response.headers["ETag"] = service.etag_of(category)
    return service.category_view(category, language=language)
