from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import DataValue
from usmkit.pagination import PageParams

SORT_KEY = (
    DataValue.data_element_code,
    DataValue.district_code,
    DataValue.period,
    DataValue.sex,
    DataValue.age_band,
    DataValue.disability,
)


class DataValueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_many(self, rows: list[dict[str, Any]]) -> None:
        statement = insert(DataValue)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["city", *(column.name for column in SORT_KEY)],
                set_={
                    "value": statement.excluded.value,
                    "source": statement.excluded.source,
                    "quality": statement.excluded.quality,
                    "updated_at": func.now(),
                },
            ),
            rows,
        )

    async def list(
        self,
        city: str,
        params: PageParams,
        *,
        data_element: str | None,
        district_code: str | None,
        period: str | None,
    ) -> Sequence[DataValue]:
        query = (
            select(DataValue)
            .where(DataValue.city == city)
            .order_by(*SORT_KEY)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(tuple_(*SORT_KEY) > tuple(str(part) for part in params.after))
        if data_element is not None:
            query = query.where(DataValue.data_element_code == data_element)
        if district_code is not None:
            query = query.where(DataValue.district_code == district_code)
        if period is not None:
            query = query.where(DataValue.period == period)
        return (await self.session.scalars(query)).all()

    async def for_computation(
        self, city: str, codes: Iterable[str], periods: Iterable[str]
    ) -> Sequence[DataValue]:
        """Every value of these data elements in these periods, all districts."""
        query = select(DataValue).where(
            DataValue.city == city,
            DataValue.data_element_code.in_(list(codes)),
            DataValue.period.in_(list(periods)),
        )
        return (await self.session.scalars(query)).all()
