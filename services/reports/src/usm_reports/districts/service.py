import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, kw_only=True)
class CityDistricts:
    """One version of a city's district copy, as intake places points in it."""

    city: str
    # None before the city's first `geography.updated`.
    version: uuid.UUID | None
    # (code, boundary), ordered by code, so overlapping boundaries (a data error) still
    # give one stable answer.
    boundaries: tuple[tuple[str, Mapping[str, Any] | None], ...]
    extent: tuple[float, float, float, float] | None

    def locate(self, *, latitude: float, longitude: float) -> str | None:
        """The code of the district containing the point, or None when it is in none.

        A point far outside the city (beyond its districts' extent plus a margin) is
        refused: it is a mistake, not a report of this city. Near misses are kept and
        flagged."""
        if self.extent is not None:
            west, south, east, north = self.extent
            margin = EXTENT_MARGIN_DEGREES
            if not (
                west - margin <= longitude <= east + margin
                and south - margin <= latitude <= north + margin
            ):
                raise UnprocessableContent(
                    f"The location is outside {self.city}.",
                    errors=[
                        FieldError(
                            loc=["body", field], msg="Outside the city.", type="outside_city"
                        )
                        for field in ("latitude", "longitude")
                    ],
                )
        for code, boundary in self.boundaries:
            if boundary_contains(boundary, longitude=longitude, latitude=latitude):
                return code
        return None


async def load_city_districts(
    *, session: AsyncSession, city: str, lock: bool = False
) -> CityDistricts:
    """The city's current district copy; with `lock`, kept current until the transaction
    ends (a `geography.updated` waits)."""
    repository = DistrictRepository(session)
    # The version first: a copy replaced between the two reads then shows up as a version
    # that is no longer current (intake reloads), never as new districts under an old one.
    version = await repository.copy_version(city, for_share=lock)
    districts = await repository.list_for_city(city)
    return CityDistricts(
        city=city,
        version=version,
        boundaries=tuple((district.code, district.boundary) for district in districts),
        extent=bounding_box([d.boundary for d in districts if d.boundary is not None]),
    )
