from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import Category
from usmkit.pagination import PageParams
from usmkit.problems import BadRequest


class CategoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, category: Category) -> Category:
        self.session.add(category)
        await self.session.flush()
        return category

    async def get(self, city: str, code: str, *, for_update: bool = False) -> Category | None:
        query = select(Category).where(Category.city == city, Category.code == code)
        if for_update:
            query = query.with_for_update()
        return (await self.session.scalars(query)).one_or_none()

    async def get_active(self, city: str, code: str, *, for_share: bool = False) -> Category | None:
        """`for_share` keeps the category as read until the caller's transaction ends."""
        query = select(Category).where(
            Category.city == city, Category.code == code, Category.active.is_(True)
        )
        if for_share:
            query = query.with_for_update(read=True)
        return (await self.session.scalars(query)).one_or_none()

    async def list(
        self, params: PageParams, *, city: str, include_inactive: bool = False
    ) -> Sequence[Category]:
        query = (
            select(Category)
            .where(Category.city == city)
            .order_by(Category.group_name.asc().nulls_last(), Category.code)
            .limit(params.limit + 1)
        )
        if not include_inactive:
            query = query.where(Category.active.is_(True))
        if params.after:
            try:
                group_name, code = params.after
            except ValueError as exc:
                raise BadRequest("The cursor is not valid; start again without one.") from exc
            if group_name is None:
                query = query.where(Category.group_name.is_(None), Category.code > str(code))
            else:
                query = query.where(
                    (tuple_(Category.group_name, Category.code) > (str(group_name), str(code)))
                    | Category.group_name.is_(None)
                )
        return (await self.session.scalars(query)).all()

    async def list_all_active(self, city: str) -> Sequence[Category]:
        query = (
            select(Category)
            .where(Category.city == city, Category.active.is_(True))
            .order_by(Category.group_name.asc().nulls_last(), Category.code)
        )
        return (await self.session.scalars(query)).all()

    async def list_all(self, city: str) -> Sequence[Category]:
        """Active or not: old reports still name their category."""
        query = select(Category).where(Category.city == city)
        return (await self.session.scalars(query)).all()
