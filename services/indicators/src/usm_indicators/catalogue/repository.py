from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import CityIndicatorSetting, DataElement, Indicator
from usm_indicators.models.catalogue import PLATFORM
from usmkit.pagination import PageParams


class CatalogueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def data_elements(self, codes: set[str] | None = None) -> Sequence[DataElement]:
        query = select(DataElement).order_by(DataElement.code)
        if codes is not None:
            query = query.where(DataElement.code.in_(codes))
        return (await self.session.scalars(query)).all()

    async def list_data_elements(self, params: PageParams) -> Sequence[DataElement]:
        query = select(DataElement).order_by(DataElement.code).limit(params.limit + 1)
        if params.after:
            query = query.where(DataElement.code > str(params.after[0]))
        return (await self.session.scalars(query)).all()

    async def list_platform(
        self, params: PageParams, *, dimension: str | None, active: bool | None
    ) -> Sequence[Indicator]:
        query = (
            select(Indicator)
            .where(Indicator.city == PLATFORM)
            .order_by(Indicator.code)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(Indicator.code > str(params.after[0]))
        if dimension is not None:
            query = query.where(Indicator.dimension == dimension)
        if active is not None:
            query = query.where(Indicator.is_active.is_(active))
        return (await self.session.scalars(query)).all()

    def _for_city(self, city: str) -> Select[Indicator, bool]:
        """A city's indicators: its own, and the platform's it did not replace, with the
        city's activation (a city setting wins over the platform's)."""
        local = select(Indicator.code).where(Indicator.city == city)
        effective = func.coalesce(CityIndicatorSetting.is_active, Indicator.is_active)
        return (
            select(Indicator, effective.label("effective_active"))
            .outerjoin(
                CityIndicatorSetting,
                and_(
                    CityIndicatorSetting.city == city,
                    CityIndicatorSetting.code == Indicator.code,
                    Indicator.city == PLATFORM,
                ),
            )
            .where(
                or_(
                    Indicator.city == city,
                    and_(Indicator.city == PLATFORM, Indicator.code.not_in(local)),
                )
            )
        )

    async def list_for_city(
        self,
        city: str,
        params: PageParams | None,
        *,
        dimension: str | None = None,
        active: bool | None = None,
    ) -> Sequence[Row[Indicator, bool]]:
        query = self._for_city(city).order_by(Indicator.code)
        if params is not None:
            query = query.limit(params.limit + 1)
            if params.after:
                query = query.where(Indicator.code > str(params.after[0]))
        if dimension is not None:
            query = query.where(Indicator.dimension == dimension)
        if active is not None:
            effective = func.coalesce(CityIndicatorSetting.is_active, Indicator.is_active)
            query = query.where(effective.is_(active))
        return (await self.session.execute(query)).all()

    async def get_for_city(self, city: str, code: str) -> Row[Indicator, bool] | None:
        return (
            await self.session.execute(self._for_city(city).where(Indicator.code == code))
        ).first()

    async def get(self, city: str, code: str) -> Indicator | None:
        return await self.session.scalar(
            select(Indicator).where(Indicator.city == city, Indicator.code == code)
        )

    async def set_activation(self, *, city: str, code: str, is_active: bool) -> None:
        statement = insert(CityIndicatorSetting).values(city=city, code=code, is_active=is_active)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[CityIndicatorSetting.city, CityIndicatorSetting.code],
                set_={"is_active": is_active, "updated_at": func.now()},
            )
        )

    async def upsert_local(self, *, city: str, code: str, values: dict[str, Any]) -> Indicator:
        statement = insert(Indicator).values(city=city, code=code, **values)
        upsert = statement.on_conflict_do_update(
            index_elements=[Indicator.city, Indicator.code],
            set_={**values, "updated_at": func.now()},
        ).returning(Indicator)
        result = await self.session.scalars(upsert, execution_options={"populate_existing": True})
        indicator: Indicator = result.one()
        return indicator
