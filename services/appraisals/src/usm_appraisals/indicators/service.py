"""Indicator codes: checked against those indicators has published for the city.

No event carries indicators' catalogue; `aggregates.published` names every indicator the
city computes and `alert.raised` the one it fires on, so together they give the codes in use.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from usm_appraisals.indicators.repository import IndicatorRepository
from usmkit.events.cloudevents import CloudEvent
from usmkit.problems import FieldError, UnprocessableContent


async def on_aggregates_published(session: AsyncSession, event: CloudEvent) -> None:
    data: dict[str, Any] = event.data
    await IndicatorRepository(session).learn(
        data["city"], {indicator["indicator_code"] for indicator in data["indicators"]}
    )


async def check_known_indicators(
    session: AsyncSession, city: str, codes: Sequence[tuple[str, Sequence[str | int]]]
) -> None:
    """422 naming each (code, loc) the city's indicators lack.

    Until indicators has published anything for the city there is nothing to check against,
    and codes are accepted as given (their format is validated by the schemas).
    """
    if not codes:
        return
    known = await IndicatorRepository(session).codes(city)
    if not known:
        return
    unknown = [
        FieldError(
            loc=list(loc), msg=f"{code} is not an indicator of {city}.", type="unknown_indicator"
        )
        for code, loc in codes
        if code not in known
    ]
    if unknown:
        raise UnprocessableContent("Unknown indicators.", errors=unknown)
