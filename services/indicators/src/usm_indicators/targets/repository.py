import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import IndicatorTarget
from usmkit.pagination import PageParams, cursor_parts

SORT_KEY = (
    IndicatorTarget.indicator_code,
    IndicatorTarget.district_code,
    IndicatorTarget.plan_id,
    IndicatorTarget.action_id,
)


class TargetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest_revision(self, series_id: uuid.UUID) -> int | None:
        return await self.session.scalar(
            select(func.max(IndicatorTarget.revision)).where(IndicatorTarget.series_id == series_id)
        )

    async def replace_plan(
        self,
        *,
        plan_id: uuid.UUID,
        superseded: list[uuid.UUID],
        series_id: uuid.UUID | None,
        rows: list[dict[str, Any]],
    ) -> None:
        """The plan's targets become `rows`; targets of the versions it replaces go."""
        replaced: list[ColumnElement[bool]] = [IndicatorTarget.plan_id.in_([plan_id, *superseded])]
        if series_id is not None:
            replaced.append(IndicatorTarget.series_id == series_id)
        await self.session.execute(delete(IndicatorTarget).where(or_(*replaced)))
        if rows:
            self.session.add_all(IndicatorTarget(**row) for row in rows)
            await self.session.flush()

    async def list(
        self,
        city: str,
        params: PageParams,
        *,
        indicator_code: str | None,
        district_code: str | None,
        plan_id: uuid.UUID | None,
    ) -> Sequence[IndicatorTarget]:
        query = (
            select(IndicatorTarget)
            .where(IndicatorTarget.city == city)
            .order_by(*SORT_KEY)
            .limit(params.limit + 1)
        )
        if params.after:
            after = cursor_parts(params.after, str, str, uuid.UUID, uuid.UUID)
            query = query.where(tuple_(*SORT_KEY) > tuple(after))
        if indicator_code is not None:
            query = query.where(IndicatorTarget.indicator_code == indicator_code)
        if district_code is not None:
            query = query.where(IndicatorTarget.district_code == district_code)
        if plan_id is not None:
            query = query.where(IndicatorTarget.plan_id == plan_id)
        return (await self.session.scalars(query)).all()
