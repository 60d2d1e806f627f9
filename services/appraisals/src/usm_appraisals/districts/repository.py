from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import KnownDistrict


class DistrictRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(self, city: str, districts: Iterable[tuple[str, str]]) -> None:
        """The city's districts become exactly `districts` (code, name)."""
        await self.session.execute(delete(KnownDistrict).where(KnownDistrict.city == city))
        self.session.add_all(
            KnownDistrict(city=city, code=code, name=name) for code, name in districts
        )
        await self.session.flush()

    async def codes(self, city: str) -> set[str]:
        found = await self.session.scalars(
            select(KnownDistrict.code).where(KnownDistrict.city == city)
        )
        return set(found)
