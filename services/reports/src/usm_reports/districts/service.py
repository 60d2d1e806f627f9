from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_reports.districts.geometry import boundary_contains, bounding_box, validate_boundary
from usm_reports.districts.repository import DistrictRepository
from usmkit.problems import FieldError, UnprocessableContent

# About 25 km around the districts' extent: a report just past the last district line is
# kept (and flagged); one in another city or another country is refused.
EXTENT_MARGIN_DEGREES = 0.25


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
    """The code of the district containing the point, or None when it is in none of them.

    A point far outside the city (beyond its districts' extent plus a margin) is refused:
    it is a mistake, not a report of this city. Near misses are kept and flagged."""
    districts = await DistrictRepository(session).list_for_city(city)
    extent = bounding_box([d.boundary for d in districts if d.boundary is not None])
    if extent is not None:
        west, south, east, north = extent
        margin = EXTENT_MARGIN_DEGREES
        if not (
            west - margin <= longitude <= east + margin
            and south - margin <= latitude <= north + margin
        ):
            raise UnprocessableContent(
                f"The location is outside {city}.",
                errors=[
                    FieldError(loc=["body", field], msg="Outside the city.", type="outside_city")
                    for field in ("latitude", "longitude")
                ],
            )
    # Ordered by code, so overlapping boundaries (a data error) still give one stable answer.
    for district in districts:
        if boundary_contains(district.boundary, longitude=longitude, latitude=latitude):
            return district.code
    return None
