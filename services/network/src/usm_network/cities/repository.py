from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.models import City
from usmkit.pagination import PageParams


class CityRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, slug: str) -> City | None:
        return await self.session.get(City, slug)

    async def add(self, city: City) -> City:
        self.session.add(city)
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
