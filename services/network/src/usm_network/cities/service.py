from sqlalchemy.ext.asyncio import AsyncSession

from usm_network.cities.repository import CityRepository
from usm_network.cities.schemas import CityCreate
from usm_network.models import City
from usmkit.events.outbox import Outbox
from usmkit.problems import Conflict


async def register_city(*, session: AsyncSession, outbox: Outbox, city_in: CityCreate) -> City:
    """Add a member city and tell the other services (`city.registered`)."""
    repository = CityRepository(session)
    if await repository.get(city_in.slug) is not None:
        raise Conflict(f"The city {city_in.slug!r} is already registered.")
    city = await repository.add(City(**city_in.model_dump()))
    await outbox.record(
        session,
        "city.registered",
        subject=city.slug,
        city=city.slug,
        data=city_in.model_dump(),
    )
    return city
