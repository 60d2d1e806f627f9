from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import District, known_cities
from usmkit.pagination import PageParams


class DistrictRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_city(self, city: str) -> bool:
        """Lock the city's directory row until commit; False if the city is unknown.

        Writers of one city's geography queue here, so each reads the districts only
        after the previous writer committed and every `geography.updated` is complete.
        """
        found = await self.session.scalar(
            select(known_cities.c.slug).where(known_cities.c.slug == city).with_for_update()
        )
        return found is not None

    async def get(self, city: str, code: str) -> District | None:
        return await self.session.scalar(
            select(District).where(District.city == city, District.code == code)
        )

    async def upsert(self, *, city: str, code: str, values: dict[str, Any]) -> District:
        statement = insert(District).values(city=city, code=code, **values)
        upsert = statement.on_conflict_do_update(
            index_elements=[District.city, District.code],
            set_={**values, "updated_at": func.now()},
        ).returning(District)
        # populate_existing: a district loaded earlier in this session gets the new values.
        result = await self.session.scalars(upsert, execution_options={"populate_existing": True})
        district: District = result.one()
        return district

    async def all_in_city(self, city: str) -> Sequence[District]:
        query = select(District).where(District.city == city).order_by(District.code)
        return (await self.session.scalars(query)).all()

    async def codes_in_city(self, city: str) -> Sequence[str]:
        """The city's district codes, in order, without loading boundaries."""
        query = select(District.code).where(District.city == city).order_by(District.code)
        return (await self.session.scalars(query)).all()

    async def list(self, city: str, params: PageParams) -> Sequence[District]:
        query = (
            select(District)
            .where(District.city == city)
            .order_by(District.code)
            .limit(params.limit + 1)
        )
        if params.after:
            query = query.where(District.code > str(params.after[0]))
        return (await self.session.scalars(query)).all()
