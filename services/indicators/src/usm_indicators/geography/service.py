from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.geography.repository import DistrictRepository
from usm_indicators.geography.schemas import DistrictUpsert
from usm_indicators.models import District
from usmkit.events.outbox import Outbox
from usmkit.problems import NotFound


async def upsert_district(
    *, session: AsyncSession, outbox: Outbox, city: str, code: str, district_in: DistrictUpsert
) -> tuple[District, bool]:
    """Create or replace a district and publish the city's whole geography; True if created."""
    repository = DistrictRepository(session)
    if not await repository.lock_city(city):
        raise NotFound(f"No city {city!r}.")
    created = await repository.get(city, code) is None
    district = await repository.upsert(
        city=city, code=code, values=district_in.model_dump(mode="json")
    )
    districts = await repository.all_in_city(city)
    await outbox.record(
        session,
        "geography.updated",
        subject=city,
        city=city,
        data={
            "city": city,
            "districts": [
                {"code": each.code, "name": each.name, "boundary": each.boundary}
                for each in districts
            ],
        },
    )
    return district, created
