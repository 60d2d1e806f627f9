from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import District


class DistrictRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_for_city(self, city: str, districts: Sequence[dict[str, Any]]) -> None:
        """Swap the city's whole copy in the caller's transaction."""
        await self.session.execute(delete(District).where(District.city == city))
        if districts:
            await self.session.execute(
                insert(District),
                [
                    {
                        "city": city,
                        "code": district["code"],
                        "name": district["name"],
                        "boundary": district["boundary"],
                    }
                    for district in districts
                ],
            )

    async def list_for_city(self, city: str) -> Sequence[District]:
        query = select(District).where(District.city == city).order_by(District.code)
        return (await self.session.scalars(query)).all()
