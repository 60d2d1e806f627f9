from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from usm_indicators.catalogue.repository import CatalogueRepository
from usm_indicators.catalogue.schemas import (
    CityIndicatorUpdate,
    IndicatorRead,
    LocalIndicatorDefinition,
)
from usm_indicators.computation.formula import FormulaError, Node, parse, references
from usm_indicators.models import DataElement, Indicator, city_directory
from usm_indicators.models.catalogue import PLATFORM
from usmkit.pagination import PageParams
from usmkit.problems import Conflict, FieldError, NotFound, UnprocessableContent


def to_read(indicator: Indicator, *, is_active: bool | None = None) -> IndicatorRead:
    """The indicator as published; `is_active` is the city's choice when given."""
    return IndicatorRead(
        code=indicator.code,
        origin="platform" if indicator.city == PLATFORM else "city",
        name_en=indicator.name_en,
        name_es=indicator.name_es,
        definition=indicator.definition,
        dimension=indicator.dimension,
        unit=indicator.unit,
        direction=indicator.direction,
        numerator=indicator.numerator,
        denominator=indicator.denominator,
        multiplier=float(indicator.multiplier),
        goalpost_min=float(indicator.goalpost_min),
        goalpost_max=float(indicator.goalpost_max),
        standard=indicator.standard,
        sdmx_series=indicator.sdmx_series,
        sensitivity=indicator.sensitivity,
        is_active=indicator.is_active if is_active is None else is_active,
    )


def formula_problems(
    formula: str, elements: dict[str, DataElement], loc: list[str | int]
) -> list[FieldError]:
    """Why a formula cannot be used: syntax, unknown data elements, disallowed filters."""
    try:
        tree: Node = parse(formula)
    except FormulaError as error:
        return [FieldError(loc=loc, msg=str(error), type="formula.syntax")]
    problems = []
    for reference in sorted(references(tree), key=str):
        element = elements.get(reference.code)
        if element is None:
            problems.append(
                FieldError(
                    loc=loc,
                    msg=f"{reference} names no data element",
                    type="formula.unknown_data_element",
                )
            )
            continue
        for dimension, _ in reference.filters:
            if dimension not in element.disaggregations:
                problems.append(
                    FieldError(
                        loc=loc,
                        msg=f"{reference.code} is not disaggregated by {dimension}",
                        type="formula.disaggregation_not_allowed",
                    )
                )
    return problems


async def _check_formulas(session: AsyncSession, local: LocalIndicatorDefinition) -> None:
    elements = {
        element.code: element for element in await CatalogueRepository(session).data_elements()
    }
    problems = formula_problems(local.numerator, elements, ["body", "local", "numerator"])
    if local.denominator is not None:
        problems += formula_problems(local.denominator, elements, ["body", "local", "denominator"])
    if problems:
        raise UnprocessableContent(
            "The indicator's formulas are not usable; see errors.", errors=problems
        )


async def list_city_indicators(
    *,
    session: AsyncSession,
    city: str,
    page: PageParams | None = None,
    dimension: str | None = None,
    active: bool | None = None,
) -> Sequence[Row[Indicator, bool]]:
    """A city's indicators (platform and local), each with the city's activation."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    return await CatalogueRepository(session).list_for_city(
        city, page, dimension=dimension, active=active
    )


async def update_city_indicator(
    *, session: AsyncSession, city: str, code: str, update: CityIndicatorUpdate
) -> tuple[IndicatorRead, bool]:
    """Activate or deactivate an indicator for a city, or define a local one; True if created."""
    if not await city_directory.exists(session, city):
        raise NotFound(f"No city {city!r}.")
    repository = CatalogueRepository(session)
    platform = await repository.get(PLATFORM, code)
    if platform is not None:
        if update.local is not None:
            raise Conflict(
                f"{code} is in the platform catalogue: a city may only activate or "
                "deactivate it. Choose another code for a local indicator."
            )
        await repository.set_activation(city=city, code=code, is_active=update.is_active)
        return to_read(platform, is_active=update.is_active), False
    existing = await repository.get(city, code)
    if update.local is None:
        if existing is None:
            raise NotFound(
                f"No indicator {code!r} in the catalogue or in {city}; send `local` to define it."
            )
        existing.is_active = update.is_active
        await session.flush()
        return to_read(existing), False
    await _check_formulas(session, update.local)
    values: dict[str, Any] = {
        **update.local.model_dump(),
        "multiplier": Decimal(str(update.local.multiplier)),
        "goalpost_min": Decimal(str(update.local.goalpost_min)),
        "goalpost_max": Decimal(str(update.local.goalpost_max)),
        "is_active": update.is_active,
    }
    stored = await repository.upsert_local(city=city, code=code, values=values)
    return to_read(stored), existing is None
