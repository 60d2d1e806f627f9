from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.categories.language import localized
from usm_reports.categories.repository import CategoryRepository
from usm_reports.categories.schemas import (
    CategoryCreate,
    CategoryRead,
    CategoryUpdate,
    Language,
)
from usm_reports.models import Category, city_directory
from usmkit.concurrency import check_if_match, etag_for
from usmkit.problems import Conflict, NotFound


async def require_known_city(*, session: AsyncSession, city: str) -> None:
    """Categories exist only for member cities (known from `city.registered`)."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"{city!r} is not a member city.")


def etag_of(category: Category) -> str:
    return etag_for(category.version)


async def create_category(
    *, session: AsyncSession, city: str, category_in: CategoryCreate
) -> Category:
    """Add a category to a member city; its code is unique within the city."""
    await require_known_city(session=session, city=city)
    repository = CategoryRepository(session)
    if await repository.get(city, category_in.code) is not None:
        raise Conflict(f"The city {city!r} already has a category {category_in.code!r}.")
    now = datetime.now(UTC)
    return await repository.add(
        Category(
            city=city,
            code=category_in.code,
            names=category_in.names.model_dump(exclude_none=True),
            descriptions=(
                category_in.descriptions.model_dump(exclude_none=True)
                if category_in.descriptions
                else {}
            ),
            group_name=category_in.group,
            keywords=category_in.keywords,
            dimension=category_in.dimension,
            sensitivity=category_in.sensitivity,
            attributes=[attribute.model_dump() for attribute in category_in.attributes],
            agency_responsible=category_in.agency_responsible,
            active=category_in.active,
            version=1,
            created_at=now,
            updated_at=now,
        )
    )


async def get_category(*, session: AsyncSession, city: str, code: str) -> Category:
    """One category of a member city, active or not."""
    await require_known_city(session=session, city=city)
    category = await CategoryRepository(session).get(city, code)
    if category is None:
        raise NotFound(f"The city {city!r} has no category {code!r}.")
    return category


async def update_category(
    *,
    session: AsyncSession,
    city: str,
    code: str,
    category_in: CategoryUpdate,
    if_match: str | None,
) -> Category:
    """Change the given fields; with `If-Match`, only if nobody changed it meanwhile.

    A new sensitivity applies to reports submitted from then on; earlier reports keep the
    sensitivity they were received with.
    """
    await require_known_city(session=session, city=city)
    category = await CategoryRepository(session).get(city, code, for_update=True)
    if category is None:
        raise NotFound(f"The city {city!r} has no category {code!r}.")
    check_if_match(if_match, etag_of(category), "category")
    changes: dict[str, Any] = category_in.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if field == "names" and category_in.names is not None:
            category.names = category_in.names.model_dump(exclude_none=True)
        elif field == "descriptions":
            category.descriptions = (
                category_in.descriptions.model_dump(exclude_none=True)
                if category_in.descriptions
                else {}
            )
        elif field == "attributes" and category_in.attributes is not None:
            category.attributes = [attribute.model_dump() for attribute in category_in.attributes]
        elif field == "group":
            category.group_name = value
        elif value is not None or field == "agency_responsible":
            setattr(category, field, value)
    category.version += 1
    category.updated_at = datetime.now(UTC)
    await session.flush()
    return category


def category_view(category: Category, *, language: Language) -> CategoryRead:
    """The category as callers see it, in their language."""
    return CategoryRead.model_validate(
        {
            "city": category.city,
            "code": category.code,
            "name": localized(category.names, language),
            "description": localized(category.descriptions, language),
            "names": category.names,
            "descriptions": category.descriptions or None,
            "group": category.group_name,
            "keywords": category.keywords,
            "dimension": category.dimension,
            "sensitivity": category.sensitivity,
            "attributes": sorted(category.attributes, key=lambda attribute: attribute["order"]),
            "agency_responsible": category.agency_responsible,
            "active": category.active,
            "version": category.version,
            "created_at": category.created_at,
            "updated_at": category.updated_at,
        }
    )
