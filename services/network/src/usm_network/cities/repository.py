import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import City, Partnership
from usmkit.pagination import PageParams, cursor_parts


class CityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, slug: str, *, for_update: bool = False) -> City | None:
        return await self.session.get(City, slug, with_for_update=for_update)

    async def add(self, city: City) -> City:
        self.session.add(city)
        await self.session.flush()
        await self.session.refresh(city)
        return city

    async def save(self, city: City) -> City:
        await self.session.flush()
        await self.session.refresh(city)
        return city

    async def list(
        self, params: PageParams, *, role: str | None, country_code: str | None
    ) -> Sequence[City]:
        query = select(City).order_by(City.slug).limit(params.limit + 1)
        if params.after:
            query = query.where(City.slug > str(params.after[0]))
        if role is not None:
            query = query.where(City.role == role)
        if country_code is not None:
            query = query.where(City.country_code == country_code)
        return (await self.session.scalars(query)).all()


class PartnershipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, city_a: str, city_b: str, kind: str) -> Partnership | None:
        return await self.session.scalar(
            select(Partnership).where(
                Partnership.city_a == city_a, Partnership.city_b == city_b, Partnership.kind == kind
            )
        )

    async def add(self, partnership: Partnership) -> Partnership:
        self.session.add(partnership)
        await self.session.flush()
        await self.session.refresh(partnership)
        return partnership

    async def list(
        self, params: PageParams, *, city: str | None, kind: str | None
    ) -> Sequence[Partnership]:
        query = (
            select(Partnership).order_by(Partnership.since, Partnership.id).limit(params.limit + 1)
        )
        if params.after:
            since, partnership_id = cursor_parts(params.after, date.fromisoformat, uuid.UUID)
            query = query.where(tuple_(Partnership.since, Partnership.id) > (since, partnership_id))
        if city is not None:
            query = query.where(or_(Partnership.city_a == city, Partnership.city_b == city))
        if kind is not None:
            query = query.where(Partnership.kind == kind)
        return (await self.session.scalars(query)).all()
