from collections.abc import Sequence

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import ReportCount
from usmkit.pagination import PageParams


class ReportCountRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def increment(
        self, *, city: str, district_code: str, category_code: str, period: str
    ) -> None:
        statement = insert(ReportCount).values(
            city=city,
            district_code=district_code,
            category_code=category_code,
            period=period,
            count=1,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[
                    ReportCount.city,
                    ReportCount.district_code,
                    ReportCount.category_code,
                    ReportCount.period,
                ],
                set_={"count": ReportCount.count + 1},
            )
        )

    async def list(
        self, city: str, params: PageParams, *, period: str | None
    ) -> Sequence[ReportCount]:
        sort_key = (ReportCount.period, ReportCount.district_code, ReportCount.category_code)
        query = (
            select(ReportCount)
            .where(ReportCount.city == city)
            .order_by(*sort_key)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(tuple_(*sort_key) > tuple(str(part) for part in params.after))
        if period is not None:
            query = query.where(ReportCount.period == period)
        return (await self.session.scalars(query)).all()
