"""District codes: checked against the copy of indicators' geography when there is one."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.districts.repository import DistrictRepository
from usmkit.events.cloudevents import CloudEvent
from usmkit.problems import FieldError, UnprocessableContent


async def on_geography_updated(session: AsyncSession, event: CloudEvent) -> None:
    """The event carries the city's full district list: it replaces the local copy."""
    data: dict[str, Any] = event.data
    await DistrictRepository(session).replace(
        data["city"], [(district["code"], district["name"]) for district in data["districts"]]
    )


async def check_known(
    session: AsyncSession, city: str, districts: Sequence[str], loc: Sequence[str | int]
) -> None:
    """422 naming each code the city's geography lacks.

    Until indicators has published the city's geography there is nothing to check against,
    and codes are accepted as given (their format is validated by the schemas).
    """
    known = await DistrictRepository(session).codes(city)
    if not known:
        return
    unknown = [
        FieldError(
            loc=[*loc, index], msg=f"{code} is not a district of {city}.", type="unknown_district"
        )
        for index, code in enumerate(districts)
        if code not in known
    ]
    if unknown:
        raise UnprocessableContent("Unknown districts.", errors=unknown)
