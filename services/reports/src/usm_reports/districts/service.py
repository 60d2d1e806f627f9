from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.districts.geometry import boundary_contains, validate_boundary
from usm_reports.districts.repository import DistrictRepository


async def replace_districts(
    *, session: AsyncSession, city: str, districts: Sequence[dict[str, Any]]
) -> None:
    """Make the local copy of a city's districts exactly the list indicators published."""
    for district in districts:
        validate_boundary(district["boundary"])
    await DistrictRepository(session).replace_for_city(city, districts)


async def locate_district(
    *, session: AsyncSession, city: str, latitude: float, longitude: float
) -> str | None:
    """The code of the district containing the point, or None when it is in none of them."""
    # Ordered by code, so overlapping boundaries (a data error) still give one stable answer.
    for district in await DistrictRepository(session).list_for_city(city):
        if boundary_contains(district.boundary, longitude=longitude, latitude=latitude):
            return district.code
    return None
