from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.models import known_cities


async def city_slugs(session: AsyncSession) -> Sequence[str]:
    """Every city the service knows (from `city.registered`), by slug."""
    query = select(known_cities.c.slug).order_by(known_cities.c.slug)
    return (await session.scalars(query)).all()
