from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.models import KnownIndicator


class IndicatorRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def learn(self, city: str, codes: Collection[str]) -> None:
        """Add codes to the city's known ones; codes are never forgotten (a plan's targets
        stay valid when an indicator is deactivated later)."""
        if codes:
            await self.session.execute(
                insert(KnownIndicator)
                .values([{"city": city, "code": code} for code in sorted(codes)])
                .on_conflict_do_nothing()
            )

    async def codes(self, city: str) -> set[str]:
        found = await self.session.scalars(
            select(KnownIndicator.code).where(KnownIndicator.city == city)
        )
        return set(found)
