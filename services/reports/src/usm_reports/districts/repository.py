import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.models import District, DistrictCopy


class DistrictRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_for_city(self, city: str, districts: Sequence[dict[str, Any]]) -> None:
        """Swap the city's whole copy in the caller's transaction, under a new version."""
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
        values = {"version": uuid.uuid4(), "copied_at": datetime.now(UTC)}
        await self.session.execute(
            upsert(DistrictCopy)
            .values(city=city, **values)
            .on_conflict_do_update(index_elements=[DistrictCopy.city], set_=values)
        )

    async def list_for_city(self, city: str) -> Sequence[District]:
        query = select(District).where(District.city == city).order_by(District.code)
        return (await self.session.scalars(query)).all()

    async def copy_version(self, city: str, *, for_share: bool = False) -> uuid.UUID | None:
        """The version of the city's current copy; None before any was received.
        `for_share` keeps it current until the caller's transaction ends."""
        query = select(DistrictCopy.version).where(DistrictCopy.city == city)
        if for_share:
            query = query.with_for_update(read=True)
        return await self.session.scalar(query)
